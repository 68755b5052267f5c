"""Re-opening care: a new episode linked to the old one (its follow-up ends, it closes), and
the new episode's brief shows the old one's outcome, goals and relapse-prevention plan."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine
from django.apps import apps

from continuum.accounts.actors import actor_for
from continuum.audit.models import AuditEvent
from continuum.care.models import Episode
from continuum.followup.models import FollowUpCheckIn, FollowUpConsent
from continuum.followup.queries import previous_episode_section
from continuum.followup.services import FollowUpError, followup_phase, reopen_care
from continuum.followup.tests.world import AFTER_END, FollowUpTestCase
from continuum.plans.tests.world import make_goal, make_plan
from continuum.testing.base import make_appointment

LATER = datetime(2026, 10, 12, 9, 0, tzinfo=UTC)


class ReopenTests(FollowUpTestCase):
    def url(self) -> str:
        return f"/clients/{self.dana.pk}/reopen/"

    def test_it_requires_login_and_rejects_others(self) -> None:
        self.assertRedirects(
            self.client.get(self.url()),
            f"/accounts/login/?next={self.url()}",
            fetch_redirect_response=False,
        )
        for person in (self.bob, self.olivia, self.charlie, self.dana_user):
            self.login(person)
            self.assertEqual(self.client.get(self.url()).status_code, 404)
            self.assertEqual(
                self.client.post(
                    self.url(), {"referral_reason": "x", "start_date": "2026-10-12"}
                ).status_code,
                404,
            )
        self.assertEqual(Episode.objects.filter(client=self.dana).count(), 1)

    def test_reopening_during_follow_up_closes_it_and_links_the_episodes(self) -> None:
        with time_machine.travel(AFTER_END, tick=False):
            consent = self.agree()
        with time_machine.travel(LATER, tick=False):
            self.login(self.alice)
            page = self.client.get(f"/clients/{self.dana.pk}/follow-up/")
            self.assertContains(page, "Start a new episode")
            response = self.client.post(
                self.url(),
                {"referral_reason": "Low mood returned after a loss", "start_date": "2026-10-12"},
                follow=True,
            )
        self.assertContains(response, "linked to the last one")
        new = Episode.objects.get(client=self.dana, status="referral")
        self.assertEqual(new.previous, self.episode)
        self.episode.refresh_from_db()
        self.assertEqual(self.episode.status, "closed")
        consent.refresh_from_db()
        self.assertEqual(consent.status, "superseded")
        self.assertFalse(FollowUpCheckIn.objects.filter(status="scheduled").exists())
        self.assertEqual(followup_phase(self.dana), "none")
        event = AuditEvent.objects.get(action="followup.reopen")
        self.assertEqual(event.detail["previous_episode_id"], self.episode.pk)
        transitions = AuditEvent.objects.filter(action="episode.transition").order_by("pk")
        self.assertEqual(
            [(e.detail["from"], e.detail["to"]) for e in transitions],
            [("ended", "follow_up"), ("follow_up", "closed")],
        )

    def test_reopening_after_an_ending_without_follow_up_closes_the_old_episode(self) -> None:
        new = reopen_care(
            self.dana,
            referral_reason="Back again",
            start_date=date(2026, 9, 1),
            actor=actor_for(self.alice),
        )
        self.episode.refresh_from_db()
        self.assertEqual((self.episode.status, new.previous), ("closed", self.episode))

    def test_it_refuses_a_client_in_therapy_and_a_start_before_the_end(self) -> None:
        with self.assertRaisesMessage(FollowUpError, "cannot start before the last one ended"):
            reopen_care(
                self.dana,
                referral_reason="x",
                start_date=date(2026, 6, 1),
                actor=actor_for(self.alice),
            )
        reopen_care(
            self.dana, referral_reason="x", start_date=date(2026, 9, 1), actor=actor_for(self.alice)
        )
        self.login(self.alice)
        response = self.client.post(
            self.url(), {"referral_reason": "Again", "start_date": "2026-09-02"}
        )
        self.assertContains(response, "has an open episode", status_code=400)
        self.assertEqual(Episode.objects.filter(client=self.dana).count(), 2)

    def test_bad_input_is_explained(self) -> None:
        self.login(self.alice)
        response = self.client.post(self.url(), {"referral_reason": "", "start_date": "soon"})
        self.assertContains(response, "This field is required", status_code=400)
        self.assertEqual(Episode.objects.filter(client=self.dana).count(), 1)


class BriefTests(FollowUpTestCase):
    def setUp(self) -> None:
        plan = make_plan(self.episode)
        make_goal(plan, "Get back to running twice a week")
        self.new = reopen_care(
            self.dana,
            referral_reason="Back",
            start_date=date(2026, 10, 12),
            actor=actor_for(self.alice),
        )
        self.appointment = make_appointment(self.dana, LATER, episode=self.new)

    def test_the_new_brief_shows_the_old_episode(self) -> None:
        if apps.is_installed("continuum.endings"):
            from continuum.endings.models import RelapsePreventionPlan

            RelapsePreventionPlan.objects.create(
                client=self.dana,
                episode=self.episode,
                version=1,
                warning_signs="Staying in bed past ten",
                what_helps="Morning walk with the dog",
                created_by=self.alice,
            )
        self.login(self.alice)
        response = self.client.get(f"/appointments/{self.appointment.pk}/brief/")
        self.assertContains(response, "The previous episode")
        self.assertContains(response, "from 5 Jan 2026 to 30 Jun 2026")
        self.assertContains(response, "Reliably recovered: recovered and reliably improved")
        self.assertContains(response, "Get back to running twice a week")
        if apps.is_installed("continuum.endings"):
            self.assertContains(response, "Staying in bed past ten")
            self.assertContains(response, "Morning walk with the dog")

    def test_the_section_is_absent_for_an_episode_that_continues_none(self) -> None:
        old = make_appointment(self.dana, AFTER_END, episode=self.episode)
        with self.assertNumQueries(0):
            self.assertIsNone(previous_episode_section(old))
        section = previous_episode_section(self.appointment)
        assert section is not None
        self.assertEqual(section.episode, self.episode)
        # Data (a category code); the brief's template words it.
        self.assertEqual(section.outcome.category, "reliable_recovery")
        self.assertEqual([g.statement for g in section.goals], ["Get back to running twice a week"])
        self.assertFalse(FollowUpConsent.objects.exists())
