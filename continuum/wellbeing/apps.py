from django.apps import AppConfig


class WellbeingConfig(AppConfig):
    name = "continuum.wellbeing"
    label = "wellbeing"
    verbose_name = "Therapist wellbeing"

    def ready(self) -> None:
        from continuum.lib import contributions as c
        from continuum.wellbeing import prompts

        c.register_day(
            c.DayContribution(
                "wellbeing", prompts.prompt_day_items, {prompts.PROMPT_ITEM: prompts.prompt_lines}
            )
        )
