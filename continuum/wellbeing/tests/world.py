"""Helpers for the wellbeing tests: the personas of BaseTestCase plus sessions and ratings."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection

from continuum.accounts.models import User
from continuum.care.models import Appointment, AppointmentStatus, Client, Episode
from continuum.testing.base import BaseTestCase, make_appointment, make_episode
from continuum.wellbeing.models import SessionWeight

LONDON = ZoneInfo("Europe/London")
CANARY = "CANARY-WB-91"


def attended(client: Client, starts_at: datetime, minutes: int = 50) -> Appointment:
    return make_appointment(
        client, starts_at, status=AppointmentStatus.ATTENDED, duration_minutes=minutes
    )


def rate(
    appointment: Appointment, weight: int, line: str = "", by: User | None = None
) -> SessionWeight:
    return SessionWeight.objects.create(
        therapist=by or appointment.therapist,
        appointment=appointment,
        weight=weight,
        private_line=line,
    )


def raw_value(table: str, column: str, pk: int) -> Any:
    """A stored column value, read past the ORM (so past the decryption)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        row = cursor.fetchone()
    return row[0]


class WellbeingTestCase(BaseTestCase):
    episode: Episode

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.episode = make_episode(cls.dana)

    def fill_weeks(
        self,
        client: Client,
        monday: datetime,
        weeks: int,
        *,
        per_week: int = 5,
        weight: int | None = 2,
    ) -> list[Appointment]:
        """`per_week` attended sessions a week for `weeks` weeks before `monday` (local)."""
        made = []
        for w in range(weeks):
            start = monday - timedelta(weeks=w + 1)
            for i in range(per_week):
                appointment = attended(client, start + timedelta(days=i % 5, hours=9 + i // 5))
                if weight is not None:
                    rate(appointment, weight)
                made.append(appointment)
        return made
