"""Episode outcomes and rates: the NHS Talking Therapies definitions in CLINICAL.md."""

from __future__ import annotations

import pytest

from continuum.measures import scoring
from continuum.measures.scoring import OUTCOME_CATEGORIES, EpisodeOutcome, ScoringError


def classify(
    first: dict[str, float | None], last: dict[str, float | None]
) -> scoring.EpisodeOutcome:
    return scoring.classify_episode(first=first, last=last)


def test_it_classifies_the_documented_example_as_reliable_recovery() -> None:
    o = classify({"phq9": 18, "gad7": 12}, {"phq9": 8, "gad7": 6})
    assert o.paired == ("phq9", "gad7")
    assert o.caseness_at_start is True
    assert o.caseness_at_end is False
    assert o.recovered is True
    assert o.reliably_improved is True
    assert o.reliably_deteriorated is False
    assert o.reliably_recovered is True
    assert o.category == "reliable_recovery"
    assert o.label == "Reliably recovered: recovered and reliably improved"


def test_recovery_without_reliable_improvement() -> None:
    # Below caseness on both at the end, but PHQ-9 fell by only 4 and GAD-7 by 2.
    o = classify({"phq9": 11, "gad7": 8}, {"phq9": 7, "gad7": 6})
    assert o.recovered is True
    assert o.reliably_improved is False
    assert o.reliably_recovered is False
    assert o.category == "recovery"


def test_recovery_needs_both_measures_below_caseness_at_the_end() -> None:
    # PHQ-9 fell by 7 to below caseness, GAD-7 is still at caseness (8).
    o = classify({"phq9": 15, "gad7": 10}, {"phq9": 8, "gad7": 8})
    assert o.caseness_at_end is True
    assert o.recovered is False
    assert o.reliably_improved is True
    assert o.category == "reliable_improvement"


def test_reliable_improvement_of_a_client_still_at_caseness() -> None:
    o = classify({"phq9": 20}, {"phq9": 14})
    assert o.paired == ("phq9",)
    assert o.reliably_improved is True
    assert o.recovered is False
    assert o.category == "reliable_improvement"


def test_reliable_improvement_of_a_client_not_at_caseness() -> None:
    o = classify({"phq9": 9, "gad7": 7}, {"phq9": 3, "gad7": 2})
    assert o.caseness_at_start is False
    assert o.recovered is False  # recovery needs caseness at the start
    assert o.reliably_improved is True
    assert o.category == "reliable_improvement"


@pytest.mark.parametrize(
    ("first", "last", "improved"),
    [
        ({"phq9": 18}, {"phq9": 12}, True),  # PHQ-9 fell by exactly 6
        ({"phq9": 18}, {"phq9": 13}, False),  # by 5
        ({"gad7": 12}, {"gad7": 8}, True),  # GAD-7 fell by exactly 4
        ({"gad7": 12}, {"gad7": 9}, False),  # by 3
    ],
)
def test_reliable_improvement_threshold(
    first: dict[str, float | None], last: dict[str, float | None], improved: bool
) -> None:
    assert classify(first, last).reliably_improved is improved


@pytest.mark.parametrize(
    ("first", "last", "deteriorated"),
    [
        ({"phq9": 12}, {"phq9": 18}, True),
        ({"phq9": 12}, {"phq9": 17}, False),
        ({"gad7": 8}, {"gad7": 12}, True),
        ({"gad7": 8}, {"gad7": 11}, False),
    ],
)
def test_reliable_deterioration_threshold(
    first: dict[str, float | None], last: dict[str, float | None], deteriorated: bool
) -> None:
    o = classify(first, last)
    assert o.reliably_deteriorated is deteriorated
    assert (o.category == "reliable_deterioration") is deteriorated


def test_one_measure_worsening_while_the_other_holds() -> None:
    o = classify({"phq9": 12, "gad7": 10}, {"phq9": 12, "gad7": 14})
    assert o.reliably_deteriorated is True
    assert o.reliably_improved is False
    assert o.category == "reliable_deterioration"
    assert o.label == "Reliably deteriorated"


def test_improvement_on_one_and_deterioration_on_the_other_is_neither() -> None:
    # CLINICAL.md, read literally: reliable improvement needs "neither reliably worsened";
    # reliable deterioration needs "neither reliably improved". PHQ-9 falls by 6 while GAD-7
    # rises by 4: neither definition is met, so it is no reliable change, flagged as mixed.
    o = classify({"phq9": 18, "gad7": 6}, {"phq9": 12, "gad7": 10})
    assert o.reliably_improved is False
    assert o.reliably_deteriorated is False
    assert o.mixed_change is True
    assert o.recovered is False
    assert o.category == "no_reliable_change"


def test_recovered_yet_reliably_deteriorated_is_shown_as_deterioration() -> None:
    # At caseness at the start on GAD-7 (8), below caseness on both at the end, while PHQ-9
    # rose by 6 (3 -> 9): recovered by the definition, and reliably deteriorated.
    o = classify({"phq9": 3, "gad7": 8}, {"phq9": 9, "gad7": 7})
    assert o.recovered is True
    assert o.reliably_deteriorated is True
    assert o.reliably_recovered is False
    assert o.category == "reliable_deterioration"


def test_no_reliable_change_at_caseness() -> None:
    o = classify({"phq9": 15, "gad7": 12}, {"phq9": 12, "gad7": 10})
    assert o.caseness_at_start is True
    assert o.category == "no_reliable_change"
    assert o.mixed_change is False


def test_not_at_caseness_without_reliable_change() -> None:
    o = classify({"phq9": 8, "gad7": 5}, {"phq9": 7, "gad7": 6})
    assert o.caseness_at_start is False
    assert o.category == "not_at_caseness"


@pytest.mark.parametrize(
    ("first", "caseness"),
    [
        ({"phq9": 10, "gad7": 0}, True),
        ({"phq9": 9, "gad7": 8}, True),
        ({"phq9": 9, "gad7": 7}, False),
    ],
)
def test_caseness_at_start_is_phq9_10_or_gad7_8(first: dict[str, float], caseness: bool) -> None:
    assert classify(dict(first), {"phq9": 5, "gad7": 5}).caseness_at_start is caseness


def test_a_measure_missing_at_either_end_is_left_out() -> None:
    # GAD-7 15 at the start would mean caseness, but there is no last GAD-7.
    o = classify({"phq9": 8, "gad7": 15}, {"phq9": 7})
    assert o.paired == ("phq9",)
    assert o.caseness_at_start is False
    assert o.category == "not_at_caseness"
    o = classify({"phq9": 8, "gad7": 15}, {"phq9": 7, "gad7": None})
    assert o.paired == ("phq9",)
    o = classify({"phq9": None, "gad7": 12}, {"phq9": 20, "gad7": 6})
    assert o.paired == ("gad7",)
    assert o.category == "reliable_recovery"


def test_without_any_paired_measure_it_cannot_classify() -> None:
    o = classify({"phq9": 18}, {"gad7": 4})
    assert o.paired == ()
    assert o.category == "no_paired_scores"
    assert not any((o.caseness_at_start, o.recovered, o.reliably_improved, o.reliably_deteriorated))
    assert classify({}, {}).category == "no_paired_scores"


def test_it_ignores_other_instruments() -> None:
    o = classify({"phq9": 18, "who5": 3}, {"phq9": 8, "who5": 20})
    assert o.paired == ("phq9",)


@pytest.mark.parametrize(
    ("first", "last"),
    [({"phq9": 28}, {"phq9": 10}), ({"gad7": 10}, {"gad7": 22}), ({"phq9": True}, {"phq9": 1})],
)
def test_it_rejects_impossible_scores(
    first: dict[str, float | None], last: dict[str, float | None]
) -> None:
    with pytest.raises(ScoringError):
        classify(first, last)


def test_every_category_has_a_plain_words_label() -> None:
    assert set(OUTCOME_CATEGORIES) == {
        "no_paired_scores",
        "reliable_deterioration",
        "reliable_recovery",
        "recovery",
        "reliable_improvement",
        "not_at_caseness",
        "no_reliable_change",
    }
    assert all(label and label[0].isupper() for label in OUTCOME_CATEGORIES.values())


# --- Rates ------------------------------------------------------------------------------------


def test_outcome_rates_follow_the_definitions() -> None:
    outcomes = [
        classify({"phq9": 18}, {"phq9": 8}),  # recovered, reliably improved
        classify({"phq9": 18}, {"phq9": 16}),  # at caseness, no change
        classify({"phq9": 8}, {"phq9": 2}),  # not at caseness, reliably improved
        classify({"phq9": 12}, {"phq9": 9}),  # recovered, not reliably improved
        classify({"phq9": 20}, {"phq9": 4}),  # recovered, but not finished
    ]
    rates = scoring.outcome_rates(outcomes, [True, True, True, True, False])
    assert rates.finished == 4
    assert rates.finished_at_caseness == 3
    assert rates.recovered == 2
    assert rates.reliably_improved == 2
    assert rates.unpaired == 0
    # recovered / (finished - not at caseness at start) = 2 / (4 - 1)
    assert rates.recovery_rate == pytest.approx(2 / 3)
    # reliably improved / finished = 2 / 4
    assert rates.reliable_improvement_rate == 0.5


def test_outcome_rates_leave_out_episodes_without_paired_scores() -> None:
    outcomes = [classify({"phq9": 18}, {"phq9": 8}), classify({"phq9": 18}, {})]
    rates = scoring.outcome_rates(outcomes, [True, True])
    assert rates.finished == 1
    assert rates.unpaired == 1
    assert rates.reliable_improvement_rate == 1.0


def test_outcome_rates_are_none_without_a_denominator() -> None:
    rates = scoring.outcome_rates([], [])
    assert rates.recovery_rate is None
    assert rates.reliable_improvement_rate is None
    only_below_caseness: list[EpisodeOutcome] = [classify({"phq9": 5}, {"phq9": 4})]
    rates = scoring.outcome_rates(only_below_caseness, [True])
    assert rates.recovery_rate is None
    assert rates.reliable_improvement_rate == 0


def test_outcome_rates_need_one_flag_per_outcome() -> None:
    with pytest.raises(ScoringError, match="same length"):
        scoring.outcome_rates([classify({"phq9": 18}, {"phq9": 8})], [])
