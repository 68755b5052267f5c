"""A client's own record: requested in the portal, released, downloaded; never a reflection."""

from __future__ import annotations

import io
import json
from datetime import timedelta

from django.core import mail
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from continuum.accounts.actors import actor_for
from continuum.audit.models import AuditEvent
from continuum.boundaries.models import Direction, Message
from continuum.exchange.models import RecordRequest
from continuum.exchange.record_services import release_due, request_record
from continuum.measures.services import assign_measure, enter_in_session
from continuum.portal.models import CheckIn
from continuum.reflections.models import Reflection, ReflectionKind
from continuum.testing.base import (
    BaseTestCase,
    make_appointment,
    make_episode,
    make_note,
    make_portal_user,
)
from continuum.testing.tasks import queued, run_worker

CANARY = "Xylophonecanary"


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


class RecordTests(BaseTestCase):
    def setUp(self) -> None:
        self.portal = make_portal_user(self.dana)
        episode = make_episode(self.dana)
        attended = make_appointment(
            self.dana, timezone.now() - timedelta(days=3), episode=episode, status="attended"
        )
        make_note(attended, signed=True)
        admin = assign_measure(
            episode,
            instrument="phq9",
            cadence="once",
            starts_on=timezone.localdate(),
            actor=actor_for(self.alice),
        ).administrations.get()
        enter_in_session(admin, {str(k): 2 for k in range(1, 10)}, actor=actor_for(self.alice))
        CheckIn.objects.create(
            client=self.dana, mood=6, note="Walked daily", idempotency_key="k" * 20
        )
        Message.objects.create(
            client=self.dana,
            sender=self.portal,
            direction=Direction.TO_THERAPIST,
            body="See you Tuesday",
            idempotency_key="m" * 20,
        )
        Reflection.objects.create(
            author=self.alice, client=self.dana, kind=ReflectionKind.CONCERN, text=CANARY
        )

    def request(self) -> RecordRequest:
        self.login(self.portal)
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(reverse("exchange:portal_record"))
        return RecordRequest.objects.get()

    def test_the_portal_page_says_reflections_are_not_included(self) -> None:
        self.login(self.portal)
        body = self.client.get(reverse("exchange:portal_record")).content.decode()
        self.assertIn("your therapist's private reflections (psychotherapy notes)", body)
        self.assertIn("Ask for my record", body)

    def test_a_request_notifies_the_therapist_by_email_and_on_their_day(self) -> None:
        request = self.request()
        self.assertEqual(len(mail.outbox), 0)
        self.assertEqual(len(queued("continuum.exchange.record_services.email_therapist")), 1)
        run_worker()
        (message,) = mail.outbox
        self.assertEqual(message.to, ["alice@example.org"])
        self.assertNotIn("Dana", message.body)
        self.login(self.alice)
        day = self.client.get(reverse("continuity:day")).content.decode()
        self.assertIn("Asked for a copy of their record", day)
        self.assertIn(reverse("exchange:record_requests", args=[self.dana.pk]), day)
        # Asking twice asks once.
        self.login(self.portal)
        self.client.post(reverse("exchange:portal_record"))
        self.assertEqual(RecordRequest.objects.count(), 1)
        self.assertEqual(request.status, "requested")
        # Nothing to download before release.
        url = reverse("exchange:portal_record_download", args=["json"])
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_released_record_downloads_as_json_and_pdf_without_the_reflection(self) -> None:
        self.request()
        self.login(self.alice)
        review = self.client.get(reverse("exchange:record_requests", args=[self.dana.pk]))
        self.assertIn("Felt flatter this week", review.content.decode())
        self.assertNotIn(CANARY, review.content.decode())
        self.client.post(reverse("exchange:record_requests", args=[self.dana.pk]))
        self.login(self.portal)
        data = json.loads(
            self.client.get(reverse("exchange:portal_record_download", args=["json"])).content
        )
        self.assertEqual(data["details"]["last_name"], "Dawson")
        self.assertEqual(data["scores"][0]["band"], "Moderately severe")
        self.assertEqual(data["progress_notes"][0]["sections"][0]["text"], "Felt flatter this week")
        self.assertEqual(data["check_ins"][0]["note"], "Walked daily")
        self.assertEqual(data["messages"][0]["text"], "See you Tuesday")
        self.assertNotIn(CANARY, json.dumps(data))
        pdf = self.client.get(reverse("exchange:portal_record_download", args=["pdf"]))
        self.assertEqual(pdf["Content-Type"], "application/pdf")
        text = pdf_text(pdf.content)
        self.assertIn("Felt flatter this week", text)
        self.assertNotIn(CANARY, text)
        actions = list(
            AuditEvent.objects.filter(action__startswith="record.")
            .order_by("pk")
            .values_list("action", flat=True)
        )
        self.assertEqual(
            actions,
            [
                "record.request",
                "record.review",
                "record.release",
                "record.download",
                "record.download",
            ],
        )
        self.assertNotIn(CANARY, str(list(AuditEvent.objects.values_list("detail", flat=True))))

    def test_released_automatically_after_the_setting(self) -> None:
        request = request_record(actor_for(self.portal), self.dana)
        self.assertEqual(release_due(timezone.now() + timedelta(days=29)), "released 0")
        self.assertEqual(release_due(timezone.now() + timedelta(days=30, minutes=1)), "released 1")
        request.refresh_from_db()
        self.assertEqual((request.status, request.released_by), ("released", None))
        event = AuditEvent.objects.get(action="record.release")
        self.assertEqual((event.actor, event.detail["automatic"]), (None, True))

    def test_other_therapists_and_clients_get_404(self) -> None:
        self.request()
        for outsider in (self.bob, self.olivia, self.charlie):
            self.login(outsider)
            url = reverse("exchange:record_requests", args=[self.dana.pk])
            self.assertEqual(self.client.get(url).status_code, 404)
            self.assertEqual(self.client.post(url).status_code, 404)
        self.assertEqual(RecordRequest.objects.get().status, "requested")
