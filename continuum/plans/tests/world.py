"""The plans tests' shared world: Dana's open episode, access assertions, and builders for
plans, goals, interventions, reviews and homework (no audit rows)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone

from continuum.audit.models import AuditEvent
from continuum.care.models import Client, Episode
from continuum.measures.tests.world import make_score as make_score  # one score builder
from continuum.plans.models import (
    Goal,
    Homework,
    Intervention,
    InterventionReview,
    PlanStatus,
    TreatmentPlan,
)
from continuum.testing.base import BaseTestCase, kept, make_episode


class PlanTestCase(BaseTestCase):
    episode: Episode

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.episode = make_episode(cls.dana, start_date=date(2026, 1, 5))

    def outsiders(self) -> list[Any]:
        # A colleague, the practice owner (who does not treat Dana), another practice.
        return [self.bob, self.olivia, self.charlie]

    def assert_outsiders_get_404(
        self, url: str, *, methods: tuple[str, ...] = ("get", "post")
    ) -> None:
        for outsider in self.outsiders():
            self.client.force_login(outsider)
            for method in methods:
                response = getattr(self.client, method)(url)
                self.assertEqual(response.status_code, 404, f"{outsider} {method}")

    def assert_login_required(self, url: str) -> None:
        self.client.logout()
        for method in ("get", "post"):
            response = getattr(self.client, method)(url)
            self.assertEqual(response.status_code, 302)
            self.assertTrue(response["Location"].startswith(reverse("account_login")))

    def audit_actions(self) -> list[str]:
        return list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))

    def assert_redirect(self, response: Any, url: str) -> None:
        """A redirect to `url`, not followed (that would write the next page's audit row)."""
        self.assertRedirects(response, url, fetch_redirect_response=False)


def make_plan(
    episode: Episode,
    *,
    status: str = PlanStatus.CURRENT,
    version: int = 1,
    focus: str = "Low mood and withdrawal since the move",
    review_date: date | None = None,
    **extra: Any,
) -> TreatmentPlan:
    now = timezone.now()
    return kept(
        TreatmentPlan.objects.create(
            episode=episode,
            client=episode.client,
            version=version,
            status=status,
            focus=focus,
            review_date=review_date or timezone.localdate() + timedelta(days=60),
            created_by=episode.therapist,
            published_at=None if status == PlanStatus.DRAFT else now,
            **extra,
        ),
        "plans",
    )


def make_goal(plan: TreatmentPlan, statement: str = "Feel like myself again", **extra: Any) -> Goal:
    fields: dict[str, Any] = {
        "target_kind": "instrument",
        "instrument": "phq9",
        "comparison": "below",
        "target_value": 10.0,
        "target_date": date(2026, 6, 30),
    }
    fields.update(extra)
    return Goal.objects.create(plan=plan, statement=statement, **fields)


def make_intervention(
    plan: TreatmentPlan, technique: str = "behavioural_activation", **extra: Any
) -> Intervention:
    goals = extra.pop("goals", [])
    fields: dict[str, Any] = {
        "rationale": "Withdrawal keeps the low mood going",
        "start_date": date(2026, 1, 12),
    }
    fields.update(extra)
    intervention = Intervention.objects.create(plan=plan, technique=technique, **fields)
    if goals:
        intervention.goals.set(goals)
    return intervention


def make_review(
    intervention: Intervention, *, decision: str = "keep", **extra: Any
) -> InterventionReview:
    fields: dict[str, Any] = {
        "reviewed_on": intervention.start_date + timedelta(days=14),
        "what_happened": "Did three of five planned activities",
        "client_response": "Found the walks helped",
        "reason": "Working; keep going",
        "created_by": intervention.plan.episode.therapist,
    }
    fields.update(extra)
    return InterventionReview.objects.create(intervention=intervention, decision=decision, **fields)


def make_homework(client: Client, title: str = "Activity diary", **extra: Any) -> Homework:
    fields: dict[str, Any] = {
        "why": "To see how activity and mood link up",
        "due_date": timezone.localdate() + timedelta(days=7),
        "assigned_by": client.therapist,
    }
    fields.update(extra)
    return kept(Homework.objects.create(client=client, title=title, **fields), "plans")
