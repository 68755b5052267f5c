"""The stored outcome's values and the statistics, at every rule boundary (no database)."""

from __future__ import annotations

import pytest

from continuum.outcomes import rules
from continuum.outcomes.rules import Score


def _row(series: dict[str, list[float]], code: str = "phq9_gad7") -> rules.OutcomeValues:
    rows = rules.outcome_values({k: [Score(v, "") for v in vs] for k, vs in series.items()})
    return next(r for r in rows if r.instrument_set == code)


@pytest.mark.parametrize(("start", "caseness"), [(10, True), (9, False)])
def test_phq9_caseness_starts_at_exactly_10(start: float, caseness: bool) -> None:
    row = _row({"phq9": [start, 3]})
    assert row.caseness_start is caseness
    assert row.recovered is caseness


@pytest.mark.parametrize(("start", "caseness"), [(8, True), (7, False)])
def test_gad7_caseness_starts_at_exactly_8(start: float, caseness: bool) -> None:
    row = _row({"gad7": [start, 2]})
    assert row.caseness_start is caseness


@pytest.mark.parametrize(("fall", "reliable"), [(6, True), (5, False)])
def test_phq9_reliable_change_is_exactly_6(fall: float, reliable: bool) -> None:
    row = _row({"phq9": [20, 20 - fall]})
    assert row.reliably_improved is reliable
    rise = _row({"phq9": [5, 5 + fall]})
    assert rise.reliably_deteriorated is reliable


@pytest.mark.parametrize(("fall", "reliable"), [(4, True), (3, False)])
def test_gad7_reliable_change_is_exactly_4(fall: float, reliable: bool) -> None:
    assert _row({"gad7": [15, 15 - fall]}).reliably_improved is reliable
    assert _row({"gad7": [3, 3 + fall]}).reliably_deteriorated is reliable


def test_recovery_needs_both_measures_below_their_cut_offs() -> None:
    row = _row({"phq9": [18, 9], "gad7": [12, 8]})  # GAD-7 8 is still caseness
    assert row.caseness_start
    assert row.caseness_end
    assert not row.recovered
    row = _row({"phq9": [18, 9], "gad7": [12, 7]})
    assert row.recovered
    assert row.reliably_improved
    assert row.reliably_recovered
    assert row.category == "reliable_recovery"
    assert (row.start_a, row.end_a, row.start_b, row.end_b) == (18, 9, 12, 7)


def test_an_unpaired_episode_is_kept_but_not_paired() -> None:
    rows = rules.outcome_values({"phq9": [Score(18, "moderately_severe")]})
    assert [r.instrument_set for r in rows] == ["phq9_gad7", "phq9"]
    assert not rows[0].paired
    assert rows[0].category == "no_paired_scores"
    assert not rows[0].caseness_start
    assert not rows[0].recovered
    assert rows[0].intake_band == "moderately_severe"


def test_no_scores_still_gives_the_phq9_gad7_row_for_completeness() -> None:
    rows = rules.outcome_values({})
    assert [(r.instrument_set, r.paired) for r in rows] == [("phq9_gad7", False)]


def test_core10_and_pcl5_use_their_own_rules() -> None:
    core = _row({"core10": [11, 5]}, "core10")
    assert core.caseness_start
    assert core.recovered
    assert core.reliably_improved
    assert not _row({"core10": [10, 5]}, "core10").caseness_start
    pcl = _row({"pcl5": [33, 23]}, "pcl5")
    assert pcl.caseness_start
    assert pcl.reliably_recovered
    assert not _row({"pcl5": [42, 33]}, "pcl5").recovered  # still at 33


def test_wilson_interval() -> None:
    assert rules.wilson(0, 0) is None
    low, high = rules.wilson(41, 78) or (0, 0)
    assert round(low, 3) == 0.416
    assert round(high, 3) == 0.633
    zero = rules.wilson(0, 10)
    assert zero is not None
    assert zero[0] == 0.0
    assert zero[1] == pytest.approx(0.2775, abs=1e-4)


def test_funnel_limits_narrow_with_more_episodes() -> None:
    p = 0.5
    wide = rules.funnel_limits(p, 10, rules.Z998)
    narrow = rules.funnel_limits(p, 100, rules.Z998)
    assert wide[0] < narrow[0] < p < narrow[1] < wide[1]
    assert rules.funnel_limits(p, 100, rules.Z95) == pytest.approx((0.402, 0.598), abs=1e-3)


@pytest.mark.parametrize(
    ("reason", "key"),
    [
        ("GP referral: low mood", "GP referral"),
        ("Self-referral:   worry", "Self-referral"),
        ("Low mood and worry", "other"),
        (": nothing before", "other"),
        ("x" * 61 + ": long head", "other"),
    ],
)
def test_referral_key_is_the_source_never_the_text(reason: str, key: str) -> None:
    assert rules.referral_key(reason) == key
