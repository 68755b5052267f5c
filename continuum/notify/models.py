"""Reminders (one row per reminder and occasion, written before anything is sent) and each
client's reminder preferences.

A Reminder moves pending → sending → sent, or ends skipped (nothing to send any more),
failed (the mail server refused it) or lost (claimed by a worker that died before it could
confirm the send). It is never sent twice: see notify/delivery.py and docs/operations.md.
"""

from __future__ import annotations

from datetime import time

from django.db import models
from django.utils import timezone

from continuum.care.models import Client


class ReminderKind(models.TextChoices):
    APPOINTMENT = "appointment", "Appointment reminder"
    MEASURE = "measure", "Questionnaire reminder"
    CHECKIN = "checkin", "Check-in reminder"
    FOLLOWUP = "followup", "Follow-up check-in invitation"
    MESSAGE = "message", "New portal message"
    THERAPIST_DAY = "therapist_day", "Items on the therapist's day"
    WELLBEING_DIGEST = "wellbeing_digest", "Weekly wellbeing digests"


class ReminderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"
    LOST = "lost", "Lost"


class Reminder(models.Model):
    kind = models.CharField(max_length=24, choices=ReminderKind.choices)
    # What it is about ("appointment", "administration", "client", "followup_checkin",
    # "user", "system") and which row: structural ids only, never names.
    target_type = models.CharField(max_length=32)
    target_id = models.PositiveBigIntegerField()
    # Which occasion of that target (an appointment's start, a due day, an ISO week): a
    # moved appointment or the next due day is a new reminder, the same one never is.
    occasion = models.CharField(max_length=64)
    status = models.CharField(
        max_length=16, choices=ReminderStatus.choices, default=ReminderStatus.PENDING
    )
    # Not before this instant (the morning hour, the end of the client's quiet hours).
    send_after = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    # When the scheduler last put a task for it in the queue, and how many times it did.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Why it was skipped or failed, as a short code ("appointment_cancelled", "SMTPDataError").
    outcome = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "target_type", "target_id", "occasion"],
                name="reminder_once_per_occasion",
            ),
        ]
        indexes = [
            # The scheduler: pending rows ready to enqueue, and claimed rows gone quiet.
            models.Index(fields=["status", "send_after"]),
            models.Index(fields=["status", "claimed_at"]),
            models.Index(fields=["target_type", "target_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"


DEFAULT_QUIET_START = time(21, 0)
DEFAULT_QUIET_END = time(8, 0)


class ReminderPreferences(models.Model):
    """Which reminders a client gets by email, and when not to send them (their own zone).

    One row per client, made when they first save their choices; until then the defaults
    below apply (every reminder on, quiet from 21:00 to 08:00).
    """

    client = models.OneToOneField(
        Client, on_delete=models.CASCADE, related_name="reminder_preferences"
    )
    appointments = models.BooleanField("Appointment reminders", default=True)
    questionnaires = models.BooleanField("Questionnaires to answer", default=True)
    checkins = models.BooleanField("Check-ins due", default=True)
    followup = models.BooleanField("Follow-up check-ins after therapy", default=True)
    messages = models.BooleanField("Messages from your therapist", default=True)
    quiet_start = models.TimeField(null=True, blank=True, default=DEFAULT_QUIET_START)
    quiet_end = models.TimeField(null=True, blank=True, default=DEFAULT_QUIET_END)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return "Reminder preferences"

    @property
    def practice_id(self) -> int:
        return self.client.practice_id

    def wants(self, kind: str) -> bool:
        field = KIND_PREFERENCE.get(kind)
        return True if field is None else bool(getattr(self, field))


# Which preference switches each kind of client reminder on or off.
KIND_PREFERENCE: dict[str, str] = {
    ReminderKind.APPOINTMENT: "appointments",
    ReminderKind.MEASURE: "questionnaires",
    ReminderKind.CHECKIN: "checkins",
    ReminderKind.FOLLOWUP: "followup",
    ReminderKind.MESSAGE: "messages",
}


class JobRun(models.Model):
    """The latest run of each periodic job (continuum/lib/jobs.py), one row per job.

    A scheduler claims a job's period with a conditional UPDATE (`period_start < this
    period`); only the process whose UPDATE changed the row runs the job, so two schedulers
    (two cron lines, two machines) run each job once per period, on SQLite and PostgreSQL.
    """

    name = models.CharField(max_length=64, unique=True)
    # The period last claimed (a failed run gives it back, to be tried again next pass).
    period_start = models.DateTimeField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # "ok", or the class name of the exception that ended the run (never its message).
    outcome = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return self.name
