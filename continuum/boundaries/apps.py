from __future__ import annotations

from django.apps import AppConfig


class BoundariesConfig(AppConfig):
    name = "continuum.boundaries"
    label = "boundaries"
    verbose_name = "Boundaries and portal messages"

    def ready(self) -> None:
        from continuum.boundaries import presenters, queries, services
        from continuum.lib import contributions as c

        c.register_day(
            c.DayContribution(
                "boundaries",
                queries.message_day_items,
                {queries.MESSAGES_ITEM: presenters.message_lines},
                queries.message_items_for,
            )
        )
        c.register_brief(
            c.BriefContribution(
                "messages",
                30,
                lambda appointment, since, user: queries.messages_since(appointment.client, since),
                "boundaries/_brief_messages.html",
            )
        )
        c.register_crisis_source("boundaries", services.therapist_crisis_lines)
