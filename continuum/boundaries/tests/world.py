"""Boundaries test fixtures: portal logins for Dana, Eli and Finn, Dana's open episode, and
helpers that write messages and policies straight to the database (no audit rows)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from continuum.accounts.models import User
from continuum.boundaries import policy
from continuum.boundaries.models import ContactPolicy, Direction, Message, Phase
from continuum.care.models import Client, Episode
from continuum.lib.keys import new_idempotency_key
from continuum.testing.base import BaseTestCase, kept, make_episode, make_portal_user

# Wednesday 8 July 2026 (British Summer Time, UTC+1; New York is UTC-4).
WED_MORNING = datetime(2026, 7, 8, 10, 0, tzinfo=UTC)  # 11:00 in London: within hours
WED_EVENING = datetime(2026, 7, 8, 18, 30, tzinfo=UTC)  # 19:30 in London: after hours
FRI_EVENING = datetime(2026, 7, 10, 20, 0, tzinfo=UTC)  # 21:00 London, 16:00 New York


def make_message(
    client: Client,
    *,
    from_client: bool = True,
    body: str = "I wanted to say the week went better.",
    when: datetime | None = None,
    **fields: Any,
) -> Message:
    sender = client.user if from_client else client.therapist
    assert sender is not None, "give the client a portal login first"
    return kept(
        Message.objects.create(
            client=client,
            sender=sender,
            direction=Direction.TO_THERAPIST if from_client else Direction.TO_CLIENT,
            body=body,
            created_at=when or timezone.now(),
            idempotency_key=new_idempotency_key(),
            **fields,
        ),
        "boundaries",
        "endings",
    )


def set_policy(therapist: User, phase: str = Phase.IN_THERAPY, **fields: Any) -> ContactPolicy:
    """Save a policy for the therapist; `days` (weekday numbers) sets the working days."""
    days = fields.pop("days", None)
    if days is not None:
        fields["working_days"] = policy.days_to_mask(days)
    row, _ = ContactPolicy.objects.update_or_create(
        therapist=therapist,
        phase=phase,
        defaults={"portal_messages_enabled": phase == Phase.IN_THERAPY, **fields},
    )
    return row


def policy_post(**overrides: Any) -> dict[str, Any]:
    """A valid POST for /me/boundaries/ (both phases), with `phase-field` overrides."""
    data: dict[str, Any] = {}
    for phase, enabled in ((Phase.IN_THERAPY, True), (Phase.AFTER_THERAPY, False)):
        if enabled:
            data[f"{phase}-portal_messages_enabled"] = "on"
        data[f"{phase}-working_days"] = ["0", "1", "2", "3", "4"]
        data[f"{phase}-working_hours_start"] = "09:00"
        data[f"{phase}-working_hours_end"] = "17:00"
        data[f"{phase}-response_time_hours"] = "48"
        data[f"{phase}-after_hours_reply"] = "I am away from my desk."
        data[f"{phase}-crisis_resources"] = ""
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


class BoundariesTestCase(BaseTestCase):
    dana_user: User
    eli_user: User
    finn_user: User
    episode: Episode

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.episode = make_episode(cls.dana)
        cls.dana_user = make_portal_user(cls.dana)
        cls.eli_user = make_portal_user(cls.eli)
        cls.finn_user = make_portal_user(cls.finn)


__all__ = [
    "FRI_EVENING",
    "WED_EVENING",
    "WED_MORNING",
    "BoundariesTestCase",
    "make_message",
    "policy_post",
    "set_policy",
]
