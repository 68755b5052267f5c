"""Endings test fixtures: Dana's active episode with a plan, goals, scores and feedback."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone

from continuum.accounts.models import User
from continuum.care.models import AppointmentStatus, Episode
from continuum.measures.tests.world import make_score
from continuum.plans.models import Goal, Intervention, TreatmentPlan
from continuum.plans.tests.world import make_goal, make_intervention, make_plan, make_review
from continuum.testing.base import BaseTestCase, make_appointment, make_episode, make_portal_user


def weeks_ago(n: float) -> datetime:
    return timezone.now() - timedelta(weeks=n)


def fill_history(episode: Episode, *, sessions: int = 8) -> None:
    """Attended sessions with PHQ-9, GAD-7 and session feedback, improving to below caseness."""
    phq = [18, 16, 14, 11, 9, 8, 7, 6, 6, 5, 5, 4]
    gad = [14, 13, 11, 9, 7, 6, 5, 5, 4, 4, 3, 3]
    for i in range(sessions):
        when = weeks_ago(sessions - i)
        make_appointment(episode.client, when, episode=episode, status=AppointmentStatus.ATTENDED)
        make_score(episode, "phq9", phq[min(i, len(phq) - 1)], when, session=i + 1)
        make_score(episode, "gad7", gad[min(i, len(gad) - 1)], when, session=i + 1)
        make_score(episode, "session_feedback", 8.0 + (i % 2) * 0.5, when, session=i + 1)


class EndingsTestCase(BaseTestCase):
    goal_met: Goal
    goal_two: Goal
    goal_three: Goal
    intervention: Intervention

    episode: Episode
    plan: TreatmentPlan
    dana_portal: User
    eli_portal: User
    eli_episode: Episode
    finn_episode: Episode

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.dana.preferred_name = "Dee"
        cls.dana.save(update_fields=["preferred_name"])
        cls.episode = make_episode(
            cls.dana,
            start_date=timezone.localdate() - timedelta(weeks=10),
            referral_reason="Low mood after a bereavement",
        )
        cls.plan = make_plan(cls.episode, focus="Getting back to the things that matter")
        cls.goal_met = make_goal(cls.plan, "Feel like myself again")  # PHQ-9 below 10
        cls.goal_two = make_goal(
            cls.plan, "Worry less", instrument="gad7", comparison="below", target_value=8
        )
        cls.goal_three = make_goal(
            cls.plan,
            "Sleep through",
            target_kind="rating",
            instrument="",
            comparison="at_or_above",
            target_value=7,
        )
        cls.intervention = make_intervention(cls.plan, goals=[cls.goal_met])
        make_review(
            cls.intervention,
            what_happened="Scheduled three walks a week",
            client_response="The walks with my sister helped most",
        )
        fill_history(cls.episode)
        cls.dana_portal = make_portal_user(cls.dana)
        cls.eli_portal = make_portal_user(cls.eli)
        cls.eli_episode = make_episode(cls.eli)
        cls.finn_episode = make_episode(cls.finn)

    def url(self, name: str, **kwargs: Any) -> str:
        return reverse(f"endings:{name}", kwargs=kwargs or None)

    def assert_login_required(self, url: str) -> None:
        for method in ("get", "post"):
            response = getattr(self.client, method)(url)
            self.assertEqual(response.status_code, 302, url)
            self.assertTrue(response["Location"].startswith(reverse("account_login")), url)

    def assert_outsiders_get_404(
        self, url: str, *, methods: tuple[str, ...] = ("get", "post")
    ) -> None:
        """Bob (same practice), Olivia (the owner), Charlie (another practice), Dana's portal
        login: 404 on every method."""
        for user in (self.bob, self.olivia, self.charlie, self.dana_portal):
            self.client.force_login(user)
            for method in methods:
                response = getattr(self.client, method)(url)
                self.assertEqual(response.status_code, 404, f"{user.email} {method} {url}")
        self.client.logout()

    def assert_staff_get_404_on_portal(self, url: str) -> None:
        for user in (self.alice, self.bob, self.charlie):
            self.client.force_login(user)
            for method in ("get", "post"):
                response = self.client.generic(method.upper(), url)
                self.assertEqual(response.status_code, 404, f"{user.email} {method} {url}")
        self.client.logout()


def today() -> date:
    return timezone.localdate()
