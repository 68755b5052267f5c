"""The client's side: "My plan" (read and acknowledge) and homework (report how it went)."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from continuum.accounts.models import User
from continuum.audit.models import AuditEvent
from continuum.plans.models import Homework, PlanStatus
from continuum.plans.tests.world import (
    PlanTestCase,
    make_goal,
    make_homework,
    make_intervention,
    make_plan,
)
from continuum.testing.base import make_episode, make_portal_user

PLAN = reverse("plans:portal_plan")
ACKNOWLEDGE = reverse("plans:portal_plan_acknowledge")
HOMEWORK = reverse("plans:portal_homework")


def report_url(task: Homework) -> str:
    return reverse("plans:portal_homework_report", kwargs={"homework_id": task.pk})


class PortalTestCase(PlanTestCase):
    dana_portal: User
    eli_portal: User
    finn_portal: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.dana_portal = make_portal_user(cls.dana)
        cls.eli_portal = make_portal_user(cls.eli)
        cls.finn_portal = make_portal_user(cls.finn)

    def staff(self) -> list[User]:
        return [self.alice, self.bob, self.olivia, self.charlie]


class PortalAccessTests(PortalTestCase):
    def test_every_portal_page_requires_login(self) -> None:
        task = make_homework(self.dana)
        for url in (PLAN, ACKNOWLEDGE, HOMEWORK, report_url(task)):
            self.assert_login_required(url)

    def test_staff_get_404_on_every_portal_page(self) -> None:
        make_plan(self.episode)
        task = make_homework(self.dana)
        for user in self.staff():
            self.client.force_login(user)
            for url in (PLAN, ACKNOWLEDGE, HOMEWORK, report_url(task)):
                for method in ("get", "post"):
                    response = getattr(self.client, method)(url)
                    self.assertEqual(response.status_code, 404, f"{user} {method} {url}")

    def test_other_clients_get_404_for_danas_homework(self) -> None:
        task = make_homework(self.dana)
        for user in (self.eli_portal, self.finn_portal):
            self.client.force_login(user)
            for method in ("get", "post"):
                response = getattr(self.client, method)(report_url(task), {"hw-status": "done"})
                self.assertEqual(response.status_code, 404)
        task.refresh_from_db()
        self.assertEqual(task.status, "assigned")
        self.assertIsNone(task.reported_at)

    def test_an_unknown_task_is_404(self) -> None:
        self.login(self.dana_portal)
        response = self.client.post(
            reverse("plans:portal_homework_report", kwargs={"homework_id": 999999})
        )
        self.assertEqual(response.status_code, 404)


class PortalPlanTests(PortalTestCase):
    def test_it_shows_the_current_plan_in_plain_language(self) -> None:
        plan = make_plan(self.episode, focus="Feeling low since the move")
        goal = make_goal(plan, "Enjoy weekends again")
        make_goal(plan, "Dropped goal", status="dropped")
        make_goal(plan, "Rate myself", target_kind="rating", instrument="", target_value=7)
        make_intervention(plan, rationale="Doing more brings the mood up", goals=[goal])
        make_intervention(plan, "grounding", status="stopped", rationale="Not needed now")
        draft = make_plan(self.episode, version=2, status=PlanStatus.DRAFT, focus="Draft focus")
        make_goal(draft, "A draft goal")
        make_plan(make_episode(self.eli), focus="Eli's focus")
        self.login(self.dana_portal)
        response = self.client.get(PLAN)
        self.assertContains(response, "Feeling low since the move")
        self.assertContains(response, "Enjoy weekends again")
        self.assertContains(
            response, "Your score on the PHQ-9 questionnaire is under 10, by 30 June 2026."
        )
        self.assertContains(response, "You rate this goal 7 or more out of 10")
        self.assertContains(response, "Behavioural activation")
        self.assertContains(response, "Planning small, doable activities that matter to you")
        self.assertContains(response, "Why: Doing more brings the mood up")
        for hidden in ("Dropped goal", "Not needed now", "Draft focus", "A draft goal", "Eli"):
            self.assertNotContains(response, hidden)
        self.assertContains(response, "I've read this plan")
        event = AuditEvent.objects.get()
        self.assertEqual((event.action, event.actor), ("plan.portal_view", self.dana_portal))
        self.assertEqual(event.object_id, str(plan.pk))
        self.assertEqual(event.practice_id, self.riverside.pk)

    def test_without_a_published_plan_it_says_so(self) -> None:
        make_plan(self.episode, status=PlanStatus.DRAFT, focus="Not yet shared")
        self.login(self.dana_portal)
        response = self.client.get(PLAN)
        self.assertContains(response, "Your therapist has not shared a plan here yet.")
        self.assertNotContains(response, "Not yet shared")
        self.assertEqual(self.client.post(ACKNOWLEDGE, {"version": "1"}).status_code, 404)

    def test_the_client_acknowledges_and_the_therapist_sees_when(self) -> None:
        plan = make_plan(self.episode)
        make_goal(plan)
        self.login(self.dana_portal)
        response = self.client.post(ACKNOWLEDGE, {"version": "1"})
        self.assert_redirect(response, PLAN)
        plan.refresh_from_db()
        self.assertIsNotNone(plan.client_acknowledged_at)
        event = AuditEvent.objects.get()
        self.assertEqual((event.action, event.actor), ("plan.acknowledge", self.dana_portal))
        self.assertEqual(event.practice_id, self.riverside.pk)
        # A second press changes nothing.
        first = plan.client_acknowledged_at
        self.client.post(ACKNOWLEDGE, {"version": "1"})
        plan.refresh_from_db()
        self.assertEqual(plan.client_acknowledged_at, first)
        self.assertEqual(AuditEvent.objects.filter(action="plan.acknowledge").count(), 1)
        page = self.client.get(PLAN)
        self.assertContains(page, "You told your therapist you read this plan on")
        self.assertNotContains(page, "I've read this plan")
        self.login(self.alice)
        therapist = self.client.get(
            reverse("plans:episode_plan", kwargs={"episode_id": self.episode.pk})
        )
        local = timezone.localtime(first, timezone=zoneinfo.ZoneInfo(self.alice.time_zone))
        self.assertContains(therapist, f"Acknowledged by the client on {local:%-d %b %Y, %H:%M}")

    def test_a_plan_changed_while_reading_is_not_acknowledged(self) -> None:
        plan = make_plan(self.episode, version=2)
        self.login(self.dana_portal)
        response = self.client.post(ACKNOWLEDGE, {"version": "1"})
        self.assert_redirect(response, PLAN)
        plan.refresh_from_db()
        self.assertIsNone(plan.client_acknowledged_at)
        self.assertFalse(AuditEvent.objects.exists())

    def test_acknowledging_needs_post(self) -> None:
        make_plan(self.episode)
        self.login(self.dana_portal)
        self.assertEqual(self.client.get(ACKNOWLEDGE).status_code, 405)


class PortalHomeworkTests(PortalTestCase):
    def test_it_lists_the_clients_own_tasks(self) -> None:
        plan = make_plan(self.episode)
        goal = make_goal(plan, "Sleep better")
        make_homework(self.dana, "Wind down at ten", goal=goal, why="")
        make_homework(self.dana, "Diary", status="done", client_note="Did it twice")
        make_homework(self.dana, "Cancelled task", status="cancelled")
        make_homework(self.eli, "Eli's task")
        self.login(self.dana_portal)
        response = self.client.get(HOMEWORK)
        self.assertContains(response, "Wind down at ten")
        self.assertContains(response, "Goal: Sleep better")
        self.assertContains(response, "Your note: Did it twice")
        self.assertNotContains(response, "Cancelled task")
        self.assertNotContains(response, "Eli")
        event = AuditEvent.objects.get()
        self.assertEqual((event.action, event.actor), ("homework.portal_view", self.dana_portal))

    def test_the_client_reports_a_task_with_a_note(self) -> None:
        task = make_homework(self.dana)
        self.login(self.dana_portal)
        note = "Managed three mornings, canary-7f3a"
        response = self.client.post(
            report_url(task), {f"hw{task.pk}-status": "partly", f"hw{task.pk}-note": note}
        )
        self.assert_redirect(response, HOMEWORK)
        task.refresh_from_db()
        self.assertEqual((task.status, task.client_note), ("partly", note))
        self.assertIsNotNone(task.reported_at)
        event = AuditEvent.objects.get()
        self.assertEqual(event.action, "homework.report")
        self.assertEqual(event.detail["status"], "partly")
        self.assertNotIn("canary", str(event.detail))
        # The note is encrypted at rest.
        with connection.cursor() as cursor:
            cursor.execute("SELECT client_note FROM plans_homework WHERE id = %s", [task.pk])
            raw = cursor.fetchone()[0]
        self.assertNotIn("canary", raw)
        self.assertTrue(raw.startswith("gAAAA"))
        # The therapist reads it, escaped.
        self.login(self.alice)
        page = self.client.get(reverse("plans:homework_list", kwargs={"client_id": self.dana.pk}))
        self.assertContains(page, note)

    def test_the_client_can_change_the_answer(self) -> None:
        task = make_homework(self.dana, status="not_done")
        self.login(self.dana_portal)
        self.client.post(report_url(task), {f"hw{task.pk}-status": "done"})
        task.refresh_from_db()
        self.assertEqual((task.status, task.client_note), ("done", ""))

    def test_a_bad_report_changes_nothing(self) -> None:
        task = make_homework(self.dana)
        self.login(self.dana_portal)
        response = self.client.post(report_url(task), {f"hw{task.pk}-status": "assigned"})
        self.assertContains(response, "Select a valid choice.", status_code=400)
        response = self.client.post(report_url(task), {f"hw{task.pk}-note": "x" * 2001})
        self.assertContains(response, "Choose done, partly done or not done.", status_code=400)
        self.assertContains(response, "at most 2000 characters", status_code=400)
        task.refresh_from_db()
        self.assertEqual((task.status, task.client_note, task.reported_at), ("assigned", "", None))
        self.assertFalse(AuditEvent.objects.filter(action="homework.report").exists())

    def test_a_cancelled_task_cannot_be_reported(self) -> None:
        task = make_homework(self.dana, status="cancelled")
        self.login(self.dana_portal)
        response = self.client.post(report_url(task), {f"hw{task.pk}-status": "done"})
        self.assertEqual(response.status_code, 404)

    def test_a_note_is_escaped_everywhere(self) -> None:
        task = make_homework(self.dana, status="done", client_note="<img src=x onerror=alert(1)>")
        self.login(self.dana_portal)
        self.assertNotContains(self.client.get(HOMEWORK), "<img src=x")
        self.login(self.alice)
        page = self.client.get(reverse("plans:homework_list", kwargs={"client_id": self.dana.pk}))
        self.assertNotContains(page, "<img src=x")
        self.assertContains(page, "&lt;img src=x onerror=alert(1)&gt;")
        self.assertEqual(task.client_note, "<img src=x onerror=alert(1)>")

    def test_its_query_count_does_not_grow_with_history(self) -> None:
        self.login(self.dana_portal)
        make_homework(self.dana)
        small = self._count()
        for n in range(20):
            make_homework(
                self.dana,
                f"Task {n}",
                status="done" if n % 2 else "assigned",
                due_date=timezone.localdate() + timedelta(days=n),
            )
        self.assertEqual(self._count(), small)

    def _count(self) -> int:
        with CaptureQueriesContext(connection) as ctx:
            self.assertEqual(self.client.get(HOMEWORK).status_code, 200)
        return len(ctx.captured_queries)
