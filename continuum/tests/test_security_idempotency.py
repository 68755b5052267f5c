"""SECURITY.md promise 20: a form submitted 10 times makes one row.

The client's check-in and the therapist's message reply carry a one-time key issued with the
form (unique per client in the database). Sending the same form ten times stores one row and
one audit row, and every answer leads to the same result. The concurrent version (ten threads
against a file database) is in test_security_durability.
"""

from __future__ import annotations

from django.urls import reverse

from continuum.audit.models import AuditEvent
from continuum.boundaries.models import Direction, Message
from continuum.lib.keys import new_idempotency_key
from continuum.portal.models import CheckIn
from continuum.portal.tests.world import PortalTestCase, checkin_data


class RepeatedSubmissionTests(PortalTestCase):
    def test_a_check_in_sent_ten_times_is_stored_once(self) -> None:
        self.login(self.dana_user)
        data = checkin_data()

        answers = {self.client.post("/portal/check-in/", data)["Location"] for _ in range(10)}

        checkin = CheckIn.objects.get()
        self.assertEqual(answers, {reverse("portal:checkin_done", args=[checkin.pk])})
        self.assertEqual(checkin.idempotency_key, data["idempotency_key"])
        self.assertEqual(AuditEvent.objects.filter(action="checkin.create").count(), 1)

    def test_a_therapists_reply_sent_ten_times_is_stored_once(self) -> None:
        self.login(self.alice)
        url = reverse("boundaries:client_messages", args=[self.dana.pk])
        data = {"body": "See you on Tuesday.", "idempotency_key": new_idempotency_key()}

        statuses = {self.client.post(url, data).status_code for _ in range(10)}

        self.assertEqual(statuses, {302})
        message = Message.objects.get()
        self.assertEqual((message.direction, message.body), (Direction.TO_CLIENT, data["body"]))
        self.assertEqual(AuditEvent.objects.filter(action="message.reply").count(), 1)

    def test_a_new_form_makes_a_new_row(self) -> None:
        self.login(self.dana_user)
        self.client.post("/portal/check-in/", checkin_data())
        self.client.post("/portal/check-in/", checkin_data())

        self.assertEqual(CheckIn.objects.count(), 2)


class RepeatedStaffFormTests(PortalTestCase):
    """The therapist's create forms carry a one-time key too (accounts/once.py)."""

    def test_add_client_sent_ten_times_makes_one_client(self) -> None:
        from continuum.care.models import Client

        self.login(self.alice)
        form = self.client.get(reverse("care:client_create")).context["form"]
        data = {
            "first_name": "Once",
            "last_name": "Only",
            "time_zone": "Europe/London",
            "submission_key": form.initial["submission_key"],
        }

        answers = {
            self.client.post(reverse("care:client_create"), data)["Location"] for _ in range(10)
        }

        created = Client.objects.get(first_name="Once")
        self.assertEqual(answers, {reverse("care:client_detail", args=[created.pk])})
        self.assertEqual(AuditEvent.objects.filter(action="client.create").count(), 1)

    def test_a_booking_sent_ten_times_books_one_series(self) -> None:
        self.login(self.alice)
        url = reverse("care:appointment_create", args=[self.dana.pk])
        data = {
            "date": "2027-03-01",
            "time": "10:00",
            "duration_minutes": "50",
            "modality": "in_person",
            "repeat": "weekly",
            "sessions": "3",
            "submission_key": "a-one-time-booking-key-0001",
        }

        answers = {self.client.post(url, data)["Location"] for _ in range(10)}

        booked = self.dana.appointments.filter(starts_at__year=2027).order_by("starts_at")
        self.assertEqual(booked.count(), 3)
        self.assertEqual(answers, {reverse("care:appointment_detail", args=[booked[0].pk])})

    def test_a_fresh_form_books_again_and_a_malformed_key_is_refused(self) -> None:
        self.login(self.alice)
        url = reverse("care:appointment_create", args=[self.dana.pk])
        base = {
            "date": "2027-04-05",
            "time": "09:00",
            "duration_minutes": "50",
            "modality": "video",
            "book_anyway": "on",
        }
        self.client.post(url, {**base, "submission_key": "first-form-key-000000001"})
        self.client.post(url, {**base, "submission_key": "second-form-key-00000001"})
        response = self.client.post(url, {**base, "submission_key": "bad key!"})

        self.assertEqual(self.dana.appointments.filter(starts_at__year=2027).count(), 2)
        self.assertContains(response, "This form has expired; reload the page.")
