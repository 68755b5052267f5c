from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "continuum.audit"
    label = "audit"

    def ready(self) -> None:
        # Seal on a timer wherever the scheduler runs (run_scheduler; bin/demo-serve runs it).
        from continuum.audit.chain import SEAL_JOB
        from continuum.lib.jobs import periodic_jobs

        periodic_jobs.register(SEAL_JOB)
