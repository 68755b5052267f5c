from datetime import timedelta

from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "continuum.fhir"
    label = "fhir"

    def ready(self) -> None:
        from continuum.fhir.bulk import expire_exports
        from continuum.lib.jobs import PeriodicJob, periodic_jobs

        # Bulk export files are deleted CONTINUUM_BULK_EXPORT_TTL_HOURS after the kick-off.
        periodic_jobs.register(
            PeriodicJob("fhir.expire_exports", timedelta(hours=1), expire_exports, order=60)
        )
