"""When a check-in is due, and when the therapist will read an urgent one. Plain Python.

Cadences are the values of `models.CheckinCadence` ("none", "weekly", "twice_weekly",
"daily"). Days are the client's local calendar days.

When the therapist reads things follows their contact policy (continuum/boundaries/policy.py:
working days and hours in their own time zone); without one, Monday to Friday, 9:00 to 17:00.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from continuum.boundaries.policy import WorkingHours, default_hours, reads_by

# Days between check-ins for each cadence; "none" asks for none.
CADENCE_DAYS: dict[str, int] = {"daily": 1, "twice_weekly": 3, "weekly": 7}


def next_checkin_day(cadence: str, last: date | None, today: date) -> date | None:
    """The day the next check-in is due: today when none was ever made, None for no cadence."""
    interval = CADENCE_DAYS.get(cadence)
    if interval is None:
        return None
    if last is None:
        return today
    return last + timedelta(days=interval)


def checkin_due(cadence: str, last: date | None, today: date) -> bool:
    """True when the cadence asks for a check-in today (or one is overdue)."""
    due = next_checkin_day(cadence, last, today)
    return due is not None and due <= today


def therapist_reads_by(now: datetime, tz_name: str, hours: WorkingHours | None = None) -> datetime:
    """The end of the working day on which a message sent at `now` will be read.

    During or before working hours on a workday: that day's close. After hours, or on a day
    off: the next workday's close. Aware, in the therapist's zone. `hours` are the
    therapist's own (ContactPolicy.hours); the default is Monday to Friday, 9:00 to 17:00.
    """
    return reads_by(hours or default_hours(tz_name), now)
