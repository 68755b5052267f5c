"""The scheduler and delivery: what is due, idempotency (twice → nothing new), preferences and
quiet hours, at-most-once sending, lost and retried reminders, and emails with no clinical
content."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, time, timedelta
from io import StringIO
from typing import Any
from unittest import mock

import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from continuum.accounts.actors import actor_for
from continuum.accounts.models import User
from continuum.care.models import AppointmentStatus, Episode
from continuum.followup.services import withdraw
from continuum.followup.tests.world import AFTER_END, ONE_MONTH, FollowUpTestCase
from continuum.measures.models import Alert
from continuum.notify.delivery import deliver
from continuum.notify.models import Reminder, ReminderPreferences
from continuum.notify.scheduler import enqueue_due, run_due_jobs
from continuum.portal.models import PortalSettings
from continuum.portal.tests.world import make_checkin, make_pending
from continuum.testing.base import BaseTestCase, make_appointment, make_episode, make_portal_user

# A Wednesday, 14:00 in London (BST): outside quiet hours, after the morning hour.
NOW = datetime(2026, 7, 1, 13, 0, tzinfo=UTC)


def tasks() -> int:
    return DBTaskResult.objects.count()


class NotifyTestCase(BaseTestCase):
    dana_user: User
    episode: Episode

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.dana_user = make_portal_user(cls.dana)
        cls.episode = make_episode(cls.dana)

    def setUp(self) -> None:
        self.traveller = time_machine.travel(NOW, tick=False)
        self.traveller.start()
        self.addCleanup(self.traveller.stop)
        # Keep the therapists' daily email and the weekly digests out of the way unless a test
        # is about them.
        patcher = override_settings(
            NOTIFY_THERAPIST_DAY_EMAILS=False, NOTIFY_WELLBEING_DIGESTS=False
        )
        patcher.enable()
        self.addCleanup(patcher.disable)


class AppointmentReminderTests(NotifyTestCase):
    def test_a_reminder_is_recorded_queued_and_sent_once(self) -> None:
        appt = make_appointment(self.dana, NOW + timedelta(hours=20), episode=self.episode)
        make_appointment(self.dana, NOW + timedelta(hours=30), episode=self.episode)  # too far

        report = enqueue_due()

        self.assertEqual((report.created, report.enqueued), (1, 1))
        reminder = Reminder.objects.get()
        self.assertEqual(
            (reminder.kind, reminder.target_type, reminder.target_id, reminder.occasion),
            ("appointment", "appointment", appt.pk, appt.starts_at.isoformat()),
        )
        self.assertEqual(tasks(), 1)

        # The scheduler running again (or in a second process) records and queues nothing.
        again = enqueue_due()
        self.assertEqual((again.created, again.enqueued), (0, 0))
        self.assertEqual((Reminder.objects.count(), tasks()), (1, 1))

        self.assertEqual(deliver(reminder.pk), "sent")
        self.assertEqual(deliver(reminder.pk), "not_claimed")
        self.assertEqual(len(mail.outbox), 1)
        message = mail.outbox[0]
        self.assertEqual(message.to, [self.dana_user.email])
        self.assertEqual(message.subject, "Reminder: your appointment")
        # 09:00 UTC tomorrow is 10:00 in London.
        self.assertIn("Thursday 2 July at 10:00 (Europe/London time)", message.body)
        self.assertEqual(message.extra_headers["X-Continuum-Reminder"], str(reminder.pk))
        for private in ("Dana", "Dawson", "Alice", "Low mood", "therapy"):
            self.assertNotIn(private, f"{message.body}{message.subject}")
        reminder.refresh_from_db()
        self.assertEqual(reminder.status, "sent")

    def test_a_moved_appointment_gets_a_reminder_for_its_new_time(self) -> None:
        appt = make_appointment(self.dana, NOW + timedelta(hours=20), episode=self.episode)
        enqueue_due()
        appt.starts_at += timedelta(hours=2)
        appt.save()
        self.assertEqual(enqueue_due().created, 1)
        first, second = Reminder.objects.order_by("pk")
        self.assertEqual(deliver(first.pk), "skipped")
        first.refresh_from_db()
        self.assertEqual(first.outcome, "appointment_moved")
        self.assertEqual(deliver(second.pk), "sent")
        self.assertEqual(len(mail.outbox), 1)

    def test_a_cancelled_appointment_is_skipped_at_send_time(self) -> None:
        appt = make_appointment(self.dana, NOW + timedelta(hours=20), episode=self.episode)
        enqueue_due()
        appt.status = AppointmentStatus.CANCELLED
        appt.save()
        reminder = Reminder.objects.get()
        self.assertEqual(deliver(reminder.pk), "skipped")
        reminder.refresh_from_db()
        self.assertEqual(
            (reminder.status, reminder.outcome), ("skipped", "appointment_not_scheduled")
        )
        self.assertEqual(mail.outbox, [])

    def test_clients_with_no_address_get_nothing(self) -> None:
        make_appointment(self.finn, NOW + timedelta(hours=20))  # no email, no portal login
        make_appointment(self.eli, NOW + timedelta(hours=20))  # the same
        self.assertEqual(enqueue_due().created, 0)

    def test_the_record_email_is_used_without_a_portal_login(self) -> None:
        self.finn.email = "finn@example.net"
        self.finn.save()
        make_appointment(self.finn, NOW + timedelta(hours=20))
        enqueue_due()
        deliver(Reminder.objects.get().pk)
        self.assertEqual(mail.outbox[0].to, ["finn@example.net"])
        self.assertNotIn("portal", mail.outbox[0].body.split("reminders")[0])


class PreferenceTests(NotifyTestCase):
    def test_a_reminder_turned_off_is_not_recorded(self) -> None:
        ReminderPreferences.objects.create(client=self.dana, appointments=False)
        make_appointment(self.dana, NOW + timedelta(hours=20), episode=self.episode)
        self.assertEqual(enqueue_due().created, 0)
        self.assertFalse(Reminder.objects.exists())

    def test_turning_it_off_after_it_was_recorded_skips_it(self) -> None:
        make_appointment(self.dana, NOW + timedelta(hours=20), episode=self.episode)
        enqueue_due()
        ReminderPreferences.objects.create(client=self.dana, appointments=False)
        reminder = Reminder.objects.get()
        self.assertEqual(deliver(reminder.pk), "skipped")
        reminder.refresh_from_db()
        self.assertEqual(reminder.outcome, "preference_off")
        self.assertEqual(mail.outbox, [])

    def test_quiet_hours_hold_a_reminder_until_they_end(self) -> None:
        late = datetime(2026, 7, 1, 21, 30, tzinfo=UTC)  # 22:30 in London
        make_appointment(self.dana, late + timedelta(hours=20), episode=self.episode)
        with time_machine.travel(late, tick=False):
            report = enqueue_due()
        self.assertEqual((report.created, report.enqueued), (1, 0))
        reminder = Reminder.objects.get()
        self.assertEqual(reminder.send_after, datetime(2026, 7, 2, 7, 0, tzinfo=UTC))
        with time_machine.travel(datetime(2026, 7, 2, 6, 59, tzinfo=UTC), tick=False):
            self.assertEqual(enqueue_due().enqueued, 0)
        with time_machine.travel(datetime(2026, 7, 2, 7, 0, 30, tzinfo=UTC), tick=False):
            self.assertEqual(enqueue_due().enqueued, 1)
            self.assertEqual(deliver(reminder.pk), "sent")

    def test_quiet_hours_set_after_recording_defer_the_send(self) -> None:
        late = datetime(2026, 7, 1, 21, 30, tzinfo=UTC)
        make_appointment(self.dana, late + timedelta(hours=20), episode=self.episode)
        ReminderPreferences.objects.create(client=self.dana, quiet_start=None, quiet_end=None)
        with time_machine.travel(late, tick=False):
            enqueue_due()
            reminder = Reminder.objects.get()
            ReminderPreferences.objects.filter(client=self.dana).update(
                quiet_start=time(22, 0), quiet_end=time(7, 0)
            )
            self.assertEqual(deliver(reminder.pk), "deferred")
        reminder.refresh_from_db()
        self.assertEqual(
            (reminder.status, reminder.enqueued_at, reminder.send_after),
            ("pending", None, datetime(2026, 7, 2, 6, 0, tzinfo=UTC)),
        )
        self.assertEqual(mail.outbox, [])

    def test_the_clients_zone_decides(self) -> None:
        # 22:30 in London is 17:30 in New York: Eli (New York) is not in quiet hours.
        make_portal_user(self.eli)
        episode = make_episode(self.eli)
        late = datetime(2026, 7, 1, 21, 30, tzinfo=UTC)
        make_appointment(self.eli, late + timedelta(hours=20), episode=episode)
        with time_machine.travel(late, tick=False):
            self.assertEqual(enqueue_due().enqueued, 1)


class MeasureAndCheckinReminderTests(NotifyTestCase):
    def test_a_questionnaire_due_gets_a_one_time_link(self) -> None:
        admin = make_pending(self.episode, "phq9", due=NOW - timedelta(hours=1))
        enqueue_due()
        reminder = Reminder.objects.get(kind="measure")
        self.assertEqual(reminder.target_id, admin.pk)
        self.assertEqual(deliver(reminder.pk), "sent")
        body = mail.outbox[0].body
        self.assertIn("http://127.0.0.1:8000/q/", body)
        self.assertNotIn("PHQ", body)
        self.assertEqual(mail.outbox[0].subject, "A short questionnaire is waiting for you")
        self.assertEqual(enqueue_due().created, 0)

    def test_an_answered_questionnaire_is_skipped(self) -> None:
        admin = make_pending(self.episode, "phq9", due=NOW - timedelta(hours=1))
        enqueue_due()
        admin.status = "completed"
        admin.save()
        self.assertEqual(deliver(Reminder.objects.get().pk), "skipped")

    def test_a_check_in_due_is_reminded_once_per_step(self) -> None:
        PortalSettings.objects.create(client=self.dana, checkin_cadence="weekly")
        make_checkin(self.dana, when=NOW - timedelta(days=8))
        enqueue_due()
        reminder = Reminder.objects.get(kind="checkin")
        self.assertEqual(reminder.occasion, "2026-06-30")
        self.assertEqual(enqueue_due().created, 0)
        # Still overdue two days later: the same occasion, nothing new.
        with time_machine.travel(NOW + timedelta(days=2), tick=False):
            self.assertEqual(enqueue_due().created, 0)
        # A week after it was due: the next step.
        with time_machine.travel(NOW + timedelta(days=6), tick=False):
            self.assertEqual(enqueue_due().created, 1)
        self.assertEqual(deliver(reminder.pk), "sent")
        self.assertEqual(mail.outbox[0].subject, "You have a new check-in due")
        self.assertIn("http://127.0.0.1:8000/portal/check-in/", mail.outbox[0].body)

    def test_a_check_in_made_meanwhile_skips_the_reminder(self) -> None:
        PortalSettings.objects.create(client=self.dana, checkin_cadence="weekly")
        make_checkin(self.dana, when=NOW - timedelta(days=8))
        enqueue_due()
        make_checkin(self.dana, when=NOW)
        self.assertEqual(deliver(Reminder.objects.get().pk), "skipped")

    def test_no_check_in_reminders_without_a_cadence_or_portal(self) -> None:
        PortalSettings.objects.create(client=self.dana, checkin_cadence="none")
        PortalSettings.objects.create(client=self.finn, checkin_cadence="daily")
        make_episode(self.finn)
        self.assertFalse([d for d in enqueue_due().by_kind if d == "checkin"])


@override_settings(NOTIFY_THERAPIST_DAY_EMAILS=False, NOTIFY_WELLBEING_DIGESTS=False)
class FollowUpInvitationTests(FollowUpTestCase):
    def test_a_due_follow_up_check_in_is_invited_once(self) -> None:
        with time_machine.travel(AFTER_END, tick=False):
            consent = self.agree()
            self.assertEqual(enqueue_due().by_kind.get("followup"), None)
        with time_machine.travel(ONE_MONTH, tick=False):
            enqueue_due()
            self.assertEqual(enqueue_due().created, 0)
            reminder = Reminder.objects.get(kind="followup")
            self.assertEqual(deliver(reminder.pk), "sent")
        message = mail.outbox[0]
        self.assertEqual(message.subject, "Your follow-up check-in is due")
        self.assertIn("http://127.0.0.1:8000/portal/follow-up/", message.body)
        self.assertNotIn("Dana", message.body)
        with time_machine.travel(ONE_MONTH + timedelta(days=1), tick=False):
            withdraw(consent, actor=actor_for(self.dana_user))
            self.assertEqual(enqueue_due().created, 0)

    def test_a_withdrawn_consent_skips_the_invitation(self) -> None:
        with time_machine.travel(AFTER_END, tick=False):
            consent = self.agree()
        with time_machine.travel(ONE_MONTH, tick=False):
            enqueue_due()
            withdraw(consent, actor=actor_for(self.dana_user))
            self.assertEqual(deliver(Reminder.objects.get(kind="followup").pk), "skipped")
        self.assertEqual(mail.outbox, [])

    def test_an_offer_is_announced_once_without_saying_what_it_is(self) -> None:
        # Moved from followup/tests/test_consent.py: followup knows nothing of notify.
        from continuum.followup.services import offer_follow_up
        from continuum.followup.tests.world import TERMS

        with time_machine.travel(AFTER_END, tick=False):
            consent = offer_follow_up(self.episode, TERMS, actor=actor_for(self.alice))
            enqueue_due()
            self.assertEqual(enqueue_due().created, 0)
            reminder = Reminder.objects.get(target_type="followup_offer")
            self.assertEqual(reminder.target_id, consent.pk)
            self.assertEqual(deliver(reminder.pk), "sent")
        self.assertEqual(mail.outbox[-1].subject, "Something new in your portal")
        self.assertIn("http://127.0.0.1:8000/portal/follow-up/", mail.outbox[-1].body)
        self.assertNotIn("follow-up", mail.outbox[-1].body.split("http")[0].lower())

    def test_the_scheduler_expires_consents(self) -> None:
        from continuum.followup.services import Terms

        with time_machine.travel(AFTER_END, tick=False):
            consent = self.agree(Terms([1], "questionnaires", ONE_MONTH.date()))
        with time_machine.travel(ONE_MONTH + timedelta(days=2), tick=False):
            run_due_jobs()
        consent.refresh_from_db()
        self.episode.refresh_from_db()
        self.assertEqual((consent.status, self.episode.status), ("expired", "closed"))


class TherapistDayTests(NotifyTestCase):
    def test_a_therapist_with_items_gets_one_email_a_day_without_names(self) -> None:
        Alert.objects.create(
            client=self.dana,
            episode=self.episode,
            kind="safety",
            severity="high",
            severity_rank=0,
            cause="t",
            message="PHQ-9 item 9 answered 2",
        )
        with override_settings(NOTIFY_THERAPIST_DAY_EMAILS=True):
            enqueue_due()
            self.assertEqual(enqueue_due().created, 0)
        rows = {r.target_id: r for r in Reminder.objects.filter(kind="therapist_day")}
        self.assertEqual(rows[self.alice.pk].status, "pending")
        self.assertEqual(rows[self.bob.pk].status, "skipped")  # nothing on Bob's day
        deliver(rows[self.alice.pk].pk)
        message = mail.outbox[0]
        self.assertEqual(
            (message.to, message.subject), (["alice@example.org"], "You have items on your day")
        )
        self.assertNotIn("Dana", message.body)
        self.assertNotIn("PHQ", message.body)

    def test_not_before_the_morning_hour(self) -> None:
        with (
            override_settings(NOTIFY_THERAPIST_DAY_EMAILS=True),
            time_machine.travel(datetime(2026, 7, 1, 5, 0, tzinfo=UTC), tick=False),
        ):
            enqueue_due()
        # 06:00 in London: nobody yet; 08:00 in London (Charlie in New York is still asleep).
        self.assertFalse(Reminder.objects.filter(kind="therapist_day").exists())


class CrashAndRetryTests(NotifyTestCase):
    def make_row(self, **fields: Any) -> Reminder:
        appt = make_appointment(self.dana, NOW + timedelta(hours=20), episode=self.episode)
        fields.setdefault("send_after", NOW)
        return Reminder.objects.create(
            kind="appointment",
            target_type="appointment",
            target_id=appt.pk,
            occasion=appt.starts_at.isoformat(),
            **fields,
        )

    def test_a_claimed_row_never_confirmed_is_marked_lost_and_not_sent_again(self) -> None:
        row = self.make_row(
            status="sending", claimed_at=NOW - timedelta(minutes=20), enqueued_at=NOW
        )
        with self.assertLogs("continuum.notify.scheduler", "WARNING") as logs:
            report = enqueue_due()
        self.assertEqual((report.lost, report.enqueued), (1, 0))
        row.refresh_from_db()
        self.assertEqual(row.status, "lost")
        self.assertIn(f"reminder {row.pk} (appointment) lost", logs.output[0])
        self.assertEqual(deliver(row.pk), "not_claimed")
        self.assertEqual(mail.outbox, [])

    def test_a_recently_claimed_row_is_left_alone(self) -> None:
        row = self.make_row(status="sending", claimed_at=NOW - timedelta(minutes=1))
        enqueue_due()
        row.refresh_from_db()
        self.assertEqual(row.status, "sending")

    def test_a_queued_task_that_never_ran_is_queued_again_then_given_up(self) -> None:
        row = self.make_row(enqueued_at=NOW - timedelta(minutes=11), attempts=1)
        self.assertEqual(enqueue_due().enqueued, 1)
        row.refresh_from_db()
        self.assertEqual((row.attempts, row.enqueued_at), (2, NOW))
        self.assertEqual(enqueue_due().enqueued, 0)  # just queued: not again yet
        Reminder.objects.filter(pk=row.pk).update(attempts=5, enqueued_at=NOW - timedelta(hours=1))
        with self.assertLogs("continuum.notify.scheduler", "WARNING"):
            self.assertEqual(enqueue_due().given_up, 1)
        row.refresh_from_db()
        self.assertEqual((row.status, row.outcome), ("failed", "gave_up"))

    def test_an_unreachable_mail_server_releases_the_row_for_later(self) -> None:
        row = self.make_row()
        with (
            mock.patch(
                "django.core.mail.backends.locmem.EmailBackend.open",
                side_effect=ConnectionRefusedError,
                create=True,
            ),
            self.assertLogs("continuum.notify.delivery", "WARNING"),
        ):
            self.assertEqual(deliver(row.pk), "retry")
        row.refresh_from_db()
        self.assertEqual(
            (row.status, row.enqueued_at, row.send_after),
            ("pending", None, NOW + timedelta(minutes=5)),
        )

    def test_a_failure_mid_send_is_not_retried(self) -> None:
        row = self.make_row()
        with (
            mock.patch(
                "django.core.mail.backends.locmem.EmailBackend.send_messages",
                side_effect=smtplib.SMTPDataError(451, b"try later"),
            ),
            self.assertLogs("continuum.notify.delivery", "ERROR"),
        ):
            self.assertEqual(deliver(row.pk), "failed")
        row.refresh_from_db()
        self.assertEqual((row.status, row.outcome), ("failed", "SMTPDataError"))
        self.assertEqual(enqueue_due().enqueued, 0)

    def test_the_task_sends_through_the_queue(self) -> None:
        from continuum.notify.tasks import send_reminder

        row = self.make_row()
        self.assertEqual(send_reminder.call(row.pk), "sent")
        self.assertEqual(send_reminder.call(row.pk), "not_claimed")
        self.assertEqual(len(mail.outbox), 1)


class CommandTests(NotifyTestCase):
    def test_run_scheduler_once(self) -> None:
        make_appointment(self.dana, NOW + timedelta(hours=20), episode=self.episode)
        out = StringIO()
        call_command("run_scheduler", "--once", stdout=out)
        self.assertIn("due 1 (new 1: appointment 1), queued 1", out.getvalue())
        # Again within the same minute: the reminders job has had its run for this minute.
        out = StringIO()
        call_command("run_scheduler", "--once", stdout=out)
        self.assertIn("notify.reminders: already run this period", out.getvalue())
        # The next minute: it runs, and finds nothing new.
        with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
            call_command("run_scheduler", "--once", stdout=out)
        self.assertIn("due 0 (new 0: none), queued 0", out.getvalue())
        self.assertEqual(tasks(), 1)


class MessageReminderTests(NotifyTestCase):
    def test_an_unread_message_from_the_therapist_is_announced_without_its_text(self) -> None:
        from django.apps import apps

        if not apps.is_installed("continuum.boundaries"):
            self.skipTest("the boundaries app is not installed")
        message_model = apps.get_model("boundaries", "Message")
        message = message_model.objects.create(
            client=self.dana,
            sender=self.alice,
            direction="to_client",
            body="Let us move Thursday's session",
            idempotency_key="k" * 20,
        )
        enqueue_due()
        self.assertEqual(enqueue_due().created, 0)
        reminder = Reminder.objects.get(kind="message")
        self.assertEqual(reminder.target_id, message.pk)
        self.assertEqual(deliver(reminder.pk), "sent")
        sent = mail.outbox[0]
        self.assertEqual(sent.subject, "You have a new message")
        self.assertNotIn("Thursday", sent.body)
        self.assertIn("/portal/messages/", sent.body)
        # From the client to the therapist: no client email (the therapist's day lists it).
        message_model.objects.create(
            client=self.dana,
            sender=self.dana_user,
            direction="to_therapist",
            body="Fine",
            idempotency_key="m" * 20,
        )
        self.assertEqual(enqueue_due().created, 0)
