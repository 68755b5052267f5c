"""Rating a session: one tap from the note or the day view, the therapist's own sessions only."""

from __future__ import annotations

from datetime import datetime, timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from continuum.audit.models import AuditEvent
from continuum.care.models import AppointmentStatus
from continuum.testing.base import make_appointment, make_note
from continuum.wellbeing.models import SessionWeight
from continuum.wellbeing.tests.world import CANARY, LONDON, WellbeingTestCase, attended, raw_value

NOW = datetime(2026, 11, 19, 17, 0, tzinfo=LONDON)  # Thursday afternoon


@time_machine.travel(NOW, tick=False)
class RateSessionTests(WellbeingTestCase):
    def setUp(self) -> None:
        self.appointment = attended(self.dana, NOW.replace(hour=10))
        self.url = reverse(
            "wellbeing:session_weight", kwargs={"appointment_id": self.appointment.pk}
        )

    def test_it_requires_login(self) -> None:
        for method in ("get", "post"):
            response = getattr(self.client, method)(self.url)
            self.assertRedirects(
                response, f"/accounts/login/?next={self.url}", fetch_redirect_response=False
            )

    def test_it_rejects_other_therapists_and_the_owner(self) -> None:
        for outsider in (self.bob, self.olivia, self.charlie):
            self.login(outsider)
            for method in ("get", "post"):
                response = getattr(self.client, method)(self.url, {"weight": 4})
                self.assertEqual(response.status_code, 404, f"{outsider} {method}")
        self.assertFalse(SessionWeight.objects.exists())

    def test_it_rejects_a_session_a_previous_therapist_held(self) -> None:
        earlier = make_appointment(
            self.dana, NOW - timedelta(days=30), status=AppointmentStatus.ATTENDED
        )
        earlier.therapist = self.bob
        earlier.save()
        self.login(self.alice)
        url = reverse("wellbeing:session_weight", kwargs={"appointment_id": earlier.pk})
        self.assertEqual(self.client.post(url, {"weight": 4}).status_code, 404)
        self.assertFalse(SessionWeight.objects.exists())

    def test_the_form_page_shows_the_session(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.url)
        self.assertContains(response, "How heavy was this session?")
        self.assertContains(response, "Dana Dawson, Thursday 19 November 2026, 10:00")
        self.assertContains(response, 'name="private_line"')
        self.assertContains(response, "5: Very heavy")

    def test_one_tap_saves_the_weight_and_goes_back(self) -> None:
        self.login(self.alice)
        response = self.client.post(self.url, {"weight": "4", "next": "/day/"})
        self.assertRedirects(response, "/day/", fetch_redirect_response=False)
        row = SessionWeight.objects.get()
        self.assertEqual(
            (row.therapist, row.appointment, row.weight, row.private_line),
            (self.alice, self.appointment, 4, ""),
        )
        event = AuditEvent.objects.get(action="wellbeing.weight.rate")
        self.assertEqual((event.actor, event.object_id), (self.alice, str(row.pk)))
        # Ids only: never the weight itself (the owner reads the audit log).
        self.assertEqual(
            event.detail, {"appointment": self.appointment.pk, "client_id": self.dana.pk}
        )
        messages = [str(m) for m in response.wsgi_request._messages]  # type: ignore[attr-defined]
        self.assertEqual(messages, ["Saved: 4 of 5, heavy. Only you can see this."])

    def test_rating_again_changes_the_weight_and_keeps_the_private_line(self) -> None:
        self.login(self.alice)
        self.client.post(self.url, {"weight": "5", "private_line": "Hard one"})
        self.client.post(self.url, {"weight": "3"})  # the one-tap form sends no line
        row = SessionWeight.objects.get()
        self.assertEqual((row.weight, row.private_line), (3, "Hard one"))
        self.client.post(self.url, {"weight": "3", "private_line": ""})
        self.assertEqual(SessionWeight.objects.get().private_line, "")
        self.assertEqual(
            list(
                AuditEvent.objects.filter(action__startswith="wellbeing.weight")
                .values_list("action", flat=True)
                .order_by("pk")
            ),
            ["wellbeing.weight.rate", "wellbeing.weight.change", "wellbeing.weight.change"],
        )

    def test_the_private_line_is_encrypted_at_rest(self) -> None:
        self.login(self.alice)
        self.client.post(self.url, {"weight": "2", "private_line": f"Tired {CANARY}"})
        row = SessionWeight.objects.get()
        stored = raw_value("wellbeing_sessionweight", "private_line", row.pk)
        self.assertNotIn(CANARY, stored)
        self.assertNotIn("Tired", stored)
        self.assertEqual(row.private_line, f"Tired {CANARY}")

    def test_bad_input_changes_nothing(self) -> None:
        self.login(self.alice)
        for data, message in (
            ({"weight": "7"}, "Choose a number from 1 (light) to 5 (very heavy)."),
            ({"weight": "heavy"}, "Choose a number from 1 (light) to 5 (very heavy)."),
            ({}, "Choose how heavy the session felt"),
            ({"weight": "2", "private_line": "x" * 281}, "Keep this to 280 characters or fewer"),
        ):
            response = self.client.post(self.url, data)
            self.assertContains(response, message, status_code=400)
        self.assertFalse(SessionWeight.objects.exists())

    def test_only_attended_sessions_can_be_rated(self) -> None:
        upcoming = make_appointment(self.dana, NOW + timedelta(days=1))
        url = reverse("wellbeing:session_weight", kwargs={"appointment_id": upcoming.pk})
        self.login(self.alice)
        self.assertContains(self.client.get(url), "Only sessions that took place can be rated")
        self.assertContains(
            self.client.post(url, {"weight": 3}), "this one is scheduled", status_code=400
        )
        self.assertFalse(SessionWeight.objects.exists())

    def test_next_must_stay_on_this_site(self) -> None:
        self.login(self.alice)
        response = self.client.post(self.url, {"weight": 2, "next": "https://evil.example/"})
        self.assertRedirects(response, "/me/load/", fetch_redirect_response=False)

    def test_htmx_swaps_in_the_saved_form(self) -> None:
        self.login(self.alice)
        response = self.client.post(self.url, {"weight": "1"}, headers={"HX-Request": "true"})
        self.assertContains(response, "Saved: 1 of 5, light.")
        self.assertContains(
            response, 'value="1" class="button secondary small" aria-pressed="true"'
        )
        self.assertNotContains(response, "<html")

    def test_the_note_page_offers_the_one_tap_form(self) -> None:
        note = make_note(self.appointment, signed=True)
        self.login(self.alice)
        url = reverse("care:note_detail", kwargs={"note_id": note.pk})
        response = self.client.get(url)
        self.assertContains(response, "How heavy was this session?")
        self.assertContains(response, f'action="{self.url}"')
        self.assertContains(response, f'name="next" value="{url}"')
        self.assertNotContains(response, "You rated it")
        self.client.post(self.url, {"weight": 4})
        self.assertContains(self.client.get(url), "You rated it 4 of 5.")

    def test_the_day_view_offers_it_for_todays_attended_sessions_only(self) -> None:
        later = make_appointment(self.dana, NOW + timedelta(hours=1))
        self.login(self.alice)
        response = self.client.get("/day/")
        self.assertContains(response, f'action="{self.url}"')
        later_url = reverse("wellbeing:session_weight", kwargs={"appointment_id": later.pk})
        self.assertNotContains(response, later_url)
        self.assertContains(response, 'name="next" value="/day/"')

    def test_rating_is_never_required_to_sign_a_note(self) -> None:
        note = make_note(self.appointment)
        self.login(self.alice)
        response = self.client.post(
            reverse("care:note_sign", kwargs={"note_id": note.pk}), {"confirmed": "yes"}
        )
        self.assertEqual(response.status_code, 302)
        note.refresh_from_db()
        self.assertTrue(note.is_signed)
        self.assertFalse(SessionWeight.objects.exists())
        self.assertLess(timezone.now() - note.signed_at, timedelta(minutes=1))  # type: ignore[operator]
