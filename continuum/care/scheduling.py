"""Appointment scheduling as plain Python: local wall-clock times, series dates, overlaps.

No Django here: the service layer hands in plain values (dates, times, zone names, instants)
and gets plain values back, so all of this is tested without a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

MIN_SERIES_LENGTH = 2
MAX_SERIES_LENGTH = 52


class Repeat(StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"


REPEAT_LABELS: dict[Repeat, str] = {
    Repeat.WEEKLY: "Every week",
    Repeat.FORTNIGHTLY: "Every two weeks",
}

REPEAT_INTERVAL: dict[Repeat, timedelta] = {
    Repeat.WEEKLY: timedelta(days=7),
    Repeat.FORTNIGHTLY: timedelta(days=14),
}


class LocalTimeProblem(StrEnum):
    # The clocks jump over this time that day (spring forward): it never happens.
    MISSING = "missing"
    # The clocks go back over this time that day: it happens twice.
    AMBIGUOUS = "ambiguous"


def local_time_problem(day: date, wall: time, tz_name: str) -> LocalTimeProblem | None:
    """Whether `wall` on `day` in the zone is a time that does not exist or exists twice."""
    tz = ZoneInfo(tz_name)
    first = datetime.combine(day, wall, tzinfo=tz)
    second = first.replace(fold=1)
    if first.utcoffset() == second.utcoffset():
        return None
    # In a gap the round trip through UTC lands on another wall-clock time; in an overlap
    # both folds are real instants.
    round_trip = first.astimezone(UTC).astimezone(tz)
    if round_trip.replace(tzinfo=None) != first.replace(tzinfo=None):
        return LocalTimeProblem.MISSING
    return LocalTimeProblem.AMBIGUOUS


def to_utc(day: date, wall: time, tz_name: str) -> datetime:
    """The UTC instant at which clocks in the zone show `wall` on `day`.

    A time inside a spring-forward gap is read with the offset from before the change, so it
    lands that much later on the wall clock (01:30 becomes 02:30 in London); a time that
    happens twice (clocks going back) means the first of the two instants.
    """
    return datetime.combine(day, wall, tzinfo=ZoneInfo(tz_name)).astimezone(UTC)


def series_dates(first: date, repeat: Repeat | None, count: int) -> list[date]:
    """The local calendar dates of a series: `count` dates, `repeat` apart, from `first`."""
    if repeat is None:
        if count != 1:
            raise ValueError("a single appointment has exactly one date")
        return [first]
    if not MIN_SERIES_LENGTH <= count <= MAX_SERIES_LENGTH:
        raise ValueError(f"a series has {MIN_SERIES_LENGTH} to {MAX_SERIES_LENGTH} sessions")
    step = REPEAT_INTERVAL[repeat]
    return [first + step * k for k in range(count)]


def series_starts(
    first: date, wall: time, tz_name: str, repeat: Repeat | None, count: int
) -> list[datetime]:
    """The UTC start of every session in a series, each at the same LOCAL wall-clock time.

    Each occurrence is placed in the zone first and converted afterwards, so a 09:00 weekly
    session stays at 09:00 for the therapist when the clocks change (its UTC time moves).
    """
    return [to_utc(day, wall, tz_name) for day in series_dates(first, repeat, count)]


@dataclass(frozen=True)
class Slot:
    """A half-open span of time [start, end): back-to-back sessions do not overlap."""

    start: datetime
    end: datetime

    @classmethod
    def of(cls, start: datetime, minutes: int) -> Slot:
        return cls(start, start + timedelta(minutes=minutes))

    def overlaps(self, other: Slot) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Clash:
    proposed: Slot
    existing: Slot


def find_clashes(proposed: Sequence[Slot], existing: Iterable[Slot]) -> list[Clash]:
    """Every (proposed, existing) pair that overlaps, ordered by time."""
    booked = sorted(existing, key=lambda s: (s.start, s.end))
    clashes = [
        Clash(new, old)
        for new in sorted(proposed, key=lambda s: (s.start, s.end))
        for old in booked
        if new.overlaps(old)
    ]
    return clashes


def search_window(proposed: Sequence[Slot], longest_minutes: int) -> tuple[datetime, datetime]:
    """(after, before): existing slots that could overlap `proposed` start strictly inside.

    An existing slot overlaps only if it starts before the last proposed end and ends after
    the first proposed start; no slot lasts longer than `longest_minutes`.
    """
    if not proposed:
        raise ValueError("nothing proposed")
    first_start = min(s.start for s in proposed)
    last_end = max(s.end for s in proposed)
    return first_start - timedelta(minutes=longest_minutes), last_end
