"""Booster sessions: the client asks during follow-up; the therapist books it or declines with
a referral; the client sees the outcome."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from continuum.accounts.actors import actor_for
from continuum.audit.models import AuditEvent
from continuum.care.models import Appointment
from continuum.followup.models import BoosterRequest
from continuum.followup.services import FollowUpError, decline_booster, request_booster
from continuum.followup.tests.world import AFTER_END, ONE_MONTH, FollowUpTestCase
from continuum.testing.base import make_appointment


class BoosterTests(FollowUpTestCase):
    def setUp(self) -> None:
        with time_machine.travel(AFTER_END, tick=False):
            self.consent = self.agree()
        self.traveller = time_machine.travel(ONE_MONTH, tick=False)
        self.traveller.start()
        self.addCleanup(self.traveller.stop)

    def ask(self) -> BoosterRequest:
        self.login(self.dana_user)
        response = self.client.post(
            "/portal/follow-up/booster/", {"reason": "Old worries are back"}, follow=True
        )
        self.assertContains(response, "Your request was sent")
        return BoosterRequest.objects.get()

    def test_the_client_asks_for_a_booster_at_any_time_during_follow_up(self) -> None:
        self.login(self.dana_user)
        self.assertContains(self.client.get("/portal/follow-up/booster/"), "What would you like")
        booster = self.ask()
        self.assertEqual((booster.status, booster.episode), ("requested", self.episode))
        self.assertEqual(booster.reason, "Old worries are back")
        response = self.client.get("/portal/follow-up/")
        self.assertContains(response, "You asked for a booster session on 31 July")
        # Asking again while one is open finds the first.
        self.client.post("/portal/follow-up/booster/", {"reason": "Again"})
        self.assertEqual(BoosterRequest.objects.count(), 1)
        event = AuditEvent.objects.get(action="followup.booster_request")
        self.assertNotIn("worries", str(event.detail))

    def test_no_booster_request_outside_follow_up(self) -> None:
        self.login(self.eli_user)
        response = self.client.post("/portal/follow-up/booster/", {"reason": "Hello"})
        self.assertEqual(response.status_code, 403)
        self.assertFalse(BoosterRequest.objects.exists())

    def test_accepting_books_an_appointment_the_client_sees(self) -> None:
        booster = self.ask()
        self.login(self.alice)
        url = f"/boosters/{booster.pk}/"
        response = self.client.get(url)
        self.assertContains(response, "Old worries are back")
        self.assertContains(response, "Book the booster session")

        response = self.client.post(
            f"{url}accept/",
            {"date": "2026-08-05", "time": "14:00", "duration_minutes": "50", "modality": "video"},
            follow=True,
        )

        self.assertContains(response, "The booster session was booked")
        booster.refresh_from_db()
        appointment = Appointment.objects.get(status="scheduled")
        self.assertEqual((booster.status, booster.appointment), ("booked", appointment))
        self.assertEqual(booster.decided_by, self.alice)
        # 14:00 in London (summer time) is 13:00 UTC; the booster belongs to the episode.
        self.assertEqual(appointment.starts_at, datetime(2026, 8, 5, 13, 0, tzinfo=UTC))
        self.assertEqual((appointment.episode, appointment.modality), (self.episode, "video"))
        self.assertTrue(AuditEvent.objects.filter(action="followup.booster_accept").exists())
        self.assertTrue(AuditEvent.objects.filter(action="appointment.create").exists())
        self.login(self.dana_user)
        response = self.client.get("/portal/follow-up/")
        self.assertContains(response, "Your booster session is booked for")
        self.assertContains(response, "Wednesday 5 August, 14:00")

    def test_a_clash_is_shown_and_nothing_is_booked_unless_confirmed(self) -> None:
        booster = self.ask()
        make_appointment(self.dana, datetime(2026, 8, 5, 13, 30, tzinfo=UTC))
        self.login(self.alice)
        data = {
            "date": "2026-08-05",
            "time": "14:00",
            "duration_minutes": "50",
            "modality": "in_person",
        }
        response = self.client.post(f"/boosters/{booster.pk}/accept/", data)
        self.assertContains(response, "overlaps your appointment", status_code=400)
        booster.refresh_from_db()
        self.assertEqual(booster.status, "requested")
        self.assertEqual(Appointment.objects.filter(status="scheduled").count(), 1)
        data["book_anyway"] = "on"
        self.client.post(f"/boosters/{booster.pk}/accept/", data)
        booster.refresh_from_db()
        self.assertEqual(booster.status, "booked")

    def test_bad_times_are_explained(self) -> None:
        booster = self.ask()
        self.login(self.alice)
        for data, message in (
            ({"date": "2026-07-01", "time": "10:00"}, "in the future"),
            ({"date": "not a date", "time": "10:00"}, "Enter a date like"),
        ):
            data.update(duration_minutes="50", modality="video")
            response = self.client.post(f"/boosters/{booster.pk}/accept/", data)
            self.assertContains(response, message, status_code=400)
        booster.refresh_from_db()
        self.assertEqual(booster.status, "requested")
        self.assertFalse(Appointment.objects.filter(status="scheduled").exists())

    def test_declining_requires_a_referral_the_client_then_sees(self) -> None:
        booster = self.ask()
        self.login(self.alice)
        response = self.client.post(f"/boosters/{booster.pk}/decline/", {"referral": "   "})
        self.assertContains(response, "Write the referral", status_code=400)
        booster.refresh_from_db()
        self.assertEqual(booster.status, "requested")
        with self.assertRaisesMessage(FollowUpError, "Write the referral"):
            decline_booster(booster, referral="", actor=actor_for(self.alice))

        response = self.client.post(
            f"/boosters/{booster.pk}/decline/",
            {"referral": "The Hilltop group programme, 0100 000 000"},
            follow=True,
        )

        self.assertContains(response, "declined with your referral")
        booster.refresh_from_db()
        self.assertEqual(booster.status, "declined")
        event = AuditEvent.objects.get(action="followup.booster_decline")
        self.assertNotIn("Hilltop", str(event.detail))
        self.login(self.dana_user)
        response = self.client.get("/portal/follow-up/")
        self.assertContains(response, "The Hilltop group programme, 0100 000 000")
        # A decided request cannot be decided again.
        with self.assertRaises(FollowUpError):
            decline_booster(booster, referral="Other", actor=actor_for(self.alice))

    def test_outsiders_get_404(self) -> None:
        booster = request_booster(self.dana, reason="", actor=actor_for(self.dana_user))
        for person in (self.bob, self.olivia, self.charlie, self.dana_user):
            self.login(person)
            for suffix in ("", "accept/", "decline/"):
                url = f"/boosters/{booster.pk}/{suffix}"
                self.assertEqual(self.client.get(url).status_code, 404)
                self.assertEqual(
                    self.client.post(url, {"referral": "x", "date": "2026-08-05"}).status_code,
                    404,
                )
        booster.refresh_from_db()
        self.assertEqual(booster.status, "requested")

    def test_get_on_decision_routes_changes_nothing(self) -> None:
        booster = request_booster(self.dana, reason="", actor=actor_for(self.dana_user))
        self.login(self.alice)
        self.assertEqual(self.client.get(f"/boosters/{booster.pk}/accept/").status_code, 405)
        self.assertEqual(self.client.get(f"/boosters/{booster.pk}/decline/").status_code, 405)
