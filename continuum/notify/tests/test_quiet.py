"""Quiet hours and morning sending times (plain Python, the client's own zone)."""

from __future__ import annotations

from datetime import UTC, datetime, time

from django.test import SimpleTestCase

from continuum.notify.quiet import in_quiet_hours, quiet_until, send_time

NIGHT = (time(21, 0), time(8, 0))


class QuietHoursTests(SimpleTestCase):
    def test_a_span_over_midnight(self) -> None:
        self.assertTrue(in_quiet_hours(time(23, 0), *NIGHT))
        self.assertTrue(in_quiet_hours(time(21, 0), *NIGHT))
        self.assertTrue(in_quiet_hours(time(7, 59), *NIGHT))
        self.assertFalse(in_quiet_hours(time(8, 0), *NIGHT))
        self.assertFalse(in_quiet_hours(time(20, 59), *NIGHT))

    def test_a_span_within_a_day_and_none(self) -> None:
        self.assertTrue(in_quiet_hours(time(13, 30), time(12, 0), time(14, 0)))
        self.assertFalse(in_quiet_hours(time(14, 0), time(12, 0), time(14, 0)))
        self.assertFalse(in_quiet_hours(time(3, 0), None, None))
        self.assertFalse(in_quiet_hours(time(3, 0), time(3, 0), time(3, 0)))

    def test_quiet_until_the_end_in_the_clients_zone(self) -> None:
        # 22:30 in London (BST) is 21:30 UTC; quiet until 08:00 London = 07:00 UTC next day.
        now = datetime(2026, 7, 1, 21, 30, tzinfo=UTC)
        self.assertEqual(
            quiet_until(now, "Europe/London", *NIGHT), datetime(2026, 7, 2, 7, 0, tzinfo=UTC)
        )
        # Early morning, still quiet: until 08:00 the same day.
        early = datetime(2026, 7, 2, 5, 0, tzinfo=UTC)
        self.assertEqual(
            quiet_until(early, "Europe/London", *NIGHT), datetime(2026, 7, 2, 7, 0, tzinfo=UTC)
        )
        # The same instant in New York (17:30) is not quiet.
        self.assertEqual(quiet_until(now, "America/New_York", *NIGHT), now)

    def test_across_a_clock_change(self) -> None:
        # The night the clocks go forward in London (29 March 2026): 08:00 BST is 07:00 UTC.
        now = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
        self.assertEqual(
            quiet_until(now, "Europe/London", *NIGHT), datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
        )

    def test_day_reminders_wait_for_the_morning_and_quiet_hours(self) -> None:
        midnight = datetime(2026, 7, 1, 23, 5, tzinfo=UTC)  # 00:05 in London
        self.assertEqual(
            send_time(
                midnight,
                "Europe/London",
                quiet_start=None,
                quiet_end=None,
                not_before_hour=9,
            ),
            datetime(2026, 7, 2, 8, 0, tzinfo=UTC),
        )
        # Quiet until 10:00: the later of the two.
        self.assertEqual(
            send_time(
                midnight,
                "Europe/London",
                quiet_start=time(22, 0),
                quiet_end=time(10, 0),
                not_before_hour=9,
            ),
            datetime(2026, 7, 2, 9, 0, tzinfo=UTC),
        )
        afternoon = datetime(2026, 7, 1, 14, 0, tzinfo=UTC)
        self.assertEqual(
            send_time(
                afternoon, "Europe/London", quiet_start=None, quiet_end=None, not_before_hour=9
            ),
            afternoon,
        )

    def test_an_unknown_zone_is_treated_as_utc(self) -> None:
        now = datetime(2026, 7, 1, 22, 0, tzinfo=UTC)
        self.assertEqual(
            quiet_until(now, "Mars/Olympus", *NIGHT), datetime(2026, 7, 2, 8, tzinfo=UTC)
        )
