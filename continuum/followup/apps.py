from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "continuum.followup"
    label = "followup"
    verbose_name = "Follow-up after therapy"
