"""Words and links for what boundaries contributes to other pages (the edge of the app)."""

from __future__ import annotations

from continuum.accounts.paths import path_for_ids
from continuum.lib.contributions import DayItem, DayLine


def message_lines(items: list[DayItem]) -> list[DayLine]:
    messages_path = path_for_ids("boundaries:client_messages", "client_id")
    lines = []
    for item in items:
        count, after_hours = item.facts["count"], item.facts["after_hours"]
        reason = f"{count} unread portal message{'s' if count > 1 else ''}"
        if after_hours:
            reason += f", {after_hours} sent after hours"
        lines.append(
            DayLine(
                reason=reason + ".",
                url=messages_path(item.client_id or 0),
                action="Read and reply",
            )
        )
    return lines
