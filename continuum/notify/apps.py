from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "continuum.notify"
    label = "notify"
    verbose_name = "Reminders and email"
