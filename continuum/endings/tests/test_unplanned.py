"""Unplanned endings: the prompt on the therapist's day, the reach-out letter, ending."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.apps import apps
from django.db import connection
from django.test import override_settings
from pypdf import PdfReader

from continuum.accounts.actors import actor_for
from continuum.accounts.models import User
from continuum.audit.models import AuditEvent
from continuum.care.episodes import EpisodeStatus
from continuum.care.models import AppointmentStatus, Client, Episode
from continuum.care.services.episodes import transition_episode
from continuum.endings import services
from continuum.endings.models import UnplannedEnding
from continuum.endings.queries import unplanned_day_items
from continuum.endings.tests.world import EndingsTestCase
from continuum.portal.tests.world import make_checkin
from continuum.testing.base import (
    make_appointment,
    make_client,
    make_episode,
    make_portal_user,
    presented,
)

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 18, 9, 0, tzinfo=LONDON)


@time_machine.travel(NOW, tick=False)
class UnplannedPromptTests(EndingsTestCase):
    quinn: Client
    quinn_episode: Episode

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        # Quinn: in an active episode since the summer, last seen 50 days ago.
        cls.quinn = make_client(cls.alice, "Quinn", "Quiet")
        cls.quinn_episode = make_episode(cls.quinn, start_date=date(2026, 6, 1))
        make_appointment(
            cls.quinn,
            NOW - timedelta(days=50),
            episode=cls.quinn_episode,
            status=AppointmentStatus.ATTENDED,
        )

    def names(self, user: User | None = None) -> list[str]:
        entries = unplanned_day_items(user or self.alice, NOW)
        first_names = dict(Client.objects.values_list("pk", "first_name"))
        return [first_names[e.client_id] for e in entries if e.client_id is not None]

    def test_a_quiet_client_is_prompted_on_the_day(self) -> None:
        self.login(self.alice)
        response = self.client.get("/day/")
        self.assertContains(
            response,
            "No attended session for 50 days and no portal activity: the client may have "
            "stopped coming.",
        )
        self.assertContains(response, self.url("unplanned", episode_id=self.quinn_episode.pk))
        self.assertEqual(self.names(), ["Quinn"])  # Dana attended a week ago

    def test_not_before_the_configured_number_of_days(self) -> None:
        with override_settings(UNPLANNED_ENDING_DAYS=60):
            self.assertEqual(self.names(), [])
        with override_settings(UNPLANNED_ENDING_DAYS=42):
            self.assertEqual(self.names(), ["Quinn"])

    def test_the_clock_moving_on_brings_the_prompt(self) -> None:
        recent = make_client(self.alice, "Rae", "Recent")
        episode = make_episode(recent, start_date=date(2026, 6, 1))
        make_appointment(
            recent, NOW - timedelta(days=30), episode=episode, status=AppointmentStatus.ATTENDED
        )
        self.assertNotIn("Rae", self.names())
        with time_machine.travel(NOW + timedelta(days=13), tick=False):
            later = [e.client_id for e in unplanned_day_items(self.alice, NOW + timedelta(days=13))]
        self.assertIn(recent.pk, later)

    def test_a_recent_check_in_counts_as_contact(self) -> None:
        make_checkin(self.quinn, when=NOW - timedelta(days=3))
        self.assertEqual(self.names(), [])

    def test_a_recent_message_from_the_client_counts_as_contact(self) -> None:
        if not apps.is_installed("continuum.boundaries"):
            self.skipTest("the boundaries app is not installed")
        message = apps.get_model("boundaries", "Message")
        login = make_portal_user(self.quinn)
        message.objects.create(
            client=self.quinn,
            sender=login,
            direction="to_therapist",
            body="Sorry I missed the last ones",
            created_at=NOW - timedelta(days=2),
            idempotency_key="quinn-1",
        )
        self.assertEqual(self.names(), [])

    def test_a_message_from_the_therapist_does_not(self) -> None:
        if not apps.is_installed("continuum.boundaries"):
            self.skipTest("the boundaries app is not installed")
        message = apps.get_model("boundaries", "Message")
        make_portal_user(self.quinn)
        message.objects.create(
            client=self.quinn,
            sender=self.alice,
            direction="to_client",
            body="How are you?",
            created_at=NOW - timedelta(days=2),
            idempotency_key="alice-1",
        )
        self.assertEqual(self.names(), ["Quinn"])

    def test_a_new_episode_is_not_prompted_and_other_caseloads_are_not_shown(self) -> None:
        new = make_client(self.alice, "Nia", "New")
        make_episode(new, start_date=date(2026, 11, 1))
        make_episode(make_client(self.charlie, "Otto", "Other"), start_date=date(2026, 1, 5))
        self.assertEqual(self.names(), ["Quinn"])
        self.assertEqual(self.names(self.charlie), ["Eli", "Otto"])

    def test_an_ended_episode_is_not_prompted(self) -> None:
        transition_episode(self.quinn_episode, EpisodeStatus.ENDED, self.alice)
        self.assertEqual(self.names(), [])

    def test_one_query_whatever_the_caseload(self) -> None:
        for n in range(15):
            client = make_client(self.alice, f"C{n}", "Quiet")
            make_episode(client, start_date=date(2026, 6, 1))
        with self.assertNumQueries(1):
            entries = unplanned_day_items(self.alice, NOW)
        self.assertEqual(len(presented(entries)), 16)


@time_machine.travel(NOW, tick=False)
class UnplannedPageTests(EndingsTestCase):
    def page(self) -> str:
        return self.url("unplanned", episode_id=self.episode.pk)

    def test_it_requires_login(self) -> None:
        self.assert_login_required(self.page())
        self.assert_login_required(self.url("unplanned_letter", episode_id=self.episode.pk))

    def test_it_rejects_other_therapists(self) -> None:
        self.assert_outsiders_get_404(self.page())
        self.assert_outsiders_get_404(self.url("unplanned_letter", episode_id=self.episode.pk))

    def test_the_letter_is_prefilled_and_editable(self) -> None:
        services.add_referral(
            self.episode,
            name="Samaritans",
            service="Listening line",
            contact="116 123",
            reason="",
            actor=actor_for(self.alice),
        )
        self.login(self.alice)
        response = self.client.get(self.page())
        self.assertContains(response, "Dear Dee,")
        self.assertContains(response, "You can reach me through Riverside Therapy.")
        self.assertContains(response, "- Samaritans, Listening line, 116 123")
        self.assertContains(response, "Alice Adams\nRiverside Therapy")
        self.assertContains(response, "End as unplanned")
        self.assertEqual(AuditEvent.objects.filter(action="ending.unplanned_view").count(), 1)

    def test_saving_keeps_the_episode_open_and_encrypts_the_text(self) -> None:
        self.login(self.alice)
        response = self.client.post(
            self.page(),
            {
                "action": "save",
                "letter": "Dear Dee, thinking of you",
                "closing_note": "Dee stopped after the move",
            },
            follow=True,
        )
        self.assertContains(response, "The letter and the closing note are saved.")
        self.assertContains(response, "Dear Dee, thinking of you")
        saved = UnplannedEnding.objects.get()
        self.assertIsNone(saved.ended_at)
        self.episode.refresh_from_db()
        self.assertEqual(self.episode.status, EpisodeStatus.ACTIVE)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT letter, closing_note FROM endings_unplannedending WHERE id = %s",
                [saved.pk],
            )
            letter, note = cursor.fetchone()
        self.assertNotIn("thinking of you", letter)
        self.assertNotIn("stopped after the move", note)

    def test_ending_needs_a_closing_note(self) -> None:
        self.login(self.alice)
        response = self.client.post(self.page(), {"action": "end", "letter": "Dear Dee"})
        self.assertContains(
            response, "Write a closing note before ending the episode.", status_code=400
        )
        self.episode.refresh_from_db()
        self.assertEqual(self.episode.status, EpisodeStatus.ACTIVE)
        self.assertFalse(UnplannedEnding.objects.exists())

    def test_ending_asks_to_confirm_first_and_changes_nothing_until_then(self) -> None:
        self.login(self.alice)
        response = self.client.post(
            self.page(),
            {"action": "end", "letter": "Dear Dee,\nWe last met", "closing_note": "No contact"},
        )
        self.assertContains(response, "End this episode as unplanned?")
        self.assertContains(response, "ends on 18 November 2026, recorded as unplanned")
        self.assertContains(response, "cannot be made active again")
        # The form re-posts what was written, with confirmed=yes (no JavaScript needed).
        self.assertContains(response, 'name="confirmed" value="yes"')
        self.assertContains(response, 'name="closing_note" value="No contact"')
        self.assertContains(response, f'action="{self.page()}"')
        self.episode.refresh_from_db()
        self.assertEqual(self.episode.status, EpisodeStatus.ACTIVE)
        self.assertFalse(UnplannedEnding.objects.exists())
        self.assertFalse(AuditEvent.objects.filter(action="ending.unplanned.end").exists())

    def test_ending_as_unplanned_goes_through_the_one_transition(self) -> None:
        self.login(self.alice)
        response = self.client.post(
            self.page(),
            {
                "action": "end",
                "letter": "Dear Dee",
                "closing_note": "No contact since October",
                "confirmed": "yes",
            },
            follow=True,
        )
        self.assertContains(response, "The episode has ended as unplanned.")
        self.episode.refresh_from_db()
        self.assertEqual(self.episode.status, EpisodeStatus.ENDED)
        self.assertTrue(self.episode.ended_unplanned)
        self.assertEqual(self.episode.end_date, date(2026, 11, 18))
        saved = UnplannedEnding.objects.get()
        self.assertEqual(
            (saved.ended_by, saved.closing_note), (self.alice, "No contact since October")
        )
        transition = AuditEvent.objects.get(action="episode.transition")
        self.assertEqual(
            transition.detail,
            {"from": "active", "to": "ended", "unplanned": True, "client_id": self.dana.pk},
        )
        self.assertTrue(AuditEvent.objects.filter(action="ending.unplanned.end").exists())
        # Done: the page now says so, and a second end is refused.
        again = self.client.post(self.page(), {"action": "end", "letter": "x", "closing_note": "y"})
        self.assertContains(again, "This episode is already ended.", status_code=400)

    def test_an_ending_episode_can_still_end_unplanned(self) -> None:
        self.episode.status = EpisodeStatus.ENDING
        self.episode.save(update_fields=["status"])
        services.end_unplanned(
            self.episode,
            letter="",
            closing_note="Stopped before the last sessions",
            actor=actor_for(self.alice),
        )
        self.episode.refresh_from_db()
        self.assertEqual(self.episode.status, EpisodeStatus.ENDED)
        self.assertTrue(self.episode.ended_unplanned)

    def test_an_end_date_before_the_start_is_explained(self) -> None:
        self.login(self.alice)
        response = self.client.post(
            self.page(),
            {"action": "end", "letter": "x", "closing_note": "y", "end_date": "2020-01-01"},
        )
        self.assertContains(response, "cannot be before the start date", status_code=400)
        self.episode.refresh_from_db()
        self.assertEqual(self.episode.status, EpisodeStatus.ACTIVE)

    def test_an_unknown_action_is_a_400(self) -> None:
        self.login(self.alice)
        response = self.client.post(self.page(), {"action": "delete", "letter": "x"})
        self.assertEqual(response.status_code, 400)
        self.assertFalse(UnplannedEnding.objects.exists())

    def test_the_letter_as_a_pdf(self) -> None:
        self.login(self.alice)
        self.client.post(
            self.page(), {"action": "save", "letter": "Dear Dee,\nWe miss you.", "closing_note": ""}
        )
        response = self.client.get(self.url("unplanned_letter", episode_id=self.episode.pk))
        self.assertEqual(response["Content-Type"], "application/pdf")
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
        self.assertIn("Dear Dee,", text)
        self.assertIn("We miss you.", text)
        self.assertIn("Riverside Therapy", text)
        self.assertEqual(AuditEvent.objects.filter(action="ending.letter_export").count(), 1)
