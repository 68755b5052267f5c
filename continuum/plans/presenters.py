"""Words and links for what plans contributes to other pages (the edge of the app)."""

from __future__ import annotations

from continuum.accounts.paths import path_for_ids
from continuum.lib.contributions import DayItem, DayLine
from continuum.measures.instruments import get_instrument
from continuum.measures.queries import ScoresSince, change_words


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


def scores_since_rows(scores: list[ScoresSince]) -> list[dict[str, str]]:
    """The scores an intervention review is made against, in words: each measure's score when
    the intervention started, the scores since, and the change ("down 7: a reliable
    improvement")."""
    rows = []
    for s in scores:
        inst = get_instrument(s.instrument)
        since = ", ".join(f"{inst.display(total)} ({on:%-d %b})" for _pk, on, total in s.scores)
        rows.append(
            {
                "name": s.name,
                "baseline": f"{inst.display(s.baseline)} ({s.baseline_on:%-d %b %Y})",
                "since": since or "none yet",
                "change": change_words(inst, s.baseline, s.latest) if s.scores else "",
            }
        )
    return rows
