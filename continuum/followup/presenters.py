"""Words and links for what follow-up contributes to other pages (the edge of the app)."""

from __future__ import annotations

from continuum.accounts.paths import path_for_ids
from continuum.followup.models import describe_flag
from continuum.lib.contributions import DayItem, DayLine


def _label(item: DayItem) -> str:
    return f"{item.facts['months']}-month follow-up"


def answered_lines(items: list[DayItem]) -> list[DayLine]:
    checkin_path = path_for_ids("followup:checkin_detail", "checkin_id")
    lines = []
    for item in items:
        reason = f"{_label(item)} answered"
        if item.facts["flags"]:
            reason += ": " + "; ".join(describe_flag(code) for code in item.facts["flags"])
        lines.append(
            DayLine(reason=reason + ".", url=checkin_path(item.ref or 0), action="Read the answer")
        )
    return lines


def due_lines(items: list[DayItem]) -> list[DayLine]:
    followup_path = path_for_ids("followup:client_followup", "client_id")
    return [
        DayLine(
            reason=f"{_label(item)} due since {item.facts['due_on']:%-d %B}, not answered yet.",
            url=followup_path(item.client_id or 0),
            action="See the follow-up",
        )
        for item in items
    ]


def booster_lines(items: list[DayItem]) -> list[DayLine]:
    booster_path = path_for_ids("followup:booster_detail", "booster_id")
    return [
        DayLine(
            reason="Asked for a booster session.",
            url=booster_path(item.ref or 0),
            action="Book it or refer",
        )
        for item in items
    ]
