from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "continuum.portal"
    label = "portal"

    def ready(self) -> None:
        from continuum.lib import contributions as c
        from continuum.portal import presenters, queries

        c.register_day(
            c.DayContribution(
                "portal",
                queries.checkin_day_items,
                {queries.CHECKINS_ITEM: presenters.checkin_lines},
                queries.checkin_items_for,
            )
        )
        c.register_brief(
            c.BriefContribution(
                "checkins",
                20,
                lambda appointment, since, user: queries.checkins_since(appointment.client, since),
                "continuity/_brief_checkins.html",
            )
        )
