"""Test helpers: a client in consented follow-up, built straight into the tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone

from continuum.care.models import Client, Episode
from continuum.followup.models import (
    BoosterRequest,
    FollowUpCheckIn,
    FollowUpConsent,
)
from continuum.followup.schedule import add_months
from continuum.testing.base import make_episode


@dataclass
class FollowUpWorld:
    episode: Episode
    consent: FollowUpConsent
    checkin: FollowUpCheckIn
    booster: BoosterRequest | None


def make_followup(
    client: Client,
    *,
    start: date = date(2025, 1, 6),
    end: date = date(2025, 6, 30),
    months: tuple[int, ...] = (1, 3),
    ends_on: date = date(2099, 1, 1),
    answered: bool = True,
    booster: bool = True,
    **consent: Any,
) -> FollowUpWorld:
    """An ended episode in follow-up with an active consent; its first check-in answered (or
    just scheduled) and, optionally, an open booster request."""
    episode = make_episode(client, status="follow_up", start_date=start, end_date=end)
    row = FollowUpConsent.objects.create(
        client=client,
        episode=episode,
        status=consent.pop("status", "active"),
        months=list(months),
        starts_on=end,
        ends_on=ends_on,
        consented_at=timezone.now(),
        **consent,
    )
    checkins = [
        FollowUpCheckIn.objects.create(
            consent=row,
            client=client,
            episode=episode,
            number=n,
            months=m,
            due_on=add_months(end, m),
        )
        for n, m in enumerate(months, start=1)
    ]
    first = checkins[0]
    if answered:
        first.status = "answered"
        first.answered_at = timezone.now()
        first.how_are_you = "Mostly fine, a wobble last week"
        first.save()
    request = None
    if booster:
        request = BoosterRequest.objects.create(
            client=client, episode=episode, checkin=first, reason="The wobble"
        )
    return FollowUpWorld(episode, row, first, request)
