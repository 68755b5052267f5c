"""Homework on the therapist's side: the history, setting, editing and cancelling tasks, and
the queries the client page, the brief and the day use."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from continuum.audit.models import AuditEvent
from continuum.plans.models import Homework, PlanStatus
from continuum.plans.queries import (
    homework_for_client,
    homework_since,
    overdue_homework,
    plan_reviews_due,
)
from continuum.plans.tests.world import (
    PlanTestCase,
    make_goal,
    make_homework,
    make_intervention,
    make_plan,
)
from continuum.testing.base import TestResponse, make_episode


def homework_data(**changes: Any) -> dict[str, str]:
    data = {
        "title": "Keep an activity diary",
        "link": "",
        "why": "To see how activity and mood link up",
        "due_date": (timezone.localdate() + timedelta(days=7)).isoformat(),
    }
    data.update({k: str(v) for k, v in changes.items()})
    return data


class HomeworkListTests(PlanTestCase):
    def url(self) -> str:
        return reverse("plans:homework_list", kwargs={"client_id": self.dana.pk})

    def post(self, **changes: Any) -> TestResponse:
        self.login(self.alice)
        response: TestResponse = self.client.post(self.url(), homework_data(**changes))
        return response

    def assert_rejected(self, response: TestResponse, message: str) -> None:
        self.assertContains(response, message, status_code=400)
        self.assertFalse(Homework.objects.exists())
        # The page was shown again (a read); nothing was assigned.
        self.assertFalse(AuditEvent.objects.exclude(action="homework.list").exists())

    def test_it_requires_login(self) -> None:
        self.assert_login_required(self.url())

    def test_it_rejects_other_therapist(self) -> None:
        self.assert_outsiders_get_404(self.url())
        self.assertFalse(Homework.objects.exists())

    def test_it_shows_the_history(self) -> None:
        make_homework(self.dana, "Activity diary", status="done", client_note="Did 4 of 5 days")
        make_homework(self.dana, "Breathing practice", status="partly")
        make_homework(self.dana, "Call a friend")
        make_homework(self.eli, "Eli's private task")
        self.login(self.alice)
        response = self.client.get(self.url())
        self.assertContains(response, "Activity diary")
        self.assertContains(response, "Did 4 of 5 days")
        self.assertContains(response, "Partly done")
        self.assertContains(response, "Call a friend")
        self.assertContains(response, "3 tasks: 1 done, 1 partly, 0 not done, 1 open.")
        self.assertNotContains(response, "Eli")
        event = AuditEvent.objects.get()
        self.assertEqual((event.action, event.object_id), ("homework.list", str(self.dana.pk)))

    def test_it_sets_a_task_with_a_reason(self) -> None:
        response = self.post()
        self.assert_redirect(response, self.url())
        task = Homework.objects.get()
        self.assertEqual((task.client, task.assigned_by), (self.dana, self.alice))
        self.assertEqual(task.title, "Keep an activity diary")
        self.assertEqual(task.why, "To see how activity and mood link up")
        self.assertEqual(task.status, "assigned")
        self.assertEqual(task.episode, self.episode)
        event = AuditEvent.objects.get()
        self.assertEqual(event.action, "homework.assign")
        self.assertNotIn("diary", str(event.detail))

    def test_it_links_a_task_to_a_goal_or_an_intervention_of_the_current_plan(self) -> None:
        plan = make_plan(self.episode)
        goal = make_goal(plan, "Sleep better")
        intervention = make_intervention(plan, "sleep_cbti")
        self.login(self.alice)
        form = self.client.get(self.url())
        self.assertContains(form, f'value="goal:{goal.pk}"')
        self.assertContains(form, f'value="intervention:{intervention.pk}"')
        self.post(link=f"goal:{goal.pk}", why="")
        self.post(link=f"intervention:{intervention.pk}", why="", title="Wind-down routine")
        first, second = Homework.objects.order_by("pk")
        self.assertEqual((first.goal, first.intervention), (goal, None))
        self.assertEqual((second.goal, second.intervention), (None, intervention))
        page = self.client.get(self.url())
        self.assertContains(page, "Goal: Sleep better")
        self.assertContains(page, "Part of: Sleep hygiene / CBT-I techniques")

    def test_it_needs_a_reason(self) -> None:
        self.assert_rejected(self.post(why=""), "Link a goal or an intervention, or say why.")

    def test_it_rejects_links_outside_the_current_plan(self) -> None:
        old = make_plan(self.episode, status=PlanStatus.SUPERSEDED)
        old_goal = make_goal(old)
        eli_plan = make_plan(make_episode(self.eli))
        eli_goal = make_goal(eli_plan)
        make_plan(self.episode, version=2)
        for value in (f"goal:{old_goal.pk}", f"goal:{eli_goal.pk}", "goal:abc", "plan:1"):
            self.assert_rejected(self.post(link=value), "Select a valid choice.")

    def test_it_rejects_a_past_due_date(self) -> None:
        yesterday = timezone.localdate() - timedelta(days=1)
        self.assert_rejected(
            self.post(due_date=yesterday.isoformat()), "The due date cannot be before"
        )

    def test_it_rejects_an_empty_or_long_title(self) -> None:
        self.assert_rejected(self.post(title=""), "This field is required.")
        self.assert_rejected(
            self.post(title="x" * 201), "Ensure this value has at most 200 characters"
        )

    def test_its_query_count_does_not_grow_with_history(self) -> None:
        plan = make_plan(self.episode)
        goal = make_goal(plan)
        make_intervention(plan)
        self.login(self.alice)
        make_homework(self.dana, goal=goal)
        small = self._count()
        for n in range(25):
            make_homework(self.dana, f"Task {n}", status="done", goal=goal, client_note="ok")
        self.assertEqual(self._count(), small)
        with self.assertNumQueries(10):
            # 1-3 session, user, membership; 4 the client (access check); 5 the current plan;
            # 6 its active goals and 7 its active interventions (the form's links); 8 the
            # tasks with their goal and intervention; 9 the counts by status; 10 the audit
            # row
            self.client.get(self.url())

    def _count(self) -> int:
        with CaptureQueriesContext(connection) as ctx:
            self.assertEqual(self.client.get(self.url()).status_code, 200)
        return len(ctx.captured_queries)


class HomeworkEditTests(PlanTestCase):
    def test_it_requires_login_and_rejects_other_therapists(self) -> None:
        task = make_homework(self.dana)
        for name in ("plans:homework_edit", "plans:homework_cancel"):
            url = reverse(name, kwargs={"homework_id": task.pk})
            self.assert_login_required(url)
            self.assert_outsiders_get_404(url)
        task.refresh_from_db()
        self.assertEqual(task.status, "assigned")

    def test_it_edits_an_open_task(self) -> None:
        task = make_homework(self.dana)
        self.login(self.alice)
        url = reverse("plans:homework_edit", kwargs={"homework_id": task.pk})
        self.assertContains(self.client.get(url), "Activity diary")
        response = self.client.post(url, homework_data(title="Diary, mornings only"))
        self.assert_redirect(
            response, reverse("plans:homework_list", kwargs={"client_id": self.dana.pk})
        )
        task.refresh_from_db()
        self.assertEqual(task.title, "Diary, mornings only")
        # The form's read (issue 18, finding 4), then the change.
        read, event = AuditEvent.objects.order_by("pk")
        self.assertEqual((read.action, read.detail["page"]), ("homework.view", "edit"))
        self.assertEqual(event.action, "homework.update")
        self.assertIn("title", event.detail["fields"])

    def test_it_keeps_a_link_to_an_earlier_plan_version(self) -> None:
        old = make_plan(self.episode, status=PlanStatus.SUPERSEDED)
        old_goal = make_goal(old, "Old goal")
        make_plan(self.episode, version=2)
        task = make_homework(self.dana, goal=old_goal, why="")
        self.login(self.alice)
        url = reverse("plans:homework_edit", kwargs={"homework_id": task.pk})
        response = self.client.post(url, homework_data(link=f"goal:{old_goal.pk}", why=""))
        self.assertEqual(response.status_code, 302)
        task.refresh_from_db()
        self.assertEqual(task.goal, old_goal)

    def test_a_reported_task_is_not_edited(self) -> None:
        task = make_homework(self.dana, status="done")
        self.login(self.alice)
        url = reverse("plans:homework_edit", kwargs={"homework_id": task.pk})
        response = self.client.post(url, homework_data(title="Changed"))
        self.assertContains(response, "only open tasks can be edited", status_code=400)
        task.refresh_from_db()
        self.assertEqual(task.title, "Activity diary")

    def test_it_cancels_an_open_task(self) -> None:
        task = make_homework(self.dana)
        self.login(self.alice)
        url = reverse("plans:homework_cancel", kwargs={"homework_id": task.pk})
        self.assertEqual(self.client.get(url).status_code, 405)
        response = self.client.post(url)
        self.assertEqual(response.status_code, 302)
        task.refresh_from_db()
        self.assertEqual(task.status, "cancelled")
        self.assertIsNotNone(task.cancelled_at)
        self.assertEqual(AuditEvent.objects.get().action, "homework.cancel")
        again = self.client.post(url)
        self.assertContains(again, "cannot become cancelled", status_code=400)


class HomeworkQueryTests(PlanTestCase):
    def test_homework_for_client_and_the_panel(self) -> None:
        for n in range(12):
            make_homework(self.dana, f"Task {n}", due_date=date(2026, 3, 1) + timedelta(days=n))
        make_homework(self.dana, "Reported", status="not_done", due_date=date(2026, 2, 1))
        make_homework(self.eli, "Eli's task")
        with self.assertNumQueries(2):  # the tasks; the counts by status
            history = homework_for_client(self.dana, limit=10)
        self.assertEqual(len(history.items), 10)
        self.assertEqual(history.items[0].title, "Task 11")  # newest due date first
        self.assertEqual(history.total, 13)
        self.assertEqual(history.counts, {"assigned": 12, "not_done": 1})
        self.assertTrue(history.more)
        with self.assertNumQueries(0):
            html = render_to_string(
                "plans/_homework_panel.html", {"homework": history, "client": self.dana}
            )
        self.assertIn("13 tasks: 0 done, 0 partly, 1 not done, 12 open.", html)
        self.assertIn("Showing the latest 10.", html)
        self.assertNotIn("Eli", html)

    def test_the_panel_leads_with_the_open_tasks_and_folds_the_reported(self) -> None:
        """Summaries first (issue 14): what is still to do, then the rest one click away."""
        make_homework(self.dana, "Open task", due_date=date(2026, 3, 8))
        make_homework(
            self.dana,
            "Done task",
            status="done",
            due_date=date(2026, 3, 1),
            client_note="It helped",
        )
        history = homework_for_client(self.dana, limit=10)
        html = render_to_string(
            "plans/_homework_panel.html", {"homework": history, "client": self.dana}
        )
        shown, folded = html.split('<details class="history">')
        self.assertIn("<strong>Open task</strong>, due 8 Mar 2026", shown)
        self.assertNotIn("Done task", shown)
        self.assertIn("<summary>Earlier tasks (1)</summary>", folded)
        self.assertIn("Done task", folded)
        self.assertIn("Client's note: It helped", folded)

    def test_homework_since_shows_what_moved_and_what_is_open(self) -> None:
        since = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
        old_done = make_homework(self.dana, "Old", status="done", due_date=date(2026, 2, 1))
        old_done.created_at = since - timedelta(days=30)
        old_done.reported_at = since - timedelta(days=20)
        old_done.save()
        reported = make_homework(
            self.dana, "Reported since", status="partly", due_date=date(2026, 2, 20)
        )
        reported.created_at = since - timedelta(days=10)
        reported.reported_at = since + timedelta(days=1)
        reported.save()
        still_open = make_homework(self.dana, "Still open", due_date=date(2026, 2, 10))
        still_open.created_at = since - timedelta(days=40)
        still_open.save()
        cancelled = make_homework(self.dana, "Cancelled", status="cancelled")
        with self.assertNumQueries(1):
            rows = homework_since(self.dana, since)
        self.assertEqual(rows, [still_open, reported])
        self.assertNotIn(cancelled, rows)

    def test_overdue_homework_for_the_day(self) -> None:
        today = date(2026, 5, 10)
        late = make_homework(self.dana, "Late", due_date=date(2026, 5, 9))
        make_homework(self.dana, "Due today", due_date=today)
        make_homework(self.dana, "Done late", status="done", due_date=date(2026, 5, 1))
        make_homework(self.finn, "Bob's client", due_date=date(2026, 5, 1))
        with self.assertNumQueries(1):
            rows = overdue_homework(self.alice, today)
        self.assertEqual(rows, [late])
        self.assertEqual(rows[0].client, self.dana)
        self.assertEqual(overdue_homework(self.olivia, today), [])

    def test_plan_reviews_due_for_the_day(self) -> None:
        today = date(2026, 5, 10)
        due = make_plan(self.episode, review_date=today)
        make_plan(self.episode, version=2, status=PlanStatus.DRAFT, review_date=date(2026, 1, 1))
        finn_plan = make_plan(make_episode(self.finn), review_date=date(2026, 1, 1))
        with self.assertNumQueries(1):
            rows = plan_reviews_due(self.alice, today)
        self.assertEqual(rows, [due])
        self.assertEqual(rows[0].client, self.dana)
        self.assertEqual(plan_reviews_due(self.alice, today - timedelta(days=1)), [])
        self.assertEqual(plan_reviews_due(self.bob, today), [finn_plan])
