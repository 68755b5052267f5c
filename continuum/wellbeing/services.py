"""Wellbeing actions: rate a session, write self-reflections and consultation entries, change
one's own settings, snooze a prompt, send the weekly digest.

Each action is one transaction writing one audit row whose detail holds ids only: never a
weight, a threshold, the private line, a reflection's text, what a consultation decided, or
whom it was with. The owner reads the practice's audit log; what a therapist tells Continuum
about their own load is not the owner's to read. Exception messages are safe to show and to
log: no names, no text.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from continuum.accounts.actors import Actor
from continuum.accounts.models import User
from continuum.audit import log as audit
from continuum.care.models import Appointment, AppointmentStatus, Client
from continuum.wellbeing import load, queries
from continuum.wellbeing.models import (
    DECIDED_MAX_LENGTH,
    MAX_WEIGHT,
    MIN_WEIGHT,
    PRIVATE_LINE_MAX_LENGTH,
    SELF_REFLECTION_MAX_LENGTH,
    WITH_WHOM_MAX_LENGTH,
    ConsultationEntry,
    ConsultationKind,
    DigestSent,
    SelfReflection,
    SessionWeight,
    WellbeingSettings,
)

logger = logging.getLogger(__name__)


class WellbeingError(Exception):
    """A wellbeing action that cannot happen; `str(error)` is safe to show."""


class NotAllowed(WellbeingError):
    """Someone else's session, client or record."""


class InvalidInput(WellbeingError):
    """A value outside what the form allows (the forms catch these first)."""


def _check_own_client(user: User, client: Client | None) -> None:
    if client is not None and client.therapist_id != user.pk:
        raise NotAllowed("Link only one of your own clients.")


def _forget_kept_load(user: User) -> None:
    """The kept weeks and day prompt go with the action (the cache is a table: the delete
    commits with it) and once more after the commit, so that no visit to the day that read
    the old rows meanwhile can keep them."""
    queries.forget_kept_load(user)
    transaction.on_commit(lambda: queries.forget_kept_load(user))


# --- Session weights ----------------------------------------------------------------------------


@transaction.atomic
def rate_session(
    appointment: Appointment,
    *,
    actor: Actor,
    weight: int,
    private_line: str | None = None,
) -> tuple[SessionWeight, bool]:
    """Record (or change) how heavy a session felt. `private_line` None keeps the current one.

    Returns the row and whether it is new.
    """
    by = actor.acting_user()
    if appointment.therapist_id != by.pk:
        raise NotAllowed("Only the therapist who held a session can rate it.")
    if appointment.status != AppointmentStatus.ATTENDED:
        raise InvalidInput("Only sessions that took place can be rated.")
    if not MIN_WEIGHT <= int(weight) <= MAX_WEIGHT:
        raise InvalidInput(f"Choose a weight from {MIN_WEIGHT} to {MAX_WEIGHT}.")
    if private_line is not None and len(private_line) > PRIVATE_LINE_MAX_LENGTH:
        raise InvalidInput(f"Keep the private line to {PRIVATE_LINE_MAX_LENGTH} characters.")
    now = timezone.now()
    row = (
        SessionWeight.objects.select_for_update()
        .filter(therapist=by, appointment=appointment)
        .first()
    )
    created = row is None
    if row is None:
        try:
            with transaction.atomic():
                row = SessionWeight.objects.create(
                    therapist=by,
                    appointment=appointment,
                    weight=weight,
                    private_line=private_line or "",
                    created_at=now,
                    updated_at=now,
                )
        except IntegrityError:
            # A double tap raced us to it: change the row the other request wrote.
            row = SessionWeight.objects.select_for_update().get(
                therapist=by, appointment=appointment
            )
            created = False
    if not created:
        row.weight = weight
        if private_line is not None:
            row.private_line = private_line
        row.updated_at = now
        row.save(update_fields=["weight", "private_line", "updated_at"])
    _forget_kept_load(by)
    audit.record(
        actor,
        "wellbeing.weight.rate" if created else "wellbeing.weight.change",
        row,
        appointment=appointment.pk,
    )
    return row, created


# --- Self-reflections ---------------------------------------------------------------------------


def _check_reflection_text(text: str) -> None:
    if not text.strip():
        raise InvalidInput("Write something before saving.")
    if len(text) > SELF_REFLECTION_MAX_LENGTH:
        raise InvalidInput(f"Keep this to {SELF_REFLECTION_MAX_LENGTH:,} characters or fewer.")


@transaction.atomic
def create_self_reflection(
    *, author: User, text: str, client: Client | None = None, actor: Actor
) -> SelfReflection:
    _check_reflection_text(text)
    _check_own_client(author, client)
    now = timezone.now()
    reflection = SelfReflection.objects.create(
        author=author, text=text, client=client, created_at=now, updated_at=now
    )
    audit.record(
        actor,
        "wellbeing.self_reflection.create",
        reflection,
        client_id=client.pk if client is not None else None,
    )
    return reflection


@transaction.atomic
def update_self_reflection(
    reflection: SelfReflection,
    *,
    actor: Actor,
    text: str,
    client: Client | None,
) -> SelfReflection:
    by = actor.acting_user()
    locked = SelfReflection.objects.select_for_update().get(pk=reflection.pk)
    if locked.author_id != by.pk:
        raise NotAllowed("Only the author can change a self-reflection.")
    _check_reflection_text(text)
    if client is not None and client.pk != locked.client_id:
        _check_own_client(by, client)
    changed = []
    if locked.text != text:
        changed.append("text")
    if locked.client_id != (client.pk if client is not None else None):
        changed.append("client")
    locked.text, locked.client, locked.updated_at = text, client, timezone.now()
    locked.save(update_fields=["text", "client", "updated_at"])
    audit.record(actor, "wellbeing.self_reflection.update", locked, fields=changed)
    reflection.text, reflection.client, reflection.updated_at = text, client, locked.updated_at
    return reflection


@transaction.atomic
def delete_self_reflection(reflection: SelfReflection, *, actor: Actor) -> None:
    by = actor.acting_user()
    locked = SelfReflection.objects.select_for_update().get(pk=reflection.pk)
    if locked.author_id != by.pk:
        raise NotAllowed("Only the author can delete a self-reflection.")
    audit.record(actor, "wellbeing.self_reflection.delete", locked)
    locked.delete()


# --- Consultation log ---------------------------------------------------------------------------


def _check_consultation(kind: str, with_whom: str, decided: str) -> None:
    if kind not in ConsultationKind.values:
        raise InvalidInput("Choose supervision or peer consultation.")
    if not with_whom.strip():
        raise InvalidInput("Say whom you consulted.")
    if len(with_whom) > WITH_WHOM_MAX_LENGTH:
        raise InvalidInput(f"Keep “with whom” to {WITH_WHOM_MAX_LENGTH} characters.")
    if len(decided) > DECIDED_MAX_LENGTH:
        raise InvalidInput(f"Keep what was decided to {DECIDED_MAX_LENGTH:,} characters.")


@transaction.atomic
def create_consultation(
    *,
    therapist: User,
    date: Any,
    kind: str,
    with_whom: str,
    decided: str,
    client: Client | None = None,
    actor: Actor,
) -> ConsultationEntry:
    _check_consultation(kind, with_whom, decided)
    _check_own_client(therapist, client)
    now = timezone.now()
    entry = ConsultationEntry.objects.create(
        therapist=therapist,
        client=client,
        date=date,
        kind=kind,
        with_whom=with_whom,
        decided=decided,
        created_at=now,
        updated_at=now,
    )
    audit.record(
        actor,
        "wellbeing.consultation.create",
        entry,
        client_id=client.pk if client is not None else None,
    )
    return entry


@transaction.atomic
def update_consultation(
    entry: ConsultationEntry,
    *,
    actor: Actor,
    date: Any,
    kind: str,
    with_whom: str,
    decided: str,
    client: Client | None,
) -> ConsultationEntry:
    by = actor.acting_user()
    locked = ConsultationEntry.objects.select_for_update().get(pk=entry.pk)
    if locked.therapist_id != by.pk:
        raise NotAllowed("Only the therapist who wrote an entry can change it.")
    _check_consultation(kind, with_whom, decided)
    if client is not None and client.pk != locked.client_id:
        _check_own_client(by, client)
    values: dict[str, Any] = {
        "date": date,
        "kind": kind,
        "with_whom": with_whom,
        "decided": decided,
        "client_id": client.pk if client is not None else None,
    }
    changed = [name for name, value in values.items() if getattr(locked, name) != value]
    for name, value in values.items():
        setattr(locked, name, value)
    locked.updated_at = timezone.now()
    locked.save(update_fields=[*values, "updated_at"])
    audit.record(
        actor,
        "wellbeing.consultation.update",
        locked,
        fields=[name.removesuffix("_id") for name in changed],
    )
    for name, value in values.items():
        setattr(entry, name, value)
    entry._state.fields_cache.pop("client", None)
    return entry


# --- Settings and prompts -----------------------------------------------------------------------

SETTINGS_FIELDS = (
    "weekly_hours_limit",
    "weight_threshold",
    "weeks_running",
    "heavy_sessions_per_week",
    "prompts_enabled",
    "digest_opt_in",
    "share_anonymous_aggregates",
)


def _locked_settings(user: User) -> WellbeingSettings:
    WellbeingSettings.objects.get_or_create(therapist=user)
    return WellbeingSettings.objects.select_for_update().get(therapist=user)


@transaction.atomic
def update_settings(user: User, values: dict[str, Any], *, actor: Actor) -> WellbeingSettings:
    row = _locked_settings(user)
    for name in SETTINGS_FIELDS:
        if name in values:
            value = values[name]
            if name == "weight_threshold":
                value = Decimal(str(value))
            setattr(row, name, value)
    row.full_clean(exclude=["therapist"])
    row.updated_at = timezone.now()
    row.save()
    # No detail at all: which limits a therapist set, or whether they share, is theirs alone.
    audit.record(actor, "wellbeing.settings.update", row)
    _forget_kept_load(user)
    return row


@transaction.atomic
def snooze_prompts(user: User, *, now: datetime | None = None, actor: Actor) -> WellbeingSettings:
    row = _locked_settings(user)
    row.snooze_until = (now or timezone.now()) + timedelta(days=settings.WELLBEING_SNOOZE_DAYS)
    row.updated_at = timezone.now()
    row.save(update_fields=["snooze_until", "updated_at"])
    audit.record(actor, "wellbeing.prompt.snooze", row)
    _forget_kept_load(user)
    return row


# --- The weekly digest --------------------------------------------------------------------------


def digest_recipients() -> Any:
    """Active clinicians who asked for the digest."""
    return (
        WellbeingSettings.objects.filter(
            digest_opt_in=True,
            therapist__is_active=True,
            therapist__membership__is_active=True,
            therapist__membership__is_clinical=True,
        )
        .select_related("therapist")
        .order_by("therapist_id")
    )


def render_digest(user: Any, digest: queries.Digest) -> tuple[str, str]:
    context = {
        "user": user,
        "digest": digest,
        "week": digest.week,
        "hours": load.format_hours(digest.week.hours),
        "site_url": settings.SITE_URL,
    }
    subject = render_to_string("emails/wellbeing_digest_subject.txt", context).strip()
    body = render_to_string("emails/wellbeing_digest.txt", context)
    return " ".join(subject.split()), body


def send_digest(s: WellbeingSettings, *, now: datetime) -> bool:
    """Send one therapist the digest for their last complete week, at most once per week.

    The DigestSent row is written (and committed) before the email goes: a re-run, or a second
    worker, finds it and sends nothing. If sending fails the row is removed again, so the next
    run tries once more. Returns whether an email was sent.
    """
    user = s.therapist
    monday = queries.last_complete_week(user, now)
    week_key = load.Week(start=monday).iso_week
    try:
        with transaction.atomic():
            sent = DigestSent.objects.create(therapist=user, week=week_key, sent_at=now)
            # The system acts; the row names no practice, so no owner's log lists who opted in.
            audit.record(Actor.system(), "wellbeing.digest.send", sent, week=week_key)
    except IntegrityError:
        return False
    subject, body = render_digest(user, queries.digest_for(user, monday, s))
    try:
        send_mail(subject, body, None, [user.email])
    except Exception:
        DigestSent.objects.filter(pk=sent.pk).delete()
        # Ids only: never the address or the content.
        logger.exception("wellbeing digest failed for user %s week %s", user.pk, week_key)
        raise
    return True


def send_digests(now: datetime | None = None) -> tuple[int, int]:
    """Send every opted-in therapist their weekly digest. Returns (sent, failed)."""
    now = now or timezone.now()
    sent = failed = 0
    for s in digest_recipients():
        try:
            if send_digest(s, now=now):
                sent += 1
        # One therapist's mail trouble stops no one else's digest.
        except Exception:
            failed += 1
    return sent, failed
