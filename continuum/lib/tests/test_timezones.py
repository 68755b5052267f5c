from __future__ import annotations

from datetime import UTC, date

from continuum.lib.timezones import is_valid_time_zone, local_day_bounds, week_start


def test_known_and_unknown_zones() -> None:
    assert is_valid_time_zone("Europe/London")
    assert not is_valid_time_zone("Mars/Olympus_Mons")
    assert not is_valid_time_zone("")


def test_a_local_day_is_23_hours_on_the_spring_change() -> None:
    start, end = local_day_bounds(date(2026, 3, 29), "Europe/London")
    assert start.astimezone(UTC).hour == 0
    # Same-zone subtraction in Python is wall-clock; compare the instants in UTC.
    assert (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() == 23 * 3600


def test_week_start_is_monday() -> None:
    assert week_start(date(2026, 11, 22)) == date(2026, 11, 16)  # a Sunday
    assert week_start(date(2026, 11, 16)) == date(2026, 11, 16)
