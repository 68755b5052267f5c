"""Adding and changing clients: one transaction and one audit row each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from continuum.accounts.actors import Actor, actor_for
from continuum.accounts.models import User
from continuum.accounts.services import NotAllowed
from continuum.audit.log import record
from continuum.care.episodes import OPEN_STATUSES
from continuum.care.forms.clients import CLIENT_FIELDS
from continuum.care.models import (
    Appointment,
    AppointmentStatus,
    Client,
    Episode,
    NoteStatus,
    ProgressNote,
)
from continuum.care.services.episodes import local_today
from continuum.lib.hooks import client_changed

_EDITABLE = frozenset(CLIENT_FIELDS)
# Relations are set here, not typed in: no need to re-check that they exist.
_NOT_VALIDATED = ["practice", "therapist", "user"]


class NotAClinician(PermissionError):
    """Only an active clinical member of a practice adds clients."""


def _check_fields(details: Mapping[str, Any]) -> None:
    unknown = set(details) - _EDITABLE
    if unknown:
        # Field names are structural: safe to name.
        raise ValueError(f"not editable client fields: {', '.join(sorted(unknown))}")


@transaction.atomic
def create_client(
    *,
    by: User,
    details: Mapping[str, Any],
    referral_reason: str | None = None,
    actor: Actor | None = None,
) -> Client:
    """Add a client to `by`'s practice and caseload, opening a referral episode if a reason
    is given. One audit row ("client.create") covers both; `actor` (default: `by` outside a
    request) is who the row names, e.g. an API call."""
    _check_fields(details)
    membership = getattr(by, "membership", None)
    if membership is None or not membership.is_active or not membership.is_clinical:
        raise NotAClinician("only an active clinician adds clients")
    client = Client(practice_id=membership.practice_id, therapist=by, **details)
    client.full_clean(exclude=_NOT_VALIDATED)
    client.save()
    episode = None
    if referral_reason is not None:
        episode = Episode(
            client=client,
            therapist=by,
            referral_reason=referral_reason,
            start_date=local_today(by),
        )
        episode.save()
    record(
        actor or actor_for(by),
        "client.create",
        client,
        episode_id=episode.pk if episode is not None else None,
    )
    return client


@transaction.atomic
def update_client(
    client: Client, *, by: User, details: Mapping[str, Any], actor: Actor | None = None
) -> list[str]:
    """Change a client's details; returns the names of the fields that changed."""
    _check_fields(details)
    changed = [name for name, value in details.items() if getattr(client, name) != value]
    for name in changed:
        setattr(client, name, details[name])
    if changed:
        client.full_clean(exclude=_NOT_VALIDATED)
        client.save(update_fields=changed)
    record(actor or actor_for(by), "client.update", client, fields=changed)
    return changed


# --- Who treats the client (the owner's roster) ---------------------------------------------


def is_assignable(user: User, practice_id: int) -> bool:
    membership = getattr(user, "membership", None)
    return (
        membership is not None
        and membership.practice_id == practice_id
        and membership.is_active
        and membership.is_clinical
        and user.is_active
    )


@dataclass(frozen=True)
class Reassigned:
    """What a reassignment did: the client, and how many draft progress notes stay with the
    therapist who wrote them (a draft is its author's to finish and sign, issue 18)."""

    client: Client
    drafts_kept: int


@transaction.atomic
def reassign_client(client: Client, to_user: User, *, actor: Actor) -> Reassigned:
    """Give the client, their open episodes and their upcoming sessions to another clinician.

    Upcoming scheduled appointments move too: a deactivated therapist cannot see them, and the
    new therapist's schedule must show the sessions they now hold. Draft progress notes do
    not move: the clinician who led the session finishes and signs its note
    (`care.access.get_note_or_own_draft_for`); their number is returned and audited.
    """
    if not is_assignable(to_user, client.practice_id):
        raise NotAllowed("Choose an active clinician of this practice.")
    if client.therapist_id == to_user.pk:
        raise NotAllowed("The client is already assigned to this therapist.")
    from_user_id = client.therapist_id
    open_episodes = Episode.objects.filter(client=client, status__in=OPEN_STATUSES)
    episode_ids = sorted(open_episodes.values_list("pk", flat=True))
    Episode.objects.filter(pk__in=episode_ids).update(therapist=to_user)
    moved_appointments = Appointment.objects.filter(
        client=client, status=AppointmentStatus.SCHEDULED, starts_at__gte=timezone.now()
    ).update(therapist=to_user)
    drafts_kept = ProgressNote.objects.filter(
        client=client, author_id=from_user_id, status=NoteStatus.DRAFT
    ).count()
    client.therapist = to_user
    client.save(update_fields=["therapist"])
    record(
        actor,
        "client.reassign",
        client,
        from_user_id=from_user_id,
        to_user_id=to_user.pk,
        episode_ids=episode_ids,
        appointments_moved=moved_appointments,
        drafts_kept=drafts_kept,
    )
    # The drafts to sign follow their author, not the client (the day's attention table).
    client_changed(client.pk, "care.notes")
    return Reassigned(client, drafts_kept)


# --- Moving a caseload in (CSV import, continuum/exchange) -----------------------------------


@dataclass(frozen=True)
class NewClient:
    """One client to import: their details (CLIENT_FIELDS), who treats them, and the
    episode of care to open (when a referral reason is given)."""

    therapist_id: int
    details: Mapping[str, Any]
    referral_reason: str = ""
    episode_start: date | None = None


class ImportRefused(ValueError):
    """The import as a whole is not allowed; `str(error)` is safe to show."""


@transaction.atomic
def import_clients(actor: Actor, rows: Sequence[NewClient], **detail: Any) -> list[int]:
    """Add many clients (and their referral episodes) at once: every row is checked as
    `create_client` checks one, then all are written in bulk, with ONE audit row
    ("client.import") carrying the counts. A therapist imports onto their own caseload; an
    owner onto any active clinician of the practice. Any bad row refuses the whole import."""
    by = actor.acting_user()
    membership = getattr(by, "membership", None)
    if membership is None or not membership.is_active:
        raise NotAClinician("only an active member of a practice imports clients")
    practice_id = membership.practice_id
    therapist_ids = {row.therapist_id for row in rows}
    therapists = {
        user.pk: user
        for user in User.objects.filter(pk__in=therapist_ids).select_related("membership")
    }
    for therapist_id in therapist_ids:
        user = therapists.get(therapist_id)
        if user is None or not is_assignable(user, practice_id):
            raise ImportRefused("A row names someone who is not an active clinician here.")
        if not membership.is_owner and therapist_id != by.pk:
            raise ImportRefused("A therapist imports clients onto their own caseload only.")
    now = timezone.now()
    clients = []
    for row in rows:
        _check_fields(row.details)
        client = Client(
            practice_id=practice_id, therapist_id=row.therapist_id, created_at=now, **row.details
        )
        client.full_clean(exclude=_NOT_VALIDATED)
        clients.append(client)
    Client.objects.bulk_create(clients, batch_size=500)
    episodes = [
        Episode(
            client=client,
            therapist_id=client.therapist_id,
            referral_reason=row.referral_reason,
            start_date=row.episode_start or local_today(therapists[row.therapist_id]),
            created_at=now,
            status_changed_at=now,
        )
        for client, row in zip(clients, rows, strict=True)
        if row.referral_reason
    ]
    Episode.objects.bulk_create(episodes, batch_size=500)
    record(
        actor,
        "client.import",
        None,
        clients=len(clients),
        episodes=len(episodes),
        therapists=sorted(therapist_ids),
        **detail,
    )
    return [client.pk for client in clients]
