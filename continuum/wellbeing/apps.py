from django.apps import AppConfig


class WellbeingConfig(AppConfig):
    name = "continuum.wellbeing"
    label = "wellbeing"
    verbose_name = "Therapist wellbeing"

    def ready(self) -> None:
        from continuum.lib import contributions as c
        from continuum.lib.jobs import reminder_kinds
        from continuum.wellbeing import prompts
        from continuum.wellbeing.reminders import WELLBEING_DIGESTS

        c.register_day(
            c.DayContribution(
                "wellbeing", prompts.prompt_day_items, {prompts.PROMPT_ITEM: prompts.prompt_lines}
            )
        )
        reminder_kinds.register(WELLBEING_DIGESTS)
