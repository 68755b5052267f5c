from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "continuum.followup"
    label = "followup"
    verbose_name = "Follow-up after therapy"

    def ready(self) -> None:
        from datetime import timedelta

        from continuum.followup import presenters, queries, services
        from continuum.followup.reminders import FOLLOWUP_REMINDERS
        from continuum.lib import contributions as c
        from continuum.lib.jobs import PeriodicJob, periodic_jobs, reminder_kinds

        c.register_day(
            c.DayContribution(
                "followup",
                queries.day_items,
                {
                    queries.FOLLOWUP_ANSWERED_ITEM: presenters.answered_lines,
                    queries.FOLLOWUP_DUE_ITEM: presenters.due_lines,
                    queries.BOOSTER_ITEM: presenters.booster_lines,
                },
                queries.followup_items_for,
            )
        )
        c.register_contact_closer(
            "followup", lambda client: services.followup_phase(client) == services.Phase.ENDED
        )
        # A re-opened episode: the previous one's outcome, goals and relapse-prevention plan.
        c.register_brief(
            c.BriefContribution(
                "previous_episode",
                60,
                lambda appointment, since, user: queries.previous_episode_section(appointment),
                "followup/_brief_previous.html",
            )
        )
        reminder_kinds.register(FOLLOWUP_REMINDERS)
        # Consents whose period ended close, missed check-ins are marked: every minute, before
        # the reminders job looks at what is due.
        periodic_jobs.register(
            PeriodicJob(
                "followup.housekeeping", every=timedelta(minutes=1), run=services.housekeeping
            )
        )
