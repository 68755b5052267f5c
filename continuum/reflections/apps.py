from django.apps import AppConfig


class ReflectionsConfig(AppConfig):
    name = "continuum.reflections"
    label = "reflections"
