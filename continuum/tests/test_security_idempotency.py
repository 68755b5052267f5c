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
from continuum.portal.models import CheckIn
from continuum.portal.services import new_idempotency_key
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
