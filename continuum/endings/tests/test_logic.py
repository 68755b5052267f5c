"""The readiness suggestions and the tapering schedule as plain Python (no database)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from continuum.endings import readiness as r
from continuum.endings.taper import Stage, TaperError, as_rows, taper_dates

START = date(2026, 3, 2)


def points(*totals: float, start: date = START, every: int = 7) -> tuple[r.ScorePoint, ...]:
    return tuple(
        r.ScorePoint(start + timedelta(days=every * i), total) for i, total in enumerate(totals)
    )


# --- goals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("goals", "words"),
    [
        ([], "No treatment goals are recorded"),
        ([r.GoalFact(achieved=True, met=None)], "The goal is met"),
        ([r.GoalFact(False, True), r.GoalFact(True, False)], "All goals are met"),
        (
            [r.GoalFact(False, True), r.GoalFact(False, True), r.GoalFact(False, False)],
            "Most goals are met",
        ),
        ([r.GoalFact(False, True), r.GoalFact(False, False)], "1 of 2 goals are met"),
        ([r.GoalFact(False, False), r.GoalFact(False, None)], "No goals are met yet"),
        ([r.GoalFact(False, None)], "No goal is met yet"),
    ],
)
def test_goal_words(goals: list[r.GoalFact], words: str) -> None:
    assert r.goals_clause(goals)[0] == words


def test_dropped_goals_do_not_count() -> None:
    goals = [r.GoalFact(False, True), r.GoalFact(False, False, dropped=True)]
    assert r.goals_clause(goals) == ("The goal is met", 1, 1)


# --- caseness --------------------------------------------------------------------------------


def test_below_caseness_counts_the_weeks_of_the_latest_run() -> None:
    # 12 at caseness, then six weeks of scores below 10.
    fact = r.CasenessFact("PHQ-9", 10, points(18, 12, 9, 8, 7, 6, 6, 5))
    status = r.caseness_status(fact)
    assert status is not None
    assert (status.at_caseness, status.below_since, status.weeks_below) == (
        False,
        START + timedelta(weeks=2),
        5,
    )
    assert status.words == "PHQ-9 has been below caseness for 5 weeks"


def test_a_dip_back_to_caseness_restarts_the_run() -> None:
    fact = r.CasenessFact("PHQ-9", 10, points(8, 7, 11, 9))
    status = r.caseness_status(fact)
    assert status is not None
    assert status.weeks_below == 0
    assert status.words == "PHQ-9 is below caseness at the latest score (9)"


def test_at_caseness_says_so_with_the_score() -> None:
    status = r.caseness_status(r.CasenessFact("GAD-7", 8, points(12, 9)))
    assert status is not None
    assert status.at_caseness
    assert status.words == "GAD-7 is still at caseness (9)"


def test_no_scores_no_status() -> None:
    assert r.caseness_status(r.CasenessFact("PHQ-9", 10, ())) is None


def test_caseness_clause_names_what_is_still_at_caseness_first() -> None:
    below = r.caseness_status(r.CasenessFact("PHQ-9", 10, points(12, 5, 5, 5)))
    above = r.caseness_status(r.CasenessFact("GAD-7", 8, points(12, 9)))
    assert below is not None
    assert above is not None
    assert r.caseness_clause([below, above]) == "GAD-7 is still at caseness (9)"
    assert r.caseness_clause([below]) == "PHQ-9 has been below caseness for 2 weeks"
    assert r.caseness_clause([]) is None


# --- alliance --------------------------------------------------------------------------------


def test_session_means_average_the_forms_of_one_session() -> None:
    assert r.session_means([(1, 8.0), (1, 6.0), (2, 9.0)]) == [7.0, 9.0]


@pytest.mark.parametrize(
    ("means", "direction"),
    [
        ([8.0], r.Direction.UNKNOWN),
        ([], r.Direction.UNKNOWN),
        ([6.0, 7.5], r.Direction.IMPROVING),
        ([8.0, 8.2, 8.1, 8.4, 8.0], r.Direction.STEADY),
        ([9.0, 9.0, 9.0, 8.0, 7.5, 7.0], r.Direction.FALLING),
        ([5.0, 6.0, 6.0, 8.0, 8.5, 9.0], r.Direction.IMPROVING),
    ],
)
def test_alliance_trend(means: list[float], direction: r.Direction) -> None:
    assert r.alliance_trend(means).direction == direction


def test_alliance_words_flag_a_low_latest_session() -> None:
    trend = r.alliance_trend([9.0, 9.0, 9.0, 8.0, 7.5, 6.5])
    assert trend.concern
    assert trend.words == (
        "Session feedback is falling (7.3 out of 10 on average over the last 3 sessions). "
        "The latest session was rated below 7: worth talking about."
    )
    assert r.alliance_trend([]).words == "No session feedback in this episode."


# --- the suggestion --------------------------------------------------------------------------


def test_the_headline_reads_like_the_brief() -> None:
    facts = r.ReadinessFacts(
        goals=[r.GoalFact(True, None), r.GoalFact(False, True), r.GoalFact(False, False)],
        caseness=[r.CasenessFact("PHQ-9", 10, points(16, 9, 8, 7, 6, 6, 5))],
        alliance=r.alliance_trend([8.0, 8.5, 8.5]),
        client_readiness=8,
        client_asked=True,
    )
    suggestion = r.suggest(facts)
    assert suggestion.headline == (
        "Most goals are met and PHQ-9 has been below caseness for 5 weeks; "
        "the client feels 8/10 ready."
    )
    assert suggestion.leaning == r.Leaning.TOWARDS_ENDING
    assert "not a decision" in suggestion.not_a_decision
    assert "2 of 3 goals met." in suggestion.points


def test_signals_against_ending_lean_not_yet() -> None:
    facts = r.ReadinessFacts(
        goals=[r.GoalFact(False, False), r.GoalFact(False, None)],
        caseness=[r.CasenessFact("PHQ-9", 10, points(16, 14))],
        client_readiness=3,
        client_worries=True,
        client_asked=True,
    )
    suggestion = r.suggest(facts)
    assert suggestion.leaning == r.Leaning.NOT_YET
    assert suggestion.headline == (
        "No goals are met yet and PHQ-9 is still at caseness (14); the client feels 3/10 ready."
    )
    assert "The client wrote about worries on ending: talk them through." in suggestion.points


def test_mixed_signals_say_so() -> None:
    facts = r.ReadinessFacts(
        goals=[r.GoalFact(True, None)],
        caseness=[r.CasenessFact("PHQ-9", 10, points(12))],
        client_readiness=9,
    )
    assert r.suggest(facts).leaning == r.Leaning.MIXED


def test_a_single_signal_is_not_enough_to_lean_on() -> None:
    facts = r.ReadinessFacts(goals=[r.GoalFact(True, None)])
    assert r.suggest(facts).leaning == r.Leaning.SOME_SIGNS


def test_nothing_known_suggests_nothing() -> None:
    suggestion = r.suggest(r.ReadinessFacts())
    assert suggestion.leaning == r.Leaning.UNKNOWN
    assert suggestion.headline == (
        "No treatment goals are recorded; the client's own view has not been asked in the portal."
    )


def test_a_question_sent_but_unanswered_is_named() -> None:
    suggestion = r.suggest(r.ReadinessFacts(client_asked=True))
    assert suggestion.headline.endswith("the client has not answered the readiness questions yet.")


def test_a_falling_alliance_counts_against() -> None:
    facts = r.ReadinessFacts(
        goals=[r.GoalFact(True, None)],
        caseness=[r.CasenessFact("PHQ-9", 10, points(12, 5, 5, 5, 5, 5))],
        alliance=r.alliance_trend([9.0, 9.0, 9.0, 7.0, 6.5, 6.0]),
        client_readiness=8,
    )
    assert r.suggest(facts).leaning == r.Leaning.MIXED


# --- tapering --------------------------------------------------------------------------------


def test_weekly_then_fortnightly_then_monthly() -> None:
    stages = [Stage(1, 2), Stage(2, 2), Stage(4, 1)]
    assert taper_dates(date(2026, 6, 1), stages) == [
        date(2026, 6, 1),
        date(2026, 6, 8),
        date(2026, 6, 22),
        date(2026, 7, 6),
        date(2026, 8, 3),
    ]
    assert as_rows([*stages, Stage(2, 0)]) == [
        {"weeks": 1, "count": 2},
        {"weeks": 2, "count": 2},
        {"weeks": 4, "count": 1},
    ]


def test_empty_stages_book_nothing() -> None:
    assert taper_dates(date(2026, 6, 1), [Stage(1, 0), Stage(2, 0)]) == []


def test_one_session_is_the_first_date() -> None:
    assert taper_dates(date(2026, 6, 1), [Stage(4, 1)]) == [date(2026, 6, 1)]


@pytest.mark.parametrize(
    ("stages", "message"),
    [
        ([Stage(0, 2)], "1 to 12 weeks apart"),
        ([Stage(13, 1)], "1 to 12 weeks apart"),
        ([Stage(1, 20), Stage(2, 10)], "at most 26 sessions"),
        ([Stage(1, 1)] * 5, "at most 4 steps"),
    ],
)
def test_impossible_schedules_are_refused(stages: list[Stage], message: str) -> None:
    with pytest.raises(TaperError, match=message):
        taper_dates(date(2026, 6, 1), stages)
