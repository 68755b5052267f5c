"""Stored outcomes as plain Python: which instrument sets an episode gets a row for, the row's
values from its scores, and the statistics the practice page shows (Wilson intervals, funnel
limits). No Django: tested without a database, like measures/scoring.py.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from continuum.measures import scoring

# Each instrument set: the instruments paired, in scoring order. phq9_gad7 is the NHS Talking
# Therapies pair (CLINICAL.md "Episode outcome categories"); the others are one instrument
# alone, with its own caseness cut-off and reliable-change threshold from the catalogue.
INSTRUMENT_SETS: dict[str, tuple[str, ...]] = {
    "phq9_gad7": ("phq9", "gad7"),
    "phq9": ("phq9",),
    "gad7": ("gad7",),
    "core10": ("core10",),
    "pcl5": ("pcl5",),
}
DEFAULT_SET = "phq9_gad7"
MEASURED = ("phq9", "gad7", "core10", "pcl5")

# Cells with fewer finished episodes than this are suppressed (counts and rates withheld):
# small numbers identify people and their rates mean little.
SUPPRESS_BELOW = 5

# The referral's source: the words before the first colon of the reason, when short enough to
# be a heading ("GP referral: low mood…" → "GP referral"); otherwise OTHER_REFERRAL. Never the
# free text of the reason itself.
REFERRAL_HEAD_MAX = 60
OTHER_REFERRAL = "other"


def quarter_key(day: date) -> str:
    """The stored end_quarter of an episode ending on `day`: "2026Q3"."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def referral_key(reason: str) -> str:
    head, colon, _rest = reason.partition(":")
    head = " ".join(head.split())
    if not colon or not head or len(head) > REFERRAL_HEAD_MAX:
        return OTHER_REFERRAL
    return head


@dataclass(frozen=True)
class Score:
    total: float
    band: str


@dataclass(frozen=True)
class OutcomeValues:
    """One stored outcome row's values (everything but the episode's own facts)."""

    instrument_set: str
    start_a: float | None  # the set's first instrument: first and last score when paired
    end_a: float | None
    start_b: float | None  # the second instrument (GAD-7 in phq9_gad7), when there is one
    end_b: float | None
    paired: bool
    caseness_start: bool
    caseness_end: bool
    recovered: bool
    reliably_improved: bool
    reliably_recovered: bool
    reliably_deteriorated: bool
    category: str  # scoring.OUTCOME_CATEGORIES code ("no_paired_scores" when unpaired)
    intake_band: str  # the band of the set's first instrument at its first score; "" if none


def outcome_values(series: Mapping[str, Sequence[Score]]) -> list[OutcomeValues]:
    """The rows an episode gets from its scores (`series`: instrument code → its current
    scores with a total, in order): always phq9_gad7 (an unpaired episode counts against
    completeness), and each single instrument the episode used at least once."""
    rows = []
    for code, measures in INSTRUMENT_SETS.items():
        if code != DEFAULT_SET and not series.get(code):
            continue
        first: dict[str, float | None] = {}
        last: dict[str, float | None] = {}
        for m in measures:
            scores = series.get(m, ())
            if len(scores) > 1:  # paired: a first and a last score that are not the same one
                first[m], last[m] = scores[0].total, scores[-1].total
        outcome = scoring.classify_episode(first=first, last=last, measures=measures)
        pair_a = (first.get(measures[0]), last.get(measures[0]))
        pair_b = (
            (first.get(measures[1]), last.get(measures[1])) if len(measures) > 1 else (None,) * 2
        )
        intake = series.get(measures[0], ())
        rows.append(
            OutcomeValues(
                instrument_set=code,
                start_a=pair_a[0],
                end_a=pair_a[1],
                start_b=pair_b[0],
                end_b=pair_b[1],
                paired=bool(outcome.paired),
                caseness_start=outcome.caseness_at_start,
                caseness_end=outcome.caseness_at_end,
                recovered=outcome.recovered,
                reliably_improved=outcome.reliably_improved,
                reliably_recovered=outcome.reliably_recovered,
                reliably_deteriorated=outcome.reliably_deteriorated,
                category=outcome.category,
                intake_band=intake[0].band if intake else "",
            )
        )
    return rows


# --- Statistics -----------------------------------------------------------------------------

Z95 = 1.959964  # two-sided 95%
Z998 = 3.090232  # two-sided 99.8%


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for k successes in n (Wilson 1927); None when n is 0."""
    if n <= 0:
        return None
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def funnel_limits(p0: float, n: int, z: float) -> tuple[float, float]:
    """Control limits around the practice rate p0 for a unit with n episodes (Spiegelhalter
    2005, normal approximation to the binomial: p0 ± z·sqrt(p0(1 - p0)/n)), kept in [0, 1]."""
    if n <= 0:
        return 0.0, 1.0
    half = z * math.sqrt(p0 * (1 - p0) / n)
    return max(0.0, p0 - half), min(1.0, p0 + half)
