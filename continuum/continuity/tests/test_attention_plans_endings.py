"""The day's attention table follows the plans and endings actions in their own transaction
too (issue 13, "Fast at scale"; test_attention.py covers the other apps' actions)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from continuum.accounts.actors import actor_for
from continuum.care.models import AppointmentStatus
from continuum.continuity.models import Attention
from continuum.endings import queries as endings_queries
from continuum.endings.services import end_unplanned
from continuum.lib.contributions import Rank
from continuum.measures.tests.world import MeasuresTestCase
from continuum.plans import queries as plans_queries
from continuum.plans.models import PlanStatus
from continuum.plans.services import publish_plan, report_homework
from continuum.plans.tests.world import make_goal, make_homework, make_plan
from continuum.testing.base import make_appointment


class AttentionFollowsPlansAndEndings(MeasuresTestCase):
    def reasons(self) -> set[tuple[str, int]]:
        return set(Attention.objects.filter(client=self.dana).values_list("kind", "rank"))

    def test_publishing_the_reviewed_plan_clears_its_review(self) -> None:
        make_plan(self.episode, review_date=timezone.localdate() - timedelta(days=2))
        due = (plans_queries.PLAN_REVIEW_ITEM, Rank.ROUTINE)
        self.assertIn(due, self.reasons())
        revised = make_plan(
            self.episode,
            status=PlanStatus.DRAFT,
            version=2,
            review_date=timezone.localdate() + timedelta(days=56),
        )
        make_goal(revised)
        with transaction.atomic():
            publish_plan(revised, by=self.alice)
            self.assertNotIn(due, self.reasons())

    def test_reporting_overdue_homework_clears_it(self) -> None:
        homework = make_homework(self.dana, due_date=timezone.localdate() - timedelta(days=3))
        overdue = (plans_queries.HOMEWORK_ITEM, Rank.ROUTINE)
        self.assertIn(overdue, self.reasons())
        with transaction.atomic():
            report_homework(homework, by=self.alice, status="done", note="")
            self.assertNotIn(overdue, self.reasons())

    def test_ending_an_unplanned_ending_clears_it(self) -> None:
        make_appointment(
            self.dana,
            timezone.now() - timedelta(days=90),
            episode=self.episode,
            status=AppointmentStatus.ATTENDED,
        )
        unplanned = (endings_queries.UNPLANNED_ITEM, Rank.DISENGAGING)
        self.assertIn(unplanned, self.reasons())
        with transaction.atomic():
            end_unplanned(
                self.episode,
                actor=actor_for(self.alice),
                letter="",
                closing_note="Stopped coming after the move; letter sent.",
            )
            self.assertEqual(self.reasons(), set())
