"""Progress-note actions: write a draft, edit it, sign (and lock) it, add addenda.

A signed note never changes again; later additions are addenda, each with its author and
time. Each action is one transaction writing one audit row; exception messages are safe to
show and to log (no names, no note text).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone

from continuum.accounts.actors import Actor
from continuum.audit import log as audit
from continuum.care.models import (
    Appointment,
    AppointmentStatus,
    NoteAddendum,
    NoteStatus,
    ProgressNote,
)
from continuum.care.note_formats import FORMATS
from continuum.lib.hooks import client_changed

LOCKED_MESSAGE = "Signed notes cannot be changed; add an addendum instead."


class NoteError(Exception):
    """A note action that cannot happen; `str(error)` is safe to show."""


class NoteNotAllowed(NoteError):
    """Notes are written for attended appointments only."""


class NoteExists(NoteError):
    """The appointment already has its (one) note."""

    def __init__(self, note: ProgressNote) -> None:
        super().__init__("This appointment already has a progress note.")
        self.note = note


class NoteLocked(NoteError):
    """The note is signed (or, for addenda, not yet signed)."""


class NotAuthor(NoteError):
    """A draft belongs to its author: nobody else edits or signs it (issue 18, finding 2).
    After a reassignment the new therapist reads it and writes their own notes."""

    def __init__(self) -> None:
        super().__init__(
            "This draft belongs to the therapist who wrote it: only they can change or sign it."
        )


def _check_author(note: ProgressNote, actor: Actor) -> None:
    if actor.user is None or note.author_id != actor.user.pk:
        raise NotAuthor


class EmptyNote(NoteError):
    """Signing needs at least one section with text."""


def clean_sections(fmt: str, sections: Mapping[str, str]) -> dict[str, str]:
    """Only the sections of `fmt`, in its order, each as a string."""
    if fmt not in FORMATS:
        raise NoteError("That is not a note format.")
    return {s.key: str(sections.get(s.key, "") or "") for s in FORMATS[fmt].sections}


def has_content(note: ProgressNote) -> bool:
    return any(str(text).strip() for text in note.sections.values())


@transaction.atomic
def create_note(
    appointment: Appointment,
    *,
    actor: Actor,
    fmt: str,
    sections: Mapping[str, str],
    next_session_plan: str = "",
) -> ProgressNote:
    """Write the draft note of an attended appointment (one note per appointment)."""
    # Locking the appointment row serialises two submissions of the same form.
    by = actor.acting_user()
    locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if locked.status != AppointmentStatus.ATTENDED:
        raise NoteNotAllowed("Progress notes can be written for attended appointments only.")
    existing = ProgressNote.objects.filter(appointment=locked).first()
    if existing is not None:
        raise NoteExists(existing)
    now = timezone.now()
    note = ProgressNote.objects.create(
        appointment=locked,
        client_id=locked.client_id,
        author=by,
        format=fmt,
        sections=clean_sections(fmt, sections),
        next_session_plan=next_session_plan,
        created_at=now,
        updated_at=now,
    )
    audit.record(actor, "note.create", note, appointment=locked.pk, format=fmt)
    client_changed(note.client_id, "care.notes")
    return note


@transaction.atomic
def update_note(
    note: ProgressNote,
    *,
    actor: Actor,
    sections: Mapping[str, str],
    next_session_plan: str = "",
) -> ProgressNote:
    """Change a draft note's text; a signed note raises NoteLocked and stays as it is."""
    locked = ProgressNote.objects.select_for_update().get(pk=note.pk)
    if locked.status != NoteStatus.DRAFT:
        raise NoteLocked(LOCKED_MESSAGE)
    _check_author(locked, actor)
    new_sections = clean_sections(locked.format, sections)
    changed = [k for k, v in new_sections.items() if locked.sections.get(k, "") != v]
    if locked.next_session_plan != next_session_plan:
        changed.append("next_session_plan")
    locked.sections = new_sections
    locked.next_session_plan = next_session_plan
    locked.updated_at = timezone.now()
    locked.save(update_fields=["sections", "next_session_plan", "updated_at"])
    audit.record(actor, "note.update", locked, fields=changed)
    note.sections, note.next_session_plan = locked.sections, locked.next_session_plan
    note.updated_at = locked.updated_at
    return note


@transaction.atomic
def sign_note(note: ProgressNote, *, actor: Actor) -> ProgressNote:
    """Sign a draft: it becomes locked for good. Not a draft → NoteLocked; empty → EmptyNote."""
    by = actor.user
    locked = ProgressNote.objects.select_for_update().get(pk=note.pk)
    if locked.status != NoteStatus.DRAFT:
        raise NoteLocked(f"Note {locked.pk} is {locked.status}; only drafts can be signed.")
    _check_author(locked, actor)
    if not has_content(locked):
        raise EmptyNote("Write at least one section before signing the note.")
    now = timezone.now()
    locked.status, locked.signed_at, locked.signed_by = NoteStatus.SIGNED, now, by
    locked.updated_at = now
    locked.save(update_fields=["status", "signed_at", "signed_by", "updated_at"])
    audit.record(actor, "note.sign", locked)
    note.status, note.signed_at, note.signed_by = locked.status, now, by
    note.updated_at = now
    client_changed(note.client_id, "care.notes")
    return note


@transaction.atomic
def add_addendum(note: ProgressNote, *, actor: Actor, text: str) -> NoteAddendum:
    """Append an addendum to a signed note; the note itself is not touched."""
    by = actor.acting_user()
    locked = ProgressNote.objects.select_for_update().get(pk=note.pk)
    if locked.status != NoteStatus.SIGNED:
        raise NoteLocked("Addenda are added to signed notes; edit the draft instead.")
    if not text.strip():
        raise NoteError("An addendum needs some text.")
    addendum = NoteAddendum.objects.create(note=locked, author=by, text=text)
    audit.record(actor, "note.addendum", locked, addendum=addendum.pk)
    return addendum
