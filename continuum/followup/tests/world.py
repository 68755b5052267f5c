"""Follow-up test fixtures: Dana's ended episode (PHQ-9 16 → 6, GAD-7 12 → 4) and her portal
login; helpers to agree follow-up and to answer a check-in through the portal; and
`make_followup`, a client in consented follow-up built straight into the tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.utils import timezone

from continuum.accounts.actors import actor_for
from continuum.accounts.models import User
from continuum.care.models import AppointmentStatus, Client, Episode
from continuum.followup.models import (
    BoosterRequest,
    FollowUpCheckIn,
    FollowUpConsent,
)
from continuum.followup.schedule import add_months
from continuum.followup.services import Terms, record_consent
from continuum.measures.tests.world import gad7_answers, make_score, phq9_answers
from continuum.testing.base import (
    BaseTestCase,
    kept,
    make_appointment,
    make_episode,
    make_portal_user,
)

START = date(2026, 1, 5)
END = date(2026, 6, 30)
# The day after the end of therapy, mid-morning in London (summer time).
AFTER_END = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
# The 1-month check-in is due on 30 July; a day later, mid-morning.
ONE_MONTH = datetime(2026, 7, 31, 9, 0, tzinfo=UTC)
TERMS = Terms([1, 3, 6, 12], "questionnaires", date(2027, 7, 30))


def questionnaire_post(phq9: int, gad7: int, *, item9: int = 0, **extra: Any) -> dict[str, Any]:
    """The portal check-in form's POST data for these totals."""
    data: dict[str, Any] = {}
    for key, value in phq9_answers(phq9, item9=item9).items():
        data[f"phq9-item_{key}"] = "" if value is None else str(value)
    for key, value in gad7_answers(gad7).items():
        data[f"gad7-item_{key}"] = "" if value is None else str(value)
    data.update(extra)
    return data


class FollowUpTestCase(BaseTestCase):
    dana_user: User
    eli_user: User
    finn_user: User
    episode: Episode

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.dana_user = make_portal_user(cls.dana)
        cls.eli_user = make_portal_user(cls.eli)
        cls.finn_user = make_portal_user(cls.finn)
        cls.episode = make_episode(cls.dana, status="ended", start_date=START, end_date=END)
        for day in (START + timedelta(days=7), END - timedelta(days=7)):
            make_appointment(
                cls.dana,
                datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10),
                episode=cls.episode,
                status=AppointmentStatus.ATTENDED,
            )
        first = datetime.combine(START, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10)
        last = datetime.combine(END, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10)
        make_score(cls.episode, "phq9", 16, first, band="moderately_severe", caseness=True)
        make_score(cls.episode, "gad7", 12, first, band="moderate", caseness=True)
        make_score(cls.episode, "phq9", 6, last, band="mild", caseness=False)
        make_score(cls.episode, "gad7", 4, last, band="minimal", caseness=False)

    def agree(self, terms: Terms = TERMS) -> FollowUpConsent:
        """Alice records Dana's consent (the episode moves to follow-up)."""
        return record_consent(self.episode, terms, actor=actor_for(self.alice))


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
    kept(row, "followup")
    return FollowUpWorld(episode, row, first, request)
