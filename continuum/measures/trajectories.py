"""Expected recovery curves and not-on-track flags (no Django).

Method in the spirit of Finch, Lambert & Schaalje (2001), as CLINICAL.md "Not on track" sets
out: for each instrument, intake severity band and session number, the distribution of scores
among completed episodes that started in the same band. A client is *not on track* when the
latest score is beyond the 90th percentile of that distribution (above it for higher-is-worse
measures, below the 10th percentile for higher-is-better ones), or has reliably deteriorated
from the first score. Flags start at session 3: some clients change late (Saunders et al.
2019), and a flag is information for the therapist, never a verdict.

Curves come from the practice's own completed episodes once a band has enough of them
(`min_episodes`, default 200, CLINICAL.md); until then the shipped defaults in
data/default_curves.json are used. Those are a documented SYNTHETIC norm (see
data/make_default_curves.py) for phq9, gad7, core10, pcl5 and who5. wsas and goal_rating have
no default curves, so only reliable deterioration flags them (wsas once its SD is configured);
session_feedback has neither and is never flagged here.

Percentiles are linear interpolation between order statistics (the "type 7" definition, as
numpy's default and `statistics.quantiles(method="inclusive")`).

Sessions are numbered from 1 (the first administration, the intake score). Episodes are not
extended past their last session (no last observation carried forward): later sessions
describe the clients still in treatment.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any, Literal

from continuum.measures.instruments import Instrument
from continuum.measures.scoring import (
    ScoringError,
    check_total,
    reliable_change,
    reliable_change_threshold,
    resolve_instrument,
)

DEFAULT_MIN_EPISODES = 200  # per intake band before the practice's own curve replaces the default
DEFAULT_MIN_PER_SESSION = 30  # values at a session for its percentiles to be used
DEFAULT_MAX_SESSIONS = 20
FIRST_FLAG_SESSION = 3  # Saunders et al. 2019: beware early flags

DEFAULT_CURVES_PATH = Path(__file__).resolve().parent / "data" / "default_curves.json"

PERCENTILES = (10, 25, 50, 75, 90)


@dataclass(frozen=True)
class CurvePoint:
    session: int
    n: int  # scores behind this point (0 for the synthetic defaults)
    p10: float
    p25: float
    p50: float
    p75: float
    p90: float


@dataclass(frozen=True)
class Curve:
    instrument: str
    band: str
    source: Literal["default", "practice"]
    episodes: int  # episodes behind the curve (0 for the synthetic defaults)
    points: tuple[CurvePoint, ...]  # sessions 1..len(points), in order

    def at(self, session: int) -> CurvePoint | None:
        """The point for this session; past the end of the curve, its last point."""
        if session < 1 or not self.points:
            return None
        return self.points[min(session, len(self.points)) - 1]


# (instrument code, intake band name) → curve
Curves = dict[tuple[str, str], Curve]


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) of already sorted values, linear interpolation (type 7)."""
    if not sorted_values:
        raise ValueError("no values")
    position = (len(sorted_values) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    fraction = position - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * fraction


def _point(session: int, values: list[float]) -> CurvePoint:
    values.sort()
    p10, p25, p50, p75, p90 = (round(percentile(values, q), 2) for q in PERCENTILES)
    return CurvePoint(session, len(values), p10, p25, p50, p75, p90)


def compute_curves(
    episodes: Iterable[Sequence[float | None]],
    *,
    instrument: str | Instrument,
    max_sessions: int = DEFAULT_MAX_SESSIONS,
    min_episodes: int = DEFAULT_MIN_EPISODES,
    min_per_session: int = DEFAULT_MIN_PER_SESSION,
    defaults: Curves | None = None,
) -> Curves:
    """Expected recovery curves for one instrument from completed episodes.

    Each episode is its totals by session (index 0 = session 1, the intake score; None where
    no score was taken). Episodes without an intake score are skipped. A band with at least
    `min_episodes` episodes gets its own curve, covering sessions 1.. while each session has at
    least `min_per_session` scores; any other band keeps its default curve (from `defaults`,
    by default the shipped synthetic curves), if there is one.
    """
    inst = resolve_instrument(instrument)
    if defaults is None:
        defaults = default_curves()
    if max_sessions < 1 or min_episodes < 1 or min_per_session < 1:
        raise ScoringError("max_sessions, min_episodes and min_per_session must be positive")

    band_names = [b.name for b in inst.bands]
    columns: dict[str, list[list[float]]] = {
        b: [[] for _ in range(max_sessions)] for b in band_names
    }
    counts = dict.fromkeys(band_names, 0)
    band_of: dict[float, str] = {}  # memo: totals repeat a lot

    for episode in episodes:
        if not episode:
            continue
        intake = episode[0]
        if intake is None:
            continue
        name = band_of.get(intake)
        if name is None:
            band = inst.band_for(check_total(inst, intake, "intake score"))
            if band is None:
                continue  # an instrument without bands has no curves
            name = band_of[intake] = band.name
        counts[name] += 1
        for column, value in zip(columns[name], islice(episode, max_sessions), strict=False):
            if value is not None:
                column.append(value)

    curves: Curves = {}
    for name in band_names:
        if counts[name] >= min_episodes:
            points = []
            for session, values in enumerate(columns[name], start=1):
                if len(values) < min_per_session:
                    break
                point = _point(session, values)
                # Sorted: the extremes are enough to check the range of every value.
                check_total(inst, values[0], f"score at session {session}")
                check_total(inst, values[-1], f"score at session {session}")
                points.append(point)
            curves[(inst.code, name)] = Curve(
                inst.code, name, "practice", counts[name], tuple(points)
            )
        elif (inst.code, name) in defaults:
            curves[(inst.code, name)] = defaults[(inst.code, name)]
    return curves


def curves_from_json(data: Mapping[str, Any]) -> Curves:
    """Read curves in the default_curves.json layout."""
    columns = data["columns"]
    if list(columns) != ["session", "p10", "p25", "p50", "p75", "p90"]:
        raise ValueError("unexpected curve columns")
    curves: Curves = {}
    for code, bands in data["curves"].items():
        for band, rows in bands.items():
            points = tuple(CurvePoint(int(row[0]), 0, *(float(v) for v in row[1:])) for row in rows)
            if [p.session for p in points] != list(range(1, len(points) + 1)):
                raise ValueError(f"{code}/{band}: sessions must run 1..n")
            curves[(code, band)] = Curve(code, band, "default", 0, points)
    return curves


@cache
def _default_curves() -> Curves:
    with DEFAULT_CURVES_PATH.open(encoding="utf-8") as f:
        return curves_from_json(json.load(f))


def default_curves() -> Curves:
    """The shipped SYNTHETIC default curves (a fresh dict; the curves are immutable)."""
    return dict(_default_curves())


# --- Not on track ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    instrument: str
    session: int
    # "reliable_deterioration" and/or "off_curve", most serious first
    reasons: tuple[str, ...]
    sentences: tuple[str, ...]  # one per reason, with the numbers
    curve_source: str | None = None  # "default" (synthetic) or "practice" when off_curve

    @property
    def reason(self) -> str:
        return self.reasons[0]

    @property
    def message(self) -> str:
        return " ".join(self.sentences)


def not_on_track(
    instrument: str | Instrument,
    intake_score: float,
    session_number: int,
    latest_score: float,
    curves: Curves,
) -> Flag | None:
    """A Flag when the client is not on track at `session_number` (1 = intake), else None.

    Not on track (CLINICAL.md): the latest score is beyond the 90th-percentile curve for the
    intake band and session (above it for higher-is-worse measures, below the 10th percentile
    for higher-is-better ones), or it has reliably deteriorated from the intake score. Nothing
    is flagged before session 3 (Saunders et al. 2019).
    """
    inst = resolve_instrument(instrument)
    if not isinstance(session_number, int) or isinstance(session_number, bool):
        raise ScoringError("the session number must be a whole number")
    if session_number < 1:
        raise ScoringError("sessions are numbered from 1")
    intake = check_total(inst, intake_score, "intake score")
    latest = check_total(inst, latest_score, "latest score")
    if session_number < FIRST_FLAG_SESSION:
        return None

    reasons: list[str] = []
    sentences: list[str] = []
    curve_source: str | None = None

    if reliable_change(inst, before=intake, after=latest) == "deteriorated":
        threshold = reliable_change_threshold(inst)
        assert threshold is not None
        moved = "fell" if inst.higher_is_better else "rose"
        reasons.append("reliable_deterioration")
        sentences.append(
            f"{inst.name} {moved} from {inst.display(intake)} at the first session to "
            f"{inst.display(latest)} at session {session_number}, a reliable deterioration "
            f"({threshold.describe(inst)})."
        )

    band = inst.band_for(intake)
    curve = curves.get((inst.code, band.name)) if band else None
    point = curve.at(session_number) if curve else None
    if band and curve and point:
        when = "by now" if point.session == session_number else f"by session {point.session}"
        if inst.higher_is_better:
            off, bound, side = latest < point.p10, point.p10, "above"
        else:
            off, bound, side = latest > point.p90, point.p90, "below"
        if off:
            reasons.append("off_curve")
            curve_source = curve.source
            sentences.append(
                f"{inst.name} {inst.display(latest)} at session {session_number}; 90% of "
                f"clients who started {band.started} were at or {side} "
                f"{inst.display(bound)} {when}."
            )

    if not reasons:
        return None
    return Flag(inst.code, session_number, tuple(reasons), tuple(sentences), curve_source)
