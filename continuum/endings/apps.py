from django.apps import AppConfig


class EndingsConfig(AppConfig):
    name = "continuum.endings"
    label = "endings"
    verbose_name = "Endings"

    def ready(self) -> None:
        from continuum.endings import presenters, queries
        from continuum.lib import contributions as c

        c.register_day(
            c.DayContribution(
                "endings",
                queries.unplanned_day_items,
                {queries.UNPLANNED_ITEM: presenters.unplanned_lines},
                queries.unplanned_items_for,
            )
        )
