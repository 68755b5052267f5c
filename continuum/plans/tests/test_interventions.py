"""Interventions: adding them to a draft, the review log, adapting and the evolution chain."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from continuum.audit.models import AuditEvent
from continuum.plans.models import (
    Intervention,
    InterventionReview,
    PlanStatus,
    TreatmentPlan,
)
from continuum.plans.queries import interventions_due_for_review
from continuum.plans.services import create_draft, publish_plan, review_intervention
from continuum.plans.tests.world import (
    PlanTestCase,
    make_goal,
    make_intervention,
    make_plan,
    make_review,
    make_score,
)
from continuum.testing.base import TestResponse


def intervention_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "technique": "behavioural_activation",
        "custom_technique": "",
        "rationale": "Withdrawal keeps the low mood going",
        "start_date": "2026-02-01",
    }
    data.update(changes)
    return data


def review_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "reviewed_on": "2026-03-01",
        "what_happened": "Managed two walks a week",
        "client_response": "Liked it, found mornings hard",
        "decision": "keep",
        "reason": "It is helping",
        "new_technique": "",
        "new_custom_technique": "",
        "new_rationale": "",
    }
    data.update(changes)
    return data


class InterventionFormTests(PlanTestCase):
    def setUp(self) -> None:
        self.draft = make_plan(self.episode, status=PlanStatus.DRAFT)
        self.goal = make_goal(self.draft, "Get out of the house")
        self.url = reverse("plans:intervention_create", kwargs={"plan_id": self.draft.pk})

    def post(self, **changes: Any) -> TestResponse:
        self.login(self.alice)
        response: TestResponse = self.client.post(self.url, intervention_data(**changes))
        return response

    def assert_rejected(self, response: TestResponse, message: str) -> None:
        self.assertContains(response, message, status_code=400)
        self.assertFalse(Intervention.objects.exists())
        self.assertFalse(AuditEvent.objects.exists())

    def test_it_requires_login_and_rejects_other_therapists(self) -> None:
        self.assert_login_required(self.url)
        self.assert_outsiders_get_404(self.url)
        self.assertFalse(Intervention.objects.exists())

    def test_it_lists_the_catalogue(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.url)
        for name in (
            "CBT thought records",
            "Exposure and response prevention",
            "DBT distress tolerance skills",
            "Motivational interviewing",
            "Relapse prevention planning",
        ):
            self.assertContains(response, name)
        self.assertContains(response, "Get out of the house")  # the goals to link

    def test_it_adds_a_catalogue_technique_linked_to_goals(self) -> None:
        response = self.post(goals=[str(self.goal.pk)])
        self.assert_redirect(
            response, reverse("plans:plan_detail", kwargs={"plan_id": self.draft.pk})
        )
        intervention = Intervention.objects.get()
        self.assertEqual(intervention.name, "Behavioural activation")
        self.assertEqual(intervention.start_date, date(2026, 2, 1))
        self.assertEqual(list(intervention.goals.all()), [self.goal])
        event = AuditEvent.objects.get()
        self.assertEqual(event.action, "intervention.create")
        self.assertEqual(event.detail["technique"], "behavioural_activation")

    def test_it_adds_a_free_text_technique(self) -> None:
        self.post(technique="other", custom_technique="Schema work on abandonment")
        self.assertEqual(Intervention.objects.get().name, "Schema work on abandonment")

    def test_it_needs_the_free_text_for_other(self) -> None:
        self.assert_rejected(
            self.post(technique="other"), "Describe the technique when it is not in the catalogue."
        )

    def test_it_rejects_an_unknown_technique(self) -> None:
        self.assert_rejected(self.post(technique="hypnosis"), "Select a valid choice.")

    def test_it_rejects_a_start_before_the_episode(self) -> None:
        self.assert_rejected(
            self.post(start_date="2025-12-01"),
            "The start date cannot be before the episode started (5 January 2026).",
        )

    def test_it_rejects_a_goal_of_another_plan(self) -> None:
        other = make_plan(self.episode, version=2, status=PlanStatus.SUPERSEDED)
        foreign_goal = make_goal(other)
        self.assert_rejected(self.post(goals=[str(foreign_goal.pk)]), "Select a valid choice.")

    def test_it_requires_a_rationale(self) -> None:
        self.assert_rejected(self.post(rationale=""), "This field is required.")

    def test_interventions_are_only_added_to_drafts(self) -> None:
        current = make_plan(self.episode, version=2)
        self.login(self.alice)
        response = self.client.post(
            reverse("plans:intervention_create", kwargs={"plan_id": current.pk}),
            intervention_data(),
        )
        self.assert_rejected(response, "Interventions are added to a draft plan.")

    def test_it_edits_an_intervention_of_a_draft(self) -> None:
        intervention = make_intervention(self.draft)
        url = reverse("plans:intervention_edit", kwargs={"intervention_id": intervention.pk})
        self.assert_login_required(url)
        self.assert_outsiders_get_404(url)
        self.login(self.alice)
        response = self.client.post(
            url, intervention_data(technique="mindfulness", goals=[str(self.goal.pk)])
        )
        self.assertEqual(response.status_code, 302)
        intervention.refresh_from_db()
        self.assertEqual(intervention.technique, "mindfulness")
        self.assertEqual(list(intervention.goals.all()), [self.goal])
        event = AuditEvent.objects.get()
        self.assertEqual(event.detail["fields"], ["technique", "start_date", "goals"])

    def test_a_published_intervention_is_not_edited(self) -> None:
        current = make_plan(self.episode, version=2)
        intervention = make_intervention(current)
        self.login(self.alice)
        response = self.client.post(
            reverse("plans:intervention_edit", kwargs={"intervention_id": intervention.pk}),
            intervention_data(technique="mindfulness"),
        )
        self.assertContains(response, "changes through a review", status_code=400)
        intervention.refresh_from_db()
        self.assertEqual(intervention.technique, "behavioural_activation")


class ReviewTests(PlanTestCase):
    def setUp(self) -> None:
        self.plan = make_plan(self.episode)
        self.goal = make_goal(self.plan)
        self.intervention = make_intervention(
            self.plan, start_date=date(2026, 2, 1), goals=[self.goal]
        )
        self.url = reverse(
            "plans:intervention_review", kwargs={"intervention_id": self.intervention.pk}
        )

    def post(self, **changes: Any) -> TestResponse:
        self.login(self.alice)
        response: TestResponse = self.client.post(self.url, review_data(**changes))
        return response

    def assert_rejected(self, response: TestResponse, message: str) -> None:
        self.assertContains(response, message, status_code=400)
        self.assertFalse(InterventionReview.objects.exists())
        self.assertEqual(Intervention.objects.count(), 1)
        self.intervention.refresh_from_db()
        self.assertEqual(self.intervention.status, "active")
        self.assertFalse(AuditEvent.objects.exists())

    def test_it_requires_login_and_rejects_other_therapists(self) -> None:
        self.assert_login_required(self.url)
        self.assert_outsiders_get_404(self.url)
        self.assertFalse(InterventionReview.objects.exists())

    def test_keep_logs_the_review(self) -> None:
        response = self.post()
        self.assert_redirect(
            response, reverse("plans:episode_plan", kwargs={"episode_id": self.episode.pk})
        )
        review = InterventionReview.objects.get()
        self.assertEqual(review.intervention, self.intervention)
        self.assertEqual(review.reviewed_on, date(2026, 3, 1))
        self.assertEqual(review.what_happened, "Managed two walks a week")
        self.assertEqual(review.client_response, "Liked it, found mornings hard")
        self.assertEqual((review.decision, review.reason), ("keep", "It is helping"))
        self.assertIsNone(review.result)
        self.intervention.refresh_from_db()
        self.assertEqual(self.intervention.status, "active")
        event = AuditEvent.objects.get()
        self.assertEqual(event.action, "intervention.review")
        self.assertEqual(event.detail["decision"], "keep")
        self.assertNotIn("walks", str(event.detail))

    def test_the_review_shows_and_stores_the_scores_since_the_start(self) -> None:
        at = datetime(2026, 1, 20, 10, tzinfo=UTC)
        before = make_score(self.episode, "phq9", 18, at)
        make_score(self.episode, "phq9", 15, at + timedelta(days=14))  # 3 Feb: since
        last = make_score(self.episode, "phq9", 11, at + timedelta(days=28))
        make_score(self.episode, "gad7", 9, at + timedelta(days=21))  # only since: baseline
        self.login(self.alice)
        page = self.client.get(self.url)
        self.assertContains(page, "Scores since 1 Feb 2026")
        self.assertContains(page, "18 (20 Jan 2026)")
        self.assertContains(page, "15 (3 Feb), 11 (17 Feb)")
        self.assertContains(page, "down 7: a reliable improvement")
        self.post()
        review = InterventionReview.objects.get()
        phq9, gad7 = review.scores
        self.assertEqual(phq9["instrument"], "phq9")
        self.assertEqual((phq9["baseline_id"], phq9["baseline"]), (before.pk, 18))
        self.assertEqual(phq9["scores"][-1], [last.pk, "2026-02-17", 11])
        self.assertEqual((phq9["change"], phq9["reliable"]), (-7, "improved"))
        self.assertEqual((gad7["scores"], gad7["change"]), ([], 0))
        review_row = AuditEvent.objects.get(action="intervention.review")
        self.assertEqual(review_row.detail["measures"], 2)

    def test_the_plan_page_shows_the_scores_a_past_review_was_made_against(self) -> None:
        at = datetime(2026, 1, 20, 10, tzinfo=UTC)
        make_score(self.episode, "phq9", 18, at)
        make_score(self.episode, "phq9", 11, at + timedelta(days=28))  # 17 Feb
        make_score(self.episode, "gad7", 9, at + timedelta(days=21))  # 10 Feb, nothing since
        self.post()
        # Scores after the review change the live view, not what the review was made against.
        make_score(self.episode, "phq9", 21, at + timedelta(days=42))
        plan_url = reverse("plans:episode_plan", kwargs={"episode_id": self.episode.pk})
        page = self.client.get(plan_url)
        self.assertContains(page, "Scores then")
        self.assertContains(
            page, "PHQ-9: 18 (20 Jan 2026), latest 11 (17 Feb 2026): down 7: a reliable improvement"
        )
        self.assertContains(page, "GAD-7: 9 (10 Feb 2026), no score since")
        self.assertNotContains(page, "latest 21")
        # An entry the catalogue does not know (or a malformed one) is left out, not a 500.
        review = InterventionReview.objects.get()
        review.scores = [{"instrument": "retired"}, *review.scores[:1]]
        review.save()
        page = self.client.get(plan_url)
        self.assertContains(page, "PHQ-9: 18 (20 Jan 2026)")
        self.assertNotContains(page, "GAD-7: 9")
        # A review made before reviews stored scores says so.
        review.scores = []
        review.save()
        self.assertContains(self.client.get(plan_url), "None recorded")

    def test_stop_stops_it(self) -> None:
        self.post(decision="stop", reason="Not the right time")
        self.intervention.refresh_from_db()
        self.assertEqual(self.intervention.status, "stopped")
        page = self.client.get(
            reverse("plans:episode_plan", kwargs={"episode_id": self.episode.pk})
        )
        self.assertContains(page, "Stopped")
        self.assertContains(page, "Not the right time")
        self.assertNotContains(page, self.url)  # no more reviews

    def test_adapt_creates_the_new_version_linked_to_the_old(self) -> None:
        self.post(
            decision="adapt",
            reason="Mornings are too hard",
            new_technique="behavioural_activation",
            new_rationale="Move the activities to the afternoon",
        )
        self.intervention.refresh_from_db()
        self.assertEqual(self.intervention.status, "adapted")
        new = Intervention.objects.exclude(pk=self.intervention.pk).get()
        self.assertEqual(new.adapted_from, self.intervention)
        self.assertEqual((new.plan, new.status), (self.plan, "active"))
        self.assertEqual(new.start_date, date(2026, 3, 1))
        self.assertEqual(new.rationale, "Move the activities to the afternoon")
        self.assertEqual(list(new.goals.all()), [self.goal])
        review = InterventionReview.objects.get()
        self.assertEqual(review.result, new)
        event = AuditEvent.objects.get()
        self.assertEqual(event.detail["new_intervention_id"], new.pk)

    def test_adapt_needs_the_new_version(self) -> None:
        response = self.post(decision="adapt")
        self.assert_rejected(response, "Choose a technique from the catalogue")
        self.assertContains(
            response, "Describe the new version: what changes and why.", status_code=400
        )

    def test_every_field_is_required(self) -> None:
        response = self.post(what_happened="", client_response="", reason="", decision="")
        self.assert_rejected(response, "This field is required.")
        self.assertContains(response, "This field is required.", count=4, status_code=400)

    def test_it_rejects_long_texts(self) -> None:
        self.assert_rejected(
            self.post(reason="x" * 2001), "Ensure this value has at most 2000 characters"
        )

    def test_it_rejects_a_future_date_or_one_before_the_start(self) -> None:
        tomorrow = timezone.localdate() + timedelta(days=1)
        self.assert_rejected(
            self.post(reviewed_on=tomorrow.isoformat()), "A review cannot be dated in the future."
        )
        self.assert_rejected(
            self.post(reviewed_on="2026-01-20"),
            "A review cannot be dated before the intervention started (1 February 2026).",
        )

    def test_it_rejects_an_unknown_decision(self) -> None:
        self.assert_rejected(self.post(decision="pause"), "Select a valid choice.")

    def test_only_active_interventions_of_the_current_plan_are_reviewed(self) -> None:
        self.intervention.status = "stopped"
        self.intervention.save()
        response = self.post()
        self.assertContains(response, "Only active interventions of the current", status_code=400)
        self.assertFalse(InterventionReview.objects.exists())
        draft = make_plan(self.episode, version=2, status=PlanStatus.DRAFT)
        in_draft = make_intervention(draft)
        self.login(self.alice)
        response = self.client.post(
            reverse("plans:intervention_review", kwargs={"intervention_id": in_draft.pk}),
            review_data(),
        )
        self.assertContains(response, "Only active interventions", status_code=400)

    def test_an_adaptation_follows_into_the_draft(self) -> None:
        draft = create_draft(self.episode, by=self.alice, focus="Next", review_date=None)
        copy = Intervention.objects.get(plan=draft)
        self.post(
            decision="adapt",
            reason="Too hard",
            new_technique="graded_exposure",
            new_rationale="Smaller steps",
        )
        copy.refresh_from_db()
        self.assertEqual(copy.status, "adapted")
        new_copy = Intervention.objects.get(plan=draft, adapted_from=copy)
        self.assertEqual((new_copy.technique, new_copy.status), ("graded_exposure", "active"))
        self.assertEqual(
            new_copy.previous, Intervention.objects.get(plan=self.plan, status="active")
        )
        self.assertEqual([g.previous for g in new_copy.goals.all()], [self.goal])


class EvolutionChainTests(PlanTestCase):
    """v1 → v2 → v3 across plan versions, with the review that caused each change."""

    def test_the_plan_page_shows_the_chain_with_its_reviews(self) -> None:
        plan1 = make_plan(self.episode, status=PlanStatus.DRAFT)
        make_goal(plan1)
        v1 = make_intervention(plan1, "thought_records", start_date=date(2026, 1, 12))
        publish_plan(plan1, by=self.alice)
        review_intervention(
            v1,
            by=self.alice,
            reviewed_on=date(2026, 2, 2),
            what_happened="Forms felt like homework at school",
            client_response="Frustrated",
            decision="adapt",
            reason="Too much writing",
            new_technique="other",
            new_custom_technique="Thought records on the phone",
            new_rationale="Shorter, in the notes app",
        )
        plan2 = create_draft(self.episode, by=self.alice, focus="Second", review_date=None)
        publish_plan(plan2, by=self.alice)
        v2 = Intervention.objects.get(plan=plan2, status="active")
        review_intervention(
            v2,
            by=self.alice,
            reviewed_on=date(2026, 3, 2),
            what_happened="Used it four times",
            client_response="Easier",
            decision="keep",
            reason="Working",
        )
        review_intervention(
            v2,
            by=self.alice,
            reviewed_on=date(2026, 4, 6),
            what_happened="Catching thoughts well now",
            client_response="Wants to test beliefs",
            decision="adapt",
            reason="Ready for experiments",
            new_technique="graded_exposure",
            new_rationale="Behavioural experiments on the feared predictions",
        )
        self.login(self.alice)
        response = self.client.get(
            reverse("plans:episode_plan", kwargs={"episode_id": self.episode.pk})
        )
        body = response.content.decode()
        self.assertContains(response, "Graded exposure")
        self.assertContains(response, "(version 3)")
        positions = [
            body.index("v1: CBT thought records"),
            body.index("Forms felt like homework at school"),
            body.index("v2: Thought records on the phone"),
            body.index("Adapted from v1 after the review of 2 Feb 2026"),
            body.index("Used it four times"),
            body.index("Catching thoughts well now"),
            body.index("v3: Graded exposure"),
            body.index("Adapted from v2 after the review of 6 Apr 2026"),
        ]
        self.assertEqual(positions, sorted(positions))
        # One chain: the earlier versions are not listed as interventions of their own.
        self.assertEqual(body.count('<article class="card"'), 1)
        # Version 1 of the plan still shows the chain as it was then.
        old = self.client.get(reverse("plans:plan_detail", kwargs={"plan_id": plan1.pk}))
        self.assertContains(old, "v2: Thought records on the phone")
        self.assertNotContains(old, "v3: Graded exposure")


class DueForReviewTests(PlanTestCase):
    def setUp(self) -> None:
        self.plan = make_plan(self.episode)
        self.today = date(2026, 6, 1)

    def test_an_unreviewed_intervention_is_due_28_days_after_it_started(self) -> None:
        due = make_intervention(self.plan, start_date=self.today - timedelta(days=28))
        make_intervention(self.plan, "mindfulness", start_date=self.today - timedelta(days=27))
        with self.assertNumQueries(3):
            # the current plan; interventions and reviews of the episode
            result = interventions_due_for_review(self.episode, today=self.today)
        self.assertEqual([d.intervention for d in result], [due])
        self.assertEqual((result[0].days, result[0].last_reviewed), (28, None))
        self.assertEqual(result[0].intervention.plan, self.plan)

    def test_a_review_resets_the_clock(self) -> None:
        reviewed = make_intervention(self.plan, start_date=date(2026, 1, 5))
        make_review(reviewed, reviewed_on=self.today - timedelta(days=3))
        stale = make_intervention(self.plan, "grounding", start_date=date(2026, 1, 5))
        make_review(stale, reviewed_on=self.today - timedelta(days=40))
        result = interventions_due_for_review(self.episode, today=self.today)
        self.assertEqual([d.intervention for d in result], [stale])
        self.assertEqual(result[0].last_reviewed, self.today - timedelta(days=40))

    def test_stopped_and_draft_interventions_are_not_due(self) -> None:
        make_intervention(self.plan, status="stopped", start_date=date(2026, 1, 5))
        self.plan.status = PlanStatus.SUPERSEDED
        self.plan.save()
        draft = make_plan(self.episode, version=2, status=PlanStatus.DRAFT)
        make_intervention(draft, start_date=date(2026, 1, 5))
        self.assertEqual(interventions_due_for_review(self.episode, today=self.today), [])

    @override_settings(PLAN_REVIEW_DAYS=7)
    def test_the_interval_is_a_setting(self) -> None:
        make_intervention(self.plan, start_date=self.today - timedelta(days=7))
        self.assertEqual(len(interventions_due_for_review(self.episode, today=self.today)), 1)

    def test_the_plan_page_flags_what_is_due(self) -> None:
        make_intervention(self.plan, start_date=date(2026, 1, 5))
        self.login(self.alice)
        response = self.client.get(
            reverse("plans:episode_plan", kwargs={"episode_id": self.episode.pk})
        )
        self.assertContains(response, "1 intervention due for review.")
        self.assertContains(response, "Due for review: nothing recorded since 5 Jan 2026.")

    def test_the_query_count_does_not_grow_with_reviews(self) -> None:
        intervention = make_intervention(self.plan, start_date=date(2026, 1, 5))
        for n in range(20):
            make_review(intervention, reviewed_on=date(2026, 1, 6) + timedelta(days=n))
        TreatmentPlan.objects.filter(pk=self.plan.pk).update(status=PlanStatus.SUPERSEDED)
        plan2 = make_plan(self.episode, version=2)
        make_intervention(plan2, previous=intervention, start_date=date(2026, 1, 5))
        with self.assertNumQueries(3):
            result = interventions_due_for_review(self.episode, today=self.today)
        # The copy in version 2 carries the reviews of its original.
        self.assertEqual(result[0].last_reviewed, date(2026, 1, 25))
