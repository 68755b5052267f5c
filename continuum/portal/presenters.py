"""Words and links for what the portal contributes to other pages (the edge of the app)."""

from __future__ import annotations

from continuum.accounts.paths import path_for_ids
from continuum.lib.contributions import DayItem, DayLine


def checkin_lines(items: list[DayItem]) -> list[DayLine]:
    checkins_path = path_for_ids("portal:client_checkins", "client_id")
    lines = []
    for item in items:
        count, urgent = item.facts["count"], item.facts["urgent"]
        noun = "check-in" if count == 1 else "check-ins"
        reason = f"{count} new {noun}" + (f", {urgent} marked urgent" if urgent else "")
        assert item.client_id is not None
        lines.append(
            DayLine(
                reason=reason + ".",
                url=checkins_path(item.client_id),
                action="Read and mark seen",
            )
        )
    return lines
