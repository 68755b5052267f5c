"""Appointments as iCalendar (RFC 5545), built with the `icalendar` library.

Events carry no health information by default: "Session" and the modality. Times are written
in the owner's time zone with its VTIMEZONE, so a calendar app shows a session at the right
local hour on both sides of a daylight-saving change. UIDs are stable (the appointment's id
and the site's host); SEQUENCE is the appointment's own counter, bumped by the care service
when a session moves or is cancelled, so subscribed calendars replace their copy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from continuum.care.models import Appointment, AppointmentStatus, Modality
from continuum.exchange.models import FeedNames

PRODID = "-//Continuum//Calendar feed//EN"
# The feed's window: a month back (so last week's sessions stay visible) to a year ahead.
DAYS_BACK = 30
DAYS_AHEAD = 365


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    starts_at: datetime
    ends_at: datetime
    summary: str
    sequence: int
    cancelled: bool


def _host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "continuum.invalid"


def uid_of(appointment_id: int) -> str:
    return f"appointment-{appointment_id}@{_host()}"


def initials(first_name: str, last_name: str) -> str:
    return "".join(f"{part[0].upper()}." for part in (first_name, last_name) if part)


def summary_for(appointment: Appointment, names: str) -> str:
    """'Session (video)', or with the client's initials or first name when chosen."""
    words = f"Session ({Modality(appointment.modality).label.lower()})"
    client = appointment.client
    if names == FeedNames.INITIALS:
        return f"{initials(client.preferred_name or client.first_name, client.last_name)} {words}"
    if names == FeedNames.FIRST_NAME:
        return f"{client.preferred_name or client.first_name}: {words}"
    return words


def event_of(appointment: Appointment, names: str) -> CalendarEvent:
    return CalendarEvent(
        uid=uid_of(appointment.pk),
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        summary=summary_for(appointment, names),
        sequence=appointment.sequence,
        cancelled=appointment.status == AppointmentStatus.CANCELLED,
    )


def window(now: datetime) -> tuple[datetime, datetime]:
    return now - timedelta(days=DAYS_BACK), now + timedelta(days=DAYS_AHEAD)


def build_calendar(
    events: Iterable[CalendarEvent], *, tz_name: str, name: str, now: datetime | None = None
) -> bytes:
    """The .ics bytes for `events`, written in `tz_name` (with its VTIMEZONE)."""
    now = now or timezone.now()
    tz = ZoneInfo(tz_name)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", tz_name)
    first: date | None = None
    last: date | None = None
    for item in events:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", now)
        event.add("dtstart", item.starts_at.astimezone(tz))
        event.add("dtend", item.ends_at.astimezone(tz))
        event.add("summary", item.summary)
        event.add("sequence", item.sequence)
        event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
        event.add("transp", "TRANSPARENT" if item.cancelled else "OPAQUE")
        cal.add_component(event)
        day = item.starts_at.date()
        first = day if first is None or day < first else first
        last = day if last is None or day > last else last
    if first is not None and last is not None and tz_name != "UTC":
        # Only the transitions the events need, a year either side to be safe.
        cal.add_missing_timezones(
            first_date=first - timedelta(days=366), last_date=last + timedelta(days=366)
        )
    return bytes(cal.to_ical())
