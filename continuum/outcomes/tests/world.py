"""Builders for the outcomes tests: finished episodes with scores and attended sessions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from continuum.accounts.models import User
from continuum.care.models import AppointmentStatus, Client, Episode
from continuum.measures.tests.world import make_score
from continuum.testing.base import make_appointment, make_client, make_episode

START = date(2026, 1, 5)


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=UTC)


def finished_episode(
    therapist: User,
    *,
    phq9: tuple[float, ...] = (),
    gad7: tuple[float, ...] = (),
    core10: tuple[float, ...] = (),
    end: date = date(2026, 3, 20),
    attended: int = 3,
    client: Client | None = None,
    status: str = "ended",
    referral: str = "GP referral: low mood",
) -> Episode:
    """An episode that ended on `end` with the given score series (written straight to the
    database, as the demo does) and `attended` attended appointments. The caller refreshes
    its stored outcomes (services.refresh_episode) when the test needs them."""
    client = client or make_client(therapist, "Client")
    episode = make_episode(
        client, status=status, start_date=START, end_date=end, referral_reason=referral
    )
    for i in range(attended):
        make_appointment(
            client,
            _at(START + timedelta(days=7 * i)),
            episode=episode,
            status=AppointmentStatus.ATTENDED,
        )
    for code, series in (("phq9", phq9), ("gad7", gad7), ("core10", core10)):
        for i, total in enumerate(series):
            make_score(episode, code, total, _at(START + timedelta(days=7 * i, hours=1)))
    return episode
