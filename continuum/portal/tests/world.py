"""Portal test fixtures: portal logins for Dana, Eli and Finn, Dana's episode and settings."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from continuum.accounts.models import User
from continuum.care.models import Episode
from continuum.lib.keys import new_idempotency_key
from continuum.measures.models import Administration, AdministrationStatus
from continuum.portal.models import CheckIn, CheckinCadence, PortalSettings
from continuum.testing.base import BaseTestCase, kept, make_episode, make_portal_user


def make_checkin(client: Any, *, when: datetime | None = None, **fields: Any) -> CheckIn:
    """A check-in written straight to the database (no audit row)."""
    fields.setdefault("mood", 5)
    return kept(
        CheckIn.objects.create(
            client=client,
            idempotency_key=new_idempotency_key(),
            created_at=when or timezone.now(),
            **fields,
        ),
        "portal",
        "endings",
    )


def make_pending(episode: Episode, instrument: str = "phq9", *, due: datetime | None = None) -> Any:
    due = due or timezone.now() - timedelta(hours=1)
    return Administration.objects.create(
        episode=episode,
        client=episode.client,
        instrument=instrument,
        instrument_version="1",
        status=AdministrationStatus.PENDING,
        due_at=due,
        window_ends_at=due + timedelta(days=7),
    )


def checkin_data(key: str | None = None, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "mood": "4",
        "sleep": "6",
        "energy": "",
        "homework_status": "partly",
        "note": "Slept badly after Tuesday.",
        "idempotency_key": key or new_idempotency_key(),
    }
    data.update(overrides)
    return data


class PortalTestCase(BaseTestCase):
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
        PortalSettings.objects.create(client=cls.dana, checkin_cadence=CheckinCadence.WEEKLY)
        PortalSettings.objects.create(client=cls.eli, checkin_cadence=CheckinCadence.DAILY)
