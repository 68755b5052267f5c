"""The one scheduler: every periodic job the apps register, each run once per period.

`run_due_jobs(now)` (`manage.py run_scheduler --once` or `--loop`) runs, in order, each job
registered in continuum/lib/jobs.py whose period has come. It first **claims** the job's
period: a conditional UPDATE of the job's JobRun row (`period_start < this period`), or the
first insert of that row; only the process whose write succeeded runs the job, so two
schedulers at once (two cron lines, two machines) run each job once per period. A job that
raises is logged (its exception's class name only) and its period given back, to be tried
again at the next pass; the other jobs still run. A scheduler killed mid-job loses that
period's run: every job catches up at its next period.

This module imports no domain app: the jobs and the reminder kinds come from the registries,
filled by each app's AppConfig.ready().

The reminders job (`enqueue_due`, every minute, last in each pass) is notify's own. It is safe
to run twice, or in two processes at once:

1. each registered reminder kind's providers say what is due; a client's reminder gets its
   send time from the client's preferences and quiet hours (or is dropped when they turned
   that kind off); each becomes a row UNIQUE on (kind, target_type, target_id, occasion),
   inserted with "ignore conflicts", so a second run writes nothing new;
2. rows pending and ready (their `send_after` has come, never queued or queued so long ago
   that the task must have been lost) are marked queued with a conditional UPDATE; only the
   process whose UPDATE changed the row puts a `send_reminder` task in the queue, in the same
   transaction (the django-tasks-db queue is a table in the same database);
3. rows claimed by a worker that never confirmed the send are marked lost and logged.

The task claims its row before sending (notify/delivery.py), so a task queued twice still
sends once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from continuum.lib import jobs
from continuum.lib.jobs import ClientDue, Due, PeriodicJob
from continuum.notify.models import JobRun, Reminder, ReminderStatus
from continuum.notify.preferences import send_time_for

log = logging.getLogger(__name__)

__all__ = ["Due", "JobOutcome", "Report", "enqueue_due", "run_due_jobs"]


# --- Periodic jobs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class JobOutcome:
    name: str
    # "ran", "not_due" (another pass or scheduler ran it this period) or "failed".
    status: str
    result: object = None

    def __str__(self) -> str:
        if self.status == "ran":
            return f"{self.name}: {'done' if self.result is None else self.result}"
        if self.status == "not_due":
            return f"{self.name}: already run this period"
        return f"{self.name}: failed ({self.result})"


def claim(job: PeriodicJob, period: datetime, now: datetime) -> bool:
    """Take this period of `job` for this process; False when another already has it."""
    fields: dict[str, Any] = {"started_at": now, "finished_at": None, "outcome": ""}
    if JobRun.objects.filter(name=job.name, period_start__lt=period).update(
        period_start=period, **fields
    ):
        return True
    try:
        with transaction.atomic():
            JobRun.objects.create(name=job.name, period_start=period, **fields)
    except IntegrityError:  # the row exists: this period (or a later one) is taken
        return False
    return True


def _finish(job: PeriodicJob, period: datetime, now: datetime, outcome: str) -> None:
    mine = JobRun.objects.filter(name=job.name, period_start=period, started_at=now)
    if outcome == "ok":
        mine.update(finished_at=timezone.now(), outcome=outcome)
    else:
        # Given back: the next pass claims this period again.
        mine.update(period_start=period - job.every, finished_at=timezone.now(), outcome=outcome)


def run_job(job: PeriodicJob, now: datetime) -> JobOutcome:
    period = job.period_start(now)
    if not claim(job, period, now):
        return JobOutcome(job.name, "not_due")
    try:
        result = job.run(now)
    except Exception as error:  # one failing job must not stop the others
        # The class name only: exception messages may quote data.
        log.error("job %s failed: %s", job.name, type(error).__name__)
        _finish(job, period, now, type(error).__name__[:64])
        return JobOutcome(job.name, "failed", type(error).__name__)
    _finish(job, period, now, "ok")
    return JobOutcome(job.name, "ran", result)


def run_due_jobs(now: datetime | None = None) -> list[JobOutcome]:
    """Run every registered job whose period has come, lowest `order` first."""
    now = now or timezone.now()
    ordered = sorted(jobs.periodic_jobs.all(), key=lambda job: job.order)
    return [run_job(job, now) for job in ordered]


# --- The reminders job -----------------------------------------------------------------------


@dataclass
class Report:
    due: int = 0
    created: int = 0
    enqueued: int = 0
    given_up: int = 0
    lost: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.by_kind.items())) or "none"
        return (
            f"due {self.due} (new {self.created}: {kinds}), queued {self.enqueued}, "
            f"given up {self.given_up}, lost {self.lost}"
        )


class ReminderLedger:
    """The reminder rows, as the providers may ask about them (jobs.Ledger)."""

    def recorded_ids(self, kind: str, target_type: str) -> Any:
        return Reminder.objects.filter(kind=kind, target_type=target_type).values("target_id")

    def has(self, kind: str, target_type: str, target_id: int, occasion: str) -> bool:
        return Reminder.objects.filter(
            kind=kind, target_type=target_type, target_id=target_id, occasion=occasion
        ).exists()


def _timed(item: Due | ClientDue, now: datetime) -> Due | None:
    if isinstance(item, Due):
        return item
    hour = settings.NOTIFY_DAY_REMINDER_HOUR if item.morning else None
    when = send_time_for(item.client, item.kind, now, not_before_hour=hour)
    if when is None:
        return None
    return Due(item.kind, item.target_type, item.target_id, item.occasion, when)


def collect_due(now: datetime) -> list[Due]:
    ledger = ReminderLedger()
    due: list[Due] = []
    for kind in jobs.reminder_kinds.all():
        for provider in kind.providers:
            for item in provider(now, ledger):
                timed = _timed(item, now)
                if timed is not None:
                    due.append(timed)
    return due


def record_due(due: Iterable[Due], now: datetime) -> int:
    """Insert a row per due reminder, ignoring those already recorded; returns how many are new."""
    rows = [
        Reminder(
            kind=d.kind,
            target_type=d.target_type,
            target_id=d.target_id,
            occasion=d.occasion[:64],
            send_after=d.send_after,
            created_at=now,
            status=ReminderStatus.SKIPPED if d.skip else ReminderStatus.PENDING,
            outcome=d.skip,
        )
        for d in due
    ]
    if not rows:
        return 0
    before = Reminder.objects.count()
    Reminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return Reminder.objects.count() - before


def enqueue_ready(now: datetime) -> tuple[int, int]:
    """Queue a task for each pending row whose time has come; returns (queued, given up)."""
    from continuum.notify.tasks import send_reminder

    retry_before = now - timedelta(seconds=settings.NOTIFY_RETRY_AFTER_SECONDS)
    ready = list(
        Reminder.objects.filter(status=ReminderStatus.PENDING, send_after__lte=now)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=retry_before))
        .order_by("send_after", "pk")
        .values_list("pk", "enqueued_at", "attempts")[: settings.NOTIFY_BATCH]
    )
    queued = given_up = 0
    for pk, enqueued_at, attempts in ready:
        with transaction.atomic():
            rows = Reminder.objects.filter(
                pk=pk, status=ReminderStatus.PENDING, enqueued_at=enqueued_at
            )
            if attempts >= settings.NOTIFY_MAX_ATTEMPTS:
                if rows.update(status=ReminderStatus.FAILED, outcome="gave_up"):
                    log.warning("reminder %s given up after %s attempts", pk, attempts)
                    given_up += 1
                continue
            if rows.update(enqueued_at=now, attempts=attempts + 1):
                send_reminder.enqueue(pk)
                queued += 1
    return queued, given_up


def mark_lost(now: datetime) -> int:
    """Rows claimed by a worker that never confirmed: they may or may not have gone out.

    They are never sent again (a second copy is worse than a missing reminder); each is
    logged so an operator can look.
    """
    cutoff = now - timedelta(seconds=settings.NOTIFY_LOST_AFTER_SECONDS)
    stale = list(
        Reminder.objects.filter(status=ReminderStatus.SENDING, claimed_at__lt=cutoff).values_list(
            "pk", "kind"
        )
    )
    lost = 0
    for pk, kind in stale:
        if Reminder.objects.filter(pk=pk, status=ReminderStatus.SENDING).update(
            status=ReminderStatus.LOST, outcome="claimed_never_confirmed"
        ):
            log.warning("reminder %s (%s) lost: claimed and never confirmed as sent", pk, kind)
            lost += 1
    return lost


def enqueue_due(now: datetime | None = None) -> Report:
    now = now or timezone.now()
    report = Report()
    due = collect_due(now)
    report.due = len(due)
    for d in due:
        report.by_kind[d.kind] = report.by_kind.get(d.kind, 0) + 1
    report.created = record_due(due, now)
    report.lost = mark_lost(now)
    report.enqueued, report.given_up = enqueue_ready(now)
    return report


REMINDERS = PeriodicJob("notify.reminders", every=timedelta(minutes=1), run=enqueue_due, order=100)
