"""Test fixtures for the measures app: Dana's open episode, and quick ways to make scores."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from continuum.accounts.actors import actor_for
from continuum.care.models import AppointmentStatus, Client, Episode
from continuum.measures.models import (
    Administration,
    AdministrationStatus,
    Cadence,
    MeasureAssignment,
)
from continuum.measures.services import assign_measure, enter_in_session, issue_link, link_path
from continuum.testing.base import BaseTestCase, kept, make_appointment, make_episode

# PHQ-9 answers: total 18 (moderately severe), item 9 = 0.
PHQ9_18: dict[str, int | None] = {
    "1": 3,
    "2": 3,
    "3": 2,
    "4": 2,
    "5": 2,
    "6": 2,
    "7": 2,
    "8": 2,
    "9": 0,
    "10": 1,
}
PHQ9_8: dict[str, int | None] = {
    "1": 1,
    "2": 1,
    "3": 1,
    "4": 1,
    "5": 1,
    "6": 1,
    "7": 1,
    "8": 1,
    "9": 0,
    "10": 0,
}


def phq9_answers(total: int, *, item9: int = 0) -> dict[str, int | None]:
    """PHQ-9 answers adding up to `total` (item 9 fixed), difficulty question answered 1."""
    answers: dict[str, int | None] = {str(k): 0 for k in range(1, 10)}
    answers["9"] = item9
    left = total - item9
    for k in range(1, 9):
        step = min(3, left)
        answers[str(k)] = step
        left -= step
    assert left == 0, "total too high for item 9 fixed"
    answers["10"] = 1
    return answers


def gad7_answers(total: int) -> dict[str, int | None]:
    answers: dict[str, int | None] = {}
    left = total
    for k in range(1, 8):
        step = min(3, left)
        answers[str(k)] = step
        left -= step
    assert left == 0
    return answers


def make_score(
    episode: Episode,
    instrument: str,
    total: float | None,
    when: datetime,
    *,
    session: int | None = None,
    entered_by: Any = None,
    **extra: Any,
) -> Administration:
    """A completed administration written straight to the database (no alerts, no audit)."""
    return kept(
        Administration.objects.create(
            episode=episode,
            client=episode.client,
            instrument=instrument,
            instrument_version="1",
            status=extra.pop("status", AdministrationStatus.COMPLETED),
            due_at=when,
            window_ends_at=when + timedelta(days=7),
            completed_at=when,
            total=total,
            session_number=session,
            entered_by=entered_by,
            **extra,
        ),
        "measures",
        "measures.safety_items",
    )


class MeasuresTestCase(BaseTestCase):
    episode: Episode
    eli_episode: Episode
    finn_episode: Episode

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.episode = make_episode(cls.dana, start_date=date(2026, 1, 5))
        cls.eli_episode = make_episode(cls.eli)
        cls.finn_episode = make_episode(cls.finn)

    def assign_once(
        self, instrument: str = "phq9", *, episode: Episode | None = None, **extra: Any
    ) -> MeasureAssignment:
        episode = episode or self.episode
        return assign_measure(
            episode,
            instrument=instrument,
            cadence=Cadence.ONCE,
            starts_on=extra.pop("starts_on", timezone.localdate()),
            **extra,
            actor=actor_for(episode.therapist),
        )

    def pending(self, instrument: str = "phq9", **extra: Any) -> Administration:
        assignment = self.assign_once(instrument, **extra)
        admin = assignment.administrations.get()
        assert isinstance(admin, Administration)
        return admin

    def link_for(self, admin: Administration) -> str:
        issue_link(admin, actor=actor_for(admin.client.therapist))
        admin.refresh_from_db()
        path = link_path(admin)
        assert path is not None
        return path

    def complete_in_session(
        self, answers: dict[str, int | None], instrument: str = "phq9", **extra: Any
    ) -> Administration:
        admin = self.pending(instrument, **extra)
        return enter_in_session(admin, answers, actor=actor_for(admin.client.therapist))

    def attend(self, client: Client, episode: Episode, when: datetime) -> None:
        make_appointment(client, when, episode=episode, status=AppointmentStatus.ATTENDED)
