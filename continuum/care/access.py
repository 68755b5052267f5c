"""Every lookup of a clinical object goes through here: outsiders get a 404, never a 403.

Only the client's assigned therapist reads their record (owners manage the roster, not the
clinical content). The one exception is break-glass (continuum/accounts/break_glass.py): an
owner with an active grant for a client may READ that client's record (GET and HEAD only),
and every such request is audited flagged.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404

from continuum.accounts import break_glass
from continuum.care.models import Appointment, Client, ClientQuerySet, Episode, ProgressNote

M = TypeVar("M", bound=Model)


def clients_for(user: Any) -> ClientQuerySet:
    return Client.objects.for_therapist(user)


def _readable_clients(user: Any) -> QuerySet[Client]:
    """clients_for(user), plus, on a read with an active break-glass grant, that client."""
    grants = break_glass.readable_through_grant(user)
    if grants is None:
        return clients_for(user)
    return clients_for(user) | Client.objects.filter(
        pk__in=grants.values("client_id"), practice_id=user.membership.practice_id
    )


def _checked(user: Any, obj: M, client: Client) -> M:
    if client.therapist_id != getattr(user, "pk", None):
        break_glass.note_grant_use(user, client)
    return obj


def get_client_for(user: Any, client_id: int) -> Client:
    client = get_object_or_404(_readable_clients(user), pk=client_id)
    return _checked(user, client, client)


def get_episode_for(user: Any, episode_id: int) -> Episode:
    episode = get_object_or_404(
        Episode.objects.select_related("client").filter(client__in=_readable_clients(user)),
        pk=episode_id,
    )
    return _checked(user, episode, episode.client)


def get_appointment_for(user: Any, appointment_id: int) -> Appointment:
    appointment = get_object_or_404(
        Appointment.objects.select_related("client", "episode").filter(
            client__in=_readable_clients(user)
        ),
        pk=appointment_id,
    )
    return _checked(user, appointment, appointment.client)


def get_note_for(user: Any, note_id: int) -> ProgressNote:
    note = get_object_or_404(
        ProgressNote.objects.select_related("client", "appointment", "signed_by").filter(
            client__in=_readable_clients(user)
        ),
        pk=note_id,
    )
    return _checked(user, note, note.client)
