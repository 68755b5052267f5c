"""Words and links for what plans contributes to other pages (the edge of the app)."""

from __future__ import annotations

from continuum.accounts.paths import path_for_ids
from continuum.lib.contributions import DayItem, DayLine


def plan_review_lines(items: list[DayItem]) -> list[DayLine]:
    plan_path = path_for_ids("plans:episode_plan", "episode_id")
    return [
        DayLine(
            reason=f"Treatment plan review due since {item.facts['review_date']:%-d %B}.",
            url=plan_path(item.ref or 0),
            action="Review the plan",
        )
        for item in items
    ]


def homework_lines(items: list[DayItem]) -> list[DayLine]:
    homework_path = path_for_ids("plans:homework_list", "client_id")
    lines = []
    for item in items:
        count = item.facts["count"]
        lines.append(
            DayLine(
                reason=f"{count} homework task{'s' if count > 1 else ''} past due, not reported.",
                url=homework_path(item.client_id or 0),
                action="See homework",
            )
        )
    return lines
