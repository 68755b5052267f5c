from django.apps import AppConfig


class ContinuityConfig(AppConfig):
    name = "continuum.continuity"
    label = "continuity"
