"""Scoring one administration, reliable change and the Jacobson-Truax helpers."""

from __future__ import annotations

import dataclasses
import math

import pytest

from continuum.measures import scoring
from continuum.measures.instruments import get_instrument, goal_rating_instrument
from continuum.measures.scoring import ScoringError
from continuum.measures.tests import answers_for_total


def all_items(code: str, value: int) -> dict[str, int]:
    return {i.key: value for i in get_instrument(code).scored_items}


# --- The public API as documented ----------------------------------------------------------


def test_it_scores_the_documented_example() -> None:
    s = scoring.score(
        "phq9", {"1": 2, "2": 1, "3": 3, "4": 2, "5": 1, "6": 0, "7": 1, "8": 0, "9": 1}
    )
    assert s.total == 11
    assert s.band == "moderate"
    assert s.band_label == "Moderate"
    assert s.caseness is True
    assert s.safety is True
    assert s.prorated is False
    assert s.reason is None
    assert s.instrument == "phq9"
    assert s.version == "1"


def test_scoring_error_is_a_value_error() -> None:
    assert issubclass(ScoringError, ValueError)


# --- Each instrument ---------------------------------------------------------------------------


def test_phq9_full_marks_are_severe() -> None:
    s = scoring.score("phq9", all_items("phq9", 3))
    assert (s.total, s.band, s.caseness) == (27, "severe", True)
    assert s.display_total == 27


def test_phq9_accepts_the_difficulty_question_without_scoring_it() -> None:
    answers = {**all_items("phq9", 1), "10": 3}
    s = scoring.score("phq9", answers)
    assert s.total == 9
    assert "10" not in s.item_scores


def test_phq9_item_9_above_zero_raises_the_safety_flag() -> None:
    answers = all_items("phq9", 0)
    assert scoring.score("phq9", answers).safety is False
    for value in (1, 2, 3):
        assert scoring.score("phq9", {**answers, "9": value}).safety is True


def test_phq9_safety_is_raised_even_without_a_total() -> None:
    s = scoring.score("phq9", {"9": 2})
    assert s.total is None
    assert s.safety is True


def test_phq9_says_when_the_safety_item_was_left_blank() -> None:
    answers = all_items("phq9", 1)
    del answers["9"]
    s = scoring.score("phq9", answers)
    assert s.safety is False
    assert s.safety_unanswered is True
    assert s.prorated is True
    assert scoring.score("phq9", all_items("phq9", 0)).safety_unanswered is False


def test_phq9_fills_up_to_two_missing_items_with_the_mean() -> None:
    answers = {"1": 3, "2": 2, "3": 2, "4": 2, "5": 2, "6": 1, "7": 1}  # 13 over 7 items
    s = scoring.score("phq9", answers)
    # 13 + 2 * 13/7 = 16.71 -> 17
    assert s.total == 17
    assert s.prorated is True
    assert s.missing_items == ("8", "9")
    assert s.band == "moderately_severe"
    assert s.reason is None


def test_phq9_gives_no_total_when_three_items_are_missing() -> None:
    answers = {"1": 3, "2": 2, "3": 2, "4": 2, "5": 2, "6": 1}
    s = scoring.score("phq9", answers)
    assert s.total is None
    assert s.display_total is None
    assert s.band is None
    assert s.caseness is None
    assert s.prorated is False
    assert s.reason == "3 of 9 items missing; at most 2 allowed"
    assert s.missing_items == ("7", "8", "9")


def test_none_counts_as_not_answered() -> None:
    answers: dict[str, int | None] = {**all_items("phq9", 1), "8": None, "9": None}
    s = scoring.score("phq9", answers)
    assert s.missing_items == ("8", "9")
    assert s.total == 9


def test_gad7_rounds_a_half_up_when_filling_a_missing_item() -> None:
    # Six answers totalling 9: 9 * 7/6 = 10.5 -> 11 (round() would give 10).
    answers = {"1": 3, "2": 3, "3": 3, "4": 0, "5": 0, "6": 0}
    s = scoring.score("gad7", answers)
    assert s.total == 11
    assert s.prorated is True


def test_gad7_gives_no_total_when_two_items_are_missing() -> None:
    s = scoring.score("gad7", {"1": 3, "2": 3, "3": 3, "4": 0, "5": 0})
    assert s.total is None
    assert s.reason == "2 of 7 items missing; at most 1 allowed"


def test_who5_total_is_raw_and_display_is_percent() -> None:
    s = scoring.score("who5", all_items("who5", 3))
    assert s.total == 15
    assert s.display_total == 60
    assert s.band == "adequate_wellbeing"
    assert s.caseness is None
    full = scoring.score("who5", all_items("who5", 5))
    assert (full.total, full.display_total) == (25, 100)


def test_who5_allows_no_missing_items() -> None:
    answers = all_items("who5", 3)
    del answers["5"]
    s = scoring.score("who5", answers)
    assert s.total is None
    assert s.reason == "1 of 5 items missing; none allowed"


def test_pcl5_sums_twenty_items() -> None:
    s = scoring.score("pcl5", all_items("pcl5", 4))
    assert (s.total, s.band, s.caseness) == (80, "provisional_ptsd", True)
    answers = all_items("pcl5", 2)
    del answers["20"]
    assert scoring.score("pcl5", answers).reason == "1 of 20 items missing; none allowed"


def test_wsas_scores_the_other_four_items_when_the_work_item_is_skipped() -> None:
    answers = {"2": 8, "3": 8, "4": 6, "5": 4}
    s = scoring.score("wsas", answers)
    assert s.total == 26
    assert s.prorated is False
    assert s.missing_items == ()
    assert s.band == "moderately_severe_or_worse"
    assert s.caseness is None


def test_wsas_needs_every_item_but_work() -> None:
    s = scoring.score("wsas", {"1": 4, "2": 8, "3": 8, "4": 6})
    assert s.total is None
    assert s.reason == "1 of 5 items missing; none allowed"
    assert scoring.score("wsas", {"1": 8, **dict.fromkeys("2345", 8)}).total == 40


def test_core10_reverse_scores_items_2_and_3() -> None:
    # "Not at all" on the two positively worded items scores 4 each.
    s = scoring.score("core10", all_items("core10", 0))
    assert s.total == 8
    assert s.item_scores["2"] == 4
    assert s.item_scores["3"] == 4
    assert s.item_scores["1"] == 0
    # "Most or all of the time" everywhere: 8 items x 4, items 2 and 3 score 0.
    assert scoring.score("core10", all_items("core10", 4)).total == 32
    best = {**all_items("core10", 0), "2": 4, "3": 4}
    assert scoring.score("core10", best).total == 0


def test_core10_prorates_one_missing_item() -> None:
    answers = all_items("core10", 2)  # 2 everywhere scores 2 everywhere: 20
    del answers["10"]
    s = scoring.score("core10", answers)
    assert s.total == 20  # 18 * 10/9
    assert s.prorated is True
    del answers["9"]
    s = scoring.score("core10", answers)
    assert s.total is None
    assert s.reason == "2 of 10 items missing; at most 1 allowed"


def test_core10_item_6_raises_the_safety_flag() -> None:
    assert scoring.score("core10", {**all_items("core10", 0), "6": 1}).safety is True


def test_session_feedback_is_the_mean_of_its_items() -> None:
    s = scoring.score("session_feedback", {"1": 7, "2": 7, "3": 7, "4": 6})
    assert s.total == 6.75
    assert s.band == "talk_about_it"  # below 7 prompts a conversation
    assert s.caseness is None
    s = scoring.score("session_feedback", {"1": 7, "2": 7, "3": 7, "4": 7})
    assert s.total == 7
    assert s.band == "ok"


def test_session_feedback_averages_the_answered_items_when_one_is_skipped() -> None:
    s = scoring.score("session_feedback", {"1": 9, "2": 8, "4": 6})
    assert s.total == pytest.approx(7.67)
    assert s.prorated is True
    s = scoring.score("session_feedback", {"1": 9, "2": 8})
    assert s.reason == "2 of 4 items missing; at most 1 allowed"


def test_goal_rating_scores_each_goal() -> None:
    inst = goal_rating_instrument(["Sleep", "Choir", "Walk the dog"])
    s = scoring.score(inst, {"1": 2, "2": 5, "3": 8})
    assert s.instrument == "goal_rating"
    assert dict(s.item_scores) == {"1": 2, "2": 5, "3": 8}
    assert s.total == 5
    assert s.band is None
    assert s.caseness is None
    with pytest.raises(ScoringError, match="unknown item '4'"):
        scoring.score(inst, {"4": 3})


def test_goal_rating_by_code_takes_one_goal_per_key() -> None:
    s = scoring.score("goal_rating", {"1": 4, "2": 6})
    assert s.total == 5
    assert dict(s.item_scores) == {"1": 4, "2": 6}
    s = scoring.score("goal_rating", {"1": 4, "3": 6})
    assert s.missing_items == ("2",)
    assert s.prorated is True


# --- Bands and caseness at every boundary ------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "total", "band"),
    [
        ("phq9", 0, "minimal"),
        ("phq9", 4, "minimal"),
        ("phq9", 5, "mild"),
        ("phq9", 9, "mild"),
        ("phq9", 10, "moderate"),
        ("phq9", 14, "moderate"),
        ("phq9", 15, "moderately_severe"),
        ("phq9", 19, "moderately_severe"),
        ("phq9", 20, "severe"),
        ("phq9", 27, "severe"),
        ("gad7", 4, "minimal"),
        ("gad7", 5, "mild"),
        ("gad7", 9, "mild"),
        ("gad7", 10, "moderate"),
        ("gad7", 14, "moderate"),
        ("gad7", 15, "severe"),
        ("gad7", 21, "severe"),
        ("who5", 12, "poor_wellbeing"),
        ("who5", 13, "adequate_wellbeing"),
        ("pcl5", 32, "below_threshold"),
        ("pcl5", 33, "provisional_ptsd"),
        ("wsas", 9, "subclinical"),
        ("wsas", 10, "significant"),
        ("wsas", 20, "significant"),
        ("wsas", 21, "moderately_severe_or_worse"),
        # CORE-10: the published bands (CLINICAL.md; Barkham et al. 2013), every edge.
        ("core10", 0, "healthy"),
        ("core10", 5, "healthy"),
        ("core10", 6, "low_level"),
        ("core10", 10, "low_level"),
        ("core10", 11, "mild"),
        ("core10", 14, "mild"),
        ("core10", 15, "moderate"),
        ("core10", 19, "moderate"),
        ("core10", 20, "moderately_severe"),
        ("core10", 24, "moderately_severe"),
        ("core10", 25, "severe"),
        ("core10", 40, "severe"),
    ],
)
def test_it_bands_every_boundary(code: str, total: int, band: str) -> None:
    s = scoring.score(code, answers_for_total(code, total))
    assert s.total == total
    assert s.band == band


@pytest.mark.parametrize(
    ("code", "total", "caseness"),
    [
        ("phq9", 9, False),
        ("phq9", 10, True),
        ("gad7", 7, False),
        ("gad7", 8, True),
        ("core10", 10, False),
        ("core10", 11, True),
        ("pcl5", 32, False),
        ("pcl5", 33, True),
        ("who5", 0, None),
        ("wsas", 40, None),
    ],
)
def test_it_decides_caseness_at_the_cutoff(code: str, total: int, caseness: bool | None) -> None:
    assert scoring.score(code, answers_for_total(code, total)).caseness is caseness


# --- Bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "answers", "message"),
    [
        ("phq10", {"1": 1}, "unknown instrument 'phq10'"),
        ("phq9", {"11": 1}, "phq9: unknown item '11'"),
        ("phq9", {"0": 1}, "phq9: unknown item '0'"),
        ("phq9", {1: 1}, "phq9: unknown item 1"),
        ("phq9", {"1": 4}, r"phq9: item 1 answer 4 is out of range \(0 to 3\)"),
        ("phq9", {"1": -1}, r"phq9: item 1 answer -1 is out of range"),
        ("phq9", {"10": 4}, r"phq9: item 10 answer 4 is out of range"),
        ("phq9", {"1": True}, "phq9: item 1 answer must be a whole number"),
        ("phq9", {"1": 1.0}, "phq9: item 1 answer must be a whole number"),
        ("phq9", {"1": "1"}, "phq9: item 1 answer must be a whole number"),
        ("who5", {"1": 6}, r"who5: item 1 answer 6 is out of range \(0 to 5\)"),
        ("wsas", {"1": 9}, r"wsas: item 1 answer 9 is out of range \(0 to 8\)"),
        ("session_feedback", {"1": 11}, "out of range"),
        ("goal_rating", {"first": 3}, "goal_rating: unknown item 'first'"),
        ("goal_rating", {"0": 3}, "goal_rating: unknown item '0'"),
        ("goal_rating", {}, "goal_rating: no goals to rate"),
        ("goal_rating", {"1": 11}, "out of range"),
    ],
)
def test_it_rejects_bad_answers(code: str, answers: dict[object, object], message: str) -> None:
    with pytest.raises(ScoringError, match=message):
        scoring.score(code, answers)  # type: ignore[arg-type]


def test_it_rejects_answers_that_are_not_a_mapping() -> None:
    with pytest.raises(ScoringError, match="mapping"):
        scoring.score("phq9", [1, 2, 3])  # type: ignore[arg-type]


# --- Reliable change ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "before", "after", "change"),
    [
        # PHQ-9: 6 points (NHS Talking Therapies)
        ("phq9", 18, 12, "improved"),
        ("phq9", 18, 13, "no_change"),
        ("phq9", 12, 18, "deteriorated"),
        ("phq9", 12, 17, "no_change"),
        # GAD-7: 4 points
        ("gad7", 12, 8, "improved"),
        ("gad7", 12, 9, "no_change"),
        ("gad7", 8, 12, "deteriorated"),
        ("gad7", 8, 11, "no_change"),
        # PCL-5: 10 points
        ("pcl5", 52, 38, "improved"),
        ("pcl5", 52, 42, "improved"),
        ("pcl5", 52, 43, "no_change"),
        ("pcl5", 42, 52, "deteriorated"),
        # CORE-10: 6 points
        ("core10", 20, 14, "improved"),
        ("core10", 20, 15, "no_change"),
        ("core10", 14, 20, "deteriorated"),
        # WHO-5, higher is better: 10 percentage points = 2.5 raw
        ("who5", 10, 13, "improved"),  # +12 points
        ("who5", 10, 12, "no_change"),  # +8 points
        ("who5", 13, 10, "deteriorated"),
        ("who5", 12, 10, "no_change"),
        # Goal rating, higher is better: 3 points
        ("goal_rating", 2, 5, "improved"),
        ("goal_rating", 2, 4, "no_change"),
        ("goal_rating", 5, 2, "deteriorated"),
        ("goal_rating", 5.5, 2.5, "deteriorated"),
    ],
)
def test_it_judges_reliable_change_at_the_threshold(
    code: str, before: float, after: float, change: str
) -> None:
    assert scoring.reliable_change(code, before=before, after=after) == change


def test_it_returns_none_when_an_instrument_has_no_threshold() -> None:
    assert scoring.reliable_change("session_feedback", before=3, after=9) is None
    # WSAS: Jacobson-Truax needs an SD, which ships unset.
    assert scoring.reliable_change("wsas", before=30, after=2) is None
    assert scoring.reliable_change_threshold("wsas") is None


def test_wsas_uses_jacobson_truax_once_an_sd_is_configured() -> None:
    wsas = get_instrument("wsas")
    configured = dataclasses.replace(
        wsas, reliable_change=dataclasses.replace(wsas.reliable_change, sd=8.0)
    )
    threshold = scoring.reliable_change_threshold(configured)
    assert threshold is not None
    assert threshold.points == pytest.approx(1.96 * math.sqrt(2) * 8 * math.sqrt(1 - 0.73))
    assert threshold.inclusive is False
    assert threshold.describe(configured) == "more than 11.5 points"
    assert scoring.reliable_change(configured, before=30, after=18) == "improved"
    assert scoring.reliable_change(configured, before=30, after=19) == "no_change"
    assert scoring.reliable_change(configured, before=18, after=30) == "deteriorated"


def test_it_describes_fixed_thresholds() -> None:
    for code, text in [
        ("phq9", "6 or more points"),
        ("gad7", "4 or more points"),
        ("who5", "10 or more percentage points"),
    ]:
        threshold = scoring.reliable_change_threshold(code)
        assert threshold is not None
        assert threshold.describe(get_instrument(code)) == text


@pytest.mark.parametrize(
    ("code", "before", "after", "message"),
    [
        ("phq9", 28, 10, r"phq9: before 28 is out of range \(0 to 27\)"),
        ("phq9", 10, -1, "phq9: after -1 is out of range"),
        ("who5", 10, 26, "who5: after 26 is out of range"),
        ("phq9", True, 10, "phq9: before must be a number"),
        ("phq9", "10", 10, "phq9: before must be a number"),
        ("phq9", 10, math.nan, "out of range"),
        ("nope", 1, 2, "unknown instrument 'nope'"),
    ],
)
def test_reliable_change_rejects_bad_totals(
    code: str, before: object, after: object, message: str
) -> None:
    with pytest.raises(ScoringError, match=message):
        scoring.reliable_change(code, before=before, after=after)  # type: ignore[arg-type]


def test_jacobson_truax_threshold_follows_the_formula() -> None:
    # 1.96 * sqrt(2) * SD * sqrt(1 - r)
    assert scoring.jacobson_truax_threshold(5, 0.84) == pytest.approx(1.96 * math.sqrt(2) * 5 * 0.4)
    assert scoring.jacobson_truax_threshold(5, 1) == 0
    for sd, r in [(0, 0.8), (-1, 0.8), (5, 1.1), (5, -0.1), (True, 0.5)]:
        with pytest.raises(ScoringError):
            scoring.jacobson_truax_threshold(sd, r)


def test_clinical_cutoff_follows_the_formula() -> None:
    # (SD_func * M_clin + SD_clin * M_func) / (SD_func + SD_clin)
    assert scoring.clinical_cutoff(m_clin=18, sd_clin=5, m_func=4, sd_func=3) == 9.25
    with pytest.raises(ScoringError):
        scoring.clinical_cutoff(m_clin=18, sd_clin=0, m_func=4, sd_func=0)
    with pytest.raises(ScoringError):
        scoring.clinical_cutoff(m_clin="18", sd_clin=5, m_func=4, sd_func=3)  # type: ignore[arg-type]
