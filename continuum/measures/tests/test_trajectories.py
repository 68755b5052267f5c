"""Expected recovery curves and not-on-track flags."""

from __future__ import annotations

import json
import random
import statistics
import time
from typing import Any

import pytest

from continuum.measures import trajectories
from continuum.measures.data import make_default_curves
from continuum.measures.instruments import INSTRUMENTS, get_instrument
from continuum.measures.scoring import ScoringError
from continuum.measures.trajectories import (
    Curve,
    CurvePoint,
    compute_curves,
    default_curves,
    not_on_track,
    percentile,
)


def flat_curve(code: str, band: str, sessions: int, *, p10: float, p90: float) -> Curve:
    """A curve with the same percentiles at every session (for readable flag tests)."""
    points = tuple(
        CurvePoint(s, 100, p10, p10, (p10 + p90) / 2, p90, p90) for s in range(1, sessions + 1)
    )
    return Curve(code, band, "practice", 250, points)


# --- Percentiles -----------------------------------------------------------------------------


def test_percentiles_of_a_known_set() -> None:
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]
    assert percentile(values, 50) == 5.5
    assert percentile(values, 90) == pytest.approx(9.1)
    assert percentile(values, 10) == pytest.approx(1.9)
    assert percentile(values, 75) == pytest.approx(7.75)
    assert percentile(values, 0) == 1
    assert percentile(values, 100) == 10
    assert percentile([4.0], 90) == 4


def test_percentiles_match_the_statistics_module() -> None:
    values = sorted([3.0, 17, 8, 8, 12, 0, 27, 5, 14, 9, 9, 21])
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    assert percentile(values, 10) == pytest.approx(deciles[0])
    assert percentile(values, 90) == pytest.approx(deciles[8])
    assert percentile(values, 50) == pytest.approx(statistics.median(values))


def test_percentile_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


# --- Computing curves from completed episodes --------------------------------------------------


def test_it_computes_a_band_curve_from_episodes() -> None:
    episodes: list[list[float | None]] = [
        [15, 10, 8],
        [16, 12, 9],
        [17, 14, None],  # no score at session 3
        [18, 16, 12],
        [19, 18, 15, 14],  # a fourth session: too few scores there for a point
    ]
    curves = compute_curves(
        episodes, instrument="phq9", min_episodes=5, min_per_session=4, defaults={}
    )
    curve = curves[("phq9", "moderately_severe")]
    assert curve.source == "practice"
    assert curve.episodes == 5
    assert [p.session for p in curve.points] == [1, 2, 3]
    session2 = curve.points[1]
    assert session2.n == 5
    # 10, 12, 14, 16, 18
    assert (session2.p10, session2.p25, session2.p50, session2.p75, session2.p90) == (
        10.8,
        12,
        14,
        16,
        17.2,
    )
    session3 = curve.points[2]
    assert session3.n == 4
    assert session3.p50 == 10.5  # 8, 9, 12, 15
    assert curves.keys() == {("phq9", "moderately_severe")}


def test_it_keeps_the_default_curve_for_bands_with_too_few_episodes() -> None:
    episodes = [[17, 12, 10]] * 5 + [[6, 5, 4]] * 2
    defaults = default_curves()
    curves = compute_curves(
        episodes, instrument="phq9", min_episodes=5, min_per_session=1, defaults=defaults
    )
    assert curves[("phq9", "moderately_severe")].source == "practice"
    assert curves[("phq9", "mild")] is defaults[("phq9", "mild")]
    assert curves[("phq9", "severe")].source == "default"
    assert {band for _, band in curves} == {b.name for b in get_instrument("phq9").bands}


def test_the_minimum_is_200_episodes_per_band_by_default() -> None:
    assert trajectories.DEFAULT_MIN_EPISODES == 200
    episodes = [[17, 12, 10]] * 199
    curves = compute_curves(episodes, instrument="phq9")
    assert curves[("phq9", "moderately_severe")].source == "default"
    curves = compute_curves([*episodes, [17, 12, 10]], instrument="phq9")
    assert curves[("phq9", "moderately_severe")].source == "practice"


def test_it_skips_episodes_without_an_intake_score_and_stops_at_max_sessions() -> None:
    episodes: list[list[float | None]] = [
        [],
        [None, 5, 5],
        [12, 11, 10, 9],
        [12, 11, 10, 9],
        [12, 11, 10, 9],
    ]
    curves = compute_curves(
        episodes,
        instrument="phq9",
        min_episodes=3,
        min_per_session=1,
        max_sessions=2,
        defaults={},
    )
    curve = curves[("phq9", "moderate")]
    assert curve.episodes == 3
    assert [p.p50 for p in curve.points] == [12, 11]


def test_it_works_for_higher_is_better_measures() -> None:
    curves = compute_curves(
        [[6, 8, 12], [4, 9, 14]], instrument="who5", min_episodes=2, min_per_session=2
    )
    curve = curves[("who5", "poor_wellbeing")]
    assert curve.points[2].p10 == pytest.approx(12.2)


def test_it_rejects_impossible_scores() -> None:
    with pytest.raises(ScoringError, match="intake score 30 is out of range"):
        compute_curves([[30, 10]], instrument="phq9", min_episodes=1, min_per_session=1)
    with pytest.raises(ScoringError, match="score at session 2"):
        compute_curves([[17, 40]], instrument="phq9", min_episodes=1, min_per_session=1)
    with pytest.raises(ScoringError, match="unknown instrument"):
        compute_curves([[1]], instrument="ors")
    with pytest.raises(ScoringError, match="positive"):
        compute_curves([[1]], instrument="phq9", min_episodes=0)


@pytest.mark.slow
def test_it_computes_a_million_administrations_quickly() -> None:
    rng = random.Random(2001)
    episodes = []
    for _ in range(100_000):  # 100,000 episodes x 10 sessions = 1,000,000 administrations
        score = rng.randint(0, 27)
        row = []
        for _session in range(10):
            row.append(score)
            score = min(27, max(0, score + rng.randint(-3, 2)))
        episodes.append(row)
    assert sum(map(len, episodes)) == 1_000_000

    started = time.perf_counter()
    curves = compute_curves(episodes, instrument="phq9")
    elapsed = time.perf_counter() - started

    print(f"compute_curves: 1,000,000 administrations in {elapsed:.2f} s")
    assert elapsed < 10
    assert all(c.source == "practice" for c in curves.values())
    assert sum(c.episodes for c in curves.values()) == 100_000
    assert all(len(c.points) == 10 for c in curves.values())


# --- The shipped default curves ----------------------------------------------------------------


def test_default_curves_ship_for_the_documented_instruments() -> None:
    curves = default_curves()
    shipped = {code for code, _ in curves}
    assert shipped == {"phq9", "gad7", "core10", "pcl5", "who5"}
    for code in shipped:
        for band in INSTRUMENTS[code].bands:
            curve = curves[(code, band.name)]
            assert curve.source == "default"
            assert [p.session for p in curve.points] == list(range(1, 21))


def test_default_curves_are_ordered_and_in_range() -> None:
    for (code, _band), curve in default_curves().items():
        inst = INSTRUMENTS[code]
        for p in curve.points:
            assert inst.min_total <= p.p10 <= p.p25 <= p.p50 <= p.p75 <= p.p90 <= inst.max_total


def test_default_curves_say_they_are_synthetic() -> None:
    data = json.loads(trajectories.DEFAULT_CURVES_PATH.read_text(encoding="utf-8"))
    assert "SYNTHETIC" in data["about"]
    assert "make_default_curves" in data["generated_by"]


def test_default_curves_file_matches_its_generator() -> None:
    # The JSON is exactly what the documented model produces: rerun the generator after
    # changing its parameters.
    expected = make_default_curves.render(make_default_curves.build())
    assert trajectories.DEFAULT_CURVES_PATH.read_text(encoding="utf-8") == expected


@pytest.mark.parametrize(
    ("code", "band", "midpoint"),
    [
        ("phq9", "moderately_severe", 17),
        ("phq9", "severe", 23.5),
        ("gad7", "moderate", 12),
        ("gad7", "severe", 18),
    ],
)
def test_default_curves_have_half_reliably_improved_by_session_8(
    code: str, band: str, midpoint: float
) -> None:
    # The documented calibration (dose-effect: about half improved by session 8).
    threshold = INSTRUMENTS[code].reliable_change.points
    assert threshold is not None
    point = default_curves()[(code, band)].at(8)
    assert point is not None
    assert point.p50 <= midpoint - threshold


# --- Not on track -------------------------------------------------------------------------------


def test_it_flags_a_score_above_the_90th_percentile_and_says_why() -> None:
    curves = {
        ("phq9", "moderately_severe"): flat_curve("phq9", "moderately_severe", 10, p10=5, p90=15)
    }
    flag = not_on_track("phq9", 17, 5, 18, curves)
    assert flag is not None
    assert flag.reasons == ("off_curve",)
    assert flag.reason == "off_curve"
    assert flag.session == 5
    assert flag.curve_source == "practice"
    assert flag.message == (
        "PHQ-9 18 at session 5; 90% of clients who started moderately severe were at or below "
        "15 by now."
    )


def test_it_does_not_flag_at_or_below_the_90th_percentile() -> None:
    curves = {
        ("phq9", "moderately_severe"): flat_curve("phq9", "moderately_severe", 10, p10=5, p90=15)
    }
    assert not_on_track("phq9", 17, 5, 15, curves) is None
    assert not_on_track("phq9", 17, 5, 9, curves) is None


def test_it_never_flags_before_session_3() -> None:
    curves = {
        ("phq9", "moderately_severe"): flat_curve("phq9", "moderately_severe", 10, p10=0, p90=1)
    }
    # Far above the curve and reliably worse, yet sessions 1 and 2 are too early.
    assert not_on_track("phq9", 15, 1, 27, curves) is None
    assert not_on_track("phq9", 15, 2, 27, curves) is None
    assert not_on_track("phq9", 15, 3, 27, curves) is not None


def test_past_the_end_of_the_curve_it_uses_the_last_session() -> None:
    curves = {
        ("phq9", "moderately_severe"): flat_curve("phq9", "moderately_severe", 12, p10=3, p90=14.6)
    }
    flag = not_on_track("phq9", 16, 15, 16, curves)
    assert flag is not None
    assert flag.message == (
        "PHQ-9 16 at session 15; 90% of clients who started moderately severe were at or below "
        "14.6 by session 12."
    )


def test_it_flags_reliable_deterioration_from_the_first_score() -> None:
    flag = not_on_track("phq9", 10, 3, 16, curves={})
    assert flag is not None
    assert flag.reasons == ("reliable_deterioration",)
    assert flag.curve_source is None
    assert flag.message == (
        "PHQ-9 rose from 10 at the first session to 16 at session 3, a reliable deterioration "
        "(6 or more points)."
    )
    assert not_on_track("phq9", 10, 3, 15, curves={}) is None


def test_it_gives_every_reason_when_both_apply() -> None:
    curves = {("gad7", "moderate"): flat_curve("gad7", "moderate", 10, p10=2, p90=12)}
    flag = not_on_track("gad7", 10, 4, 14, curves)
    assert flag is not None
    assert flag.reasons == ("reliable_deterioration", "off_curve")
    assert flag.message == (
        "GAD-7 rose from 10 at the first session to 14 at session 4, a reliable deterioration "
        "(4 or more points). GAD-7 14 at session 4; 90% of clients who started moderate were "
        "at or below 12 by now."
    )


def test_for_higher_is_better_measures_it_flags_below_the_10th_percentile() -> None:
    curves = {("who5", "poor_wellbeing"): flat_curve("who5", "poor_wellbeing", 10, p10=10, p90=20)}
    flag = not_on_track("who5", 6, 4, 7, curves)
    assert flag is not None
    assert flag.reasons == ("off_curve",)
    assert flag.message == (
        "WHO-5 28% at session 4; 90% of clients who started with poor well-being were at or "
        "above 40% by now."
    )
    assert not_on_track("who5", 6, 4, 10, curves) is None
    assert not_on_track("who5", 6, 4, 25, curves) is None


def test_for_higher_is_better_measures_deterioration_is_a_fall() -> None:
    flag = not_on_track("who5", 15, 3, 12, curves={})
    assert flag is not None
    assert flag.message == (
        "WHO-5 fell from 60% at the first session to 48% at session 3, a reliable deterioration "
        "(10 or more percentage points)."
    )
    assert not_on_track("who5", 12, 3, 15, curves={}) is None


def test_with_the_default_curves_it_flags_a_client_who_has_not_improved() -> None:
    curves = default_curves()
    flag = not_on_track("phq9", 17, 6, 19, curves)
    assert flag is not None
    assert flag.reasons == ("off_curve",)
    assert flag.curve_source == "default"
    assert not_on_track("phq9", 17, 6, 11, curves) is None


def test_instruments_without_curves_or_thresholds_are_never_flagged() -> None:
    assert not_on_track("wsas", 10, 5, 40, default_curves()) is None
    assert not_on_track("session_feedback", 9, 5, 0, default_curves()) is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("phq9", 17, 0, 18), "numbered from 1"),
        (("phq9", 17, 2.5, 18), "whole number"),
        (("phq9", 17, True, 18), "whole number"),
        (("phq9", 17, 5, 28), "latest score 28 is out of range"),
        (("phq9", -1, 5, 10), "intake score -1 is out of range"),
        (("ors", 1, 5, 1), "unknown instrument"),
    ],
)
def test_not_on_track_rejects_bad_input(args: tuple[Any, Any, Any, Any], message: str) -> None:
    with pytest.raises(ScoringError, match=message):
        not_on_track(*args, curves={})
