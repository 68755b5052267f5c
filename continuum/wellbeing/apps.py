from django.apps import AppConfig


class WellbeingConfig(AppConfig):
    name = "continuum.wellbeing"
    label = "wellbeing"
    verbose_name = "Therapist wellbeing"
