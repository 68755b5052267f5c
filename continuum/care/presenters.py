"""Words and links for what care contributes to other pages (the edge of the app)."""

from __future__ import annotations

from django.utils import timezone

from continuum.accounts.paths import path_for_ids
from continuum.lib.contributions import DayItem, DayLine


def drifting_lines(items: list[DayItem]) -> list[DayLine]:
    book_path = path_for_ids("care:appointment_create", "client_id")
    lines = []
    for item in items:
        days = item.facts["days"]
        if days is None:
            reason = "Active episode with no attended session yet, and nothing booked."
        else:
            reason = f"No session for {days} days, and nothing booked."
        assert item.client_id is not None
        lines.append(DayLine(reason=reason, url=book_path(item.client_id), action="Book a session"))
    return lines


def _draft_lines(items: list[DayItem], words: str) -> list[DayLine]:
    """A line per draft note: `words` with the session's day ("{day}") and a link to sign."""
    note_path = path_for_ids("care:note_detail", "note_id")
    lines = []
    for item in items:
        assert item.ref is not None
        session = timezone.localtime(item.facts["session_at"])
        lines.append(
            DayLine(
                reason=words.format(day=f"{session:%-d %B}"),
                url=note_path(item.ref),
                action="Review and sign",
            )
        )
    return lines


def draft_note_lines(items: list[DayItem]) -> list[DayLine]:
    return _draft_lines(items, "Progress note of the session on {day} is still a draft.")


def draft_elsewhere_lines(items: list[DayItem]) -> list[DayLine]:
    """The user's drafts of clients now seen by another therapist ("For you": the client is
    no longer on their day, and the line does not name them)."""
    return _draft_lines(
        items,
        "Your progress note of the session on {day} is still a draft. The client now sees "
        "another therapist; you led the session, so the note is yours to finish and sign.",
    )
