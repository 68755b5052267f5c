"""When check-ins are due and when an urgent one will be read (plain pytest; no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from continuum.portal.timing import checkin_due, next_checkin_day, therapist_reads_by

TODAY = date(2026, 7, 8)  # a Wednesday


@pytest.mark.parametrize(
    ("cadence", "last", "due"),
    [
        ("none", None, False),
        ("none", date(2026, 1, 1), False),
        ("daily", None, True),
        ("daily", TODAY, False),
        ("daily", date(2026, 7, 7), True),
        ("twice_weekly", date(2026, 7, 6), False),
        ("twice_weekly", date(2026, 7, 5), True),
        ("weekly", date(2026, 7, 2), False),
        ("weekly", date(2026, 7, 1), True),
        ("weekly", None, True),
        ("unknown", None, False),
    ],
)
def test_checkin_due_follows_the_cadence(cadence: str, last: date | None, due: bool) -> None:
    assert checkin_due(cadence, last, TODAY) is due


def test_next_checkin_day() -> None:
    assert next_checkin_day("weekly", date(2026, 7, 6), TODAY) == date(2026, 7, 13)
    assert next_checkin_day("twice_weekly", date(2026, 7, 6), TODAY) == date(2026, 7, 9)
    assert next_checkin_day("daily", None, TODAY) == TODAY
    assert next_checkin_day("none", None, TODAY) is None


LONDON = "Europe/London"
LDN = ZoneInfo(LONDON)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Wednesday 10:00 London (BST, UTC+1): the same day's close.
        (datetime(2026, 7, 8, 9, 0, tzinfo=UTC), datetime(2026, 7, 8, 17, 0, tzinfo=LDN)),
        # Wednesday 07:00 London, before opening: the same day.
        (datetime(2026, 7, 8, 6, 0, tzinfo=UTC), datetime(2026, 7, 8, 17, 0, tzinfo=LDN)),
        # Wednesday 17:30 London, after closing: Thursday.
        (datetime(2026, 7, 8, 16, 30, tzinfo=UTC), datetime(2026, 7, 9, 17, 0, tzinfo=LDN)),
        # Friday 18:00 London: Monday.
        (datetime(2026, 7, 10, 17, 0, tzinfo=UTC), datetime(2026, 7, 13, 17, 0, tzinfo=LDN)),
        # Saturday noon and Sunday night: Monday.
        (datetime(2026, 7, 11, 11, 0, tzinfo=UTC), datetime(2026, 7, 13, 17, 0, tzinfo=LDN)),
        (datetime(2026, 7, 12, 22, 59, tzinfo=UTC), datetime(2026, 7, 13, 17, 0, tzinfo=LDN)),
    ],
)
def test_therapist_reads_by_the_end_of_the_next_working_day(
    now: datetime, expected: datetime
) -> None:
    assert therapist_reads_by(now, LONDON) == expected


def test_working_hours_are_the_therapists_own_zone() -> None:
    # Friday 20:00 UTC is Friday 16:00 in New York: still that day.
    now = datetime(2026, 7, 10, 20, 0, tzinfo=UTC)
    reads_by = therapist_reads_by(now, "America/New_York")
    assert reads_by == datetime(2026, 7, 10, 17, 0, tzinfo=ZoneInfo("America/New_York"))
