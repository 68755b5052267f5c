"""Treatment plans: the episode's plan page, drafts, versions and publishing."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from continuum.audit.models import AuditEvent
from continuum.plans.models import Goal, Intervention, PlanStatus, TreatmentPlan
from continuum.plans.queries import active_goal_statements, goal_rows
from continuum.plans.tests.world import (
    PlanTestCase,
    make_goal,
    make_intervention,
    make_plan,
    make_review,
    make_score,
)
from continuum.testing.base import TestResponse


class EpisodePlanPageTests(PlanTestCase):
    def url(self) -> str:
        return reverse("plans:episode_plan", kwargs={"episode_id": self.episode.pk})

    def test_it_requires_login(self) -> None:
        self.assert_login_required(self.url())

    def test_it_rejects_other_therapist(self) -> None:
        make_plan(self.episode)
        self.assert_outsiders_get_404(self.url())

    def test_it_refuses_post(self) -> None:
        self.login(self.alice)
        self.assertEqual(self.client.post(self.url()).status_code, 405)

    def test_it_offers_to_start_a_plan(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.url())
        self.assertContains(response, "This episode has no treatment plan yet")
        self.assertContains(
            response, reverse("plans:plan_create", kwargs={"episode_id": self.episode.pk})
        )
        self.assertEqual(self.audit_actions(), ["plan.view"])

    def test_it_shows_the_current_plan_with_goals_interventions_and_versions(self) -> None:
        old = make_plan(self.episode, status=PlanStatus.SUPERSEDED, focus="Old focus")
        plan = make_plan(self.episode, version=2, focus="Sleep and worry", previous=old)
        goal = make_goal(plan, "Sleep through most nights")
        make_intervention(plan, "sleep_cbti", rationale="Worry keeps me up", goals=[goal])
        self.login(self.alice)
        response = self.client.get(self.url())
        self.assertContains(response, "Version 2, current")
        self.assertContains(response, "Sleep and worry")
        self.assertNotContains(response, "Old focus")
        self.assertContains(response, "Sleep through most nights")
        self.assertContains(response, "PHQ-9 below 10")
        self.assertContains(response, "Sleep hygiene / CBT-I techniques")
        self.assertContains(response, "Worry keeps me up")
        self.assertContains(response, "Not yet acknowledged by the client")
        # The version history links both versions.
        for p in (old, plan):
            self.assertContains(response, reverse("plans:plan_detail", kwargs={"plan_id": p.pk}))
        event = AuditEvent.objects.get()
        self.assertEqual((event.action, event.object_id), ("plan.view", str(plan.pk)))
        self.assertEqual(event.detail["client_id"], self.dana.pk)

    def test_it_shows_when_the_client_acknowledged(self) -> None:
        moment = datetime(2026, 3, 4, 10, 30, tzinfo=timezone.get_current_timezone())
        make_plan(self.episode, client_acknowledged_at=moment)
        self.login(self.alice)
        response = self.client.get(self.url())
        self.assertContains(response, "Acknowledged by the client on 4 Mar 2026")

    def test_it_shows_goal_progress_from_the_latest_score(self) -> None:
        plan = make_plan(self.episode)
        make_goal(plan, "Lift my mood", instrument="phq9", comparison="below", target_value=10)
        make_goal(plan, "Feel well", instrument="who5", comparison="at_or_above", target_value=52)
        start = timezone.now() - timedelta(days=30)
        make_score(self.episode, "phq9", 18, start)
        make_score(self.episode, "phq9", 8, start + timedelta(days=14))
        make_score(self.episode, "who5", 10, start + timedelta(days=14))  # shown as 40%
        self.login(self.alice)
        response = self.client.get(self.url())
        body = response.content.decode()
        self.assertIn("WHO-5 at or above 52%", body)
        self.assertContains(response, "Target met", count=1)  # PHQ-9 8 < 10
        self.assertContains(response, "40%")
        self.assertContains(response, "Not yet")

    def test_goal_ratings_attach_to_goals_by_their_words(self) -> None:
        plan = make_plan(self.episode)
        rating = {"target_kind": "rating", "instrument": "", "comparison": "at_or_above"}
        make_goal(plan, "Enjoy weekends again", target_value=7, **rating)
        make_goal(plan, "Sleep through", target_value=7, **rating)
        make_goal(plan, "Never rated", target_value=7, **rating)
        when = timezone.now() - timedelta(days=3)
        make_score(
            self.episode,
            "goal_rating",
            3,
            when - timedelta(days=7),
            goal_labels=["Enjoy weekends again"],
            answers={"1": 3},
        )
        make_score(
            self.episode,
            "goal_rating",
            6.5,
            when,
            goal_labels=["enjoy  weekends again", "Sleep through"],
            answers={"1": 8, "2": 5},
        )
        rows = {r.goal.statement: r.progress for r in goal_rows(plan)}
        enjoy, sleep = rows["Enjoy weekends again"], rows["Sleep through"]
        assert enjoy is not None
        assert sleep is not None
        self.assertEqual((enjoy.shown, enjoy.met), ("8", True))
        self.assertEqual((sleep.shown, sleep.met), ("5", False))
        self.assertIsNone(rows["Never rated"])
        self.assertEqual(active_goal_statements(self.episode), list(rows))

    def test_its_query_count_does_not_grow_with_history(self) -> None:
        self.login(self.alice)
        self._history(versions=1, reviews=1, scores=1)
        small = self._count()
        self._history(versions=6, reviews=8, scores=12)
        self.assertEqual(self._count(), small)
        with self.assertNumQueries(11):
            # 1-3 session, user, membership; 4 the episode (access check); 5 the plan
            # versions; 6 the current plan's goals; 7 the latest score per instrument (one
            # window query); 8 goal links; 9 interventions and 10 reviews of every version
            # of the episode (the evolution chains); 11 the audit row
            self.client.get(self.url())

    def _count(self) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            response = self.client.get(self.url())
        self.assertEqual(response.status_code, 200)
        return len(ctx.captured_queries)

    def _history(self, *, versions: int, reviews: int, scores: int) -> None:
        TreatmentPlan.objects.filter(episode=self.episode).delete()
        previous = None
        for n in range(1, versions + 1):
            status = PlanStatus.CURRENT if n == versions else PlanStatus.SUPERSEDED
            plan = make_plan(self.episode, version=n, status=status, previous=previous)
            goal = make_goal(plan, f"Goal {n}")
            make_goal(plan, f"Rating {n}", target_kind="rating", instrument="", target_value=7)
            first = make_intervention(plan, goals=[goal])
            for r in range(reviews):
                make_review(first, reviewed_on=first.start_date + timedelta(days=r))
            previous = plan
        for s in range(scores):
            make_score(self.episode, "phq9", 10 + s % 5, timezone.now() - timedelta(days=s + 1))


class PlanCreateTests(PlanTestCase):
    def url(self) -> str:
        return reverse("plans:plan_create", kwargs={"episode_id": self.episode.pk})

    def post(self, **data: object) -> TestResponse:
        payload = {"focus": "Low mood, withdrawal", "review_date": "2027-02-01"}
        payload.update({k: str(v) for k, v in data.items()})
        return self.client.post(self.url(), payload)

    def test_it_requires_login(self) -> None:
        self.assert_login_required(self.url())

    def test_it_rejects_other_therapist(self) -> None:
        self.assert_outsiders_get_404(self.url())
        self.assertFalse(TreatmentPlan.objects.exists())

    def test_it_starts_the_first_version_as_a_draft(self) -> None:
        self.login(self.alice)
        response = self.post()
        plan = TreatmentPlan.objects.get()
        self.assert_redirect(response, reverse("plans:plan_detail", kwargs={"plan_id": plan.pk}))
        self.assertEqual((plan.version, plan.status), (1, PlanStatus.DRAFT))
        self.assertEqual(plan.focus, "Low mood, withdrawal")
        self.assertEqual(plan.review_date, date(2027, 2, 1))
        self.assertEqual((plan.client, plan.created_by), (self.dana, self.alice))
        event = AuditEvent.objects.get()
        self.assertEqual(event.action, "plan.create_draft")
        self.assertEqual(
            event.detail,
            {
                "client_id": self.dana.pk,
                "episode_id": self.episode.pk,
                "version": 1,
                "previous_id": None,
            },
        )

    def test_a_new_version_copies_the_current_plan_into_new_rows(self) -> None:
        current = make_plan(self.episode)
        goal = make_goal(current, "Get back to work")
        first = make_intervention(current, goals=[goal])
        make_review(first, decision="adapt", result=None)  # its decision is irrelevant here
        adapted = make_intervention(current, "graded_exposure", adapted_from=first, goals=[goal])
        first.status = "adapted"
        first.save()
        self.login(self.alice)
        self.post(focus="Work and worry")
        draft = TreatmentPlan.objects.get(status=PlanStatus.DRAFT)
        self.assertEqual((draft.version, draft.previous), (2, current))
        new_goal = Goal.objects.get(plan=draft)
        self.assertEqual((new_goal.statement, new_goal.previous), ("Get back to work", goal))
        copies = list(Intervention.objects.filter(plan=draft).order_by("pk"))
        self.assertEqual([c.previous for c in copies], [first, adapted])
        self.assertEqual([c.status for c in copies], ["adapted", "active"])
        # The copy of the adapted version evolved from the copy of the first, within the draft.
        self.assertEqual(copies[1].adapted_from, copies[0])
        self.assertEqual(list(copies[1].goals.all()), [new_goal])
        # The current version is untouched.
        current.refresh_from_db()
        self.assertEqual((current.status, current.focus), (PlanStatus.CURRENT, current.focus))
        self.assertEqual(list(current.goals.all()), [goal])

    def test_it_prefills_the_focus_of_the_current_plan(self) -> None:
        make_plan(self.episode, focus="Panic on the underground")
        self.login(self.alice)
        response = self.client.get(self.url())
        self.assertContains(response, "Panic on the underground")
        self.assertContains(response, "Start version 2")

    def test_it_sends_you_to_the_existing_draft(self) -> None:
        draft = make_plan(self.episode, status=PlanStatus.DRAFT)
        self.login(self.alice)
        response = self.post()
        self.assert_redirect(response, reverse("plans:plan_detail", kwargs={"plan_id": draft.pk}))
        self.assertEqual(TreatmentPlan.objects.count(), 1)
        self.assertFalse(AuditEvent.objects.exists())

    def test_it_rejects_a_past_review_date_and_an_empty_focus(self) -> None:
        self.login(self.alice)
        yesterday = timezone.localdate() - timedelta(days=1)
        response = self.post(focus="", review_date=yesterday.isoformat())
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "The review date cannot be in the past.", status_code=400)
        self.assertContains(response, "This field is required.", status_code=400)
        self.assertFalse(TreatmentPlan.objects.exists())
        self.assertFalse(AuditEvent.objects.exists())

    def test_it_rejects_a_plan_for_an_ended_episode(self) -> None:
        self.episode.status = "closed"
        self.episode.save()
        self.login(self.alice)
        response = self.post()
        self.assertContains(response, "plans are started for open episodes only", status_code=400)
        self.assertFalse(TreatmentPlan.objects.exists())


class PlanDetailTests(PlanTestCase):
    def test_it_requires_login_and_rejects_other_therapists(self) -> None:
        plan = make_plan(self.episode)
        url = reverse("plans:plan_detail", kwargs={"plan_id": plan.pk})
        self.assert_login_required(url)
        self.assert_outsiders_get_404(url)

    def test_an_unknown_plan_is_404(self) -> None:
        self.login(self.alice)
        response = self.client.get(reverse("plans:plan_detail", kwargs={"plan_id": 999999}))
        self.assertEqual(response.status_code, 404)

    def test_a_draft_offers_editing_and_publishing(self) -> None:
        draft = make_plan(self.episode, status=PlanStatus.DRAFT)
        goal = make_goal(draft, "Say no at work")
        self.login(self.alice)
        response = self.client.get(reverse("plans:plan_detail", kwargs={"plan_id": draft.pk}))
        self.assertContains(response, "This is a draft: the client does not see it.")
        self.assertContains(response, reverse("plans:plan_publish", kwargs={"plan_id": draft.pk}))
        self.assertContains(response, reverse("plans:goal_edit", kwargs={"goal_id": goal.pk}))
        self.assertContains(
            response, reverse("plans:intervention_create", kwargs={"plan_id": draft.pk})
        )
        self.assertEqual(self.audit_actions(), ["plan.view"])

    def test_a_superseded_version_is_shown_as_it_was(self) -> None:
        old = make_plan(self.episode, status=PlanStatus.SUPERSEDED, focus="First focus")
        make_goal(old, "The first goal")
        make_plan(self.episode, version=2, focus="Second focus")
        self.login(self.alice)
        response = self.client.get(reverse("plans:plan_detail", kwargs={"plan_id": old.pk}))
        self.assertContains(response, "This version was replaced")
        self.assertContains(response, "First focus")
        self.assertContains(response, "The first goal")
        self.assertNotContains(response, "Second focus")
        self.assertNotContains(response, "Publish this version")


class PlanEditTests(PlanTestCase):
    def test_it_requires_login_and_rejects_other_therapists(self) -> None:
        draft = make_plan(self.episode, status=PlanStatus.DRAFT)
        url = reverse("plans:plan_edit", kwargs={"plan_id": draft.pk})
        self.assert_login_required(url)
        self.assert_outsiders_get_404(url)

    def test_it_changes_a_draft(self) -> None:
        draft = make_plan(self.episode, status=PlanStatus.DRAFT)
        self.login(self.alice)
        response = self.client.post(
            reverse("plans:plan_edit", kwargs={"plan_id": draft.pk}),
            {"focus": "New focus", "review_date": "2027-03-01"},
        )
        self.assert_redirect(response, reverse("plans:plan_detail", kwargs={"plan_id": draft.pk}))
        draft.refresh_from_db()
        self.assertEqual((draft.focus, draft.review_date), ("New focus", date(2027, 3, 1)))
        event = AuditEvent.objects.get()
        self.assertEqual(event.action, "plan.update")
        self.assertEqual(event.detail["fields"], ["focus", "review_date"])

    def test_a_published_plan_cannot_be_edited(self) -> None:
        plan = make_plan(self.episode, focus="As published")
        self.login(self.alice)
        response = self.client.post(
            reverse("plans:plan_edit", kwargs={"plan_id": plan.pk}),
            {"focus": "Sneaky change", "review_date": "2027-03-01"},
        )
        self.assertContains(response, "Only a draft plan can be changed.", status_code=400)
        plan.refresh_from_db()
        self.assertEqual(plan.focus, "As published")
        self.assertFalse(AuditEvent.objects.exists())


class PublishTests(PlanTestCase):
    def url(self, plan: TreatmentPlan) -> str:
        return reverse("plans:plan_publish", kwargs={"plan_id": plan.pk})

    def test_it_requires_login_and_rejects_other_therapists(self) -> None:
        draft = make_plan(self.episode, status=PlanStatus.DRAFT)
        make_goal(draft)
        self.assert_login_required(self.url(draft))
        self.assert_outsiders_get_404(self.url(draft))
        draft.refresh_from_db()
        self.assertEqual(draft.status, PlanStatus.DRAFT)

    def test_publishing_supersedes_the_current_version(self) -> None:
        current = make_plan(self.episode, status=PlanStatus.CURRENT)
        draft = make_plan(self.episode, status=PlanStatus.DRAFT, version=2, previous=current)
        make_goal(draft)
        self.login(self.alice)
        response = self.client.post(self.url(draft))
        self.assert_redirect(
            response, reverse("plans:episode_plan", kwargs={"episode_id": self.episode.pk})
        )
        current.refresh_from_db()
        draft.refresh_from_db()
        self.assertEqual(current.status, PlanStatus.SUPERSEDED)
        self.assertIsNotNone(current.superseded_at)
        self.assertEqual(draft.status, PlanStatus.CURRENT)
        self.assertIsNotNone(draft.published_at)
        event = AuditEvent.objects.get()
        self.assertEqual(event.action, "plan.publish")
        self.assertEqual(event.object_id, str(draft.pk))
        self.assertEqual(event.detail["superseded_id"], current.pk)
        self.assertEqual(event.detail["version"], 2)

    def test_a_plan_without_an_active_goal_is_not_published(self) -> None:
        draft = make_plan(self.episode, status=PlanStatus.DRAFT)
        make_goal(draft, status="dropped")
        self.login(self.alice)
        response = self.client.post(self.url(draft))
        self.assertContains(response, "Add at least one active goal", status_code=400)
        draft.refresh_from_db()
        self.assertEqual(draft.status, PlanStatus.DRAFT)
        self.assertFalse(AuditEvent.objects.exists())

    def test_the_current_plan_cannot_be_published_again(self) -> None:
        plan = make_plan(self.episode)
        make_goal(plan)
        self.login(self.alice)
        response = self.client.post(self.url(plan))
        self.assertContains(
            response, "A plan that is current cannot become current.", status_code=400
        )

    def test_it_only_accepts_post(self) -> None:
        draft = make_plan(self.episode, status=PlanStatus.DRAFT)
        self.login(self.alice)
        self.assertEqual(self.client.get(self.url(draft)).status_code, 405)

    def test_editing_the_new_draft_leaves_the_old_version_intact(self) -> None:
        current = make_plan(self.episode, focus="Version one focus")
        goal = make_goal(
            current,
            "Walk every day",
            target_kind="rating",
            instrument="",
            comparison="at_or_above",
            target_value=7,
        )
        self.login(self.alice)
        self.client.post(
            reverse("plans:plan_create", kwargs={"episode_id": self.episode.pk}),
            {"focus": "Version two focus", "review_date": "2027-01-10"},
        )
        draft = TreatmentPlan.objects.get(status=PlanStatus.DRAFT)
        copy = Goal.objects.get(plan=draft)
        response = self.client.post(
            reverse("plans:goal_edit", kwargs={"goal_id": copy.pk}),
            {
                "statement": "Walk most days",
                "target_kind": "rating",
                "target_rating": "8",
                "target_date": "2026-12-31",
                "status": "active",
            },
        )
        self.assertEqual(response.status_code, 302)
        self.client.post(self.url(draft))
        goal.refresh_from_db()
        current.refresh_from_db()
        self.assertEqual((goal.statement, goal.target_value), ("Walk every day", 7))
        self.assertEqual((current.status, current.focus), ("superseded", "Version one focus"))
        old_page = self.client.get(reverse("plans:plan_detail", kwargs={"plan_id": current.pk}))
        self.assertContains(old_page, "Walk every day")
        self.assertContains(old_page, "a goal rating of 7 or more")
        self.assertNotContains(old_page, "Walk most days")
        new_page = self.client.get(
            reverse("plans:episode_plan", kwargs={"episode_id": self.episode.pk})
        )
        self.assertContains(new_page, "Walk most days")
        self.assertContains(new_page, "a goal rating of 8 or more")
