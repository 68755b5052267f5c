"""Calendar feed tokens: issued, looked up, revoked (the actions are in services.py).

A token is 32 random bytes (43 URL-safe characters), shown to its owner on their calendar
page and put in the feed URL; the database keeps only its SHA-256, so a copy of the database
opens no calendar. A feed works only while its owner may still see the sessions in it: a
deactivated member's (or a client whose portal access was revoked) feed answers 404 at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.db.models import QuerySet

from continuum.accounts.models import User
from continuum.care.models import Appointment, AppointmentStatus, Client
from continuum.exchange.calendar import window
from continuum.exchange.models import CalendarFeed


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def live_feed_of(user: User) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).first()


def _may_use(feed: CalendarFeed) -> bool:
    user = feed.user
    if not user.is_active:
        return False
    if feed.client_id is not None:
        # The client's portal login must still be theirs.
        return feed.client is not None and feed.client.user_id == user.pk
    membership = getattr(user, "membership", None)
    return membership is not None and membership.is_active and membership.is_clinical


def feed_for_token(token: str) -> CalendarFeed | None:
    """The live feed the token opens, or None (unknown, revoked, or its owner may no longer
    see these sessions)."""
    if not token or len(token) > 128:
        return None
    feed = (
        CalendarFeed.objects.select_related("user", "user__membership", "client")
        .filter(token_hash=hash_token(token), revoked_at__isnull=True)
        .first()
    )
    if feed is None or not _may_use(feed):
        return None
    return feed


def therapist_appointments(user: User, now: datetime) -> QuerySet[Appointment]:
    start, end = window(now)
    return (
        Appointment.objects.filter(therapist=user, starts_at__gte=start, starts_at__lt=end)
        .select_related("client")
        .order_by("starts_at", "pk")
    )


def client_appointments(client: Client, now: datetime) -> QuerySet[Appointment]:
    start, end = window(now)
    return (
        Appointment.objects.filter(client=client, starts_at__gte=start, starts_at__lt=end)
        .select_related("client")
        .order_by("starts_at", "pk")
    )


def upcoming_for_client(client: Client, now: datetime) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(
            client=client, starts_at__gte=now, status=AppointmentStatus.SCHEDULED
        )
        .select_related("client")
        .order_by("starts_at", "pk")
    )
