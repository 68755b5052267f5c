from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "continuum.fhir"
    label = "fhir"
