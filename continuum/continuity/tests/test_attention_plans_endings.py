"""The day's attention table follows the plans and endings actions in their own transaction
too (issue 13, "Fast at scale"; test_attention.py covers the other apps' actions)."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from continuum.accounts.actors import actor_for
from continuum.boundaries import queries as boundaries_queries
from continuum.boundaries.services import send_client_message
from continuum.care.models import AppointmentStatus
from continuum.continuity.models import Attention
from continuum.endings import queries as endings_queries
from continuum.endings.services import end_unplanned
from continuum.lib.contributions import Rank
from continuum.lib.keys import new_idempotency_key
from continuum.measures.tests.world import MeasuresTestCase
from continuum.plans import queries as plans_queries
from continuum.plans.models import PlanStatus
from continuum.plans.services import publish_plan, report_homework
from continuum.plans.tests.world import make_goal, make_homework, make_plan
from continuum.portal import queries as portal_queries
from continuum.portal.services import record_checkin
from continuum.testing.base import make_appointment, make_portal_user


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


class ActivityEndsMayHaveStoppedComing(MeasuresTestCase):
    """A check-in or a message from the client is activity: it can only take "may have
    stopped coming" away (`client_changed(..., cleared=("endings",))`), so the endings reason
    is recomputed for a client who has one and not asked for anyone else."""

    def setUp(self) -> None:
        super().setUp()
        make_portal_user(self.dana)
        self.dana.refresh_from_db()

    def quiet_for_ninety_days(self) -> None:
        make_appointment(
            self.dana,
            timezone.now() - timedelta(days=90),
            episode=self.episode,
            status=AppointmentStatus.ATTENDED,
        )

    def kinds(self) -> set[str]:
        return set(Attention.objects.filter(client=self.dana).values_list("kind", flat=True))

    def checkin(self) -> None:
        data = {"mood": 6, "idempotency_key": new_idempotency_key()}
        record_checkin(self.dana, data, actor=actor_for(self.dana.user))

    def test_a_check_in_ends_it_in_its_own_transaction(self) -> None:
        self.quiet_for_ninety_days()
        self.assertIn(endings_queries.UNPLANNED_ITEM, self.kinds())
        with transaction.atomic():
            self.checkin()
            self.assertNotIn(endings_queries.UNPLANNED_ITEM, self.kinds())
            self.assertIn(portal_queries.CHECKINS_ITEM, self.kinds())

    def test_a_message_from_the_client_ends_it(self) -> None:
        self.quiet_for_ninety_days()
        self.assertIn(endings_queries.UNPLANNED_ITEM, self.kinds())
        send_client_message(
            self.dana,
            {"body": "Sorry I went quiet.", "idempotency_key": new_idempotency_key()},
            actor=actor_for(self.dana.user),
        )
        self.assertNotIn(endings_queries.UNPLANNED_ITEM, self.kinds())
        self.assertIn(boundaries_queries.MESSAGES_ITEM, self.kinds())

    def test_a_check_in_from_an_active_client_does_not_ask_about_endings(self) -> None:
        self.checkin()  # the first one brings the check-ins line; this is the second
        with CaptureQueriesContext(connection) as queries:
            self.checkin()
        sql = " ".join(q["sql"] for q in queries.captured_queries)
        self.assertIn("portal_checkin", sql)
        self.assertNotIn("care_appointment", sql)  # the unplanned query's, not run
        self.assertIn(portal_queries.CHECKINS_ITEM, self.kinds())
