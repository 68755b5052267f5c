"""load.py in plain Python: weekly aggregates, the prompt's thresholds, and what stands out."""

from __future__ import annotations

import unittest
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from continuum.wellbeing import load
from continuum.wellbeing.load import Session, Thresholds, Week

LONDON = ZoneInfo("Europe/London")
TODAY = date(2026, 11, 19)  # a Thursday
MONDAY = date(2026, 11, 16)


def at(day: date, hour: int = 10) -> datetime:
    # Local wall-clock times: load.py works on the therapist's local times.
    return datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)


def week(start: date, **counts: int) -> Week:
    return Week(start=start, **counts)


def weeks_of(*specs: dict[str, int]) -> list[Week]:
    """Weeks ending with the current one (MONDAY), oldest first."""
    starts = load.week_starts(TODAY, len(specs))
    return [Week(start=s, **spec) for s, spec in zip(starts, specs, strict=True)]


class WeekTests(unittest.TestCase):
    def test_week_start_is_the_monday(self) -> None:
        self.assertEqual(load.week_start(TODAY), MONDAY)
        self.assertEqual(load.week_start(MONDAY), MONDAY)
        self.assertEqual(load.week_start(date(2026, 11, 22)), MONDAY)  # Sunday

    def test_week_starts_end_with_this_week(self) -> None:
        starts = load.week_starts(TODAY, 3)
        self.assertEqual(starts, [date(2026, 11, 2), date(2026, 11, 9), MONDAY])

    def test_weekly_counts_sessions_hours_weights_heavy_and_alerts(self) -> None:
        sessions = [
            Session(at(MONDAY), 50, 2),
            Session(at(TODAY), 60, 4),
            Session(at(TODAY, 14), 50, 5),
            Session(at(TODAY, 16), 50),  # unrated: hours, not weight
            Session(at(MONDAY - timedelta(days=1)), 50, 1),  # the week before
            Session(at(MONDAY - timedelta(days=30)), 50, 5),  # outside the weeks asked for
        ]
        handled = [(1, TODAY), (1, TODAY), (2, MONDAY), (3, MONDAY - timedelta(days=2))]
        before, this = load.weekly(sessions, [MONDAY - timedelta(weeks=1), MONDAY], handled)
        self.assertEqual(
            (this.sessions, this.minutes, this.rated, this.weight_total, this.heavy),
            (4, 210, 3, 11, 2),
        )
        self.assertAlmostEqual(this.hours, 3.5)
        self.assertAlmostEqual(this.average_weight or 0, 11 / 3)
        self.assertEqual(this.alerts_handled, 2)  # alert 1 counts once
        self.assertEqual((before.sessions, before.heavy, before.alerts_handled), (1, 0, 1))
        self.assertEqual(this.iso_week, "2026-W47")

    def test_a_week_without_ratings_has_no_average(self) -> None:
        self.assertIsNone(week(MONDAY, sessions=3, minutes=150).average_weight)

    @given(
        st.lists(
            st.tuples(
                st.integers(min_value=0, max_value=83),
                st.integers(min_value=5, max_value=480),
                st.one_of(st.none(), st.integers(min_value=1, max_value=5)),
            ),
            max_size=60,
        )
    )
    def test_weekly_totals_match_the_sessions_in_the_window(
        self, rows: list[tuple[int, int, int | None]]
    ) -> None:
        starts = load.week_starts(TODAY, 12)
        sessions = [Session(at(starts[0] + timedelta(days=d)), m, w) for d, m, w in rows]
        weeks = load.weekly(sessions, starts)
        totals = load.totals(weeks)
        self.assertEqual(totals.sessions, len(rows))
        self.assertAlmostEqual(totals.hours, sum(m for _, m, _ in rows) / 60)
        self.assertEqual(totals.rated, sum(1 for *_, w in rows if w is not None))
        self.assertEqual(totals.heavy, sum(1 for *_, w in rows if w is not None and w >= 4))


class TrailingRunTests(unittest.TestCase):
    def test_counts_the_run_ending_this_week(self) -> None:
        self.assertEqual(load.trailing_run([False, True, True, True]), 3)

    def test_an_unfinished_week_below_the_line_keeps_last_weeks_run(self) -> None:
        self.assertEqual(load.trailing_run([True, True, False]), 2)

    def test_a_break_ends_the_run(self) -> None:
        self.assertEqual(load.trailing_run([True, False, True, False]), 1)
        self.assertEqual(load.trailing_run([True, True, False, False]), 0)
        self.assertEqual(load.trailing_run([]), 0)


class PromptTests(unittest.TestCase):
    t = Thresholds(weekly_hours_limit=25, average_weight=3.5, weeks_running=2, heavy_sessions=3)

    def test_no_prompt_for_an_ordinary_fortnight(self) -> None:
        weeks = weeks_of(
            {"sessions": 20, "minutes": 20 * 50, "rated": 10, "weight_total": 25, "heavy": 1},
            {"sessions": 8, "minutes": 8 * 50, "rated": 4, "weight_total": 10},
        )
        self.assertIsNone(load.prompt_for(weeks, self.t))

    def test_heavy_weeks_running_suggest_peer_consultation_or_supervision(self) -> None:
        weeks = weeks_of(
            {"rated": 10, "weight_total": 38},
            {"rated": 10, "weight_total": 36},
            {"rated": 2, "weight_total": 4},  # this week so far: lighter, run stands
        )
        prompt = load.prompt_for(weeks, self.t)
        assert prompt is not None
        self.assertEqual(
            prompt.reasons,
            ("Your sessions have felt heavy for two weeks running (an average of 3.7 out of 5).",),
        )
        self.assertIn("a peer or in supervision", prompt.suggestion)

    def test_one_heavy_week_is_not_enough(self) -> None:
        weeks = weeks_of({"rated": 10, "weight_total": 20}, {"rated": 10, "weight_total": 40})
        self.assertIsNone(load.prompt_for(weeks, self.t))

    def test_hours_over_the_limit_weeks_running_suggest_a_break(self) -> None:
        weeks = weeks_of({"minutes": 26 * 60}, {"minutes": 27 * 60}, {"minutes": 60})
        prompt = load.prompt_for(weeks, self.t)
        assert prompt is not None
        self.assertEqual(
            prompt.reasons,
            ("You have worked more than your limit of 25 hours for two weeks running.",),
        )
        self.assertIn("a proper break", prompt.suggestion)

    def test_exactly_the_limit_is_not_over_it(self) -> None:
        weeks = weeks_of({"minutes": 25 * 60}, {"minutes": 25 * 60})
        self.assertIsNone(load.prompt_for(weeks, self.t))

    def test_heavy_sessions_this_week(self) -> None:
        weeks = weeks_of({}, {"rated": 3, "weight_total": 12, "heavy": 3})
        prompt = load.prompt_for(weeks, self.t)
        assert prompt is not None
        self.assertEqual(prompt.reasons, ("Three heavy sessions so far this week.",))

    def test_thresholds_are_the_therapists_own(self) -> None:
        weeks = weeks_of({}, {"rated": 3, "weight_total": 12, "heavy": 3})
        strict = Thresholds(heavy_sessions=4)
        self.assertIsNone(load.prompt_for(weeks, strict))
        one_week = Thresholds(weeks_running=1, average_weight=3.0)
        self.assertIsNotNone(load.prompt_for(weeks_of({"rated": 2, "weight_total": 6}), one_week))

    def test_all_reasons_together_ask_kindly(self) -> None:
        heavy = {"minutes": 30 * 60, "rated": 10, "weight_total": 40, "heavy": 8}
        prompt = load.prompt_for(weeks_of(heavy, heavy), self.t)
        assert prompt is not None
        self.assertEqual(len(prompt.reasons), 3)
        self.assertTrue(prompt.suggestion.startswith("That is a lot to carry."))
        self.assertIn(
            "talking it through with a peer or in supervision or a proper break",
            prompt.suggestion,
        )


class WhatStandsOutTests(unittest.TestCase):
    t = Thresholds()

    def test_hours_above_the_limit_this_week(self) -> None:
        weeks = weeks_of({"minutes": 20 * 60}, {"minutes": 31 * 60})
        self.assertIn(
            "You worked 31 hours this week, above your limit of 25.",
            load.what_stands_out([], weeks, self.t, TODAY),
        )

    def test_hours_above_the_limit_last_week_and_weeks_running(self) -> None:
        weeks = weeks_of({"minutes": 26 * 60}, {"minutes": 27 * 60 + 30}, {"minutes": 60})
        sentences = load.what_stands_out([], weeks, self.t, TODAY)
        self.assertEqual(
            sentences,
            [
                "You worked 27.5 hours last week, above your limit of 25.",
                "Over your limit of 25 hours for two weeks running.",
            ],
        )

    def test_heavier_weeks_than_usual(self) -> None:
        usual = {"rated": 10, "weight_total": 25}
        heavy = {"rated": 10, "weight_total": 34}
        weeks = weeks_of(usual, usual, usual, usual, heavy, heavy, heavy)
        self.assertIn(
            "Heavier weeks than usual for three weeks (an average of 3.4 against your usual 2.5).",
            load.what_stands_out([], weeks, self.t, TODAY),
        )

    def test_heavier_weeks_need_enough_earlier_weeks_to_compare(self) -> None:
        weeks = weeks_of(
            {"rated": 10, "weight_total": 25},
            {"rated": 10, "weight_total": 25},
            {"rated": 10, "weight_total": 34},
            {"rated": 10, "weight_total": 34},
        )
        self.assertIsNone(load.heavier_than_usual(weeks))

    def test_three_heavy_sessions_in_a_row_on_thursdays(self) -> None:
        thursdays = [TODAY - timedelta(weeks=n) for n in range(5, -1, -1)]
        sessions = [
            Session(at(d), 50, w) for d, w in zip(thursdays, [2, 4, 2, 4, 5, 4], strict=True)
        ]
        # Other days: light.
        sessions += [Session(at(d - timedelta(days=2)), 50, 2) for d in thursdays]
        weeks = load.weekly(sessions, load.week_starts(TODAY, 12))
        sentences = load.what_stands_out(sessions, weeks, self.t, TODAY)
        self.assertIn("Three heavy sessions in a row on Thursdays.", sentences)
        self.assertIn(
            "Thursdays are your heaviest day: sessions average 3.5 against 2.0 on other days.",
            sentences,
        )

    def test_a_run_that_ended_long_ago_is_not_news(self) -> None:
        old = [TODAY - timedelta(weeks=n) for n in (9, 8, 7)]
        sessions = [Session(at(d), 50, 5) for d in old]
        self.assertEqual(load.heavy_runs_by_weekday(sessions, TODAY), [])
        self.assertEqual(load.heavy_runs_by_weekday(sessions, old[-1]), [(3, 3)])

    def test_unrated_sessions_do_not_break_a_run_but_a_light_one_does(self) -> None:
        days = [TODAY - timedelta(weeks=n) for n in range(4, -1, -1)]
        sessions = [
            Session(at(days[0]), 50, 5),
            Session(at(days[1]), 50, 2),
            Session(at(days[2]), 50, 4),
            Session(at(days[3]), 50, None),
            Session(at(days[4]), 50, 4),
        ]
        self.assertEqual(load.heavy_runs_by_weekday(sessions, TODAY), [])
        sessions.append(Session(at(TODAY, 15), 50, 5))
        self.assertEqual(load.heavy_runs_by_weekday(sessions, TODAY), [(3, 3)])

    def test_heavy_sessions_this_week(self) -> None:
        weeks = weeks_of({}, {"rated": 4, "weight_total": 17, "heavy": 4})
        self.assertIn(
            "Four heavy sessions this week.", load.what_stands_out([], weeks, self.t, TODAY)
        )

    def test_steady_weeks_say_nothing(self) -> None:
        steady = {"sessions": 20, "minutes": 20 * 50, "rated": 18, "weight_total": 45}
        weeks = weeks_of(*[steady] * 12)
        self.assertEqual(load.what_stands_out([], weeks, self.t, TODAY), [])


class WordsTests(unittest.TestCase):
    def test_numbers_in_words(self) -> None:
        self.assertEqual(load.count_word(3, capital=True), "Three")
        self.assertEqual(load.count_word(12), "12")
        self.assertEqual(load.format_hours(31.0), "31")
        self.assertEqual(load.format_hours(30.5), "30.5")

    def test_the_question_rotates_by_week_and_stays_all_week(self) -> None:
        this = load.reflection_question(MONDAY)
        self.assertEqual(load.reflection_question(TODAY), this)
        self.assertNotEqual(load.reflection_question(MONDAY + timedelta(weeks=1)), this)
        seen = {load.reflection_question(MONDAY + timedelta(weeks=n)) for n in range(12)}
        self.assertEqual(len(seen), len(load.REFLECTION_QUESTIONS))
