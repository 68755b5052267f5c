"""What each of notify's own kinds of reminder says, decided when it is sent (not when it was
recorded). Other apps' kinds register their own handlers (continuum/lib/jobs.py).

Each handler reloads its target and raises Skip when there is nothing to send any more, or
Defer when the client's quiet hours hold it back; otherwise it returns the Email. Bodies
carry no clinical content (see notify/email.py).
"""

from __future__ import annotations

from datetime import datetime

from django.apps import apps
from django.urls import NoReverseMatch

from continuum.accounts.actors import actor_for
from continuum.accounts.models import User
from continuum.care.episodes import OPEN_STATUSES
from continuum.care.models import Appointment, AppointmentStatus, Client
from continuum.care.portal_login import has_portal_login
from continuum.lib.jobs import ReminderRow
from continuum.measures import services as measures
from continuum.measures import tokens
from continuum.measures.models import Administration, AdministrationStatus
from continuum.notify import quiet
from continuum.notify.delivery import Skip, client_ready
from continuum.notify.email import Email, client_address, site_url
from continuum.notify.models import ReminderKind
from continuum.portal import timing
from continuum.portal.models import CheckIn


def _client(pk: int) -> Client:
    client = (
        Client.objects.select_related("user", "reminder_preferences", "portal_settings")
        .filter(pk=pk)
        .first()
    )
    if client is None:
        raise Skip("client_gone")
    return client


def appointment(reminder: ReminderRow, now: datetime) -> Email:
    appt = (
        Appointment.objects.select_related("client", "client__user", "client__reminder_preferences")
        .filter(pk=reminder.target_id)
        .first()
    )
    if appt is None:
        raise Skip("appointment_gone")
    if appt.status != AppointmentStatus.SCHEDULED:
        raise Skip("appointment_not_scheduled")
    if appt.starts_at.isoformat() != reminder.occasion:
        raise Skip("appointment_moved")
    if appt.starts_at <= now:
        raise Skip("too_late")
    client = appt.client
    client_ready(client, ReminderKind.APPOINTMENT, now, morning=False)
    to = client_address(client)
    if not to:
        raise Skip("no_address")
    return Email(
        to=to,
        subject="Reminder: your appointment",
        template="emails/reminder_appointment.txt",
        time_zone=client.time_zone,
        context={
            "when": appt.starts_at,
            "time_zone": client.time_zone,
            "portal_url": site_url("portal:home") if has_portal_login(client) else "",
        },
    )


def measure(reminder: ReminderRow, now: datetime) -> Email:
    admin = (
        Administration.objects.select_related(
            "episode", "client", "client__user", "client__reminder_preferences"
        )
        .filter(pk=reminder.target_id)
        .first()
    )
    if admin is None:
        raise Skip("administration_gone")
    if admin.status != AdministrationStatus.PENDING:
        raise Skip("not_pending")
    if admin.episode.status not in OPEN_STATUSES:
        raise Skip("episode_not_open")
    if admin.window_ends_at <= now:
        raise Skip("too_late")
    client = admin.client
    client_ready(client, ReminderKind.MEASURE, now, morning=True)
    to = client_address(client)
    if not to:
        raise Skip("no_address")
    # A link the therapist already gave out keeps working; otherwise a fresh one (a new link
    # would void the old).
    link = measures.link_url(admin, now)
    if link is None:
        measures.issue_link(admin, actor=actor_for(None))
        link = measures.link_url(admin)
    if link is None:
        raise Skip("no_link")
    return Email(
        to=to,
        subject="A short questionnaire is waiting for you",
        template="emails/reminder_measure.txt",
        context={"link": link, "days": tokens.link_lifetime().days},
    )


def checkin(reminder: ReminderRow, now: datetime) -> Email:
    client = _client(reminder.target_id)
    if not has_portal_login(client):
        raise Skip("no_portal_login")
    portal = getattr(client, "portal_settings", None)
    if portal is None or portal.checkin_cadence not in timing.CADENCE_DAYS:
        raise Skip("checkins_off")
    if not client.episodes.filter(status__in=[str(s) for s in OPEN_STATUSES]).exists():
        raise Skip("not_in_therapy")
    last = (
        CheckIn.objects.filter(client=client)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last is not None:
        day = last.astimezone(quiet.zone(client.time_zone)).date().isoformat()
        if day >= reminder.occasion:
            raise Skip("already_checked_in")
    client_ready(client, ReminderKind.CHECKIN, now, morning=True)
    return Email(
        to=client_address(client, portal_only=True),
        subject="You have a new check-in due",
        template="emails/reminder_checkin.txt",
        context={"link": site_url("portal:checkin")},
    )


def therapist_day(reminder: ReminderRow, now: datetime) -> Email:
    user = User.objects.filter(pk=reminder.target_id, is_active=True).first()
    if user is None:
        raise Skip("user_inactive")
    return Email(
        to=user.email,
        subject="You have items on your day",
        template="emails/reminder_therapist_day.txt",
        context={"link": site_url("continuity:day")},
    )


def message(reminder: ReminderRow, now: datetime) -> Email:
    """ "You have a new message": never its text, nor who wrote it."""
    if not apps.is_installed("continuum.boundaries"):
        raise Skip("messages_off")
    row = (
        apps.get_model("boundaries", "Message")
        .objects.select_related("client", "client__user", "client__reminder_preferences")
        .filter(pk=reminder.target_id)
        .first()
    )
    if row is None:
        raise Skip("message_gone")
    if row.read_at is not None:
        raise Skip("already_read")
    client = row.client
    client_ready(client, ReminderKind.MESSAGE, now, morning=False)
    to = client_address(client, portal_only=True)
    if not to:
        raise Skip("no_portal_login")
    try:
        link = site_url("boundaries:portal_messages")
    except NoReverseMatch:
        link = site_url("portal:home")
    return Email(
        to=to,
        subject="You have a new message",
        template="emails/reminder_message.txt",
        context={"link": link},
    )
