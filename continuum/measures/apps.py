from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "continuum.measures"
    label = "measures"

    def ready(self) -> None:
        from continuum.lib.contributions import (
            DayContribution,
            PanelContribution,
            register_day,
            register_panel,
        )
        from continuum.lib.jobs import periodic_jobs
        from continuum.measures import presenters, queries
        from continuum.measures.jobs import OUTDATED_ALERTS, OVERDUE_ALERTS, SESSION_SCHEDULES

        register_day(
            DayContribution(
                "measures",
                queries.alert_day_items,
                {queries.ALERT_ITEM: presenters.alert_lines},
                queries.alert_items_for,
            )
        )
        register_day(
            DayContribution(
                "measures.safety_items",
                queries.safety_prompt_day_items,
                {queries.SAFETY_ITEM_UNANSWERED: presenters.safety_prompt_lines},
                queries.safety_prompt_items_for,
            )
        )
        register_panel(
            PanelContribution(
                "client",
                "summary",
                10,
                lambda user, client: queries.measures_summary_for_client(client),
                "measures/_client_measures.html",
            )
        )
        register_panel(
            PanelContribution(
                "episode",
                "outcome",
                10,
                lambda user, episode: queries.episode_outcome(episode),
                "measures/_episode_outcome.html",
            )
        )
        periodic_jobs.register(SESSION_SCHEDULES)
        periodic_jobs.register(OVERDUE_ALERTS)
        periodic_jobs.register(OUTDATED_ALERTS)
