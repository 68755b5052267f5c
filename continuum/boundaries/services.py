"""Boundaries: contact policies, a client's messaging switch, and portal messages.

Each function that writes is one transaction with one audit row. Exception messages are
safe to show and to log: no names and no free text. No email is sent from here: the notify
app tells people "You have a new message" (with a link, never the content) using
`new_message_email`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from continuum.accounts.actors import Actor
from continuum.accounts.models import Practice, User
from continuum.audit.log import record
from continuum.boundaries import policy as rules
from continuum.boundaries.models import (
    AFTER_HOURS_REPLY_MAX,
    BODY_MAX,
    CRISIS_RESOURCES_MAX,
    REASON_MAX,
    ClientMessaging,
    ContactPolicy,
    Direction,
    Message,
    Phase,
)
from continuum.care.episodes import OPEN_STATUSES
from continuum.care.models import Client, Episode
from continuum.lib import crisis
from continuum.lib.contributions import contact_closed
from continuum.lib.hooks import client_changed
from continuum.lib.keys import KEY_PATTERN, new_idempotency_key
from continuum.measures.crisis import crisis_resources

__all__ = [
    "BoundaryError",
    "ClientContact",
    "MessagingOff",
    "contact_for",
    "contact_policy",
    "mark_all_read",
    "mark_read",
    "new_idempotency_key",
    "phase_of",
    "policies_for",
    "send_client_message",
    "send_therapist_message",
    "set_client_messaging",
    "update_policies",
]

_OPEN = {str(s) for s in OPEN_STATUSES}


class BoundaryError(ValueError):
    """An action the boundaries do not allow (the message is user-facing)."""


class MessagingOff(BoundaryError):
    """The client may not send portal messages now (policy for their phase, or turned off)."""


# --- Policies ---------------------------------------------------------------------------------


def default_policy(therapist: User, phase: str, practice: Practice | None = None) -> ContactPolicy:
    """An unsaved policy with the practice's defaults (its settings page): as built in, in
    therapy messages on, after therapy follow-up check-ins only (no messages), Monday to
    Friday 9:00 to 17:00, a reply within 48 hours. `practice` is the therapist's; without it
    the therapist's membership is asked (a query unless loaded)."""
    if practice is None:
        membership = getattr(therapist, "membership", None)
        practice = membership.practice if membership is not None else None
    if practice is None:
        return ContactPolicy(
            therapist=therapist,
            phase=phase,
            portal_messages_enabled=phase != Phase.AFTER_THERAPY,
        )
    return ContactPolicy(
        therapist=therapist,
        phase=phase,
        portal_messages_enabled=(
            practice.default_messages_after_therapy
            if phase == Phase.AFTER_THERAPY
            else practice.default_messages_in_therapy
        ),
        working_hours_start=practice.default_hours_start,
        working_hours_end=practice.default_hours_end,
        response_time_hours=practice.default_response_time_hours,
    )


def policies_for(therapist: User, practice: Practice | None = None) -> dict[str, ContactPolicy]:
    """Both of the therapist's policies, by phase, in 1 query (and the practice's defaults,
    unless given, when a phase was not set yet); defaults (unsaved) for any such phase."""
    saved = {p.phase: p for p in ContactPolicy.objects.filter(therapist=therapist)}
    return {
        phase: saved.get(phase) or default_policy(therapist, phase, practice)
        for phase in Phase.values
    }


def contact_policy(therapist: User, phase: str, practice: Practice | None = None) -> ContactPolicy:
    """The therapist's policy for one phase (1 query); the practice's default when none was
    saved."""
    saved = ContactPolicy.objects.filter(therapist=therapist, phase=phase).first()
    return saved or default_policy(therapist, phase, practice)


POLICY_FIELDS = (
    "portal_messages_enabled",
    "working_days",
    "working_hours_start",
    "working_hours_end",
    "response_time_hours",
    "after_hours_reply",
    "crisis_resources",
)


def _policy_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check one phase's values (the form has checked them too) and return the model fields."""
    days = data.get("working_days")
    start, end = data.get("working_hours_start"), data.get("working_hours_end")
    if not isinstance(start, time) or not isinstance(end, time):
        raise BoundaryError("Give the start and end of the working day.")
    try:
        hours = rules.WorkingHours(frozenset(days or ()), start, end, "UTC")
    except (rules.PolicyError, TypeError) as error:
        raise BoundaryError(str(error)) from None
    response = data.get("response_time_hours")
    if (
        isinstance(response, bool)
        or not isinstance(response, int)
        or not rules.MIN_RESPONSE_HOURS <= response <= rules.MAX_RESPONSE_HOURS
    ):
        raise BoundaryError(
            f"The response time must be from {rules.MIN_RESPONSE_HOURS} to "
            f"{rules.MAX_RESPONSE_HOURS} hours."
        )
    reply = str(data.get("after_hours_reply") or "").strip()
    if not reply:
        raise BoundaryError("Write the reply clients see outside your working hours.")
    if len(reply) > AFTER_HOURS_REPLY_MAX:
        raise BoundaryError(f"The after-hours reply is too long ({AFTER_HOURS_REPLY_MAX} at most).")
    crisis = str(data.get("crisis_resources") or "").strip()
    if len(crisis) > CRISIS_RESOURCES_MAX:
        raise BoundaryError(f"The crisis resources are too long ({CRISIS_RESOURCES_MAX} at most).")
    return {
        "portal_messages_enabled": bool(data.get("portal_messages_enabled")),
        "working_days": rules.days_to_mask(hours.days),
        "working_hours_start": start,
        "working_hours_end": end,
        "response_time_hours": response,
        "after_hours_reply": reply,
        "crisis_resources": crisis,
    }


@transaction.atomic
def update_policies(
    therapist: User,
    phases: Mapping[str, Mapping[str, Any]],
    *,
    actor: Actor,
) -> dict[str, ContactPolicy]:
    """Save the therapist's own policies ({phase: values}); one audit row naming the phases
    and the fields that changed (never their text)."""
    if not phases or not set(phases) <= set(Phase.values):
        raise BoundaryError("Unknown phase of care.")
    values = {phase: _policy_values(data) for phase, data in phases.items()}
    current = {
        p.phase: p
        for p in ContactPolicy.objects.select_for_update().filter(
            therapist=therapist, phase__in=list(values)
        )
    }
    changed: dict[str, list[str]] = {}
    saved: dict[str, ContactPolicy] = {}
    now = timezone.now()
    for phase, fields in values.items():
        row = current.get(phase) or default_policy(therapist, phase)
        diff = [name for name in POLICY_FIELDS if getattr(row, name) != fields[name]]
        if row.pk is None or diff:
            for name, value in fields.items():
                setattr(row, name, value)
            row.updated_at = now
            row.save()
            changed[phase] = diff
        saved[phase] = row
    first = saved[next(iter(saved))]
    record(
        actor,
        "boundaries.update",
        first,
        policy_ids={phase: row.pk for phase, row in saved.items()},
        changed=changed,
    )
    return saved


def crisis_lines(chosen: ContactPolicy, practice: Any) -> list[str]:
    """The therapist's own crisis resources for this phase, else the practice's, else the
    built-in defaults (measures/crisis.py)."""
    return own_crisis_lines(chosen) or crisis_resources(practice)


def own_crisis_lines(chosen: ContactPolicy) -> list[str]:
    """The therapist's own crisis resources in this policy, as clients read them ([] if none)."""
    return crisis.sentences(chosen.crisis_resources)


def therapist_crisis_lines(client: Client) -> list[str]:
    """The crisis resources of the client's therapist's policy for the client's phase of care
    ([] when they chose none): the questionnaire page and follow-up check-ins (2 queries)."""
    chosen = contact_policy(client.therapist, phase_of(client).phase, client.practice)
    return own_crisis_lines(chosen)


# --- A client's phase and messaging -----------------------------------------------------------


@dataclass(frozen=True)
class ClientPhase:
    phase: str
    # The open episode, else the latest one (None for a client with no episode yet).
    episode_id: int | None


def phase_of(client: Client) -> ClientPhase:
    """After therapy when the client has episodes and none is open (the latest is ended, in
    follow-up or closed); in therapy otherwise, a client with no episode yet included.
    1 query."""
    rows = list(
        Episode.objects.filter(client=client)
        .order_by("-start_date", "-pk")
        .values_list("pk", "status")
    )
    open_ids = [pk for pk, status in rows if status in _OPEN]
    if open_ids:
        return ClientPhase(Phase.IN_THERAPY, open_ids[0])
    if rows:
        return ClientPhase(Phase.AFTER_THERAPY, rows[0][0])
    return ClientPhase(Phase.IN_THERAPY, None)


def messaging_change(client: Client) -> ClientMessaging | None:
    """The therapist's latest choice about this client's messages (1 query), or None."""
    return (
        ClientMessaging.objects.filter(client=client)
        .select_related("changed_by")
        .order_by("-changed_at", "-pk")
        .first()
    )


class OffBecause:
    POLICY = "policy"  # the therapist's contact policy for the client's phase
    THERAPIST = "therapist"  # turned off for this client
    FOLLOWUP_ENDED = "followup_ended"  # consented follow-up was withdrawn or expired


@dataclass
class ClientContact:
    """Everything a page needs to tell a client how and when they can reach their therapist."""

    client: Client
    phase: ClientPhase
    policy: ContactPolicy
    change: ClientMessaging | None
    crisis: list[str]
    # After therapy, once consented follow-up was withdrawn or has expired, the therapist
    # receives nothing more from the portal (the follow-up app's rule).
    followup_ended: bool = False

    @property
    def hours(self) -> rules.WorkingHours:
        return self.policy.hours(self.client.therapist.time_zone)

    @property
    def turned_off(self) -> bool:
        return self.change is not None and not self.change.enabled

    @property
    def messages_enabled(self) -> bool:
        return (
            self.policy.portal_messages_enabled and not self.turned_off and not self.followup_ended
        )

    @property
    def off_because(self) -> str | None:
        if self.messages_enabled:
            return None
        if self.turned_off:
            return OffBecause.THERAPIST
        if self.followup_ended and self.policy.portal_messages_enabled:
            return OffBecause.FOLLOWUP_ENDED
        return OffBecause.POLICY

    @property
    def after_therapy(self) -> bool:
        return self.phase.phase == Phase.AFTER_THERAPY

    @property
    def hours_text(self) -> str:
        return self.policy.hours_text

    @property
    def hours_phrase(self) -> str:
        return self.policy.hours_phrase

    @property
    def response_text(self) -> str:
        return self.policy.response_text

    @property
    def practice_name(self) -> str:
        return str(self.client.practice.name)

    def in_hours(self, moment: datetime) -> bool:
        return rules.in_hours(self.hours, moment)

    def next_reading(self, moment: datetime) -> datetime:
        return rules.next_reading(self.hours, moment)

    def reads_by(self, moment: datetime) -> datetime:
        return rules.reads_by(self.hours, moment)

    def reply_by(self, moment: datetime) -> datetime:
        return rules.reply_by(self.hours, moment, self.policy.response_time_hours)

    def expectations(self) -> list[str]:
        """The contact rules in plain words, for the portal's help page."""
        lines = [
            f"Your therapist works {self.hours_phrase} ({self.client.therapist.time_zone} "
            "time). They do not watch the portal outside those hours, or on holidays.",
        ]
        if self.messages_enabled:
            lines.append(
                "You can send your therapist a message in the portal. They aim to reply "
                f"{self.response_text}, counted from when they are next at work."
            )
        elif self.off_because == OffBecause.FOLLOWUP_ENDED:
            lines.append(
                "Your follow-up has ended, so the portal no longer sends anything to your "
                f"therapist. To reach them, contact {self.practice_name}."
            )
        elif self.off_because == OffBecause.THERAPIST:
            lines.append(
                "Portal messages are turned off for you. To reach your therapist, contact "
                f"{self.practice_name}."
            )
        else:
            lines.append(
                "Portal messages are not part of your care at the moment. To reach your "
                f"therapist, contact {self.practice_name}."
            )
        lines.append(
            "The portal is not for emergencies. If you need help now, use the numbers on this page."
        )
        lines.append("To change or cancel a session, contact the practice as you agreed.")
        return lines


def contact_for(client: Client) -> ClientContact:
    """How `client` may reach their therapist now, in 3 queries: the client's phase, the
    therapist's policy for it, and the therapist's choice for this client; a 4th after
    therapy when the policy allows messages (has consented follow-up ended?). The client
    comes with its practice and therapist loaded (portal_client_required does so)."""
    phase = phase_of(client)
    chosen = contact_policy(client.therapist, phase.phase, client.practice)
    ended = (
        phase.phase == Phase.AFTER_THERAPY
        and chosen.portal_messages_enabled
        # Consented follow-up was withdrawn or has expired (1 query; the follow-up app).
        and contact_closed(client)
    )
    return ClientContact(
        client=client,
        phase=phase,
        policy=chosen,
        change=messaging_change(client),
        crisis=crisis_lines(chosen, client.practice),
        followup_ended=ended,
    )


@transaction.atomic
def set_client_messaging(
    client: Client,
    *,
    enabled: bool,
    reason: str = "",
    actor: Actor,
) -> ClientMessaging:
    """Turn portal messages off for this client (a reason is required) or back on (the
    contact policy decides again). The client's earlier messages stay in the record."""
    by = actor.acting_user()
    reason = reason.strip()
    if not enabled and not reason:
        raise BoundaryError("Give the reason for turning messages off (it stays in the record).")
    if len(reason) > REASON_MAX:
        raise BoundaryError(f"The reason is too long ({REASON_MAX:,} characters at most).")
    # Lock the client row so two changes at once are taken in turn.
    Client.objects.select_for_update().filter(pk=client.pk).first()
    latest = messaging_change(client)
    currently_off = latest is not None and not latest.enabled
    if not enabled and currently_off:
        raise BoundaryError("Messages are already turned off for this client.")
    if enabled and not currently_off:
        raise BoundaryError("Messages are not turned off for this client.")
    change = ClientMessaging.objects.create(
        client=client, enabled=enabled, reason=reason, changed_by=by
    )
    record(
        actor,
        "messaging.on" if enabled else "messaging.off",
        change,
        practice=client.practice_id,
        client_id=client.pk,
    )
    return change


# --- Messages ---------------------------------------------------------------------------------


def _body(data: Mapping[str, Any]) -> str:
    body = str(data.get("body") or "").strip()
    if not body:
        raise BoundaryError("Write your message.")
    if len(body) > BODY_MAX:
        raise BoundaryError(f"The message is too long ({BODY_MAX:,} characters at most).")
    return body


def _key(data: Mapping[str, Any]) -> str:
    key = str(data.get("idempotency_key") or "")
    if not KEY_PATTERN.match(key):
        raise BoundaryError("This form has expired; please write your message again.")
    return key


def _reply_target(client: Client, value: Any, direction: str) -> Message | None:
    """The message being answered: one of this client's, sent the other way."""
    if value in (None, ""):
        return None
    target_id = value.pk if isinstance(value, Message) else value
    try:
        target_id = int(target_id)
    except (TypeError, ValueError):
        raise BoundaryError("The message you are replying to was not found.") from None
    other = Direction.TO_CLIENT if direction == Direction.TO_THERAPIST else Direction.TO_THERAPIST
    target = Message.objects.filter(client=client, direction=other, pk=target_id).first()
    if target is None:
        raise BoundaryError("The message you are replying to was not found.")
    return target


def _create(fields: dict[str, Any]) -> tuple[Message, bool]:
    """Create the message, or return the one this form already made (False)."""
    existing = Message.objects.filter(
        client=fields["client"], idempotency_key=fields["idempotency_key"]
    )
    first = existing.first()
    if first is not None:
        return first, False
    try:
        # A savepoint, so that losing a race on the key leaves the transaction usable.
        with transaction.atomic():
            return Message.objects.create(**fields), True
    except IntegrityError:
        return existing.get(), False


@transaction.atomic
def send_client_message(
    client: Client,
    data: Mapping[str, Any],
    *,
    contact: ClientContact | None = None,
    now: datetime | None = None,
    actor: Actor,
) -> Message:
    """Store a message the client wrote in the portal; the same form sent again returns the
    first message.

    `data`: body (1 to 4,000 characters), idempotency_key (issued with the form) and
    optionally in_reply_to (one of the therapist's messages to this client). MessagingOff
    when the client may not send messages now; BoundaryError for anything else.
    """
    key = _key(data)
    earlier = Message.objects.filter(client=client, idempotency_key=key).first()
    if earlier is not None:
        return earlier
    contact = contact or contact_for(client)
    if not contact.messages_enabled:
        raise MessagingOff("Portal messages are not available to you at the moment.")
    body = _body(data)
    reply_to = _reply_target(client, data.get("in_reply_to"), Direction.TO_THERAPIST)
    now = now or timezone.now()
    message, created = _create(
        {
            "client": client,
            "episode_id": contact.phase.episode_id,
            "sender": client.user,
            "direction": Direction.TO_THERAPIST,
            "body": body,
            "created_at": now,
            "in_reply_to": reply_to,
            "after_hours": not contact.in_hours(now),
            "idempotency_key": key,
        }
    )
    if created:
        record(
            actor,
            "message.send",
            message,
            practice=client.practice_id,
            client_id=client.pk,
            episode_id=message.episode_id,
            direction=message.direction,
            after_hours=message.after_hours,
            in_reply_to=reply_to.pk if reply_to else None,
        )
    client_changed(client.pk, "boundaries", cleared=("endings",))
    return message


@transaction.atomic
def send_therapist_message(
    client: Client,
    data: Mapping[str, Any],
    *,
    actor: Actor,
) -> Message:
    """The therapist writes to the client (a reply in the thread). Writing a reply marks the
    client's unread messages read. The same form sent again returns the first message.

    The therapist may write even when the client cannot (to say how to reach the practice).
    """
    by = actor.acting_user()
    key = _key(data)
    body = _body(data)
    reply_to = _reply_target(client, data.get("in_reply_to"), Direction.TO_CLIENT)
    if reply_to is None:
        reply_to = (
            Message.objects.filter(client=client, direction=Direction.TO_THERAPIST)
            .order_by("-created_at", "-pk")
            .first()
        )
    message, created = _create(
        {
            "client": client,
            "episode_id": phase_of(client).episode_id,
            "sender": by,
            "direction": Direction.TO_CLIENT,
            "body": body,
            "in_reply_to": reply_to,
            "idempotency_key": key,
        }
    )
    if created:
        read_ids = _mark_unread(client, by, before=message.created_at)
        record(
            actor,
            "message.reply",
            message,
            practice=client.practice_id,
            client_id=client.pk,
            episode_id=message.episode_id,
            direction=message.direction,
            in_reply_to=reply_to.pk if reply_to else None,
            marked_read=read_ids,
        )
    client_changed(client.pk, "boundaries")
    return message


def _mark_unread(client: Client, by: User, *, before: datetime | None = None) -> list[int]:
    unread = Message.objects.select_for_update().filter(
        client=client, direction=Direction.TO_THERAPIST, read_at__isnull=True
    )
    if before is not None:
        unread = unread.filter(created_at__lte=before)
    ids = sorted(unread.values_list("pk", flat=True))
    if ids:
        Message.objects.filter(pk__in=ids).update(read_at=timezone.now(), read_by=by)
    return ids


def mark_seen_by_client(client: Client, shown: list[Message], *, actor: Actor) -> list[int]:
    """The client has seen these messages from their therapist (the portal's inbox or one
    message): they stop counting as new on the portal home. Returns the ids marked. No audit
    row of its own: the page that showed them records the reading (message.portal_list /
    message.portal_view)."""
    theirs = [m for m in shown if not m.from_client]
    if theirs:
        # One statement whenever the page shows any of theirs, so a page's query count does
        # not depend on what was read before.
        Message.objects.filter(
            pk__in=[m.pk for m in theirs],
            client=client,
            direction=Direction.TO_CLIENT,
            read_at__isnull=True,
        ).update(read_at=timezone.now(), read_by=actor.acting_user())
    return [m.pk for m in theirs if m.read_at is None]


@transaction.atomic
def mark_read(message: Message, *, actor: Actor) -> Message:
    """The therapist has read this client message (already read, or their own: no change and
    no audit row)."""
    by = actor.acting_user()
    if not message.from_client or message.read_at is not None:
        return message
    now = timezone.now()
    updated = Message.objects.filter(pk=message.pk, read_at__isnull=True).update(
        read_at=now, read_by=by
    )
    if updated:
        message.read_at, message.read_by = now, by
        record(
            actor,
            "message.read",
            message,
            practice=message.client.practice_id,
            client_id=message.client_id,
        )
    client_changed(message.client_id, "boundaries")
    return message


@transaction.atomic
def mark_all_read(client: Client, *, actor: Actor) -> list[int]:
    """Mark every unread message from the client read; the ids marked (none: no audit row)."""
    by = actor.acting_user()
    ids = _mark_unread(client, by)
    if ids:
        record(
            actor,
            "message.read_all",
            client,
            practice=client.practice_id,
            message_ids=ids,
        )
    client_changed(client.pk, "boundaries")
    return ids


# --- Notifications (sent by the notify app) ---------------------------------------------------


def new_message_email(message: Message) -> tuple[str, str, str]:
    """(subject, body, recipient address) telling the other side a message is waiting.

    No content and no names: "You have a new message" and a link to log in and read it.
    The notify app sends it (queued, exactly once); nothing here sends email.
    """
    recipient: User | None
    if message.from_client:
        recipient = message.client.therapist
        path = reverse("boundaries:client_messages", kwargs={"client_id": message.client_id})
    else:
        recipient = message.client.user
        path = reverse("boundaries:portal_messages")
    if recipient is None:
        raise BoundaryError("The recipient has no login to read messages with.")
    context = {"link": settings.SITE_URL + path}
    subject = render_to_string("boundaries/emails/new_message_subject.txt", context).strip()
    body = render_to_string("boundaries/emails/new_message.txt", context)
    return subject, body, recipient.email
