"""Goals: measurable targets (a questionnaire score or a 0-10 rating), validated."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse

from continuum.audit.models import AuditEvent
from continuum.plans.models import Goal, PlanStatus
from continuum.plans.tests.world import PlanTestCase, make_goal, make_plan
from continuum.testing.base import TestResponse


def goal_data(**changes: Any) -> dict[str, str]:
    data = {
        "statement": "Enjoy weekends again",
        "target_kind": "instrument",
        "instrument": "phq9",
        "comparison": "below",
        "target_value": "10",
        "target_rating": "",
        "target_date": "2026-09-30",
        "status": "active",
    }
    data.update({k: str(v) for k, v in changes.items()})
    return data


class GoalCreateTests(PlanTestCase):
    def setUp(self) -> None:
        self.draft = make_plan(self.episode, status=PlanStatus.DRAFT)
        self.url = reverse("plans:goal_create", kwargs={"plan_id": self.draft.pk})

    def post(self, **changes: Any) -> TestResponse:
        self.login(self.alice)
        response: TestResponse = self.client.post(self.url, goal_data(**changes))
        return response

    def assert_rejected(self, response: TestResponse, message: str) -> None:
        self.assertContains(response, message, status_code=400)
        self.assertFalse(Goal.objects.exists())
        self.assertFalse(AuditEvent.objects.exists())

    def test_it_requires_login(self) -> None:
        self.assert_login_required(self.url)

    def test_it_rejects_other_therapist(self) -> None:
        self.assert_outsiders_get_404(self.url)
        self.assertFalse(Goal.objects.exists())

    def test_it_shows_a_labelled_form(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.url)
        self.assertContains(response, '<label for="id_statement">')
        self.assertContains(response, '<option value="phq9">PHQ-9</option>', html=True)
        self.assertNotContains(response, 'value="goal_rating"')

    def test_it_adds_a_questionnaire_target(self) -> None:
        response = self.post()
        self.assert_redirect(
            response, reverse("plans:plan_detail", kwargs={"plan_id": self.draft.pk})
        )
        goal = Goal.objects.get()
        self.assertEqual(goal.plan, self.draft)
        self.assertEqual(goal.statement, "Enjoy weekends again")
        self.assertEqual(goal.target_text, "PHQ-9 below 10")
        self.assertEqual(goal.target_date, date(2026, 9, 30))
        event = AuditEvent.objects.get()
        self.assertEqual(event.action, "goal.create")
        self.assertEqual(event.detail["instrument"], "phq9")
        self.assertNotIn("Enjoy", str(event.detail))

    def test_it_adds_a_goal_rating_target(self) -> None:
        self.post(
            target_kind="rating", instrument="", comparison="", target_value="", target_rating="7"
        )
        goal = Goal.objects.get()
        self.assertEqual((goal.target_kind, goal.instrument), ("rating", ""))
        self.assertEqual((goal.comparison, goal.target_value), ("at_or_above", 7.0))
        self.assertEqual(goal.target_text, "a goal rating of 7 or more (out of 10)")

    def test_who5_targets_are_in_percent(self) -> None:
        self.post(instrument="who5", comparison="at_or_above", target_value="52")
        goal = Goal.objects.get()
        self.assertEqual(goal.target_text, "WHO-5 at or above 52%")
        self.assertTrue(goal.is_met_by(56))
        self.assertFalse(goal.is_met_by(48))

    def test_it_rejects_an_unknown_instrument(self) -> None:
        self.assert_rejected(
            self.post(instrument="beck"), "Select a valid choice. beck is not one of"
        )

    def test_it_rejects_the_goal_rating_as_a_questionnaire(self) -> None:
        self.assert_rejected(self.post(instrument="goal_rating"), "Select a valid choice.")

    def test_it_rejects_a_target_outside_the_scale(self) -> None:
        self.assert_rejected(self.post(target_value="30"), "PHQ-9 scores run from 0 to 27.")

    def test_it_rejects_a_who5_target_above_100_percent(self) -> None:
        self.assert_rejected(
            self.post(instrument="who5", comparison="at_or_above", target_value="120"),
            "WHO-5 scores run from 0% to 100%.",
        )

    def test_it_rejects_an_unreachable_target(self) -> None:
        self.assert_rejected(self.post(target_value="0"), "No PHQ-9 score is below 0.")

    def test_it_rejects_a_rating_out_of_range(self) -> None:
        self.assert_rejected(
            self.post(target_kind="rating", target_rating="11"),
            "Ensure this value is less than or equal to 10.",
        )

    def test_it_requires_the_rating_for_a_rating_target(self) -> None:
        self.assert_rejected(
            self.post(target_kind="rating", target_rating=""),
            "Enter the rating (0 to 10) that meets the goal.",
        )

    def test_it_requires_the_target_parts(self) -> None:
        response = self.post(instrument="", target_value="")
        self.assert_rejected(response, "Choose the questionnaire the target is on.")
        response = self.post(comparison="", target_value="")
        self.assert_rejected(response, "Enter the target score.")
        self.assertContains(
            response, "Say whether the score should be below or at or above.", status_code=400
        )

    def test_it_rejects_a_non_number(self) -> None:
        self.assert_rejected(self.post(target_value="ten"), "Enter a number.")
        self.assert_rejected(self.post(target_value="nan"), "Enter a number.")

    def test_it_rejects_a_target_date_before_the_episode(self) -> None:
        self.assert_rejected(
            self.post(target_date="2025-12-31"),
            "The target date cannot be before the episode started (5 January 2026).",
        )
        self.assert_rejected(self.post(target_date="31/12/2026"), "Enter a valid date.")

    def test_it_rejects_a_statement_over_500_characters(self) -> None:
        self.assert_rejected(
            self.post(statement="x" * 501),
            "Ensure this value has at most 500 characters (it has 501).",
        )

    def test_goals_are_only_added_to_drafts(self) -> None:
        current = make_plan(self.episode, version=2, status=PlanStatus.CURRENT)
        self.login(self.alice)
        response = self.client.post(
            reverse("plans:goal_create", kwargs={"plan_id": current.pk}), goal_data()
        )
        self.assert_rejected(response, "Goals are added to a draft plan.")

    def test_the_statement_is_escaped(self) -> None:
        self.post(statement="<script>alert(1)</script>")
        response = self.client.get(reverse("plans:plan_detail", kwargs={"plan_id": self.draft.pk}))
        self.assertNotContains(response, "<script>alert(1)</script>")
        self.assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt;")


class GoalEditTests(PlanTestCase):
    def test_it_requires_login_and_rejects_other_therapists(self) -> None:
        goal = make_goal(make_plan(self.episode, status=PlanStatus.DRAFT))
        url = reverse("plans:goal_edit", kwargs={"goal_id": goal.pk})
        self.assert_login_required(url)
        self.assert_outsiders_get_404(url)

    def test_it_edits_a_goal_of_a_draft(self) -> None:
        goal = make_goal(make_plan(self.episode, status=PlanStatus.DRAFT))
        self.login(self.alice)
        url = reverse("plans:goal_edit", kwargs={"goal_id": goal.pk})
        form = self.client.get(url)
        self.assertContains(form, "Feel like myself again")
        response = self.client.post(url, goal_data(status="achieved", target_value="8"))
        self.assertEqual(response.status_code, 302)
        goal.refresh_from_db()
        self.assertEqual((goal.status, goal.target_value), ("achieved", 8.0))
        # The form's read (issue 18, finding 4), then the change.
        read, event = AuditEvent.objects.order_by("pk")
        self.assertEqual((read.action, read.detail["page"]), ("goal.view", "edit"))
        self.assertEqual(event.action, "goal.update")
        self.assertEqual(event.detail["status"], "achieved")

    def test_a_goal_of_a_published_plan_stays_as_it_was(self) -> None:
        goal = make_goal(make_plan(self.episode), "Original words")
        self.login(self.alice)
        response = self.client.post(
            reverse("plans:goal_edit", kwargs={"goal_id": goal.pk}), goal_data()
        )
        self.assertContains(response, "start a new version to change them", status_code=400)
        goal.refresh_from_db()
        self.assertEqual(goal.statement, "Original words")
        self.assertFalse(AuditEvent.objects.exists())

    def test_a_bad_edit_changes_nothing(self) -> None:
        goal = make_goal(make_plan(self.episode, status=PlanStatus.DRAFT))
        self.login(self.alice)
        response = self.client.post(
            reverse("plans:goal_edit", kwargs={"goal_id": goal.pk}),
            goal_data(target_value="99"),
        )
        self.assertContains(response, "PHQ-9 scores run from 0 to 27.", status_code=400)
        goal.refresh_from_db()
        self.assertEqual(goal.target_value, 10.0)
        self.assertFalse(AuditEvent.objects.exists())
