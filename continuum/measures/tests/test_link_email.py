"""Issue 14: a questionnaire's one-time link can be copied (a button from our own static
script; without JavaScript the link is selectable text) and emailed to the client through the
task queue; the email holds the link, no log line or audit row does."""

from __future__ import annotations

import logging

from django.urls import reverse

from continuum.audit.models import AuditEvent
from continuum.care.models import Client
from continuum.measures.link_email import SUBJECT
from continuum.measures.models import Administration
from continuum.measures.services import link_url
from continuum.measures.tests.world import MeasuresTestCase
from continuum.notify.tests.test_smtp import smtp_settings
from continuum.testing.smtp import SmtpServer
from continuum.testing.tasks import queued, run_worker

TASK = "continuum.measures.link_email.send_link_email"


class LinkEmailTests(MeasuresTestCase):
    def setUp(self) -> None:
        self.admin = self.pending("phq9")
        self.link_for(self.admin)
        self.admin.refresh_from_db()
        self.detail = reverse(
            "measures:administration_detail", kwargs={"administration_id": self.admin.pk}
        )
        self.send = reverse(
            "measures:administration_link_email", kwargs={"administration_id": self.admin.pk}
        )
        self.login(self.alice)

    def test_the_page_offers_copy_and_email_and_keeps_the_link_selectable(self) -> None:
        response = self.client.get(self.detail)
        link = link_url(self.admin)
        assert link is not None
        self.assertContains(response, f'<a href="{link}" id="questionnaire-link">{link}</a>')
        # The copy button waits hidden for our own script (CSP: script-src 'self').
        self.assertContains(response, 'data-copy="questionnaire-link"')
        self.assertContains(response, "hidden>Copy link</button>")
        self.assertContains(response, '<script src="/static/js/copy-link.js" defer></script>')
        self.assertContains(response, "Send by email to the client")
        self.assertContains(response, "the address on the client\u2019s record")

    def test_the_worker_emails_the_link_through_real_smtp_and_logs_no_link(self) -> None:
        link = link_url(self.admin)
        assert link is not None
        token = link.rstrip("/").rsplit("/", 1)[-1]

        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(self.send)

        self.assertRedirects(response, self.detail)
        self.assertEqual(len(queued(TASK)), 1)
        event = AuditEvent.objects.get(action="measures.link_email")
        self.assertEqual(event.actor, self.alice)
        self.assertEqual(
            event.detail, {"client_id": self.dana.pk, "instrument": "phq9", "to": "record"}
        )
        with (
            SmtpServer() as smtp,
            smtp_settings(smtp.port),
            self.assertLogs(level=logging.DEBUG) as logs,
        ):
            logging.getLogger("continuum").debug("watching")  # assertLogs needs one line
            run_worker()
        [message] = smtp.messages
        self.assertEqual(message["To"], "dana@example.net")
        self.assertEqual(message["Subject"], SUBJECT)
        payload = message.get_payload(decode=True)
        assert isinstance(payload, bytes)
        body = payload.decode()
        self.assertIn(link, body)
        self.assertNotIn("Dana", body)
        self.assertEqual(queued(TASK), [])
        # Every line our side logged (the test's SMTP server, aiosmtpd's "mail.log", is the
        # receiving end and logs what it receives).
        ours = [r.getMessage() for r in logs.records if not r.name.startswith("mail.log")]
        self.assertTrue(ours)
        for line in ours:
            self.assertNotIn(token, line)
        for row in AuditEvent.objects.all():
            self.assertNotIn(token, str(row.detail))

    def test_a_link_replaced_before_the_worker_runs_is_not_sent(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(self.send)
        self.assertEqual(len(queued(TASK)), 1)
        self.client.post(
            reverse("measures:administration_link", kwargs={"administration_id": self.admin.pk})
        )
        with SmtpServer() as smtp, smtp_settings(smtp.port):
            run_worker()
        self.assertEqual(smtp.messages, [])

    def test_a_client_without_an_address_gets_a_clear_message_and_nothing_is_queued(self) -> None:
        Client.objects.filter(pk=self.dana.pk).update(email="")
        response = self.client.post(self.send, follow=True)
        self.assertContains(response, "This client has no email address on their record")
        self.assertEqual(queued(TASK), [])
        self.assertFalse(AuditEvent.objects.filter(action="measures.link_email").exists())
        self.assertNotContains(self.client.get(self.detail), "Send by email to the client")

    def test_without_a_working_link_nothing_is_sent(self) -> None:
        Administration.objects.filter(pk=self.admin.pk).update(token_nonce="")
        response = self.client.post(self.send, follow=True)
        self.assertContains(response, "There is no working link to send")
        self.assertEqual(queued(TASK), [])

    def test_other_therapists_get_404_and_nothing_is_sent(self) -> None:
        for person in (self.bob, self.charlie, self.olivia):
            self.login(person)
            self.assertEqual(self.client.post(self.send).status_code, 404)
        self.assertEqual(queued(TASK), [])

    def test_get_is_refused(self) -> None:
        self.assertEqual(self.client.get(self.send).status_code, 405)
