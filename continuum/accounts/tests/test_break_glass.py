"""SECURITY.md promise 5: break-glass access needs a reason, expires, is flagged in the audit
log, tells the treating therapist, and is read-only; after expiry the owner gets 404."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import time_machine
from django.core import mail
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone

from continuum.accounts.break_glass import open_grant
from continuum.accounts.models import BreakGlassGrant
from continuum.audit.models import AuditEvent
from continuum.care.models import Appointment, Episode, ProgressNote
from continuum.reflections.models import Reflection, ReflectionKind
from continuum.testing.base import BaseTestCase, make_appointment, make_episode, make_note
from continuum.testing.tasks import queued, run_worker

REASON = "Client in crisis called the front desk; Alice on leave abroad"


class BreakGlassTestCase(BaseTestCase):
    episode: Episode
    appointment: Appointment
    note: ProgressNote
    reflection: Reflection

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.episode = make_episode(cls.dana)
        cls.appointment = make_appointment(
            cls.dana, timezone.now() - timedelta(days=1), episode=cls.episode, status="attended"
        )
        cls.note = make_note(cls.appointment, signed=True)
        cls.reflection = Reflection.objects.create(
            author=cls.alice, client=cls.dana, kind=ReflectionKind.CONCERN, text="Private canary"
        )

    def url(self, client_id: int | None = None) -> str:
        return reverse("accounts:break_glass", kwargs={"client_id": client_id or self.dana.pk})

    def open_grant(self, hours: int = 2) -> BreakGlassGrant:
        self.login(self.olivia)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(self.url(), {"reason": REASON, "hours": hours})
        self.assertRedirects(
            response,
            reverse("care:client_detail", kwargs={"client_id": self.dana.pk}),
            fetch_redirect_response=False,
        )
        return BreakGlassGrant.objects.get()


class RequestTests(BreakGlassTestCase):
    def test_it_requires_login(self) -> None:
        response = self.client.get(self.url())
        self.assertTrue(response["Location"].startswith(reverse("account_login")))

    def test_it_rejects_therapists_and_other_practices(self) -> None:
        for outsider in (self.alice, self.bob, self.charlie):
            self.login(outsider)
            for method in ("get", "post"):
                response = getattr(self.client, method)(self.url(), {"reason": REASON, "hours": 1})
                self.assertEqual(response.status_code, 404)
        # Charlie's own client is not reachable for Olivia either.
        self.login(self.olivia)
        self.assertEqual(self.client.get(self.url(self.eli.pk)).status_code, 404)
        self.assertFalse(BreakGlassGrant.objects.exists())

    def test_the_form_explains_and_is_labelled(self) -> None:
        self.login(self.olivia)
        page = self.client.get(self.url())
        self.assertContains(page, "Emergency access to Dana")
        self.assertContains(page, "read-only access for at most 4 hours")
        self.assertContains(page, '<label for="id_reason">')
        self.assertContains(page, '<label for="id_hours">')

    def test_a_reason_is_required_and_the_time_limit_is_capped(self) -> None:
        self.login(self.olivia)
        for data, error in (
            ({"reason": "", "hours": 1}, "Say why you need emergency access."),
            ({"reason": REASON, "hours": 5}, "Choose one of the listed durations."),
            ({"reason": REASON, "hours": "lots"}, "Choose one of the listed durations."),
        ):
            response = self.client.post(self.url(), data)
            self.assertEqual(response.status_code, 200)
            self.assertContains(response, error)
        self.assertFalse(BreakGlassGrant.objects.exists())
        self.assertFalse(AuditEvent.objects.filter(action="breakglass.open").exists())

    def test_opening_writes_a_flagged_row_and_tells_the_therapist(self) -> None:
        before = timezone.now()
        grant = self.open_grant(hours=2)

        self.assertEqual(grant.owner, self.olivia)
        self.assertEqual(grant.reason, REASON)
        self.assertAlmostEqual((grant.expires_at - before).total_seconds(), 2 * 3600, delta=60)
        event = AuditEvent.objects.get(action="breakglass.open")
        self.assertTrue(event.flagged)
        self.assertEqual(event.actor, self.olivia)
        self.assertEqual(event.object_id, str(self.dana.pk))
        self.assertEqual(
            event.detail, {"grant": grant.pk, "hours": 2, "therapist_id": self.alice.pk}
        )
        self.assertNotIn("crisis", str(AuditEvent.objects.filter(pk=event.pk).values().get()))
        # The email is queued, not sent by the request: the task worker sends it to Alice,
        # without the client's name, the reason, or anything clinical.
        self.assertEqual(len(mail.outbox), 0)
        [task] = queued("continuum.accounts.break_glass.send_notice")
        self.assertEqual(task.args_kwargs, {"args": [grant.pk], "kwargs": {}})
        run_worker()
        self.assertEqual(len(mail.outbox), 1)
        message = mail.outbox[0]
        self.assertEqual(message.to, ["alice@example.org"])
        self.assertIn("emergency (break-glass) access", message.body)
        for secret in ("Dana", "Dawson", "crisis", "Felt flatter"):
            self.assertNotIn(secret, f"{message.subject}\n{message.body}")


class NoticeThroughTheWorkerTests(BreakGlassTestCase):
    def test_the_worker_sends_the_notice_through_a_real_smtp_server(self) -> None:
        from continuum.notify.tests.test_smtp import smtp_settings
        from continuum.testing.smtp import SmtpServer

        grant = self.open_grant()
        with SmtpServer() as smtp, smtp_settings(smtp.port):
            run_worker()
        [message] = smtp.messages
        self.assertEqual(message["To"], "alice@example.org")
        self.assertEqual(message["Subject"], "Continuum: emergency access to a client record")
        payload = message.get_payload(decode=True)
        assert isinstance(payload, bytes)
        body = payload.decode()
        for secret in ("Dana", "Dawson", "crisis"):
            self.assertNotIn(secret, body)
        self.assertEqual(queued("continuum.accounts.break_glass.send_notice"), [])
        self.assertTrue(BreakGlassGrant.objects.filter(pk=grant.pk).exists())


class AtomicOpenTests(BreakGlassTestCase):
    def test_a_failed_audit_write_leaves_no_grant_and_queues_no_email(self) -> None:
        from continuum.accounts.actors import actor_for

        def fail(*args: object, **kwargs: object) -> None:
            raise DatabaseError("the audit write failed")

        with (
            mock.patch.object(AuditEvent.objects, "create", fail),
            self.captureOnCommitCallbacks(execute=True) as callbacks,
            self.assertRaises(DatabaseError),
        ):
            open_grant(actor_for(self.olivia), self.dana, reason=REASON, hours=1)

        self.assertFalse(BreakGlassGrant.objects.exists())
        self.assertEqual(callbacks, [])
        self.assertEqual(queued("continuum.accounts.break_glass.send_notice"), [])

    def test_a_task_reads_through_its_grant_like_a_web_read(self) -> None:
        """The grant is part of the actor: a task acting through it finds the client and its
        audit rows are flagged, exactly like the owner's GET; without it, 404."""
        from django.http import Http404

        from continuum.accounts.actors import actor_for
        from continuum.audit.log import record
        from continuum.care.access import get_client_for, get_note_for

        grant = self.open_grant()
        with self.assertRaises(Http404):
            get_client_for(actor_for(self.olivia), self.dana.pk)

        actor = actor_for(self.olivia, grant_id=grant.pk)
        self.assertEqual(get_note_for(actor, self.note.pk), self.note)
        event = record(actor, "note.view", self.note)
        self.assertTrue(event.flagged)
        self.assertEqual(event.detail, {"break_glass": grant.pk, "client_id": self.dana.pk})
        self.assertEqual(actor.break_glass.client_id, self.dana.pk)


class ReadOnlyAccessTests(BreakGlassTestCase):
    def test_without_a_grant_the_owner_gets_404(self) -> None:
        self.login(self.olivia)
        url = reverse("care:client_detail", kwargs={"client_id": self.dana.pk})
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_the_owner_reads_the_record_and_every_read_is_flagged(self) -> None:
        grant = self.open_grant()
        AuditEvent.objects.filter(action="breakglass.open").get()
        pages = [
            reverse("care:client_detail", kwargs={"client_id": self.dana.pk}),
            reverse("care:episode_detail", kwargs={"episode_id": self.episode.pk}),
            reverse("care:appointment_detail", kwargs={"appointment_id": self.appointment.pk}),
            reverse("care:note_detail", kwargs={"note_id": self.note.pk}),
        ]
        for url in pages:
            count = AuditEvent.objects.count()
            response = self.client.get(url)
            self.assertEqual(response.status_code, 200, url)
            new = list(AuditEvent.objects.order_by("pk")[count:])
            self.assertEqual(len(new), 1, url)  # exactly one row per read, flagged
            self.assertTrue(new[0].flagged, url)
            self.assertEqual(new[0].actor, self.olivia)
            self.assertEqual(new[0].detail.get("break_glass"), grant.pk, url)
        note = self.client.get(pages[3])
        self.assertContains(note, "Felt flatter this week")

    def test_a_page_without_its_own_audit_row_still_gets_a_flagged_one(self) -> None:
        grant = self.open_grant()
        count = AuditEvent.objects.count()

        response = self.client.get(
            reverse("measures:client_measures", kwargs={"client_id": self.dana.pk})
        )

        self.assertEqual(response.status_code, 200)
        new = list(AuditEvent.objects.order_by("pk")[count:])
        self.assertEqual(len(new), 1)
        self.assertTrue(new[0].flagged)
        # Either the page's own row, flagged, or the middleware's "breakglass.read" row.
        self.assertTrue(
            new[0].detail.get("break_glass") == grant.pk
            or (new[0].action == "breakglass.read" and new[0].object_id == str(grant.pk))
        )

    def test_writes_stay_404(self) -> None:
        self.open_grant()
        for url, data in (
            (reverse("care:client_edit", kwargs={"client_id": self.dana.pk}), {"first_name": "X"}),
            (reverse("care:addendum_create", kwargs={"note_id": self.note.pk}), {"text": "x"}),
            (reverse("care:episode_transition", kwargs={"episode_id": self.episode.pk}), {}),
        ):
            self.assertEqual(self.client.post(url, data).status_code, 404, url)
        self.dana.refresh_from_db()
        self.assertEqual(self.dana.first_name, "Dana")

    def test_reflections_stay_with_their_author(self) -> None:
        self.open_grant()
        detail = reverse(
            "reflections:reflection_detail", kwargs={"reflection_id": self.reflection.pk}
        )
        self.assertEqual(self.client.get(detail).status_code, 404)
        listing = self.client.get(
            reverse("reflections:client_reflections", kwargs={"client_id": self.dana.pk})
        )
        self.assertNotContains(listing, "Private canary", status_code=listing.status_code)

    def test_other_clients_and_other_people_are_unaffected(self) -> None:
        self.open_grant()
        finn = reverse("care:client_detail", kwargs={"client_id": self.finn.pk})
        self.assertEqual(self.client.get(finn).status_code, 404)
        self.login(self.bob)
        dana = reverse("care:client_detail", kwargs={"client_id": self.dana.pk})
        self.assertEqual(self.client.get(dana).status_code, 404)

    def test_after_expiry_the_owner_gets_404_again(self) -> None:
        with time_machine.travel(timezone.now(), tick=False) as clock:
            self.open_grant(hours=1)
            url = reverse("care:client_detail", kwargs={"client_id": self.dana.pk})
            self.assertEqual(self.client.get(url).status_code, 200)

            # Fresh sessions each time: the 15-minute idle limit is not what is tested here.
            clock.shift(timedelta(minutes=59))
            self.login(self.olivia)
            self.assertEqual(self.client.get(url).status_code, 200)

            clock.shift(timedelta(minutes=2))
            self.login(self.olivia)
            self.assertEqual(self.client.get(url).status_code, 404)

    def test_a_revoked_grant_gives_404(self) -> None:
        grant = self.open_grant()
        grant.revoked_at = timezone.now()
        grant.save(update_fields=["revoked_at"])
        url = reverse("care:client_detail", kwargs={"client_id": self.dana.pk})
        self.assertEqual(self.client.get(url).status_code, 404)
