"""Reminders through a real SMTP server on localhost (aiosmtpd): what arrives, and nothing
clinical in it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from django.test import override_settings

from continuum.care.models import Episode
from continuum.notify.delivery import deliver
from continuum.notify.models import Reminder
from continuum.notify.scheduler import enqueue_due
from continuum.testing.base import BaseTestCase, make_appointment, make_episode, make_portal_user
from continuum.testing.smtp import SmtpServer, free_port

NOW = datetime(2026, 7, 1, 13, 0, tzinfo=UTC)


def smtp_settings(port: int) -> override_settings:
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_USE_TLS=False,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        EMAIL_TIMEOUT=10,
        NOTIFY_THERAPIST_DAY_EMAILS=False,
        NOTIFY_WELLBEING_DIGESTS=False,
    )


@time_machine.travel(NOW, tick=False)
class RealSmtpTests(BaseTestCase):
    episode: Episode

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        make_portal_user(cls.dana)
        cls.episode = make_episode(cls.dana)

    def test_a_reminder_arrives_once_with_no_clinical_content(self) -> None:
        make_appointment(self.dana, NOW + timedelta(hours=20), episode=self.episode)
        with SmtpServer() as smtp, smtp_settings(smtp.port):
            enqueue_due()
            reminder = Reminder.objects.get()
            self.assertEqual(deliver(reminder.pk), "sent")
            self.assertEqual(deliver(reminder.pk), "not_claimed")
        self.assertEqual(len(smtp.messages), 1)
        message = smtp.messages[0]
        self.assertEqual(message["To"], "dana@example.net")
        self.assertEqual(message["Subject"], "Reminder: your appointment")
        self.assertEqual(message["X-Continuum-Reminder"], str(reminder.pk))
        self.assertEqual(message["Auto-Submitted"], "auto-generated")
        payload = message.get_payload(decode=True)
        assert isinstance(payload, bytes)
        body = payload.decode()
        self.assertIn("Thursday 2 July at 10:00", body)
        for private in ("Dana", "Dawson", "Alice", "Low mood", "worry"):
            self.assertNotIn(private, body)
        reminder.refresh_from_db()
        self.assertEqual(reminder.status, "sent")

    def test_a_server_that_is_down_leaves_the_reminder_for_later(self) -> None:
        make_appointment(self.dana, NOW + timedelta(hours=20), episode=self.episode)
        with smtp_settings(free_port()), self.assertLogs("continuum.notify.delivery", "WARNING"):
            enqueue_due()
            reminder = Reminder.objects.get()
            self.assertEqual(deliver(reminder.pk), "retry")
        reminder.refresh_from_db()
        self.assertEqual(reminder.status, "pending")
        # Later the server is up again and the scheduler queues it once more: it arrives.
        with (
            time_machine.travel(NOW + timedelta(minutes=6), tick=False),
            SmtpServer() as smtp,
            smtp_settings(smtp.port),
        ):
            self.assertEqual(enqueue_due().enqueued, 1)
            self.assertEqual(deliver(reminder.pk), "sent")
        self.assertEqual(len(smtp.messages), 1)
