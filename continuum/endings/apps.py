from django.apps import AppConfig


class EndingsConfig(AppConfig):
    name = "continuum.endings"
    label = "endings"
    verbose_name = "Endings"
