from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "continuum.plans"
    label = "plans"

    def ready(self) -> None:
        from continuum.lib import contributions as c
        from continuum.plans import presenters, queries

        c.register_day(
            c.DayContribution(
                "plans",
                queries.plan_day_items,
                {
                    queries.PLAN_REVIEW_ITEM: presenters.plan_review_lines,
                    queries.HOMEWORK_ITEM: presenters.homework_lines,
                },
                queries.plan_items_for,
            )
        )
        c.register_goal_source("plans", queries.active_goal_statements)
        c.register_panel(
            c.PanelContribution(
                "client",
                "homework",
                20,
                lambda user, client: queries.homework_for_client(client, limit=10),
                "plans/_homework_panel.html",
            )
        )
        c.register_brief(
            c.BriefContribution(
                "homework",
                40,
                lambda appointment, since, user: queries.homework_since(
                    appointment.client, since or queries.EPOCH
                ),
                "continuity/_brief_homework.html",
            )
        )
        c.register_brief(
            c.BriefContribution(
                "plan",
                50,
                lambda appointment, since, user: queries.plan_section(appointment.client),
                "continuity/_brief_plan.html",
            )
        )
