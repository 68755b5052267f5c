"""Reflection actions: write, edit, mark addressed, un-mark.

Each action is one transaction writing one audit row whose detail holds ids only (never the
kind, never the text). Exception messages are safe to show and to log: no names, no text.
Views have already found the reflection through access.py; the checks here repeat the rules
that matter (author only, the client's own appointments) so no other caller can break them.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from continuum.accounts.actors import Actor
from continuum.accounts.models import User
from continuum.audit import log as audit
from continuum.care.models import Appointment, AppointmentStatus, Client
from continuum.reflections.models import (
    ADDRESSED_NOTE_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    Reflection,
    ReflectionKind,
)

# A reflection can be "addressed in" a session that happened or is about to (one on today's
# schedule not yet marked attended); not in one that was cancelled or missed.
ADDRESSABLE_STATUSES = (AppointmentStatus.ATTENDED, AppointmentStatus.SCHEDULED)


class ReflectionError(Exception):
    """A reflection action that cannot happen; `str(error)` is safe to show."""


class NotAllowed(ReflectionError):
    """Only the author writes and changes a reflection, about a client they treat."""


class InvalidReflection(ReflectionError):
    """Bad kind, empty or over-long text, or another client's appointment."""


class NotAddressed(ReflectionError):
    """Un-marking a reflection that is not marked addressed."""


def _check_author_treats(by: Any, client: Client) -> None:
    if client.therapist_id != by.pk:
        raise NotAllowed("Reflections are written by the client's own therapist.")


def _check_content(kind: str, text: str) -> None:
    if kind not in ReflectionKind.values:
        raise InvalidReflection("That is not a kind of reflection.")
    if not text.strip():
        raise InvalidReflection("A reflection needs some text.")
    if len(text) > TEXT_MAX_LENGTH:
        raise InvalidReflection(f"A reflection is at most {TEXT_MAX_LENGTH:,} characters.")


def _check_appointment(client: Client, appointment: Appointment | None) -> None:
    if appointment is not None and appointment.client_id != client.pk:
        raise InvalidReflection("That session is not one of this client's.")


def _locked(reflection: Reflection, by: Any) -> Reflection:
    locked = Reflection.objects.select_for_update().select_related("client").get(pk=reflection.pk)
    if locked.author_id != by.pk:
        raise NotAllowed("Only the author of a reflection can change it.")
    _check_author_treats(by, locked.client)
    return locked


def _copy_back(source: Reflection, target: Reflection) -> None:
    for field in (
        "kind",
        "text",
        "appointment_id",
        "bring_to_next_session",
        "addressed_at",
        "addressed_in_id",
        "addressed_note",
        "updated_at",
    ):
        setattr(target, field, getattr(source, field))
    # Drop cached related objects that may now be stale.
    for relation in ("appointment", "addressed_in"):
        target._state.fields_cache.pop(relation, None)


@transaction.atomic
def create_reflection(
    *,
    author: User,
    client: Client,
    kind: str,
    text: str,
    appointment: Appointment | None = None,
    bring_to_next_session: bool = False,
    actor: Actor,
) -> Reflection:
    _check_author_treats(author, client)
    _check_content(kind, text)
    _check_appointment(client, appointment)
    now = timezone.now()
    reflection = Reflection.objects.create(
        author=author,
        client=client,
        kind=kind,
        text=text,
        appointment=appointment,
        bring_to_next_session=bring_to_next_session,
        created_at=now,
        updated_at=now,
    )
    audit.record(
        actor,
        "reflection.create",
        reflection,
        client_id=client.pk,
        appointment=appointment.pk if appointment is not None else None,
    )
    return reflection


@transaction.atomic
def update_reflection(
    reflection: Reflection,
    *,
    actor: Actor,
    kind: str,
    text: str,
    appointment: Appointment | None,
    bring_to_next_session: bool,
) -> Reflection:
    by = actor.user
    locked = _locked(reflection, by)
    _check_content(kind, text)
    _check_appointment(locked.client, appointment)
    new_values: dict[str, Any] = {
        "kind": kind,
        "text": text,
        "appointment_id": appointment.pk if appointment is not None else None,
        "bring_to_next_session": bring_to_next_session,
    }
    # Field names only: which parts changed, never what they say.
    changed = [name for name, value in new_values.items() if getattr(locked, name) != value]
    for name, value in new_values.items():
        setattr(locked, name, value)
    locked.updated_at = timezone.now()
    locked.save(update_fields=[*new_values, "updated_at"])
    audit.record(
        actor,
        "reflection.update",
        locked,
        client_id=locked.client_id,
        fields=[name.removesuffix("_id") for name in changed],
    )
    _copy_back(locked, reflection)
    return reflection


def default_addressed_in(client: Client) -> Appointment | None:
    """The session a reflection was most likely addressed in: the latest attended one."""
    return (
        Appointment.objects.filter(client=client, status=AppointmentStatus.ATTENDED)
        .order_by("-starts_at", "-pk")
        .first()
    )


@transaction.atomic
def mark_addressed(
    reflection: Reflection,
    *,
    actor: Actor,
    appointment: Appointment | None,
    note: str = "",
) -> Reflection:
    """Mark a reflection addressed (in `appointment`, if given), or change how it was.

    The first time sets `addressed_at`; marking again keeps that time and updates the session
    and the note.
    """
    by = actor.user
    locked = _locked(reflection, by)
    _check_appointment(locked.client, appointment)
    if appointment is not None and appointment.status not in ADDRESSABLE_STATUSES:
        raise InvalidReflection("Choose a session that took place or is scheduled.")
    if len(note) > ADDRESSED_NOTE_MAX_LENGTH:
        raise InvalidReflection(f"The note is at most {ADDRESSED_NOTE_MAX_LENGTH:,} characters.")
    now = timezone.now()
    already = locked.addressed_at is not None
    if not already:
        locked.addressed_at = now
    locked.addressed_in = appointment
    locked.addressed_note = note
    locked.updated_at = now
    locked.save(update_fields=["addressed_at", "addressed_in", "addressed_note", "updated_at"])
    audit.record(
        actor,
        "reflection.address",
        locked,
        client_id=locked.client_id,
        appointment=appointment.pk if appointment is not None else None,
    )
    _copy_back(locked, reflection)
    return reflection


@transaction.atomic
def unmark_addressed(reflection: Reflection, *, actor: Actor) -> Reflection:
    """Undo "addressed": the reflection is open again (and back on the brief if it is to bring).

    The session and the note about how it was addressed are cleared with it.
    """
    by = actor.user
    locked = _locked(reflection, by)
    if locked.addressed_at is None:
        raise NotAddressed("This reflection is not marked addressed.")
    previous = locked.addressed_in_id
    locked.addressed_at = None
    locked.addressed_in = None
    locked.addressed_note = ""
    locked.updated_at = timezone.now()
    locked.save(update_fields=["addressed_at", "addressed_in", "addressed_note", "updated_at"])
    audit.record(
        actor,
        "reflection.unaddress",
        locked,
        client_id=locked.client_id,
        appointment=previous,
    )
    _copy_back(locked, reflection)
    return reflection
