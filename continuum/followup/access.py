"""Lookups for follow-up objects: the client's therapist on the staff side, the client's own
rows on the portal side. Anything else is a 404 (never a 403 that confirms it exists)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from continuum.accounts.models import User
from continuum.care.access import clients_for
from continuum.care.models import Client
from continuum.followup.models import (
    BoosterRequest,
    CheckInStatus,
    ConsentStatus,
    FollowUpCheckIn,
    FollowUpConsent,
)


def get_consent_for(user: User, consent_id: int) -> FollowUpConsent:
    return get_object_or_404(
        FollowUpConsent.objects.select_related("client", "episode").filter(
            client__in=clients_for(user)
        ),
        pk=consent_id,
    )


def get_checkin_for(user: User, checkin_id: int) -> FollowUpCheckIn:
    return get_object_or_404(
        FollowUpCheckIn.objects.select_related("client", "consent", "episode").filter(
            client__in=clients_for(user)
        ),
        pk=checkin_id,
    )


def get_booster_for(user: User, booster_id: int) -> BoosterRequest:
    return get_object_or_404(
        BoosterRequest.objects.select_related(
            "client", "episode", "checkin", "appointment", "decided_by"
        ).filter(client__in=clients_for(user)),
        pk=booster_id,
    )


# --- The portal: the logged-in client's own rows ---------------------------------------------


def portal_consent(client: Client) -> FollowUpConsent | None:
    """The consent the portal shows: the newest offer, active consent or ended one."""
    found: FollowUpConsent | None = (
        FollowUpConsent.objects.filter(client=client)
        .exclude(status=ConsentStatus.DECLINED)
        .select_related("episode")
        .order_by("-created_at", "-pk")
        .first()
    )
    return found


def own_answered_checkin(client: Client, checkin_id: int) -> FollowUpCheckIn:
    return get_object_or_404(
        FollowUpCheckIn.objects.select_related("consent").filter(
            client=client, status=CheckInStatus.ANSWERED
        ),
        pk=checkin_id,
    )
