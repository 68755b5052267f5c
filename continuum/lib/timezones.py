"""Time-zone helpers: we store UTC and convert only to display or to compute local days."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta
from functools import cache


@cache
def all_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_valid_time_zone(name: str) -> bool:
    return name in all_time_zones()


def local_day_bounds(day: date, tz_name: str) -> tuple[datetime, datetime]:
    """The aware [start, end) instants of a calendar day in the given zone."""
    tz = zoneinfo.ZoneInfo(tz_name)
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


def week_start(day: date) -> date:
    """The Monday of the ISO week containing `day`."""
    return day - timedelta(days=day.weekday())
