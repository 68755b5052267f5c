"""Working hours as plain values: in hours or not, the next reading time, the reply promise,
and the words clients read. Plain pytest, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from continuum.boundaries.policy import (
    PolicyError,
    WorkingHours,
    days_to_mask,
    default_hours,
    describe_days,
    describe_hours,
    describe_response_time,
    describe_schedule,
    in_hours,
    mask_to_days,
    next_reading,
    reads_by,
    reply_by,
    wall_instant,
)

LONDON = "Europe/London"
LDN = ZoneInfo(LONDON)
NEW_YORK = "America/New_York"
NYC = ZoneInfo(NEW_YORK)
WEEKDAYS_9_5 = default_hours(LONDON)


def ldn(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=LDN)


def nyc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NYC)


# --- in hours ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (ldn(2026, 7, 8, 9, 0), True),  # Wednesday, the first minute
        (ldn(2026, 7, 8, 16, 59, 59), True),
        (ldn(2026, 7, 8, 17, 0), False),  # the close is not within hours
        (ldn(2026, 7, 8, 8, 59), False),
        (ldn(2026, 7, 8, 23, 0), False),
        (ldn(2026, 7, 10, 12, 0), True),  # Friday
        (ldn(2026, 7, 11, 12, 0), False),  # Saturday
        (ldn(2026, 7, 12, 12, 0), False),  # Sunday
        # The same instants in UTC: July London is UTC+1.
        (datetime(2026, 7, 8, 8, 0, tzinfo=UTC), True),
        (datetime(2026, 7, 8, 16, 0, tzinfo=UTC), False),
    ],
)
def test_in_hours_on_the_working_days_between_start_and_end(
    moment: datetime, expected: bool
) -> None:
    assert in_hours(WEEKDAYS_9_5, moment) is expected


def test_the_therapists_zone_decides_not_the_clients() -> None:
    # 15:00 in New York on a Wednesday is 20:00 in London.
    moment = nyc(2026, 7, 8, 15, 0)
    assert in_hours(default_hours(NEW_YORK), moment)
    assert not in_hours(default_hours(LONDON), moment)
    # 08:30 in London is 03:30 in New York: a London therapist is working.
    early = ldn(2026, 7, 8, 9, 30)
    assert in_hours(default_hours(LONDON), early)
    assert not in_hours(default_hours(NEW_YORK), early)


def test_chosen_days_and_hours() -> None:
    weekends = WorkingHours(frozenset({5, 6}), time(10, 0), time(14, 30), LONDON)
    assert in_hours(weekends, ldn(2026, 7, 11, 14, 29))
    assert not in_hours(weekends, ldn(2026, 7, 11, 14, 30))
    assert not in_hours(weekends, ldn(2026, 7, 8, 12, 0))


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        in_hours(WEEKDAYS_9_5, datetime(2026, 7, 8, 12, 0))  # noqa: DTZ001


# --- the next reading time and the close of that day --------------------------------------------


@pytest.mark.parametrize(
    ("moment", "reading", "close"),
    [
        # Within hours: at once, that day's close.
        (ldn(2026, 7, 8, 11, 0), ldn(2026, 7, 8, 11, 0), ldn(2026, 7, 8, 17, 0)),
        # Before opening: the same morning.
        (ldn(2026, 7, 8, 7, 0), ldn(2026, 7, 8, 9, 0), ldn(2026, 7, 8, 17, 0)),
        # After closing: the next morning.
        (ldn(2026, 7, 8, 19, 30), ldn(2026, 7, 9, 9, 0), ldn(2026, 7, 9, 17, 0)),
        # Friday evening, Saturday, Sunday night: Monday.
        (ldn(2026, 7, 10, 18, 0), ldn(2026, 7, 13, 9, 0), ldn(2026, 7, 13, 17, 0)),
        (ldn(2026, 7, 11, 12, 0), ldn(2026, 7, 13, 9, 0), ldn(2026, 7, 13, 17, 0)),
        (ldn(2026, 7, 12, 23, 59), ldn(2026, 7, 13, 9, 0), ldn(2026, 7, 13, 17, 0)),
    ],
)
def test_next_reading_and_reads_by(moment: datetime, reading: datetime, close: datetime) -> None:
    assert next_reading(WEEKDAYS_9_5, moment) == reading
    assert reads_by(WEEKDAYS_9_5, moment) == close
    # Given in the therapist's zone, whatever zone the question came in.
    assert next_reading(WEEKDAYS_9_5, moment.astimezone(UTC)).tzinfo == LDN


def test_a_single_working_day_a_week_away() -> None:
    mondays = WorkingHours(frozenset({0}), time(9, 0), time(12, 0), LONDON)
    # Monday 12:00 has just closed: the next Monday.
    assert next_reading(mondays, ldn(2026, 7, 13, 12, 0)) == ldn(2026, 7, 20, 9, 0)
    assert next_reading(mondays, ldn(2026, 7, 13, 11, 59)) == ldn(2026, 7, 13, 11, 59)


def test_the_next_reading_in_the_clients_own_zone() -> None:
    # Friday 21:00 in London (a client in New York writes at 16:00 their time).
    moment = nyc(2026, 7, 10, 16, 0)
    reading = next_reading(WEEKDAYS_9_5, moment)
    assert reading == ldn(2026, 7, 13, 9, 0)
    # The client reads Monday 04:00 in New York.
    assert reading.astimezone(NYC) == nyc(2026, 7, 13, 4, 0)


# --- clocks changing --------------------------------------------------------------------------


def test_hours_keep_to_the_wall_clock_across_the_spring_change() -> None:
    # London moves to BST on Sunday 29 March 2026. Friday 09:00 is 09:00 UTC; Monday's
    # 09:00 is 08:00 UTC.
    friday_evening = ldn(2026, 3, 27, 18, 0)
    monday = next_reading(WEEKDAYS_9_5, friday_evening)
    assert monday.astimezone(UTC) == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert (monday.hour, monday.minute) == (9, 0)
    assert in_hours(WEEKDAYS_9_5, datetime(2026, 3, 30, 8, 0, tzinfo=UTC))
    assert not in_hours(WEEKDAYS_9_5, datetime(2026, 3, 30, 7, 59, tzinfo=UTC))
    assert in_hours(WEEKDAYS_9_5, datetime(2026, 3, 27, 16, 59, tzinfo=UTC))


def test_hours_keep_to_the_wall_clock_across_the_autumn_change() -> None:
    # London returns to GMT on Sunday 25 October 2026.
    close = reads_by(WEEKDAYS_9_5, ldn(2026, 10, 23, 20, 0))
    assert close.astimezone(UTC) == datetime(2026, 10, 26, 17, 0, tzinfo=UTC)
    assert in_hours(WEEKDAYS_9_5, datetime(2026, 10, 23, 15, 30, tzinfo=UTC))  # 16:30 BST
    assert not in_hours(WEEKDAYS_9_5, datetime(2026, 10, 26, 17, 0, tzinfo=UTC))


def test_a_start_time_the_clocks_skip_begins_at_the_jump() -> None:
    # New York skips 02:00-03:00 on Sunday 8 March 2026 (the jump is at 07:00 UTC).
    night = WorkingHours(frozenset({6}), time(2, 30), time(5, 0), NEW_YORK)
    start = wall_instant(date(2026, 3, 8), time(2, 30), NYC)
    assert start.astimezone(UTC) == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert (start.hour, start.minute) == (3, 0)
    saturday = nyc(2026, 3, 7, 23, 0)
    assert next_reading(night, saturday) == start
    assert in_hours(night, datetime(2026, 3, 8, 7, 0, tzinfo=UTC))
    assert not in_hours(night, datetime(2026, 3, 8, 6, 59, 59, tzinfo=UTC))


def test_a_repeated_time_is_its_first_occurrence() -> None:
    # New York repeats 01:00-02:00 on Sunday 1 November 2026.
    first = wall_instant(date(2026, 11, 1), time(1, 30), NYC)
    assert first.astimezone(UTC) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    ordinary = wall_instant(date(2026, 7, 8), time(9, 0), LDN)
    assert ordinary == ldn(2026, 7, 8, 9, 0)


# --- the reply promise ------------------------------------------------------------------------


def test_the_promise_runs_from_the_next_reading() -> None:
    # Wednesday 11:00 within hours, 48 hours: Friday 11:00.
    assert reply_by(WEEKDAYS_9_5, ldn(2026, 7, 8, 11, 0), 48) == ldn(2026, 7, 10, 11, 0)
    # Friday evening: read on Monday 09:00, reply by Wednesday 09:00.
    assert reply_by(WEEKDAYS_9_5, ldn(2026, 7, 10, 18, 0), 48) == ldn(2026, 7, 15, 9, 0)


def test_a_promise_falling_outside_hours_is_kept_at_the_next_opening() -> None:
    # Thursday 16:00 + 48 hours is Saturday 16:00: Monday 09:00.
    assert reply_by(WEEKDAYS_9_5, ldn(2026, 7, 9, 16, 0), 48) == ldn(2026, 7, 13, 9, 0)
    # Wednesday 16:30 + 4 hours is 20:30: Thursday 09:00.
    assert reply_by(WEEKDAYS_9_5, ldn(2026, 7, 8, 16, 30), 4) == ldn(2026, 7, 9, 9, 0)


def test_a_negative_promise_is_refused() -> None:
    with pytest.raises(PolicyError):
        reply_by(WEEKDAYS_9_5, ldn(2026, 7, 8, 11, 0), -1)


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "start", "end", "tz", "message"),
    [
        (frozenset(), time(9), time(17), LONDON, "at least one working day"),
        (frozenset({7}), time(9), time(17), LONDON, r"0 \(Monday\) to 6 \(Sunday\)"),
        (frozenset({0}), time(17), time(9), LONDON, "end after it starts"),
        (frozenset({0}), time(9), time(9), LONDON, "end after it starts"),
        (frozenset({0}), time(9), time(17), "Mars/Olympus", "Unknown time zone"),
        (frozenset({0}), time(9), time(17), "", "Unknown time zone"),
    ],
)
def test_impossible_hours_are_refused(
    days: frozenset[int], start: time, end: time, tz: str, message: str
) -> None:
    with pytest.raises(PolicyError, match=message):
        WorkingHours(days, start, end, tz)


def test_days_as_a_bit_mask() -> None:
    assert days_to_mask(range(5)) == 0b0011111
    assert mask_to_days(0b1100000) == frozenset({5, 6})
    assert mask_to_days(days_to_mask({0, 3, 6})) == frozenset({0, 3, 6})
    with pytest.raises(PolicyError):
        days_to_mask([8])


# --- plain words ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "words"),
    [
        (range(5), "Monday to Friday"),
        (range(7), "every day"),
        ({0}, "Monday"),
        ({0, 1}, "Monday and Tuesday"),
        ({0, 2, 4}, "Monday, Wednesday and Friday"),
        ({5, 6, 0}, "Saturday to Monday"),
        ({1, 2, 3}, "Tuesday to Thursday"),
        ({0, 1, 3, 4}, "Monday, Tuesday, Thursday and Friday"),
    ],
)
def test_describe_days(days: set[int], words: str) -> None:
    assert describe_days(days) == words


def test_describe_hours_and_response_time() -> None:
    assert describe_hours(WEEKDAYS_9_5) == "Monday to Friday, 9:00 to 17:00"
    assert describe_schedule(range(7), time(8, 30), time(20), sentence_start=False) == (
        "every day, 8:30 to 20:00"
    )
    assert describe_schedule(range(7), time(8, 30), time(20)) == "Every day, 8:30 to 20:00"
    assert describe_response_time(48) == "within 2 days (48 hours)"
    assert describe_response_time(24) == "within a day (24 hours)"
    assert describe_response_time(4) == "within 4 hours"
    assert describe_response_time(1) == "within an hour"
    assert describe_response_time(36) == "within 36 hours"


# --- properties -------------------------------------------------------------------------------

ZONES = st.sampled_from([LONDON, NEW_YORK, "Australia/Sydney", "Asia/Kolkata", "UTC"])
MOMENTS = st.datetimes(
    min_value=datetime(2025, 1, 1),  # noqa: DTZ001 (hypothesis adds the zone)
    max_value=datetime(2028, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@st.composite
def working_hours(draw: st.DrawFn) -> WorkingHours:
    days = draw(st.frozensets(st.integers(0, 6), min_size=1))
    start = draw(st.integers(0, 22 * 60))
    length = draw(st.integers(1, 24 * 60 - 1 - start))
    begin = time(start // 60, start % 60)
    finish_minutes = start + length
    finish = time(finish_minutes // 60, finish_minutes % 60)
    return WorkingHours(days, begin, finish, draw(ZONES))


@given(hours=working_hours(), moment=MOMENTS)
def test_the_next_reading_is_within_hours_and_never_before_the_message(
    hours: WorkingHours, moment: datetime
) -> None:
    reading = next_reading(hours, moment)
    assert reading >= moment
    assert in_hours(hours, reading)
    assert reading - moment <= timedelta(days=15)
    assert (reading == moment) is in_hours(hours, moment)
    assert reads_by(hours, moment) > reading
    assert reply_by(hours, moment, 48) >= reading + timedelta(hours=48)
