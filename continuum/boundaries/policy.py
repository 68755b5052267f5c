"""A therapist's working hours as plain values, and the questions a client's message asks of
them: is it within hours now, when will the therapist next read, by when do they aim to reply.
No Django here.

Hours are wall-clock times in the therapist's own time zone, on the working days chosen
(0 is Monday, 6 is Sunday). A working period never crosses midnight (the end is after the
start). On the days the clocks change, a period starts and ends at the instants the wall
clock shows those times; a start time the clocks skip (spring forward) begins the period
at the moment of the jump, and a repeated time (fall back) means its first occurrence.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ALL_DAYS = frozenset(range(7))
DEFAULT_DAYS = frozenset(range(5))  # Monday .. Friday
DEFAULT_START = time(9, 0)
DEFAULT_END = time(17, 0)
DEFAULT_RESPONSE_HOURS = 48
# A promise longer than two weeks is no promise; one hour is the shortest we show.
MIN_RESPONSE_HOURS = 1
MAX_RESPONSE_HOURS = 14 * 24


class PolicyError(ValueError):
    """Working hours that cannot be (no day, end not after start, unknown time zone)."""


# --- Working days as a bit mask (bit 0 is Monday), how the database keeps them -------------------


def days_to_mask(days: Iterable[int]) -> int:
    mask = 0
    for day in days:
        if not 0 <= day <= 6:
            raise PolicyError(f"{day!r} is not a weekday number (0 Monday to 6 Sunday)")
        mask |= 1 << day
    return mask


def mask_to_days(mask: int) -> frozenset[int]:
    return frozenset(day for day in range(7) if mask & (1 << day))


# --- Working hours ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkingHours:
    days: frozenset[int]
    start: time
    end: time
    tz_name: str
    tz: zoneinfo.ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.days:
            raise PolicyError("Choose at least one working day.")
        if not self.days <= ALL_DAYS:
            raise PolicyError("Working days are numbered 0 (Monday) to 6 (Sunday).")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise PolicyError("Working hours are wall-clock times without a time zone.")
        if self.end <= self.start:
            raise PolicyError("The working day must end after it starts.")
        try:
            tz = zoneinfo.ZoneInfo(self.tz_name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise PolicyError(f"Unknown time zone {self.tz_name!r}.") from None
        object.__setattr__(self, "tz", tz)


def default_hours(tz_name: str) -> WorkingHours:
    """Monday to Friday, 9:00 to 17:00 in the given zone."""
    return WorkingHours(DEFAULT_DAYS, DEFAULT_START, DEFAULT_END, tz_name)


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an aware datetime is required")


def _exists(candidate: datetime, naive: datetime, tz: zoneinfo.ZoneInfo) -> bool:
    return candidate.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive


def wall_instant(day: date, wall: time, tz: zoneinfo.ZoneInfo) -> datetime:
    """The instant the wall clock in `tz` first shows `wall` on `day` (aware, in `tz`).

    A repeated time (clocks going back) is its first occurrence; a skipped one (clocks going
    forward) is the moment of the jump, the first instant whose wall time is past it.
    """
    naive = datetime.combine(day, wall)
    earlier = naive.replace(tzinfo=tz, fold=0)
    if _exists(earlier, naive, tz):
        return earlier
    # In the gap: read with fold=1 it lands before the jump, with fold=0 after it (PEP 495).
    # Transitions fall on whole seconds, so a search over seconds finds the jump exactly.
    lo = int(naive.replace(tzinfo=tz, fold=1).timestamp())
    hi = int(earlier.timestamp()) + 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, tz)


def working_period(hours: WorkingHours, day: date) -> tuple[datetime, datetime] | None:
    """The [start, end) instants of `day`'s working period, or None on a day off."""
    if day.weekday() not in hours.days:
        return None
    return wall_instant(day, hours.start, hours.tz), wall_instant(day, hours.end, hours.tz)


def _period_at_or_after(hours: WorkingHours, moment: datetime) -> tuple[datetime, datetime]:
    """The first working period that has not ended at `moment`."""
    _require_aware(moment)
    first_day = moment.astimezone(hours.tz).date()
    # A week and a day reaches the same weekday again, whichever day `moment` falls on; a
    # second week covers a period the clocks skip entirely (it is empty that day).
    for offset in range(15):
        period = working_period(hours, first_day + timedelta(days=offset))
        if period is not None and period[0] < period[1] and moment < period[1]:
            return period
    raise AssertionError("a policy with at least one working day has a period within 15 days")


def in_hours(hours: WorkingHours, moment: datetime) -> bool:
    """True when `moment` falls within a working period."""
    start, end = _period_at_or_after(hours, moment)
    return start <= moment < end


def next_reading(hours: WorkingHours, moment: datetime) -> datetime:
    """When the therapist will next read a message sent at `moment`: at once within hours,
    else when the next working period starts. Aware, in the therapist's zone."""
    start, _ = _period_at_or_after(hours, moment)
    return max(moment.astimezone(hours.tz), start)


def reads_by(hours: WorkingHours, moment: datetime) -> datetime:
    """The close of the working period in which a message sent at `moment` will be read.

    Within hours or before the start of a working day: that day's close. After hours or on
    a day off: the close of the next working day.
    """
    _, end = _period_at_or_after(hours, moment)
    return end


def reply_by(hours: WorkingHours, moment: datetime, response_time_hours: int) -> datetime:
    """When a reply is promised for a message sent at `moment`.

    The promised hours run from when the therapist next reads it; a promise that falls
    outside working hours is kept when the next working period starts.
    """
    if response_time_hours < 0:
        raise PolicyError("A response time cannot be negative.")
    target = next_reading(hours, moment) + timedelta(hours=response_time_hours)
    return next_reading(hours, target)


# --- In plain words ---------------------------------------------------------------------------


def describe_time(value: time) -> str:
    """9:00, 17:30."""
    return f"{value.hour}:{value.minute:02d}"


def describe_days(days: Iterable[int]) -> str:
    """ "Monday to Friday", "every day", "Monday, Wednesday and Friday", "Saturday to Monday"."""
    chosen = frozenset(days)
    if not chosen:
        return "no days"
    if chosen == ALL_DAYS:
        return "every day"
    # One unbroken run, possibly across Sunday into Monday, reads as a range.
    starts = [d for d in sorted(chosen) if (d - 1) % 7 not in chosen]
    if len(starts) == 1 and len(chosen) >= 3:
        first = starts[0]
        last = (first + len(chosen) - 1) % 7
        return f"{WEEKDAYS[first]} to {WEEKDAYS[last]}"
    names = [WEEKDAYS[d] for d in sorted(chosen)]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def describe_schedule(
    days: Iterable[int], start: time, end: time, *, sentence_start: bool = True
) -> str:
    """ "Monday to Friday, 9:00 to 17:00"; "every day, ..." within a sentence."""
    named = describe_days(days)
    if sentence_start:
        named = named[0].upper() + named[1:]
    return f"{named}, {describe_time(start)} to {describe_time(end)}"


def describe_hours(hours: WorkingHours) -> str:
    return describe_schedule(hours.days, hours.start, hours.end)


def describe_response_time(response_time_hours: int) -> str:
    """ "within 2 days (48 hours)", "within a day (24 hours)", "within 4 hours"."""
    h = response_time_hours
    if h <= 0:
        return "as soon as they can"
    if h % 24 == 0:
        days = h // 24
        return "within a day (24 hours)" if days == 1 else f"within {days} days ({h} hours)"
    return "within an hour" if h == 1 else f"within {h} hours"
