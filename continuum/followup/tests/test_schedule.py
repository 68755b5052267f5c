"""The follow-up schedule in plain Python."""

from __future__ import annotations

from datetime import date

from django.test import SimpleTestCase

from continuum.followup.schedule import (
    ScheduleError,
    add_months,
    check_period,
    default_ends_on,
    due_dates,
    parse_months,
)


class ScheduleTests(SimpleTestCase):
    def test_months_are_parsed_sorted_and_deduplicated(self) -> None:
        self.assertEqual(parse_months("1, 3, 6, 12"), [1, 3, 6, 12])
        self.assertEqual(parse_months("12 6;3,,1, 3"), [1, 3, 6, 12])
        self.assertEqual(parse_months([3, 1]), [1, 3])

    def test_bad_months_are_explained(self) -> None:
        for text, message in (
            ("", "at least one month"),
            ("one", "whole numbers"),
            ("0", "1 to 36 months"),
            ("37", "1 to 36 months"),
            (",".join(str(m) for m in range(1, 14)), "At most 12 check-ins"),
        ):
            with self.assertRaisesMessage(ScheduleError, message):
                parse_months(text)

    def test_dates_keep_the_day_or_take_the_months_last(self) -> None:
        self.assertEqual(add_months(date(2026, 1, 31), 1), date(2026, 2, 28))
        self.assertEqual(add_months(date(2027, 12, 31), 2), date(2028, 2, 29))
        self.assertEqual(
            due_dates(date(2026, 6, 30), [1, 3, 6, 12]),
            [date(2026, 7, 30), date(2026, 9, 30), date(2026, 12, 30), date(2027, 6, 30)],
        )

    def test_the_period_covers_the_last_check_in(self) -> None:
        end = date(2026, 6, 30)
        self.assertEqual(default_ends_on(end, [1, 3], 30), date(2026, 10, 30))
        check_period(end, [1, 3], date(2026, 9, 30))
        with self.assertRaisesMessage(ScheduleError, "until the last check-in (30 Sep 2026)"):
            check_period(end, [1, 3], date(2026, 9, 29))
        with self.assertRaisesMessage(ScheduleError, "at most 4 years"):
            check_period(end, [1], date(2030, 7, 1))
