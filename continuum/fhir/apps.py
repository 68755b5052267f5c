from datetime import timedelta

from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "continuum.fhir"
    label = "fhir"

    def ready(self) -> None:
        from continuum.fhir.bulk import expire_exports
        from continuum.fhir.record import client_bundle_file
        from continuum.lib import contributions as c
        from continuum.lib.jobs import PeriodicJob, periodic_jobs

        # Bulk export files are deleted CONTINUUM_BULK_EXPORT_TTL_HOURS after the kick-off.
        periodic_jobs.register(
            PeriodicJob("fhir.expire_exports", timedelta(hours=1), expire_exports, order=60)
        )
        # The client's own record download offers the $everything Bundle (issue 16).
        c.register_record_format(
            c.RecordFormat("fhir", "FHIR", "application/fhir+json", "fhir.json", client_bundle_file)
        )
