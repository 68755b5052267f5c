"""Words and links for what endings contributes to other pages (the edge of the app)."""

from __future__ import annotations

from continuum.accounts.paths import path_for_ids
from continuum.endings.queries import unplanned_ending_days
from continuum.lib.contributions import DayItem, DayLine


def unplanned_lines(items: list[DayItem]) -> list[DayLine]:
    unplanned_path = path_for_ids("endings:unplanned", "episode_id")
    days = unplanned_ending_days()
    lines = []
    for item in items:
        quiet = item.facts["quiet_days"]
        if quiet is None:
            reason = (
                f"No attended session and no portal activity in the {days} days since the "
                "episode began: the client may not be coming."
            )
        else:
            reason = (
                f"No attended session for {quiet} days and no portal activity: "
                "the client may have stopped coming."
            )
        lines.append(
            DayLine(
                reason=reason,
                url=unplanned_path(item.ref or 0),
                action="Reach out or end as unplanned",
            )
        )
    return lines
