"""Sending one reminder, at most once.

`deliver(reminder_id)` (run by the `send_reminder` task):

1. **claims** the row: `UPDATE … SET status='sending' WHERE id=… AND status='pending'`. Only
   the process whose UPDATE changed the row goes on; a second task for the same row, a retry
   or a concurrent worker finds it claimed and stops.
2. asks the reminder's kind whether there is still something to send (an appointment may
   have been cancelled, a questionnaire answered, a preference turned off): if not, the row
   ends **skipped**; if the client's quiet hours began meanwhile, the row goes back to
   pending with a later `send_after`.
3. opens the mail connection: if that fails nothing was sent, so the row goes back to
   pending for a later attempt (at most NOTIFY_MAX_ATTEMPTS).
4. sends, and marks the row **sent**. If the server fails mid-send the row ends **failed**
   (the message may have gone out; it is not sent again).

The trade-off: a worker killed between 1 and 4 leaves the row "sending". The scheduler marks
it **lost** after NOTIFY_LOST_AFTER_SECONDS and logs it; it is never sent again. So each
reminder is sent exactly once, unless its worker dies during its own send, when it is sent at
most once. A duplicate reminder is worse than a missing one, and rare either way.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.utils import timezone

from continuum.care.models import Client
from continuum.lib import jobs
from continuum.lib.jobs import ClientNotice, Defer, Skip
from continuum.notify.email import Email, build_message, client_address, site_url
from continuum.notify.models import Reminder, ReminderStatus
from continuum.notify.preferences import send_time_for

log = logging.getLogger(__name__)

__all__ = ["Defer", "Skip", "check_send_time", "client_ready", "deliver"]

# How long to wait before trying again when the mail server cannot be reached.
RECONNECT_DELAY = timedelta(minutes=5)
# A send time this close to now is "now" (the scheduler and the worker run a minute apart).
TOLERANCE = timedelta(minutes=1)

Action = Callable[[], Any]


def prepare(reminder: Reminder, now: datetime) -> Email | Action:
    """What to send for this reminder, from its kind's handler (registered by its app)."""
    kind = jobs.reminder_kinds.get(reminder.kind)
    if kind is None:
        raise Skip("unknown_kind")
    work = kind.handler(reminder, now)
    if isinstance(work, ClientNotice):
        return notice_email(work, reminder.kind, now)
    if isinstance(work, Email) or callable(work):
        return work
    raise TypeError(f"reminder kind {reminder.kind} returned {type(work).__name__}")


def client_ready(client: Client, kind: str, now: datetime, *, morning: bool) -> None:
    """Skip when the client turned this kind off; Defer while their quiet hours hold it back."""
    hour = settings.NOTIFY_DAY_REMINDER_HOUR if morning else None
    check_send_time(send_time_for(client, kind, now, not_before_hour=hour), now)


def notice_email(notice: ClientNotice, kind: str, now: datetime) -> Email:
    client_ready(notice.client, kind, now, morning=notice.morning)
    to = client_address(notice.client, portal_only=notice.portal_only)
    if not to:
        raise Skip("no_portal_login" if notice.portal_only else "no_address")
    return Email(
        to=to,
        subject=notice.subject,
        template=notice.template,
        context={"link": site_url(notice.route)},
    )


def claim(reminder_id: int, now: datetime) -> bool:
    return (
        Reminder.objects.filter(pk=reminder_id, status=ReminderStatus.PENDING).update(
            status=ReminderStatus.SENDING, claimed_at=now
        )
        == 1
    )


def _finish(
    reminder_id: int, status: str, *, outcome: str = "", sent_at: datetime | None = None
) -> None:
    Reminder.objects.filter(pk=reminder_id, status=ReminderStatus.SENDING).update(
        status=status, outcome=outcome[:64], sent_at=sent_at
    )


def _release(reminder_id: int, until: datetime) -> None:
    """Back to pending, to be queued again once `until` has come."""
    Reminder.objects.filter(pk=reminder_id, status=ReminderStatus.SENDING).update(
        status=ReminderStatus.PENDING, claimed_at=None, enqueued_at=None, send_after=until
    )


def deliver(reminder_id: int, now: datetime | None = None) -> str:
    """Claim, build and send one reminder; returns what happened ("sent", "skipped", ...)."""
    now = now or timezone.now()
    if not claim(reminder_id, now):
        log.info("reminder %s not claimed: already taken or finished", reminder_id)
        return "not_claimed"
    reminder = Reminder.objects.get(pk=reminder_id)
    try:
        work = prepare(reminder, now)
    except Skip as skip:
        _finish(reminder_id, ReminderStatus.SKIPPED, outcome=skip.code)
        return "skipped"
    except Defer as defer:
        _release(reminder_id, defer.until)
        return "deferred"
    except Exception as error:  # a broken reminder must not stop the worker
        # The class name only: exception messages may quote data.
        log.error("reminder %s could not be prepared: %s", reminder_id, type(error).__name__)
        _finish(reminder_id, ReminderStatus.FAILED, outcome=type(error).__name__)
        return "failed"
    if not isinstance(work, Email):
        work()
        _finish(reminder_id, ReminderStatus.SENT, sent_at=timezone.now())
        return "sent"
    message = build_message(work, reminder_id)
    connection = get_connection()
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as error:
        # Nothing left this machine: safe to try again later.
        log.warning("reminder %s: mail server unreachable (%s)", reminder_id, type(error).__name__)
        _release(reminder_id, now + RECONNECT_DELAY)
        return "retry"
    try:
        connection.send_messages([message])
    except (OSError, smtplib.SMTPException) as error:
        log.error("reminder %s: sending failed (%s)", reminder_id, type(error).__name__)
        _finish(reminder_id, ReminderStatus.FAILED, outcome=type(error).__name__)
        return "failed"
    finally:
        connection.close()
    _finish(reminder_id, ReminderStatus.SENT, sent_at=timezone.now())
    return "sent"


def check_send_time(when: datetime | None, now: datetime) -> None:
    """For handlers: Skip when the preference is off, Defer when quiet hours hold it back."""
    if when is None:
        raise Skip("preference_off")
    if when > now + TOLERANCE:
        raise Defer(when)
