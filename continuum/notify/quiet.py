"""Quiet hours and local sending times, in plain Python (no Django).

Quiet hours are a [start, end) span of wall-clock time in the client's own zone; a span
whose end is before its start runs over midnight (21:00-08:00). Equal start and end, or
either missing, means no quiet hours.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta


def zone(name: str) -> zoneinfo.ZoneInfo:
    """The named zone, or UTC for a name this machine does not know."""
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def in_quiet_hours(wall: time, start: time | None, end: time | None) -> bool:
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= wall < end
    return wall >= start or wall < end


def quiet_until(now: datetime, tz_name: str, start: time | None, end: time | None) -> datetime:
    """`now` itself when it is outside quiet hours; otherwise the instant they end (aware).

    Across a clock change the end is the first instant at or after the wall-clock end time.
    """
    tz = zone(tz_name)
    local = now.astimezone(tz)
    if end is None or not in_quiet_hours(local.time(), start, end):
        return now
    day = local.date()
    if local.time() >= end:
        day += timedelta(days=1)
    until = datetime.combine(day, end, tzinfo=tz)
    # A wall time skipped by a spring-forward gap normalises forward through UTC.
    return max(until.astimezone(zoneinfo.ZoneInfo("UTC")), now)


def not_before_local(now: datetime, tz_name: str, hour: int) -> datetime:
    """`now`, or today's `hour`:00 in the zone when that is still to come (day reminders
    are sent from the morning on, not at midnight)."""
    tz = zone(tz_name)
    local = now.astimezone(tz)
    start = datetime.combine(local.date(), time(hour, 0), tzinfo=tz)
    return max(now, start.astimezone(zoneinfo.ZoneInfo("UTC")))


def send_time(
    now: datetime,
    tz_name: str,
    *,
    quiet_start: time | None,
    quiet_end: time | None,
    not_before_hour: int | None = None,
) -> datetime:
    """When a reminder due at `now` may go out: after the morning hour, outside quiet hours."""
    when = now if not_before_hour is None else not_before_local(now, tz_name, not_before_hour)
    return quiet_until(when, tz_name, quiet_start, quiet_end)
