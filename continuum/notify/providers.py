"""What is due now: notify's own reminder providers (other apps register their own kinds in
continuum/lib/jobs.py).

Each provider runs a fixed number of queries whatever the size of the practice, and leaves
out what was already recorded, so the scheduler's insert has little to ignore. Preferences
and quiet hours are the client's own (their record's time zone); a reminder due during quiet
hours is recorded now with `send_after` at their end.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from continuum.accounts.models import Membership
from continuum.care.episodes import OPEN_STATUSES
from continuum.care.models import Appointment, AppointmentStatus, Client, Episode
from continuum.care.portal_login import portal_login_q
from continuum.lib.jobs import Due, Ledger
from continuum.measures.models import Administration, AdministrationStatus
from continuum.notify import quiet
from continuum.notify.models import Reminder, ReminderKind
from continuum.notify.preferences import send_time_for
from continuum.portal import timing

K = ReminderKind
_OPEN = [str(s) for s in OPEN_STATUSES]


def reachable_q(prefix: str = "") -> Q:
    """Clients we can email: an email address on the record, or a portal login."""
    return Q(**{f"{prefix}email__gt": ""}) | portal_login_q(prefix)


def already_recorded(kind: str, target_type: str, ids: Sequence[int]) -> set[tuple[int, str]]:
    """(target id, occasion) of the rows already written for these targets (1 query)."""
    if not ids:
        return set()
    return set(
        Reminder.objects.filter(
            kind=kind, target_type=target_type, target_id__in=list(ids)
        ).values_list("target_id", "occasion")
    )


def _fresh(due: list[Due]) -> list[Due]:
    if not due:
        return []
    first = due[0]
    seen = already_recorded(first.kind, first.target_type, [d.target_id for d in due])
    return [d for d in due if (d.target_id, d.occasion) not in seen]


def _client_due(
    client: Client,
    kind: str,
    target_type: str,
    target_id: int,
    occasion: str,
    now: datetime,
    *,
    morning: bool,
) -> Due | None:
    hour = settings.NOTIFY_DAY_REMINDER_HOUR if morning else None
    when = send_time_for(client, kind, now, not_before_hour=hour)
    if when is None:
        return None
    return Due(kind, target_type, target_id, occasion, when)


# --- Clients --------------------------------------------------------------------------------


def appointment_reminders(now: datetime, ledger: Ledger) -> list[Due]:
    """Scheduled appointments starting within NOTIFY_APPOINTMENT_HOURS (2 queries)."""
    horizon = now + timedelta(hours=settings.NOTIFY_APPOINTMENT_HOURS)
    rows = (
        Appointment.objects.filter(
            status=AppointmentStatus.SCHEDULED, starts_at__gt=now, starts_at__lte=horizon
        )
        .filter(reachable_q("client__"))
        .select_related("client", "client__reminder_preferences")
        .order_by("starts_at", "pk")[: settings.NOTIFY_BATCH]
    )
    due = []
    for appt in rows:
        # The occasion is the start time: a moved appointment gets a reminder of its own.
        d = _client_due(
            appt.client,
            K.APPOINTMENT,
            "appointment",
            appt.pk,
            appt.starts_at.isoformat(),
            now,
            morning=False,
        )
        if d is not None and d.send_after < appt.starts_at:
            due.append(d)
    return _fresh(due)


def measure_reminders(now: datetime, ledger: Ledger) -> list[Due]:
    """Questionnaires of open episodes due now and not yet reminded (1 query)."""
    reminded = Reminder.objects.filter(
        kind=K.MEASURE, target_type="administration", target_id=OuterRef("pk")
    )
    rows = (
        Administration.objects.filter(
            status=AdministrationStatus.PENDING,
            due_at__lte=now,
            window_ends_at__gt=now,
            episode__status__in=_OPEN,
        )
        .filter(reachable_q("client__"))
        .exclude(Exists(reminded))
        .select_related("client", "client__reminder_preferences")
        .order_by("due_at", "pk")[: settings.NOTIFY_BATCH]
    )
    due = []
    for admin in rows:
        d = _client_due(
            admin.client, K.MEASURE, "administration", admin.pk, "due", now, morning=True
        )
        if d is not None and d.send_after < admin.window_ends_at:
            due.append(d)
    return due


def checkin_occasion(
    cadence: str, anchor: datetime | None, today: date, tz_name: str
) -> date | None:
    """The day of the check-in now due (a date), or None when none is due today.

    `anchor` is the last check-in (or, before the first, when the cadence was chosen). While
    a check-in stays overdue, the occasion moves on one cadence step at a time, so an
    unanswered weekly check-in is reminded once a week, not every day.
    """
    interval = timing.CADENCE_DAYS.get(cadence)
    if interval is None or anchor is None:
        return None
    last = anchor.astimezone(quiet.zone(tz_name)).date()
    due = timing.next_checkin_day(cadence, last, today)
    if due is None or due > today:
        return None
    steps = (today - due).days // interval
    return due + timedelta(days=steps * interval)


def checkin_reminders(now: datetime, ledger: Ledger) -> list[Due]:
    """Clients in therapy with portal check-ins on a cadence, whose check-in is due (2 queries)."""
    open_episode = Episode.objects.filter(client=OuterRef("pk"), status__in=_OPEN)
    clients = (
        Client.objects.filter(portal_settings__checkin_cadence__in=list(timing.CADENCE_DAYS))
        .filter(portal_login_q())
        .filter(Exists(open_episode))
        .annotate(last_checkin=Max("checkins__created_at"))
        .select_related("portal_settings", "reminder_preferences")
        .order_by("pk")[: settings.NOTIFY_BATCH]
    )
    due = []
    for client in clients:
        tz = quiet.zone(client.time_zone)
        today = now.astimezone(tz).date()
        portal = getattr(client, "portal_settings")  # noqa: B009 - loaded by select_related
        anchor = getattr(client, "last_checkin") or portal.updated_at  # noqa: B009 - annotated
        day = checkin_occasion(portal.checkin_cadence, anchor, today, client.time_zone)
        if day is None:
            continue
        d = _client_due(client, K.CHECKIN, "client", client.pk, day.isoformat(), now, morning=True)
        if d is not None:
            due.append(d)
    return _fresh(due)


def message_reminders(now: datetime, ledger: Ledger) -> list[Due]:
    """Therapists' portal messages the client has not read yet (the boundaries app's, when
    it is installed), sent in the last NOTIFY_MESSAGE_DAYS days. 2 queries."""
    if not apps.is_installed("continuum.boundaries"):
        return []
    message_model = apps.get_model("boundaries", "Message")
    rows = (
        message_model.objects.filter(
            direction="to_client",
            read_at__isnull=True,
            created_at__gte=now - timedelta(days=settings.NOTIFY_MESSAGE_DAYS),
        )
        .filter(portal_login_q("client__"))
        .select_related("client", "client__reminder_preferences")
        .order_by("created_at", "pk")[: settings.NOTIFY_BATCH]
    )
    due = []
    for message in rows:
        d = _client_due(message.client, K.MESSAGE, "message", message.pk, "new", now, morning=False)
        if d is not None:
            due.append(d)
    return _fresh(due)


# --- Staff and the whole installation --------------------------------------------------------


def therapist_day_reminders(now: datetime, ledger: Ledger) -> list[Due]:
    """Once a day, from NOTIFY_THERAPIST_DAY_HOUR in their zone: "You have items on your day".

    The day is built once per therapist per day (a row is recorded either way, skipped when
    there is nothing on it), so the cost is one day-page build per therapist per day.
    """
    if not settings.NOTIFY_THERAPIST_DAY_EMAILS:
        return []
    from continuum.continuity.day import build_day

    members = list(
        Membership.objects.filter(is_active=True, is_clinical=True, user__is_active=True)
        .select_related("user")
        .order_by("pk")[: settings.NOTIFY_BATCH]
    )
    candidates = []
    for member in members:
        local = now.astimezone(quiet.zone(member.user.time_zone))
        if local.hour >= settings.NOTIFY_THERAPIST_DAY_HOUR:
            candidates.append((member.user, local.date().isoformat()))
    seen = already_recorded(K.THERAPIST_DAY, "user", [u.pk for u, _ in candidates])
    due = []
    for user, day in candidates:
        if (user.pk, day) in seen:
            continue
        with timezone.override(quiet.zone(user.time_zone)):
            the_day = build_day(user, now)
            # Clients on the day (in the day's own order, lib.priority) or a prompt for the
            # therapist: either is a reason to write.
            items = len(the_day.on_my_mind) + len(the_day.for_you)
        due.append(Due(K.THERAPIST_DAY, "user", user.pk, day, now, skip="" if items else "empty"))
    return due
