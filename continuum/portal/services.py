"""Portal actions: invite a client, revoke access, choose portal settings, record and see
check-ins.

Each function that writes is one transaction with one audit row (emails go out on commit).
Exception messages are safe to show and to log: no names, addresses or free text.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from continuum.accounts.actors import Actor
from continuum.accounts.models import User, normalize_email
from continuum.accounts.services import link_hours, set_password_link
from continuum.audit.log import record
from continuum.care.episodes import OPEN_STATUSES
from continuum.care.models import Client, Episode
from continuum.lib.hooks import client_changed
from continuum.lib.keys import KEY_PATTERN
from continuum.portal.models import (
    NOTE_MAX,
    SCALE_MAX,
    SCALE_MIN,
    CheckIn,
    CheckinCadence,
    HomeworkStatus,
    PortalSettings,
)

log = logging.getLogger(__name__)


class PortalError(ValueError):
    """A portal action that cannot be carried out (the message is user-facing)."""


# --- Settings ---------------------------------------------------------------------------------


def settings_for(client: Client) -> PortalSettings:
    """The client's portal settings; an unsaved default row when none were chosen yet.

    Uses the row cached by `select_related("portal_settings")` when the caller loaded it.
    """
    try:
        portal: PortalSettings = client.portal_settings
    except PortalSettings.DoesNotExist:
        return PortalSettings(client=client)
    return portal


def shareable_measures(client: Client) -> list[str]:
    """Instrument codes the client has answered (what the therapist may choose to share)."""
    from continuum.measures.models import Administration, AdministrationStatus

    codes = (
        Administration.objects.filter(client=client, status=AdministrationStatus.COMPLETED)
        .order_by("instrument")
        .values_list("instrument", flat=True)
        .distinct()
    )
    return list(codes)


@transaction.atomic
def update_portal_settings(
    client: Client,
    *,
    cadence: str,
    shared_measures: Iterable[str],
    actor: Actor,
) -> PortalSettings:
    if cadence not in CheckinCadence.values:
        raise PortalError("Choose how often the client checks in.")
    allowed = set(shareable_measures(client))
    shared = sorted(set(shared_measures))
    if not set(shared) <= allowed:
        raise PortalError("Share only measures this client has completed.")
    portal, _ = PortalSettings.objects.select_for_update().get_or_create(client=client)
    portal.checkin_cadence = cadence
    portal.shared_measures = shared
    portal.updated_at = timezone.now()
    portal.save(update_fields=["checkin_cadence", "shared_measures", "updated_at"])
    record(
        actor,
        "portal.settings",
        portal,
        practice=client.practice_id,
        client_id=client.pk,
        cadence=cadence,
        shared_measures=shared,
    )
    return portal


# --- Invitations and access -------------------------------------------------------------------


class PortalStatus:
    NOT_INVITED = "not_invited"
    INVITED = "invited"
    ACTIVE = "active"
    REVOKED = "revoked"


def portal_status(client: Client) -> str:
    """Where the client stands: not invited, invited (no password yet), active, revoked."""
    user = client.user
    if user is None:
        return PortalStatus.NOT_INVITED
    if not user.is_active:
        return PortalStatus.REVOKED
    if not user.has_usable_password():
        return PortalStatus.INVITED
    return PortalStatus.ACTIVE


def active_since(client: Client) -> datetime | None:
    """When the client last chose a password through a link (their access began then)."""
    from continuum.audit.models import AuditEvent

    user = client.user
    if user is None or not user.has_usable_password():
        return None
    chosen: datetime | None = (
        AuditEvent.objects.filter(action="password.set", object_type="user", object_id=str(user.pk))
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    return chosen or user.date_joined


def _email_taken(email: str, *, except_user_id: int | None) -> bool:
    others = User.objects.filter(email__iexact=email)
    if except_user_id is not None:
        others = others.exclude(pk=except_user_id)
    return others.exists()


EMAIL_TAKEN = (
    "This email address already belongs to another Continuum account (a member of staff or "
    "another client). Change the client's email address first."
)


def _client_email(client: Client) -> str:
    email = normalize_email(client.email or "")
    if not email:
        raise PortalError("Add the client's email address to their details first.")
    try:
        validate_email(email)
    except ValidationError:
        raise PortalError("The client's email address is not valid; correct it first.") from None
    return email


@transaction.atomic
def invite_client(client: Client, *, actor: Actor) -> User:
    """Give the client a portal login and email them a set-password link.

    First time: a new user (no membership, no usable password) linked to the client.
    Again, before they set a password, or after access was revoked: a fresh link to the same
    user (a revoked user is reactivated and must choose a new password through the link).
    """
    by = actor.acting_user()
    email = _client_email(client)
    user = client.user
    if user is None:
        if _email_taken(email, except_user_id=None):
            raise PortalError(EMAIL_TAKEN)
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email, None, full_name=client.full_name, time_zone=client.time_zone
                )
        except IntegrityError:
            raise PortalError(EMAIL_TAKEN) from None
        client.user = user
        client.save(update_fields=["user"])
        action = "portal.invite"
    else:
        if portal_status(client) == PortalStatus.ACTIVE:
            raise PortalError(
                "The client already uses the portal. If they forgot their password, they can "
                "use “Forgot your password?” on the login page."
            )
        fields = ["time_zone"]
        if user.email != email:
            if _email_taken(email, except_user_id=user.pk):
                raise PortalError(EMAIL_TAKEN)
            user.email = email
            fields.append("email")
        if not user.is_active:
            user.is_active = True
            user.set_unusable_password()
            fields += ["is_active", "password"]
        user.time_zone = client.time_zone
        user.save(update_fields=fields)
        action = "portal.invite_resend"
    portal, _ = PortalSettings.objects.get_or_create(client=client)
    portal.invited_at = timezone.now()
    portal.invited_by = by
    portal.revoked_at = None
    portal.save(update_fields=["invited_at", "invited_by", "revoked_at"])
    record(
        actor,
        action,
        client,
        practice=client.practice_id,
        user_id=user.pk,
    )
    invited = user
    transaction.on_commit(lambda: send_portal_invitation(client, invited, by))
    return user


def send_portal_invitation(client: Client, user: User, by: User) -> bool:
    """Email the set-password link (no clinical content). False if sending failed."""
    context: dict[str, Any] = {
        "client": client,
        "therapist": by,
        "practice": client.practice,
        "link": set_password_link(user),
        "hours": link_hours(),
    }
    subject = render_to_string("portal/emails/invitation_subject.txt", context).strip()
    body = render_to_string("portal/emails/invitation.txt", context)
    try:
        send_mail(subject, body, None, [user.email])
    except (smtplib.SMTPException, OSError):
        # The ids are enough to find and resend; no address or link in the log.
        log.exception("portal invitation email failed for client_id=%s", client.pk)
        return False
    return True


@transaction.atomic
def revoke_access(client: Client, *, actor: Actor) -> Client:
    """The client can no longer log in (open sessions end too: inactive users are anonymous)."""
    user = client.user
    if user is None or not user.is_active:
        raise PortalError("The client has no portal access to revoke.")
    user.is_active = False
    user.save(update_fields=["is_active"])
    portal, _ = PortalSettings.objects.get_or_create(client=client)
    portal.revoked_at = timezone.now()
    portal.save(update_fields=["revoked_at"])
    record(actor, "portal.revoke", client, practice=client.practice_id, user_id=user.pk)
    return client


# --- Check-ins --------------------------------------------------------------------------------


def _scale(data: Mapping[str, Any], name: str, *, required: bool) -> int | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise PortalError(f"The {name} score is required.")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise PortalError(f"The {name} score must be a whole number.")
    if not SCALE_MIN <= value <= SCALE_MAX:
        raise PortalError(f"The {name} score must be from {SCALE_MIN} to {SCALE_MAX}.")
    score: int = value
    return score


def _checkin_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    key = str(data.get("idempotency_key") or "")
    if not KEY_PATTERN.match(key):
        raise PortalError("This form has expired; please check in again.")
    note = str(data.get("note") or "").strip()
    if len(note) > NOTE_MAX:
        raise PortalError(f"The note is too long ({NOTE_MAX} characters at most).")
    homework = str(data.get("homework_status") or "")
    if homework and homework not in HomeworkStatus.values:
        raise PortalError("Choose one of the homework answers.")
    return {
        "mood": _scale(data, "mood", required=True),
        "sleep": _scale(data, "sleep", required=False),
        "energy": _scale(data, "energy", required=False),
        "note": note,
        "urgent": bool(data.get("urgent")),
        "homework_status": homework,
        "idempotency_key": key,
    }


@transaction.atomic
def record_checkin(client: Client, data: Mapping[str, Any], *, actor: Actor) -> CheckIn:
    """Store a check-in written by the client; the same form submitted again returns the first.

    `data`: mood (0-10, required), sleep and energy (0-10 or None), note (at most 2,000
    characters), urgent (bool), homework_status (a HomeworkStatus value or ""), and the
    idempotency_key issued with the form. PortalError for anything else.
    """
    fields = _checkin_fields(data)
    existing = CheckIn.objects.filter(client=client, idempotency_key=fields["idempotency_key"])
    first = existing.first()
    if first is not None:
        return first
    episode = Episode.objects.filter(client=client, status__in=OPEN_STATUSES).only("pk").first()
    try:
        # A savepoint, so that losing a race on the key leaves the transaction usable.
        with transaction.atomic():
            checkin = CheckIn.objects.create(client=client, episode=episode, **fields)
    except IntegrityError:
        return existing.get()
    record(
        actor,
        "checkin.create",
        checkin,
        practice=client.practice_id,
        client_id=client.pk,
        episode_id=episode.pk if episode else None,
    )
    client_changed(client.pk, "portal", cleared=("endings",))
    return checkin


@transaction.atomic
def mark_checkin_seen(checkin: CheckIn, *, actor: Actor) -> CheckIn:
    """The therapist has read this check-in (already seen: nothing changes, no audit row)."""
    by = actor.acting_user()
    if checkin.seen_at is not None:
        return checkin
    now = timezone.now()
    updated = CheckIn.objects.filter(pk=checkin.pk, seen_at__isnull=True).update(
        seen_at=now, seen_by=by
    )
    if updated:
        checkin.seen_at, checkin.seen_by = now, by
        record(
            actor,
            "checkin.seen",
            checkin,
            practice=checkin.client.practice_id,
            client_id=checkin.client_id,
        )
    client_changed(checkin.client_id, "portal")
    return checkin


@transaction.atomic
def mark_all_seen(client: Client, *, actor: Actor) -> list[int]:
    """Mark every unseen check-in of the client seen; the ids marked (none: no audit row)."""
    by = actor.acting_user()
    unseen = CheckIn.objects.select_for_update().filter(client=client, seen_at__isnull=True)
    ids = sorted(unseen.values_list("pk", flat=True))
    if ids:
        CheckIn.objects.filter(pk__in=ids).update(seen_at=timezone.now(), seen_by=by)
        record(
            actor,
            "checkin.seen_all",
            client,
            practice=client.practice_id,
            checkin_ids=ids,
        )
    client_changed(client.pk, "portal")
    return ids
