"""Words and links for what plans contributes to other pages (the edge of the app)."""

from __future__ import annotations

from datetime import date
from typing import Any

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


def stored_scores_lines(stored: list[dict[str, Any]]) -> list[str]:
    """A past review's stored scores (ScoresSince.as_stored), one line per measure: where it
    stood when the intervention started, the latest score the review saw and the change in
    words ("PHQ-9: 16 (3 Mar 2026), latest 9 (2 Jun 2026): down 7: a reliable improvement").
    Measures the catalogue no longer knows, or malformed entries, are left out."""
    lines = []
    for entry in stored:
        try:
            inst = get_instrument(str(entry["instrument"]))
            baseline = float(entry["baseline"])
            baseline_on = date.fromisoformat(str(entry["baseline_on"]))
            scores = [
                (date.fromisoformat(str(on)), float(total)) for _pk, on, total in entry["scores"]
            ]
        except (KeyError, LookupError, TypeError, ValueError):
            continue
        start = f"{inst.name}: {inst.display(baseline)} ({baseline_on:%-d %b %Y})"
        if not scores:
            lines.append(f"{start}, no score since")
            continue
        latest_on, latest = scores[-1]
        lines.append(
            f"{start}, latest {inst.display(latest)} ({latest_on:%-d %b %Y}): "
            f"{change_words(inst, baseline, latest)}"
        )
    return lines
