from django.apps import AppConfig


class ReflectionsConfig(AppConfig):
    name = "continuum.reflections"
    label = "reflections"

    def ready(self) -> None:
        from continuum.lib import contributions as c
        from continuum.reflections.access import reflections_to_bring
        from continuum.reflections.queries import client_panel

        # The author's own reflections only: client_panel is empty for anyone else.
        c.register_panel(
            c.PanelContribution(
                "client", "reflection_panel", 30, client_panel, "reflections/_client_panel.html"
            )
        )
        # Only the author's own reflections: reflections_to_bring is empty for anyone else.
        c.register_brief(
            c.BriefContribution(
                "reflections",
                10,
                lambda appointment, since, user: list(
                    reflections_to_bring(user, appointment.client)
                ),
                "continuity/_brief_reflections.html",
            )
        )
