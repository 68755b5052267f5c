"""Lookups of messages: the therapist's side through care.access.clients_for, the client's
side within the logged-in client's own rows. Anyone else gets a 404."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from continuum.accounts.models import User
from continuum.boundaries.models import Message
from continuum.care.access import clients_for
from continuum.care.models import Client


def get_message_for(user: User, message_id: int) -> Message:
    """A message of one of `user`'s clients (the assigned therapist); 404 otherwise."""
    return get_object_or_404(
        Message.objects.select_related("client").filter(client__in=clients_for(user)),
        pk=message_id,
    )


def own_message(client: Client, message_id: int) -> Message:
    """One of the logged-in client's own messages (either direction); 404 for anyone else's."""
    return get_object_or_404(Message.objects.filter(client=client), pk=message_id)
