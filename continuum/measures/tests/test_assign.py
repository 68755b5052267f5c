"""Assigning a measure: once or on a schedule, goal ratings, every session; stopping it."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.urls import reverse
from django.utils import timezone

from continuum.accounts.actors import actor_for
from continuum.audit.models import AuditEvent
from continuum.care.models import AppointmentStatus
from continuum.measures.models import Administration, AdministrationStatus, MeasureAssignment
from continuum.measures.services import (
    MeasureError,
    assign_measure,
    planned_dates,
    sync_session_schedules,
)
from continuum.measures.tests.world import MeasuresTestCase
from continuum.plans.models import GoalStatus, PlanStatus
from continuum.plans.tests.world import make_goal, make_plan
from continuum.testing.base import make_appointment

# A fixed "now" in the middle of Dana's episode (a Monday, London time).
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Europe/London"))


class PlannedDatesTests(MeasuresTestCase):
    def test_weekly_fortnightly_and_monthly_run_to_the_end_inclusive(self) -> None:
        start = date(2026, 1, 31)
        self.assertEqual(len(planned_dates("weekly", start, start + timedelta(days=28))), 5)
        self.assertEqual(len(planned_dates("fortnightly", start, start + timedelta(days=27))), 2)
        self.assertEqual(
            planned_dates("monthly", start, date(2026, 4, 30)),
            [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)],
        )
        self.assertEqual(planned_dates("once", start, None), [start])


@time_machine.travel(NOW, tick=False)
class AssignServiceTests(MeasuresTestCase):
    def test_once_creates_one_pending_administration_due_that_local_morning(self) -> None:
        assignment = assign_measure(
            self.episode,
            instrument="phq9",
            cadence="once",
            starts_on=date(2026, 3, 4),
            actor=actor_for(self.alice),
        )
        admin = assignment.administrations.get()
        self.assertEqual(admin.status, AdministrationStatus.PENDING)
        self.assertEqual(admin.due_at, datetime(2026, 3, 4, tzinfo=ZoneInfo("Europe/London")))
        self.assertEqual(admin.window_ends_at - admin.due_at, timedelta(days=7))
        self.assertEqual(
            (admin.client, admin.instrument, admin.instrument_version), (self.dana, "phq9", "1")
        )
        event = AuditEvent.objects.get(action="measures.assign")
        self.assertEqual(event.detail["administrations"], 1)
        self.assertEqual(event.practice_id, self.riverside.pk)

    def test_a_weekly_schedule_creates_every_administration_up_front(self) -> None:
        assignment = assign_measure(
            self.episode,
            instrument="gad7",
            cadence="weekly",
            starts_on=date(2026, 3, 2),
            ends_on=date(2026, 3, 30),
            actor=actor_for(self.alice),
        )
        dues = [
            timezone.localtime(a.due_at, ZoneInfo("Europe/London")).date()
            for a in assignment.administrations.order_by("due_at")
        ]
        # The clocks change on 29 March: due dates stay on local midnight.
        self.assertEqual(dues, [date(2026, 3, d) for d in (2, 9, 16, 23, 30)])

    def test_a_schedule_needs_an_end(self) -> None:
        with self.assertRaises(MeasureError):
            assign_measure(
                self.episode,
                instrument="phq9",
                cadence="weekly",
                starts_on=date(2026, 3, 2),
                actor=actor_for(self.alice),
            )
        self.assertFalse(MeasureAssignment.objects.exists())

    def test_a_closed_episode_takes_no_new_measures(self) -> None:
        self.episode.status = "closed"
        self.episode.save()
        with self.assertRaises(MeasureError):
            assign_measure(
                self.episode,
                instrument="phq9",
                cadence="once",
                starts_on=date(2026, 3, 2),
                actor=actor_for(self.alice),
            )

    def test_every_session_follows_the_scheduled_appointments_in_range(self) -> None:
        first = make_appointment(self.dana, NOW + timedelta(days=1), episode=self.episode)
        second = make_appointment(self.dana, NOW + timedelta(days=8), episode=self.episode)
        make_appointment(self.dana, NOW + timedelta(days=40), episode=self.episode)  # out of range
        make_appointment(
            self.dana,
            NOW + timedelta(days=2),
            episode=self.episode,
            status=AppointmentStatus.CANCELLED,
        )
        assignment = assign_measure(
            self.episode,
            instrument="session_feedback",
            cadence="every_session",
            starts_on=date(2026, 3, 2),
            ends_on=date(2026, 3, 31),
            actor=actor_for(self.alice),
        )
        admins = list(assignment.administrations.order_by("due_at"))
        self.assertEqual([a.appointment for a in admins], [first, second])
        self.assertEqual(admins[0].due_at, first.starts_at)
        self.assertEqual(admins[0].window_ends_at, first.starts_at + timedelta(days=1))

    def test_every_session_without_appointments_is_refused(self) -> None:
        with self.assertRaisesMessage(MeasureError, "book the appointments first"):
            assign_measure(
                self.episode,
                instrument="phq9",
                cadence="every_session",
                starts_on=date(2026, 3, 2),
                ends_on=date(2026, 3, 31),
                actor=actor_for(self.alice),
            )
        self.assertFalse(MeasureAssignment.objects.exists())

    def test_sync_keeps_a_pending_questionnaire_of_an_attended_session(self) -> None:
        session = make_appointment(self.dana, NOW + timedelta(days=1), episode=self.episode)
        assignment = assign_measure(
            self.episode,
            instrument="session_feedback",
            cadence="every_session",
            starts_on=date(2026, 3, 2),
            ends_on=date(2026, 3, 31),
            actor=actor_for(self.alice),
        )
        session.status = AppointmentStatus.ATTENDED
        session.save()

        self.assertEqual(sync_session_schedules(), (0, 0))
        admin = assignment.administrations.get()
        self.assertEqual(admin.status, "pending")

    def test_sync_adds_new_appointments_and_withdraws_cancelled_ones(self) -> None:
        first = make_appointment(self.dana, NOW + timedelta(days=1), episode=self.episode)
        assignment = assign_measure(
            self.episode,
            instrument="phq9",
            cadence="every_session",
            starts_on=date(2026, 3, 2),
            ends_on=date(2026, 3, 31),
            actor=actor_for(self.alice),
        )
        later = make_appointment(self.dana, NOW + timedelta(days=8), episode=self.episode)
        first.status = AppointmentStatus.CANCELLED
        first.save()
        self.assertEqual(sync_session_schedules(), (1, 1))
        self.assertEqual(sync_session_schedules(), (0, 0))
        statuses = {a.appointment_id: a.status for a in assignment.administrations.all()}
        self.assertEqual(statuses, {first.pk: "expired", later.pk: "pending"})

    def test_goal_rating_keeps_the_goals_typed(self) -> None:
        assignment = assign_measure(
            self.episode,
            instrument="goal_rating",
            cadence="once",
            starts_on=date(2026, 3, 2),
            goal_labels=["Sleep through the night", "  Walk   to work ", ""],
            actor=actor_for(self.alice),
        )
        self.assertEqual(assignment.goal_labels, ["Sleep through the night", "Walk to work"])
        admin = assignment.administrations.get()
        self.assertEqual(admin.goal_labels, ["Sleep through the night", "Walk to work"])

    def test_goal_rating_needs_one_to_ten_goals(self) -> None:
        for goals in ([], [f"Goal {n}" for n in range(11)]):
            with self.assertRaises(MeasureError):
                assign_measure(
                    self.episode,
                    instrument="goal_rating",
                    cadence="once",
                    starts_on=date(2026, 3, 2),
                    goal_labels=goals,
                    actor=actor_for(self.alice),
                )


@time_machine.travel(NOW, tick=False)
class AssignViewTests(MeasuresTestCase):
    def url(self) -> str:
        return reverse("measures:assign", args=[self.episode.pk])

    def test_it_requires_login(self) -> None:
        response = self.client.get(self.url())
        self.assertRedirects(response, f"{reverse('account_login')}?next={self.url()}")

    def test_it_rejects_other_therapists(self) -> None:
        for outsider in (self.bob, self.olivia, self.charlie):
            self.login(outsider)
            self.assertEqual(self.client.get(self.url()).status_code, 404)
            response = self.client.post(
                self.url(), {"instrument": "phq9", "cadence": "once", "starts_on": "2026-03-02"}
            )
            self.assertEqual(response.status_code, 404)
        self.assertFalse(MeasureAssignment.objects.exists())

    def test_it_shows_the_form(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.url())
        self.assertContains(response, "Assign a measure")
        self.assertContains(response, "Patient Health Questionnaire (PHQ-9)")
        self.assertContains(response, '<label for="id_cadence">')

    def test_it_assigns_once_and_shows_the_questionnaire(self) -> None:
        self.login(self.alice)
        response = self.client.post(
            self.url(), {"instrument": "phq9", "cadence": "once", "starts_on": "2026-03-02"}
        )
        admin = Administration.objects.get()
        self.assertRedirects(
            response,
            reverse("measures:administration_detail", args=[admin.pk]),
            fetch_redirect_response=False,
        )
        page = self.client.get(response["Location"])
        self.assertContains(page, "PHQ-9 was assigned.")
        self.assertContains(page, "Make a link")

    def test_enter_now_goes_to_the_entry_form(self) -> None:
        self.login(self.alice)
        response = self.client.post(
            self.url(),
            {"instrument": "gad7", "cadence": "once", "starts_on": "2026-03-02", "enter_now": "1"},
        )
        admin = Administration.objects.get()
        self.assertRedirects(response, reverse("measures:administration_enter", args=[admin.pk]))

    def test_a_schedule_without_an_end_is_an_error_next_to_the_field(self) -> None:
        self.login(self.alice)
        response = self.client.post(
            self.url(), {"instrument": "phq9", "cadence": "weekly", "starts_on": "2026-03-02"}
        )
        self.assertEqual(response.status_code, 400)
        self.assertContains(
            response, "A schedule needs the date of its last questionnaire.", status_code=400
        )
        self.assertFalse(MeasureAssignment.objects.exists())

    def test_bad_input_is_an_error_not_a_500(self) -> None:
        self.login(self.alice)
        for data in (
            {"instrument": "ors", "cadence": "once", "starts_on": "2026-03-02"},
            {"instrument": "phq9", "cadence": "hourly", "starts_on": "2026-03-02"},
            {"instrument": "phq9", "cadence": "once", "starts_on": "yesterday"},
            {"instrument": "phq9", "cadence": "once", "starts_on": "2026-03-01"},
            {
                "instrument": "phq9",
                "cadence": "weekly",
                "starts_on": "2026-03-02",
                "ends_on": "2027-06-01",
            },
            {
                "instrument": "phq9",
                "cadence": "weekly",
                "starts_on": "2026-03-09",
                "ends_on": "2026-03-02",
            },
            {
                "instrument": "goal_rating",
                "cadence": "once",
                "starts_on": "2026-03-02",
                "goals": "",
            },
        ):
            response = self.client.post(self.url(), data)
            self.assertEqual(response.status_code, 400, data)
        self.assertFalse(MeasureAssignment.objects.exists())

    def test_goal_rating_goals_are_typed_one_per_line(self) -> None:
        self.login(self.alice)
        self.client.post(
            self.url(),
            {
                "instrument": "goal_rating",
                "cadence": "once",
                "starts_on": "2026-03-02",
                "goals": "Sleep better\r\nSee friends weekly\r\n",
            },
        )
        self.assertEqual(
            MeasureAssignment.objects.get().goal_labels, ["Sleep better", "See friends weekly"]
        )


def goals_box(response: Any) -> str:
    """The goals textarea's text as the browser shows it (the first newline is markup)."""
    found = re.search(
        r'<textarea name="goals"[^>]*>(.*?)</textarea>', response.content.decode(), re.DOTALL
    )
    assert found is not None, "no goals box on the page"
    return html.unescape(found.group(1)).removeprefix("\n")


@time_machine.travel(NOW, tick=False)
class GoalRatingFromThePlanTests(MeasuresTestCase):
    """The goal rating asks about the current treatment plan's goals by default."""

    def url(self) -> str:
        return reverse("measures:assign", args=[self.episode.pk])

    def rating_goal(self, plan: Any, statement: str, **extra: Any) -> Any:
        rating = {"target_kind": "rating", "instrument": "", "comparison": "at_or_above"}
        return make_goal(plan, statement, target_value=7, **rating, **extra)

    def post_goal_rating(self, goals: str | None, **extra: str) -> Any:
        data = {"instrument": "goal_rating", "cadence": "once", "starts_on": "2026-03-02"}
        if goals is not None:
            data["goals"] = goals
        return self.client.post(self.url(), {**data, **extra})

    def test_the_form_offers_the_current_plans_active_goals_and_stores_them(self) -> None:
        old = make_plan(self.episode, status=PlanStatus.SUPERSEDED)
        self.rating_goal(old, "A goal of the old version")
        plan = make_plan(self.episode, version=2, previous=old)
        make_goal(plan, "Feel like myself again")  # a PHQ-9 target: still rated 0-10
        self.rating_goal(plan, "Go back to the choir", status=GoalStatus.ACHIEVED)
        self.rating_goal(plan, "Sleep through most nights")
        self.login(self.alice)

        page = self.client.get(self.url())
        seen = goals_box(page)
        self.assertEqual(seen, "Feel like myself again\nSleep through most nights")
        self.assertContains(page, "the treatment plan&#x27;s goals, in the client&#x27;s words")
        self.assertNotContains(page, "has no goals yet")

        # Submitted as shown (browsers send CRLF), with the first answers entered now.
        response = self.post_goal_rating(seen.replace("\n", "\r\n"), enter_now="1")
        assignment = MeasureAssignment.objects.get()
        admin = Administration.objects.get()
        self.assertRedirects(response, reverse("measures:administration_enter", args=[admin.pk]))
        wanted = ["Feel like myself again", "Sleep through most nights"]
        self.assertEqual(assignment.goal_labels, wanted)
        self.assertEqual(admin.goal_labels, wanted)
        # The in-session form asks about each of the plan's goals.
        entry = self.client.get(response["Location"])
        for statement in wanted:
            self.assertContains(entry, statement)
        self.assertNotContains(entry, "Go back to the choir")

    def test_the_offered_goals_can_be_edited(self) -> None:
        plan = make_plan(self.episode)
        self.rating_goal(plan, "Sleep through most nights")
        self.login(self.alice)
        self.post_goal_rating("Sleep through most nights\r\nWalk to work twice a week")
        self.assertEqual(
            MeasureAssignment.objects.get().goal_labels,
            ["Sleep through most nights", "Walk to work twice a week"],
        )

    def test_other_measures_ignore_the_plans_goals(self) -> None:
        plan = make_plan(self.episode)
        self.rating_goal(plan, "Sleep through most nights")
        self.login(self.alice)
        self.client.post(
            self.url(),
            {"instrument": "phq9", "cadence": "once", "starts_on": "2026-03-02", "goals": "x"},
        )
        self.assertEqual(MeasureAssignment.objects.get().goal_labels, [])

    def test_without_plan_goals_the_form_says_so_and_assigns_nothing(self) -> None:
        draft = make_plan(self.episode, status=PlanStatus.DRAFT)  # not agreed yet
        self.rating_goal(draft, "A goal still in draft")
        plan_url = reverse("plans:episode_plan", kwargs={"episode_id": self.episode.pk})
        for make_current in (False, True):
            if make_current:  # a current plan whose only goal was achieved
                plan = make_plan(self.episode, version=2)
                self.rating_goal(plan, "Met already", status=GoalStatus.ACHIEVED)
            self.login(self.alice)
            page = self.client.get(self.url())
            self.assertEqual(goals_box(page), "")
            self.assertContains(page, "Add goals to the treatment plan first, or type the goals")
            self.assertContains(page, f'href="{plan_url}"')
            for goals in ("", "  \r\n ", None):
                response = self.post_goal_rating(goals)
                self.assertContains(
                    response,
                    "This episode&#x27;s treatment plan has no goals yet. Add goals to the "
                    "treatment plan first, or type the goals here, one per line.",
                    status_code=400,
                )
                self.assertContains(response, 'id="id_goals_error"', status_code=400)
        self.assertFalse(MeasureAssignment.objects.exists())
        self.assertFalse(Administration.objects.exists())

    def test_clearing_the_offered_goals_is_an_error_and_assigns_nothing(self) -> None:
        plan = make_plan(self.episode)
        self.rating_goal(plan, "Sleep through most nights")
        self.login(self.alice)
        for goals in ("", "\r\n", "x" * 201):
            response = self.post_goal_rating(goals)
            self.assertEqual(response.status_code, 400)
            self.assertContains(response, 'id="id_goals_error"', status_code=400)
        self.assertFalse(MeasureAssignment.objects.exists())
        self.assertFalse(Administration.objects.exists())


@time_machine.travel(NOW, tick=False)
class StopTests(MeasuresTestCase):
    def test_stopping_withdraws_the_pending_administrations(self) -> None:
        assignment = assign_measure(
            self.episode,
            instrument="phq9",
            cadence="weekly",
            starts_on=date(2026, 3, 2),
            ends_on=date(2026, 3, 23),
            actor=actor_for(self.alice),
        )
        url = reverse("measures:assignment_stop", args=[assignment.pk])
        self.login(self.bob)
        self.assertEqual(self.client.post(url).status_code, 404)
        self.login(self.alice)
        self.assertEqual(self.client.get(url).status_code, 405)
        response = self.client.post(url, follow=True)
        self.assertContains(response, "4 questionnaires still to answer were withdrawn")
        assignment.refresh_from_db()
        self.assertFalse(assignment.active)
        self.assertEqual(set(Administration.objects.values_list("status", flat=True)), {"expired"})
        self.assertEqual(AuditEvent.objects.filter(action="measures.assignment_stop").count(), 1)
