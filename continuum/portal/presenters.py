"""Words and links for what the portal contributes to other pages (the edge of the app)."""

from __future__ import annotations

from django.utils import timezone

from continuum.accounts.paths import path_for_ids
from continuum.lib.contributions import DayItem, DayLine
from continuum.portal.queries import ProgressMeasure


def checkin_lines(items: list[DayItem]) -> list[DayLine]:
    checkins_path = path_for_ids("portal:client_checkins", "client_id")
    lines = []
    for item in items:
        count, urgent = item.facts["count"], item.facts["urgent"]
        noun = "check-in" if count == 1 else "check-ins"
        reason = f"{count} new {noun}" + (f", {urgent} marked urgent" if urgent else "") + "."
        latest = item.facts.get("latest")
        if count > 1 and latest is not None:
            # The line's age is the oldest unread one's; say when the newest came too.
            reason += f" The latest {timezone.localtime(latest):%-d %b, %H:%M}."
        assert item.client_id is not None
        lines.append(
            DayLine(
                reason=reason,
                url=checkins_path(item.client_id),
                action="Read and mark seen",
            )
        )
    return lines


def progress_words(measure: ProgressMeasure) -> str:
    """What the client reads first under a measure's latest score, in plain words and without
    the therapist's judgements (no reliable change, no caseness): "That is 6 lower than your
    first score here, 14 on 23 Jul 2025." """
    first, latest = measure.first, measure.latest
    if first is None or latest is None or first is latest:
        return "Your first score here. Later scores will show how it changes."
    if first.total is None or latest.total is None:
        return ""
    inst = measure.instrument
    diff = latest.total - first.total
    since = f"your first score here, {first.score} on {first.day.day} {first.day:%b %Y}"
    if diff == 0:
        return f"The same as {since}."
    amount = inst.display(abs(diff)).removesuffix("%")
    unit = " percentage points" if inst.display_unit == "%" else ""
    return f"That is {amount}{unit} {'higher' if diff > 0 else 'lower'} than {since}."
