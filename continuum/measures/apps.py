from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "continuum.measures"
    label = "measures"

    def ready(self) -> None:
        from continuum.lib.contributions import DayContribution, register_day
        from continuum.measures import presenters, queries

        register_day(
            DayContribution(
                "measures",
                queries.alert_day_items,
                {queries.ALERT_ITEM: presenters.alert_lines},
            )
        )
