from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "continuum.measures"
    label = "measures"
