"""The one scheduler: every job the apps register runs from `run_scheduler --once`, each once
per period; a failing job is retried and stops no other. (Two schedulers at once:
test_two_schedulers.py.)"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from unittest import mock

import time_machine
from django.core import mail
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from continuum.continuity.models import Attention
from continuum.exchange.models import RecordRequest
from continuum.fhir.models import ExportJob
from continuum.fhir.tests.world import make_export
from continuum.followup.models import FollowUpCheckIn
from continuum.followup.queries import FOLLOWUP_DUE_ITEM
from continuum.followup.tests.world import FollowUpTestCase
from continuum.lib.jobs import PeriodicJob, periodic_jobs, reminder_kinds
from continuum.measures.models import Administration, Alert, MeasureAssignment
from continuum.measures.tests.world import make_score
from continuum.notify.delivery import deliver
from continuum.notify.models import JobRun, Reminder, ReminderKind
from continuum.notify.scheduler import run_due_jobs
from continuum.portal.tests.world import make_pending
from continuum.testing.base import BaseTestCase, make_appointment, make_episode
from continuum.wellbeing.models import DigestSent, WellbeingSettings

# Thursday 1 October 2026, 10:00 in London: Dana's 3-month follow-up check-in (due 30
# September) is open, her 1-month one was never answered.
NOW = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)

JOBS = {
    "accounts.refusals",
    "audit.seal",
    "continuity.attention",
    "exchange.release_records",
    "fhir.expire_exports",
    "followup.housekeeping",
    "measures.session_schedules",
    "measures.overdue_alerts",
    "measures.outdated_alerts",
    "notify.reminders",
}
KINDS = {
    "appointment",
    "measure",
    "checkin",
    "message",
    "therapist_day",
    "followup",
    "wellbeing_digest",
}


def scheduler_once() -> str:
    out = StringIO()
    call_command("run_scheduler", "--once", stdout=out)
    return out.getvalue()


class RegistryTests(BaseTestCase):
    def test_the_apps_register_exactly_these_jobs_and_reminder_kinds(self) -> None:
        # A new job belongs here and in EveryJobRunsTests, with the effect it must have.
        self.assertEqual({job.name for job in periodic_jobs.all()}, JOBS)
        self.assertEqual({kind.name for kind in reminder_kinds.all()}, KINDS)
        # Each kind is one the reminder rows know (their `kind` choices).
        self.assertLessEqual(KINDS, set(ReminderKind.values))

    def test_the_periods(self) -> None:
        every = {job.name: job.every for job in periodic_jobs.all()}
        self.assertEqual(
            every,
            {
                "accounts.refusals": timedelta(minutes=1),
                "audit.seal": timedelta(minutes=1),
                "continuity.attention": timedelta(hours=1),
                "exchange.release_records": timedelta(hours=1),
                "fhir.expire_exports": timedelta(hours=1),
                "followup.housekeeping": timedelta(minutes=1),
                "measures.session_schedules": timedelta(hours=1),
                "measures.overdue_alerts": timedelta(hours=1),
                "measures.outdated_alerts": timedelta(hours=1),
                "notify.reminders": timedelta(minutes=1),
            },
        )


@time_machine.travel(NOW, tick=False)
class EveryJobRunsTests(FollowUpTestCase):
    def setUp(self) -> None:
        # Dana agreed to follow-up at 1, 3, 6 and 12 months.
        with time_machine.travel(datetime(2026, 7, 1, 9, 0, tzinfo=UTC), tick=False):
            self.agree()
        # Finn is in therapy with Bob: a questionnaire every session, one session booked after
        # it was assigned, and an earlier questionnaire never answered.
        self.finn_episode = make_episode(self.finn, start_date=date(2026, 9, 1))
        self.assignment = MeasureAssignment.objects.create(
            episode=self.finn_episode,
            instrument="phq9",
            cadence="every_session",
            starts_on=date(2026, 9, 1),
            ends_on=date(2026, 12, 31),
            created_by=self.bob,
        )
        self.session = make_appointment(
            self.finn, NOW + timedelta(days=2), episode=self.finn_episode
        )
        self.overdue = make_pending(self.finn_episode, "gad7", due=NOW - timedelta(days=8))
        # Finn's GAD-7: 15 at intake, 16 at session 4 (a not-on-track alert raised before
        # alerts closed themselves), then 5.
        first = make_score(self.finn_episode, "gad7", 15, NOW - timedelta(days=60), session=1)
        high = make_score(self.finn_episode, "gad7", 16, NOW - timedelta(days=30), session=4)
        self.back_in_range = make_score(
            self.finn_episode, "gad7", 5, NOW - timedelta(days=5), session=6
        )
        assert first.pk
        self.stale_alert = Alert.objects.create(
            client=self.finn,
            episode=self.finn_episode,
            administration=high,
            kind="not_on_track",
            severity="medium",
            severity_rank=1,
            cause=f"not_on_track:gad7:{high.pk}",
            message="GAD-7 16 at session 4",
        )
        # Alice reads her weekly digest.
        WellbeingSettings.objects.create(therapist=self.alice, digest_opt_in=True)
        # Alice's bulk export of yesterday has expired.
        self.export, _file = make_export(self.alice)
        ExportJob.objects.filter(pk=self.export.pk).update(expires_at=NOW - timedelta(hours=1))
        # Finn asked for his record 30 days ago and Bob has not released it.
        self.record_request = RecordRequest.objects.create(
            client=self.finn,
            requested_at=NOW - timedelta(days=30, hours=1),
            release_due_at=NOW - timedelta(hours=1),
        )

    def test_run_scheduler_once_runs_every_registered_job(self) -> None:
        out = scheduler_once()

        ran = [line.split(": ")[1] for line in out.splitlines()]
        # Each job once, in order: housekeeping and the sync before the alerts they affect,
        # the reminders last, seeing what the others changed.
        self.assertEqual(
            ran,
            [
                "accounts.refusals",
                "audit.seal",
                "measures.session_schedules",
                "followup.housekeeping",
                "measures.overdue_alerts",
                "measures.outdated_alerts",
                "exchange.release_records",
                "fhir.expire_exports",
                "continuity.attention",
                "notify.reminders",
            ],
        )
        self.assertEqual(set(ran), {job.name for job in periodic_jobs.all()})
        self.assertNotIn("failed", out)
        self.assertEqual(
            dict(JobRun.objects.values_list("name", "outcome")), dict.fromkeys(JOBS, "ok")
        )

        # measures.session_schedules: the session booked later has its questionnaire.
        self.assertTrue(
            Administration.objects.filter(
                assignment=self.assignment, appointment=self.session, status="pending"
            ).exists()
        )
        self.assertIn("measures.session_schedules: 1 questionnaire(s) added", out)
        # exchange.release_records: Finn's record is released to him, by nobody.
        self.record_request.refresh_from_db()
        self.assertEqual(
            (self.record_request.status, self.record_request.released_by), ("released", None)
        )
        self.assertIn("exchange.release_records: released 1", out)
        # fhir.expire_exports: Alice's bulk export past its time is gone, with its files.
        self.assertFalse(ExportJob.objects.filter(pk=self.export.pk).exists())
        self.assertIn("fhir.expire_exports: deleted 1", out)
        # continuity.attention: the day's table has the reasons that came with time, after
        # the jobs before it (Dana's 3-month follow-up check-in, due yesterday).
        self.assertIn(
            (self.dana.pk, FOLLOWUP_DUE_ITEM),
            set(Attention.objects.values_list("client_id", "kind")),
        )
        # measures.overdue_alerts: the questionnaire past its window raised its alert.
        alert = Alert.objects.get(kind="overdue")
        self.assertEqual(alert.administration_id, self.overdue.pk)
        # measures.outdated_alerts: Finn's not-on-track alert, whose newer score is back in
        # range, closed as no longer current, naming that score.
        self.stale_alert.refresh_from_db()
        self.assertEqual(
            (self.stale_alert.resolution, self.stale_alert.closed_by_administration_id),
            ("no_longer_current", self.back_in_range.pk),
        )
        self.assertIn("measures.outdated_alerts: 1 alert(s) closed as no longer current", out)
        # followup.housekeeping: the 1-month check-in, never answered, is missed.
        self.assertEqual(
            dict(FollowUpCheckIn.objects.values_list("number", "status")),
            {1: "missed", 2: "scheduled", 3: "scheduled", 4: "scheduled"},
        )
        # notify.reminders: the 3-month invitation is recorded and queued …
        invitation = Reminder.objects.get(kind="followup")
        self.assertEqual(
            invitation.target_id,
            FollowUpCheckIn.objects.get(number=2).pk,
        )
        self.assertIsNotNone(invitation.enqueued_at)
        # … and so is this week's wellbeing digest, which the worker then sends.
        digest = Reminder.objects.get(kind="wellbeing_digest")
        self.assertEqual((digest.occasion, digest.status), ("2026-W40", "pending"))
        self.assertIsNotNone(digest.enqueued_at)
        self.assertEqual(
            DBTaskResult.objects.count(),
            Reminder.objects.filter(enqueued_at__isnull=False).count(),
        )
        self.assertEqual(deliver(digest.pk), "sent")
        self.assertEqual(
            list(DigestSent.objects.values_list("therapist", flat=True)), [self.alice.pk]
        )
        self.assertEqual(deliver(invitation.pk), "sent")
        self.assertIn("Your follow-up check-in is due", [m.subject for m in mail.outbox])

    def test_each_job_runs_once_per_period(self) -> None:
        first = run_due_jobs()
        self.assertEqual({o.status for o in first}, {"ran"})
        # The same minute: nothing runs again.
        self.assertEqual({o.status for o in run_due_jobs()}, {"not_due"})
        self.assertIn("already run this period", scheduler_once())
        # The next minute: the minute jobs run, the hourly ones wait for the hour.
        with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
            statuses = {o.name: o.status for o in run_due_jobs()}
        self.assertEqual(
            statuses,
            {
                "accounts.refusals": "ran",
                "audit.seal": "ran",
                "continuity.attention": "not_due",
                "exchange.release_records": "not_due",
                "fhir.expire_exports": "not_due",
                "followup.housekeeping": "ran",
                "measures.session_schedules": "not_due",
                "measures.overdue_alerts": "not_due",
                "measures.outdated_alerts": "not_due",
                "notify.reminders": "ran",
            },
        )
        with time_machine.travel(NOW + timedelta(hours=1), tick=False):
            self.assertEqual({o.status for o in run_due_jobs()}, {"ran"})
        # Still one row per job: the claims do not pile up.
        self.assertEqual(JobRun.objects.count(), len(JOBS))


@time_machine.travel(NOW, tick=False)
class FailureTests(BaseTestCase):
    def test_a_failing_job_is_logged_stops_no_other_and_is_tried_again_next_pass(self) -> None:
        calls: list[str] = []

        def broken(now: datetime) -> None:
            calls.append("broken")
            raise ZeroDivisionError("a message that might quote data")

        def fine(now: datetime) -> str:
            calls.append("fine")
            return "done"

        jobs = {
            "test.broken": PeriodicJob("test.broken", timedelta(hours=1), broken),
            "test.fine": PeriodicJob("test.fine", timedelta(hours=1), fine, order=1),
        }
        with mock.patch.dict(periodic_jobs._items, jobs, clear=True):
            with self.assertLogs("continuum.notify.scheduler", "ERROR") as logs:
                outcomes = run_due_jobs()
            self.assertEqual([o.status for o in outcomes], ["failed", "ran"])
            self.assertEqual(
                logs.output,
                ["ERROR:continuum.notify.scheduler:job test.broken failed: ZeroDivisionError"],
            )
            self.assertEqual(JobRun.objects.get(name="test.broken").outcome, "ZeroDivisionError")
            # A minute later, the same hour: the failed job is tried again, the other is not.
            with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
                jobs["test.broken"] = replace(jobs["test.broken"], run=fine)
                periodic_jobs._items.update(jobs)
                outcomes = run_due_jobs()
            self.assertEqual([o.status for o in outcomes], ["ran", "not_due"])
        self.assertEqual(calls, ["broken", "fine", "fine"])
        self.assertEqual(JobRun.objects.get(name="test.broken").outcome, "ok")
