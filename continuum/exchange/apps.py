from datetime import timedelta

from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "continuum.exchange"
    label = "exchange"
    verbose_name = "Data in and out (calendars, CSV, a client's record)"

    def ready(self) -> None:
        from continuum.exchange import day
        from continuum.exchange.record_services import release_due
        from continuum.lib import contributions as c
        from continuum.lib.jobs import PeriodicJob, periodic_jobs

        c.register_day(
            c.DayContribution(
                "exchange",
                day.record_request_day_items,
                {day.RECORD_REQUEST: day.record_request_lines},
                day.record_request_items_for,
            )
        )
        periodic_jobs.register(
            # Before the reminders (order 100); nothing else depends on it.
            PeriodicJob("exchange.release_records", timedelta(hours=1), release_due, order=50)
        )
