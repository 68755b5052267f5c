"""Follow-up invitations for the scheduler (notify): what is due, and what the email says."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef

from continuum.followup.models import (
    CheckInStatus,
    ConsentStatus,
    FollowUpCheckIn,
    FollowUpConsent,
)
from continuum.followup.services import client_today
from continuum.notify.delivery import Skip
from continuum.notify.email import Email, client_address, site_url
from continuum.notify.handlers import client_ready
from continuum.notify.models import Reminder, ReminderKind
from continuum.notify.preferences import send_time_for
from continuum.notify.providers import portal_login_q
from continuum.notify.scheduler import Due


def followup_invitations(now: datetime) -> list[Due]:
    """Follow-up check-ins whose day has come, of active consents, not yet invited (1 query)."""
    invited = Reminder.objects.filter(
        kind=ReminderKind.FOLLOWUP, target_type="followup_checkin", target_id=OuterRef("pk")
    )
    rows = (
        FollowUpCheckIn.objects.filter(
            status=CheckInStatus.SCHEDULED,
            consent__status=ConsentStatus.ACTIVE,
            # Local days run up to 14 hours ahead of UTC; each is checked in its zone below.
            due_on__lte=(now + timedelta(days=1)).date(),
        )
        .filter(portal_login_q("client__"))
        .exclude(Exists(invited))
        .select_related("client", "client__reminder_preferences", "consent")
        .order_by("due_on", "pk")[: settings.NOTIFY_BATCH]
    )
    due = []
    for checkin in rows:
        today = client_today(checkin.client, now)
        if checkin.due_on > today or checkin.consent.ends_on < today:
            continue
        when = send_time_for(
            checkin.client,
            ReminderKind.FOLLOWUP,
            now,
            not_before_hour=settings.NOTIFY_DAY_REMINDER_HOUR,
        )
        if when is not None:
            due.append(
                Due(
                    ReminderKind.FOLLOWUP,
                    "followup_checkin",
                    checkin.pk,
                    checkin.due_on.isoformat(),
                    when,
                )
            )
    return due


def followup_offers(now: datetime) -> list[Due]:
    """Follow-up offered in the portal and not yet answered: the client is told once that
    something new waits there (1 query)."""
    told = Reminder.objects.filter(
        kind=ReminderKind.FOLLOWUP, target_type="followup_offer", target_id=OuterRef("pk")
    )
    rows = (
        FollowUpConsent.objects.filter(status=ConsentStatus.OFFERED)
        .filter(portal_login_q("client__"))
        .exclude(Exists(told))
        .select_related("client", "client__reminder_preferences")
        .order_by("pk")[: settings.NOTIFY_BATCH]
    )
    due = []
    for consent in rows:
        when = send_time_for(consent.client, ReminderKind.FOLLOWUP, now)
        if when is not None:
            due.append(Due(ReminderKind.FOLLOWUP, "followup_offer", consent.pk, "offered", when))
    return due


def followup_reminder(reminder: Reminder, now: datetime) -> Email:
    if reminder.target_type == "followup_offer":
        return followup_offer(reminder, now)
    return followup_invitation(reminder, now)


def followup_offer(reminder: Reminder, now: datetime) -> Email:
    consent = (
        FollowUpConsent.objects.select_related(
            "client", "client__user", "client__reminder_preferences"
        )
        .filter(pk=reminder.target_id)
        .first()
    )
    if consent is None or consent.status != ConsentStatus.OFFERED:
        raise Skip("offer_answered")
    client = consent.client
    client_ready(client, ReminderKind.FOLLOWUP, now, morning=False)
    to = client_address(client, portal_only=True)
    if not to:
        raise Skip("no_portal_login")
    return Email(
        to=to,
        subject="Something new in your portal",
        template="emails/reminder_portal_item.txt",
        context={"link": site_url("followup:portal_home")},
    )


def followup_invitation(reminder: Reminder, now: datetime) -> Email:
    checkin = (
        FollowUpCheckIn.objects.select_related(
            "consent", "client", "client__user", "client__reminder_preferences"
        )
        .filter(pk=reminder.target_id)
        .first()
    )
    if checkin is None:
        raise Skip("checkin_gone")
    if checkin.status != CheckInStatus.SCHEDULED:
        raise Skip("checkin_not_open")
    if checkin.consent.status != ConsentStatus.ACTIVE:
        raise Skip("consent_ended")
    client = checkin.client
    client_ready(client, ReminderKind.FOLLOWUP, now, morning=True)
    to = client_address(client, portal_only=True)
    if not to:
        raise Skip("no_portal_login")
    return Email(
        to=to,
        subject="Your follow-up check-in is due",
        template="emails/reminder_followup.txt",
        context={"link": site_url("followup:portal_home")},
    )
