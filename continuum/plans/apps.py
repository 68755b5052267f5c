from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "continuum.plans"
    label = "plans"
