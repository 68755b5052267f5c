from datetime import timedelta

from django.apps import AppConfig


class ContinuityConfig(AppConfig):
    name = "continuum.continuity"
    label = "continuity"

    def ready(self) -> None:
        from continuum.continuity import attention
        from continuum.lib.hooks import register_client_changed
        from continuum.lib.jobs import PeriodicJob, periodic_jobs

        # The day's attention table follows every action that adds or clears a reason...
        register_client_changed("continuity.attention", attention.client_changed)
        # ...and the reasons that come with time (drifting, overdue, stale, drafts 24 h old).
        periodic_jobs.register(
            PeriodicJob("continuity.attention", timedelta(hours=1), attention.run_job, order=90)
        )
