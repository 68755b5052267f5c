"""Every lookup of a clinical object goes through here: outsiders get a 404, never a 403.

Only the client's assigned therapist reads their record (owners manage the roster, not the
clinical content).
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404

from continuum.care.models import Appointment, Client, ClientQuerySet, Episode, ProgressNote


def clients_for(user: Any) -> ClientQuerySet:
    return Client.objects.for_therapist(user)


def get_client_for(user: Any, client_id: int) -> Client:
    return get_object_or_404(clients_for(user), pk=client_id)


def get_episode_for(user: Any, episode_id: int) -> Episode:
    return get_object_or_404(
        Episode.objects.select_related("client").filter(client__in=clients_for(user)),
        pk=episode_id,
    )


def get_appointment_for(user: Any, appointment_id: int) -> Appointment:
    return get_object_or_404(
        Appointment.objects.select_related("client", "episode").filter(
            client__in=clients_for(user)
        ),
        pk=appointment_id,
    )


def get_note_for(user: Any, note_id: int) -> ProgressNote:
    return get_object_or_404(
        ProgressNote.objects.select_related("client", "appointment", "signed_by").filter(
            client__in=clients_for(user)
        ),
        pk=note_id,
    )
