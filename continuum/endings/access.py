"""Lookups for the endings pages: outsiders get a 404, never a 403.

Therapist side: only the client's assigned therapist (care.access.clients_for). Portal side:
everything is found from the logged-in client (request.portal_client), never from the URL.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from continuum.accounts.models import User
from continuum.care.access import clients_for
from continuum.care.models import Episode
from continuum.endings.models import Referral


def get_episode_for(user: User, episode_id: int) -> Episode:
    """The episode with its client, the client's practice and the therapist loaded."""
    episode: Episode = get_object_or_404(
        Episode.objects.select_related("client", "client__practice", "therapist").filter(
            client__in=clients_for(user)
        ),
        pk=episode_id,
    )
    return episode


def get_referral_for(user: User, referral_id: int) -> Referral:
    referral: Referral = get_object_or_404(
        Referral.objects.select_related("episode", "client").filter(client__in=clients_for(user)),
        pk=referral_id,
    )
    return referral
