"""Follow-up's reminders, registered as a reminder kind (continuum/lib/jobs.py) in
FollowupConfig.ready(): what is due (invitations to a check-in whose day has come, and a
word that an offer waits in the portal), and what each says when it is sent.

The scheduler (notify) records, times and sends them; this module imports nothing of it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from continuum.care.portal_login import portal_login_q
from continuum.followup.models import (
    CheckInStatus,
    ConsentStatus,
    FollowUpCheckIn,
    FollowUpConsent,
)
from continuum.followup.services import client_today
from continuum.lib.jobs import ClientDue, ClientNotice, Ledger, ReminderKind, ReminderRow, Skip

KIND = "followup"
CHECKIN = "followup_checkin"
OFFER = "followup_offer"
# The clients' reminder preferences (the scheduler reads them for each ClientDue), loaded with
# the rows so that timing a batch costs no query per client.
PREFERENCES = "client__reminder_preferences"


def followup_invitations(now: datetime, ledger: Ledger) -> list[ClientDue]:
    """Follow-up check-ins whose day has come, of active consents, not yet invited (1 query)."""
    rows = (
        FollowUpCheckIn.objects.filter(
            status=CheckInStatus.SCHEDULED,
            consent__status=ConsentStatus.ACTIVE,
            # Local days run up to 14 hours ahead of UTC; each is checked in its zone below.
            due_on__lte=(now + timedelta(days=1)).date(),
        )
        .filter(portal_login_q("client__"))
        .exclude(pk__in=ledger.recorded_ids(KIND, CHECKIN))
        .select_related("client", PREFERENCES, "consent")
        .order_by("due_on", "pk")[: settings.NOTIFY_BATCH]
    )
    due = []
    for checkin in rows:
        today = client_today(checkin.client, now)
        if checkin.due_on > today or checkin.consent.ends_on < today:
            continue
        due.append(
            ClientDue(
                KIND, CHECKIN, checkin.pk, checkin.due_on.isoformat(), checkin.client, morning=True
            )
        )
    return due


def followup_offers(now: datetime, ledger: Ledger) -> list[ClientDue]:
    """Follow-up offered in the portal and not yet answered: the client is told once that
    something new waits there (1 query)."""
    rows = (
        FollowUpConsent.objects.filter(status=ConsentStatus.OFFERED)
        .filter(portal_login_q("client__"))
        .exclude(pk__in=ledger.recorded_ids(KIND, OFFER))
        .select_related("client", PREFERENCES)
        .order_by("pk")[: settings.NOTIFY_BATCH]
    )
    return [ClientDue(KIND, OFFER, consent.pk, "offered", consent.client) for consent in rows]


def followup_reminder(reminder: ReminderRow, now: datetime) -> ClientNotice:
    if reminder.target_type == OFFER:
        return followup_offer(reminder)
    return followup_invitation(reminder)


def followup_offer(reminder: ReminderRow) -> ClientNotice:
    consent = (
        FollowUpConsent.objects.select_related("client", "client__user", PREFERENCES)
        .filter(pk=reminder.target_id)
        .first()
    )
    if consent is None or consent.status != ConsentStatus.OFFERED:
        raise Skip("offer_answered")
    return ClientNotice(
        consent.client,
        subject="Something new in your portal",
        template="emails/reminder_portal_item.txt",
        route="followup:portal_home",
    )


def followup_invitation(reminder: ReminderRow) -> ClientNotice:
    checkin = (
        FollowUpCheckIn.objects.select_related("consent", "client", "client__user", PREFERENCES)
        .filter(pk=reminder.target_id)
        .first()
    )
    if checkin is None:
        raise Skip("checkin_gone")
    if checkin.status != CheckInStatus.SCHEDULED:
        raise Skip("checkin_not_open")
    if checkin.consent.status != ConsentStatus.ACTIVE:
        raise Skip("consent_ended")
    return ClientNotice(
        checkin.client,
        subject="Your follow-up check-in is due",
        template="emails/reminder_followup.txt",
        route="followup:portal_home",
        morning=True,
    )


FOLLOWUP_REMINDERS = ReminderKind(
    KIND, providers=(followup_invitations, followup_offers), handler=followup_reminder
)
