"""Pure unit tests of care/scheduling.py (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from unittest import TestCase
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from continuum.care.scheduling import (
    Clash,
    LocalTimeProblem,
    Repeat,
    Slot,
    find_clashes,
    local_time_problem,
    search_window,
    series_dates,
    series_starts,
    to_utc,
)

LONDON = "Europe/London"
NEW_YORK = "America/New_York"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


class ToUtcTests(TestCase):
    def test_it_converts_summer_time(self) -> None:
        self.assertEqual(to_utc(date(2026, 7, 6), time(9, 0), LONDON), utc(2026, 7, 6, 8, 0))

    def test_it_converts_winter_time(self) -> None:
        self.assertEqual(to_utc(date(2026, 1, 5), time(9, 0), LONDON), utc(2026, 1, 5, 9, 0))

    def test_it_converts_west_of_utc(self) -> None:
        self.assertEqual(to_utc(date(2026, 7, 6), time(9, 0), NEW_YORK), utc(2026, 7, 6, 13, 0))

    def test_a_time_in_the_spring_gap_moves_forward(self) -> None:
        # 01:30 does not exist in London on 29 March 2026: it is read as 01:30 GMT = 02:30 BST.
        instant = to_utc(date(2026, 3, 29), time(1, 30), LONDON)
        self.assertEqual(instant, utc(2026, 3, 29, 1, 30))
        self.assertEqual(instant.astimezone(ZoneInfo(LONDON)).time(), time(2, 30))

    def test_a_repeated_autumn_time_means_the_first_one(self) -> None:
        # 01:30 happens twice in London on 25 October 2026: first in BST (00:30 UTC).
        self.assertEqual(to_utc(date(2026, 10, 25), time(1, 30), LONDON), utc(2026, 10, 25, 0, 30))


class LocalTimeProblemTests(TestCase):
    def test_an_ordinary_time_has_no_problem(self) -> None:
        self.assertIsNone(local_time_problem(date(2026, 3, 29), time(9, 0), LONDON))

    def test_it_finds_the_spring_gap(self) -> None:
        self.assertEqual(
            local_time_problem(date(2026, 3, 29), time(1, 30), LONDON), LocalTimeProblem.MISSING
        )

    def test_it_finds_the_autumn_repeat(self) -> None:
        self.assertEqual(
            local_time_problem(date(2026, 10, 25), time(1, 30), LONDON),
            LocalTimeProblem.AMBIGUOUS,
        )

    def test_utc_never_has_a_problem(self) -> None:
        self.assertIsNone(local_time_problem(date(2026, 3, 29), time(1, 30), "UTC"))


class SeriesTests(TestCase):
    def test_a_single_appointment_has_one_date(self) -> None:
        self.assertEqual(series_dates(date(2026, 7, 6), None, 1), [date(2026, 7, 6)])

    def test_weekly_dates_are_seven_days_apart(self) -> None:
        dates = series_dates(date(2026, 7, 6), Repeat.WEEKLY, 4)
        self.assertEqual(
            dates, [date(2026, 7, 6), date(2026, 7, 13), date(2026, 7, 20), date(2026, 7, 27)]
        )

    def test_fortnightly_dates_are_fourteen_days_apart(self) -> None:
        dates = series_dates(date(2026, 7, 6), Repeat.FORTNIGHTLY, 3)
        self.assertEqual(dates, [date(2026, 7, 6), date(2026, 7, 20), date(2026, 8, 3)])

    def test_it_rejects_series_lengths_out_of_range(self) -> None:
        for count in (0, 1, 53):
            with self.subTest(count=count), self.assertRaises(ValueError):
                series_dates(date(2026, 7, 6), Repeat.WEEKLY, count)
        with self.assertRaises(ValueError):
            series_dates(date(2026, 7, 6), None, 2)

    def test_it_accepts_the_longest_series(self) -> None:
        self.assertEqual(len(series_dates(date(2026, 1, 5), Repeat.FORTNIGHTLY, 52)), 52)

    def test_weekly_series_keeps_local_time_across_spring_change(self) -> None:
        # Clocks go forward in London on Sunday 29 March 2026.
        starts = series_starts(date(2026, 3, 16), time(9, 0), LONDON, Repeat.WEEKLY, 4)
        self.assertEqual(
            starts,
            [
                utc(2026, 3, 16, 9, 0),
                utc(2026, 3, 23, 9, 0),
                utc(2026, 3, 30, 8, 0),
                utc(2026, 4, 6, 8, 0),
            ],
        )
        local = [s.astimezone(ZoneInfo(LONDON)) for s in starts]
        self.assertEqual({t.time() for t in local}, {time(9, 0)})
        self.assertEqual({t.weekday() for t in local}, {0})

    def test_fortnightly_series_keeps_local_time_across_autumn_change(self) -> None:
        # Clocks go back in New York on Sunday 1 November 2026.
        starts = series_starts(date(2026, 10, 22), time(18, 30), NEW_YORK, Repeat.FORTNIGHTLY, 3)
        self.assertEqual(
            starts,
            [utc(2026, 10, 22, 22, 30), utc(2026, 11, 5, 23, 30), utc(2026, 11, 19, 23, 30)],
        )

    def test_the_starts_are_utc(self) -> None:
        for start in series_starts(date(2026, 3, 16), time(9, 0), LONDON, Repeat.WEEKLY, 3):
            self.assertEqual(start.utcoffset(), timedelta(0))

    @given(
        first=st.dates(min_value=date(2000, 1, 1), max_value=date(2098, 1, 1)),
        hour=st.integers(min_value=6, max_value=22),
        minute=st.sampled_from([0, 15, 30, 45]),
        repeat=st.sampled_from(list(Repeat)),
        count=st.integers(min_value=2, max_value=52),
        zone=st.sampled_from([LONDON, NEW_YORK, "Australia/Sydney", "Asia/Kolkata"]),
    )
    def test_every_session_is_at_the_same_local_time(
        self, first: date, hour: int, minute: int, repeat: Repeat, count: int, zone: str
    ) -> None:
        starts = series_starts(first, time(hour, minute), zone, repeat, count)
        self.assertEqual(len(starts), count)
        local = [s.astimezone(ZoneInfo(zone)) for s in starts]
        self.assertEqual({t.time() for t in local}, {time(hour, minute)})
        self.assertEqual(local[0].date(), first)
        self.assertEqual(starts, sorted(starts))


class SlotTests(TestCase):
    def test_overlapping_slots_overlap(self) -> None:
        a = Slot.of(utc(2026, 7, 6, 9, 0), 50)
        b = Slot.of(utc(2026, 7, 6, 9, 30), 50)
        self.assertTrue(a.overlaps(b))
        self.assertTrue(b.overlaps(a))

    def test_back_to_back_slots_do_not_overlap(self) -> None:
        a = Slot.of(utc(2026, 7, 6, 9, 0), 60)
        b = Slot.of(utc(2026, 7, 6, 10, 0), 60)
        self.assertFalse(a.overlaps(b))
        self.assertFalse(b.overlaps(a))

    def test_a_slot_inside_another_overlaps(self) -> None:
        outer = Slot.of(utc(2026, 7, 6, 9, 0), 120)
        inner = Slot.of(utc(2026, 7, 6, 9, 30), 10)
        self.assertTrue(outer.overlaps(inner))
        self.assertTrue(inner.overlaps(outer))

    def test_identical_slots_overlap(self) -> None:
        a = Slot.of(utc(2026, 7, 6, 9, 0), 50)
        self.assertTrue(a.overlaps(a))


class FindClashesTests(TestCase):
    def test_no_existing_slots_means_no_clashes(self) -> None:
        self.assertEqual(find_clashes([Slot.of(utc(2026, 7, 6, 9, 0), 50)], []), [])

    def test_it_pairs_each_clash_in_time_order(self) -> None:
        monday = Slot.of(utc(2026, 7, 6, 9, 0), 50)
        next_monday = Slot.of(utc(2026, 7, 13, 9, 0), 50)
        booked_a = Slot.of(utc(2026, 7, 13, 9, 40), 50)
        booked_b = Slot.of(utc(2026, 7, 6, 8, 30), 50)
        elsewhere = Slot.of(utc(2026, 7, 7, 9, 0), 50)
        clashes = find_clashes([next_monday, monday], [booked_a, elsewhere, booked_b])
        self.assertEqual(clashes, [Clash(monday, booked_b), Clash(next_monday, booked_a)])

    def test_search_window_covers_every_possible_overlap(self) -> None:
        proposed = [Slot.of(utc(2026, 7, 6, 9, 0), 50), Slot.of(utc(2026, 7, 13, 9, 0), 50)]
        after, before = search_window(proposed, 480)
        self.assertEqual(after, utc(2026, 7, 6, 1, 0))
        self.assertEqual(before, utc(2026, 7, 13, 9, 50))

    def test_search_window_needs_a_slot(self) -> None:
        with self.assertRaises(ValueError):
            search_window([], 480)

    @given(
        starts=st.lists(st.integers(min_value=0, max_value=2000), min_size=1, max_size=5),
        booked=st.lists(
            st.tuples(st.integers(min_value=-600, max_value=2600), st.integers(5, 480)),
            max_size=8,
        ),
        minutes=st.integers(min_value=5, max_value=480),
    )
    def test_search_window_loses_no_clash(
        self, starts: list[int], booked: list[tuple[int, int]], minutes: int
    ) -> None:
        base = utc(2026, 7, 6, 0, 0)
        proposed = [Slot.of(base + timedelta(minutes=m), minutes) for m in starts]
        existing = [Slot.of(base + timedelta(minutes=m), d) for m, d in booked]
        after, before = search_window(proposed, 480)
        inside = [s for s in existing if after < s.start < before]
        self.assertEqual(find_clashes(proposed, existing), find_clashes(proposed, inside))
