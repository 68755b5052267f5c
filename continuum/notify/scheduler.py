"""The scheduler: once a minute, write a Reminder row for everything now due, then queue a
task for each row ready to go.

`enqueue_due(now)` is safe to run twice, or in two processes at once:

1. housekeeping hooks run first (follow-up consents that expired close, missed follow-up
   check-ins are marked);
2. providers say what is due; each becomes a row UNIQUE on (kind, target_type, target_id,
   occasion), inserted with "ignore conflicts", so a second run writes nothing new;
3. rows pending and ready (their `send_after` has come, never queued or queued so long ago
   that the task must have been lost) are marked queued with a conditional UPDATE; only the
   process whose UPDATE changed the row puts a `send_reminder` task in the queue, in the same
   transaction (the django-tasks-db queue is a table in the same database);
4. rows claimed by a worker that never confirmed the send are marked lost and logged.

The task claims its row before sending (notify/delivery.py), so a task queued twice still
sends once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from continuum.notify.models import Reminder, ReminderStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Due:
    """One reminder a provider says is due: what, about which row, for which occasion."""

    kind: str
    target_type: str
    target_id: int
    occasion: str
    send_after: datetime
    # A row that records the occasion without sending anything (nothing to say).
    skip: str = ""


Provider = Callable[[datetime], Iterable[Due]]
Hook = Callable[[datetime], object]


@dataclass
class Report:
    hooks: int = 0
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


def providers() -> list[Provider]:
    from continuum.notify import providers as builtin

    found: list[Provider] = [
        builtin.appointment_reminders,
        builtin.measure_reminders,
        builtin.checkin_reminders,
        builtin.message_reminders,
        builtin.therapist_day_reminders,
        builtin.wellbeing_digest,
    ]
    if apps.is_installed("continuum.followup"):
        from continuum.followup.reminders import followup_invitations, followup_offers

        found += [followup_invitations, followup_offers]
    return found


def hooks() -> list[Hook]:
    found: list[Hook] = []
    if apps.is_installed("continuum.followup"):
        from continuum.followup.services import housekeeping

        found.append(housekeeping)
    return found


def collect_due(now: datetime) -> list[Due]:
    due: list[Due] = []
    for provider in providers():
        due.extend(provider(now))
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
    for hook in hooks():
        hook(now)
        report.hooks += 1
    due = collect_due(now)
    report.due = len(due)
    for d in due:
        report.by_kind[d.kind] = report.by_kind.get(d.kind, 0) + 1
    report.created = record_due(due, now)
    report.lost = mark_lost(now)
    report.enqueued, report.given_up = enqueue_ready(now)
    return report
