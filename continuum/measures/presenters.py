"""Words and links for what measures contributes to other pages (the edge of the app)."""

from __future__ import annotations

from continuum.accounts.paths import path_for_ids
from continuum.lib.contributions import DayItem, DayLine
from continuum.measures.models import AlertKind


def alert_lines(items: list[DayItem]) -> list[DayLine]:
    alert_path = path_for_ids("measures:alert_detail", "alert_id")
    lines = []
    for item in items:
        more = item.facts["more"]
        reason = f"{AlertKind(item.facts['alert_kind']).label}: {item.facts['message']}"
        if more:
            reason += f" (and {more} more open alert{'s' if more > 1 else ''})"
        assert item.ref is not None
        lines.append(DayLine(reason=reason, url=alert_path(item.ref), action="Review the alert"))
    return lines
