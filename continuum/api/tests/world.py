"""The API's test world: the shared personas (continuum/testing/base.py) with tokens, and a
filled record for Alice's client Dana (and Charlie's client Eli in the other practice)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from continuum.accounts.actors import actor_for
from continuum.accounts.models import User
from continuum.api import tokens
from continuum.api.models import SCOPES
from continuum.care.models import Appointment, AppointmentStatus, Episode
from continuum.measures.models import Administration, Alert
from continuum.measures.services import assign_measure, enter_in_session
from continuum.plans.models import Goal, TreatmentPlan
from continuum.plans.tests.world import make_goal, make_plan
from continuum.portal.models import CheckIn
from continuum.reflections.models import Reflection, ReflectionKind
from continuum.testing.base import BaseTestCase, make_appointment, make_episode

CANARY = "quixotically-zephyrine-canary"
ALL = list(SCOPES)


def make_token(user: User, scopes: list[str] | None = None, days: int = 30) -> str:
    """A live token for `user`; its secret."""
    return tokens.create_token(
        actor_for(user), name="test", scopes=ALL if scopes is None else scopes, days=days
    ).secret


def fill_record(world: Any, client: Any, therapist: User) -> dict[str, Any]:
    """An episode, two appointments, a scored PHQ-9 twice (baseline and later), a pending
    GAD-7, an alert, a check-in and a plan with a goal, for `client`."""
    episode = make_episode(client)
    past = timezone.now() - timedelta(days=3)
    attended = make_appointment(client, past, episode=episode, status=AppointmentStatus.ATTENDED)
    upcoming = make_appointment(client, episode=episode)
    today = timezone.localdate()
    actor = actor_for(therapist)
    first = assign_measure(
        episode, instrument="phq9", cadence="once", starts_on=today, actor=actor
    ).administrations.get()
    enter_in_session(first, {str(k): 3 for k in range(1, 10)} | {"9": 0}, actor=actor)
    second = assign_measure(
        episode, instrument="phq9", cadence="once", starts_on=today, actor=actor
    ).administrations.get()
    enter_in_session(second, {str(k): 1 for k in range(1, 10)} | {"9": 0}, actor=actor)
    pending = assign_measure(
        episode, instrument="gad7", cadence="once", starts_on=today, actor=actor
    ).administrations.get()
    alert = Alert.objects.create(
        client=client,
        episode=episode,
        kind="deterioration",
        severity="medium",
        severity_rank=1,
        cause=f"api-test:{client.pk}",
        message="PHQ-9 rose",
    )
    checkin = CheckIn.objects.create(
        client=client, episode=episode, mood=6, idempotency_key=f"api-checkin-{client.pk:012d}"
    )
    plan = make_plan(episode)
    goal = make_goal(plan)
    return {
        "episode": episode,
        "attended": attended,
        "upcoming": upcoming,
        "first": first,
        "second": second,
        "pending": pending,
        "alert": alert,
        "checkin": checkin,
        "plan": plan,
        "goal": goal,
    }


class ApiTestCase(BaseTestCase):
    episode: Episode
    upcoming: Appointment
    first: Administration
    second: Administration
    pending: Administration
    alert: Alert
    checkin: CheckIn
    plan: TreatmentPlan
    goal: Goal
    eli_record: dict[str, Any]
    reflection: Reflection

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        for name, value in fill_record(cls, cls.dana, cls.alice).items():
            setattr(cls, name, value)
        cls.eli_record = fill_record(cls, cls.eli, cls.charlie)
        # The canary: a reflection about Dana that must never leave Alice's own pages.
        cls.reflection = Reflection.objects.create(
            author=cls.alice, client=cls.dana, kind=ReflectionKind.CONCERN, text=CANARY
        )

    def setUp(self) -> None:
        super().setUp()
        from django.core.cache import cache

        cache.clear()  # rate-limit counters live in the shared cache

    def api(
        self,
        method: str,
        path: str,
        secret: str,
        data: Any = None,
        key: str | None = None,
        **headers: str,
    ) -> Any:
        extra: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
        if key is not None:
            extra["HTTP_IDEMPOTENCY_KEY"] = key
        for name, value in headers.items():
            extra[name] = value
        call = getattr(self.client, method.lower())
        if data is None:
            return call(f"/api/v1{path}", **extra)
        if method.upper() == "GET":
            return call(f"/api/v1{path}", data, **extra)
        return call(f"/api/v1{path}", data, content_type="application/json", **extra)
