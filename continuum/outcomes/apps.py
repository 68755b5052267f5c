from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "continuum.outcomes"
    label = "outcomes"
    verbose_name = "Practice outcomes"

    def ready(self) -> None:
        from continuum.lib.hooks import register_episode_changed
        from continuum.outcomes.services import refresh_episode

        register_episode_changed("outcomes", refresh_episode)
