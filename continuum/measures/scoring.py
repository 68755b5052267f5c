"""Scoring, reliable change and episode outcomes: the public API of the measures engine.

Plain Python over plain values (no Django). The rules are those of CLINICAL.md; each names its
source next to it.

    from continuum.measures import scoring
    s = scoring.score("phq9", {"1": 2, "2": 1, ...})
    s.total, s.band, s.caseness, s.safety, s.prorated, s.reason
    scoring.reliable_change("pcl5", before=52, after=38)          # "improved"
    scoring.classify_episode(first={"phq9": 18}, last={"phq9": 8}).category
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType
from typing import Literal

from continuum.measures.instruments import (
    Direction,
    Instrument,
    MissingMethod,
    ScoringMethod,
    UnknownInstrument,
    get_instrument,
    goal_rating_instrument,
)

Change = Literal["improved", "deteriorated", "no_change"]


class ScoringError(ValueError):
    """Answers or scores that cannot be scored: the message names the problem (never a value
    typed by a person beyond the item key and the number)."""


def _is_number(value: object) -> bool:
    # bool is an int subclass; True is not an answer.
    return isinstance(value, int | float) and not isinstance(value, bool)


def resolve_instrument(instrument: str | Instrument) -> Instrument:
    """The instrument for a code (or the instrument itself); ScoringError when unknown."""
    if isinstance(instrument, Instrument):
        return instrument
    try:
        return get_instrument(instrument)
    except UnknownInstrument:
        raise ScoringError(f"unknown instrument {instrument!r}") from None


# --- Scoring one administration -------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    instrument: str
    version: str
    total: int | float | None  # None when too many items are missing (see `reason`)
    display_total: int | float | None  # total x factor (WHO-5: percent); else the total
    band: str | None
    band_label: str | None
    caseness: bool | None  # None when the instrument has no caseness cut-off, or no total
    safety: bool  # a safety item was answered above 0
    safety_unanswered: bool  # a safety item was left blank (a blank never lowers a risk flag)
    prorated: bool  # missing items were filled in or prorated
    reason: str | None  # why there is no total
    missing_items: tuple[str, ...] = ()
    # The score each answered scored item contributed (after reverse scoring): goal ratings
    # are read per goal from here.
    item_scores: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))


def _round_half_up(value: Fraction) -> int:
    # Python's round() rounds halves to even; a published "round to the nearest integer"
    # means halves up (13.5 → 14).
    return math.floor(value + Fraction(1, 2))


def _goal_rating_for(answers: Mapping[str, object]) -> Instrument:
    """score("goal_rating", ...) without the goals: one goal per key "1".."n"."""
    numbers = []
    for key in answers:
        if not isinstance(key, str) or not key.isdecimal() or int(key) < 1:
            raise ScoringError(f"goal_rating: unknown item {key!r}; goals are numbered from 1")
        numbers.append(int(key))
    if not numbers:
        raise ScoringError("goal_rating: no goals to rate")
    return goal_rating_instrument([f"Goal {n}" for n in range(1, max(numbers) + 1)])


def caseness_for(inst: Instrument, total: float) -> bool | None:
    """Whether a total is at caseness; None when the instrument has no cut-off."""
    if inst.caseness_cutoff is None:
        return None
    if inst.higher_is_better:
        return total <= inst.caseness_cutoff
    return total >= inst.caseness_cutoff


def score(instrument: str | Instrument, answers: Mapping[str, int | None]) -> Score:
    """Score one administration. `answers` maps item keys ("1".."n") to the chosen option
    value; None or an absent key means not answered.

    Raises ScoringError for an unknown instrument, an unknown item key, an answer that is not
    an int (bool included) or that is not one of the item's options.
    """
    if not isinstance(answers, Mapping):
        raise ScoringError("answers must be a mapping of item keys to answers")
    inst = resolve_instrument(instrument)
    if inst.dynamic and not inst.items:
        inst = _goal_rating_for(answers)

    given: dict[str, int] = {}
    for key, value in answers.items():
        item = inst.item(key) if isinstance(key, str) else None
        if item is None:
            raise ScoringError(f"{inst.code}: unknown item {key!r}")
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            raise ScoringError(f"{inst.code}: item {key} answer must be a whole number")
        if item.option(value) is None:
            low, high = min(item.values), max(item.values)
            raise ScoringError(
                f"{inst.code}: item {key} answer {value} is out of range ({low} to {high})"
            )
        given[key] = value

    safety = any(given.get(i.key, 0) > 0 for i in inst.safety_items)
    safety_unanswered = any(i.key not in given for i in inst.safety_items)

    expected = [i for i in inst.scored_items if not (i.optional and i.key not in given)]
    item_scores: dict[str, int] = {}
    for item in expected:
        if item.key in given:
            option = item.option(given[item.key])
            assert option is not None  # checked above
            item_scores[item.key] = option.score
    missing = tuple(i.key for i in expected if i.key not in given)

    def without_total(reason: str) -> Score:
        return Score(
            instrument=inst.code,
            version=inst.version,
            total=None,
            display_total=None,
            band=None,
            band_label=None,
            caseness=None,
            safety=safety,
            safety_unanswered=safety_unanswered,
            prorated=False,
            reason=reason,
            missing_items=missing,
            item_scores=MappingProxyType(item_scores),
        )

    rule = inst.missing
    if len(missing) > rule.max_missing or not item_scores:
        allowed = f"at most {rule.max_missing} allowed" if rule.max_missing else "none allowed"
        n_items = len(inst.scored_items)
        return without_total(f"{len(missing)} of {n_items} items missing; {allowed}")

    answered_sum = Fraction(sum(item_scores.values()))
    prorated = bool(missing)
    total: int | float
    if inst.scoring == ScoringMethod.MEAN:
        # The mean of the answered items: prorating a mean (both missing methods agree).
        total = round(float(answered_sum / len(item_scores)), 2)
    elif missing:
        # mean_fill_round (PHQ-9, GAD-7; CLINICAL.md, unverified) and prorate (CORE-10, CORE
        # System Trust) both come to sum x expected / answered, rounded half up.
        assert rule.method in (MissingMethod.MEAN_FILL_ROUND, MissingMethod.PRORATE)
        total = _round_half_up(answered_sum * len(expected) / len(item_scores))
    else:
        total = int(answered_sum)

    band = inst.band_for(total)
    caseness = caseness_for(inst, total)
    display_total: int | float = total
    if inst.scoring == ScoringMethod.SUM_X_FACTOR:
        shown = total * inst.factor
        display_total = int(shown) if float(shown).is_integer() else shown
    return Score(
        instrument=inst.code,
        version=inst.version,
        total=total,
        display_total=display_total,
        band=band.name if band else None,
        band_label=band.label if band else None,
        caseness=caseness,
        safety=safety,
        safety_unanswered=safety_unanswered,
        prorated=prorated,
        reason=None,
        missing_items=missing,
        item_scores=MappingProxyType(item_scores),
    )


# --- Reliable change --------------------------------------------------------------------------


def jacobson_truax_threshold(sd: float, reliability: float) -> float:
    """The smallest reliable change: 1.96 x S_diff, S_diff = sqrt(2) x SD x sqrt(1 - r)
    (Jacobson & Truax 1991; CLINICAL.md)."""
    if not _is_number(sd) or sd <= 0:
        raise ScoringError("the standard deviation must be a positive number")
    if not _is_number(reliability) or not 0 <= reliability <= 1:
        raise ScoringError("the reliability must be between 0 and 1")
    standard_error = sd * math.sqrt(1 - reliability)
    s_diff = math.sqrt(2) * standard_error
    return 1.96 * s_diff


def clinical_cutoff(m_clin: float, sd_clin: float, m_func: float, sd_func: float) -> float:
    """Jacobson & Truax cut-off c between the clinical and functional populations:
    c = (SD_func x M_clin + SD_clin x M_func) / (SD_func + SD_clin) (CLINICAL.md). Where an
    instrument has a caseness cut-off, that is used instead."""
    for value in (m_clin, sd_clin, m_func, sd_func):
        if not _is_number(value):
            raise ScoringError("means and standard deviations must be numbers")
    if sd_clin <= 0 or sd_func <= 0:
        raise ScoringError("the standard deviations must be positive")
    return (sd_func * m_clin + sd_clin * m_func) / (sd_func + sd_clin)


@dataclass(frozen=True)
class Threshold:
    points: float
    inclusive: bool  # fixed thresholds: a change of exactly `points` counts; J-T: must exceed

    def describe(self, inst: Instrument) -> str:
        """'6 or more points', '10 or more percentage points', 'more than 7.3 points'."""
        amount = f"{self.points * inst.factor:.1f}".removesuffix(".0")
        unit = "percentage points" if inst.display_unit == "%" else "points"
        return f"{amount} or more {unit}" if self.inclusive else f"more than {amount} {unit}"


def reliable_change_threshold(instrument: str | Instrument) -> Threshold | None:
    """The instrument's reliable-change threshold, or None when it has none configured."""
    inst = resolve_instrument(instrument)
    rule = inst.reliable_change
    if rule.points is not None:  # a published fixed threshold (CLINICAL.md table)
        return Threshold(points=rule.points, inclusive=True)
    if rule.sd is not None and rule.reliability is not None:
        # Jacobson & Truax: reliable when |RCI| > 1.96, i.e. strictly above the threshold.
        return Threshold(jacobson_truax_threshold(rule.sd, rule.reliability), inclusive=False)
    return None


def check_total(inst: Instrument, value: object, what: str) -> float:
    """`value` if it is a number within the instrument's total range; else ScoringError."""
    if not _is_number(value):
        raise ScoringError(f"{inst.code}: {what} must be a number")
    assert isinstance(value, int | float)
    if not inst.min_total <= value <= inst.max_total:
        low, high = f"{inst.min_total:g}", f"{inst.max_total:g}"
        raise ScoringError(f"{inst.code}: {what} {value} is out of range ({low} to {high})")
    return value


def reliable_change(instrument: str | Instrument, *, before: float, after: float) -> Change | None:
    """Whether a change between two totals (raw, as in Score.total) is reliable: "improved",
    "deteriorated" or "no_change", taking the instrument's direction into account.

    None when the instrument has no reliable-change threshold (session_feedback; WSAS until its
    SD is configured), so that "no rule" is never mistaken for "no change".
    """
    inst = resolve_instrument(instrument)
    b = check_total(inst, before, "before")
    a = check_total(inst, after, "after")
    threshold = reliable_change_threshold(inst)
    if threshold is None:
        return None
    # Positive = better: a fall for higher-is-worse measures, a rise for who5,
    # session_feedback and goal_rating (CLINICAL.md "Direction matters").
    gain = (a - b) if inst.direction == Direction.HIGHER_IS_BETTER else (b - a)
    size = abs(gain)
    reliable = size >= threshold.points if threshold.inclusive else size > threshold.points
    if not reliable:
        return "no_change"
    return "improved" if gain > 0 else "deteriorated"


# --- Episode outcomes (NHS Talking Therapies definitions, CLINICAL.md) ------------------------

OUTCOME_MEASURES = ("phq9", "gad7")

# Every episode gets exactly one category; the first that applies wins. The booleans on
# EpisodeOutcome carry the full picture (e.g. an episode can be both recovered and reliably
# deteriorated, and is then categorised as deteriorated so that it is not overlooked).
OUTCOME_CATEGORIES: dict[str, str] = {
    "no_paired_scores": "Not enough scores: no PHQ-9 or GAD-7 at both the start and the end",
    "reliable_deterioration": "Reliably deteriorated",
    "reliable_recovery": "Reliably recovered: recovered and reliably improved",
    "recovery": "Recovered, without a reliable improvement",
    "reliable_improvement": "Reliably improved, not recovered",
    "not_at_caseness": "Below caseness at the start, no reliable change",
    "no_reliable_change": "No reliable change",
}


@dataclass(frozen=True)
class EpisodeOutcome:
    paired: tuple[str, ...]  # the measures scored at both ends, in OUTCOME_MEASURES order
    caseness_at_start: bool
    caseness_at_end: bool
    recovered: bool
    reliably_improved: bool
    reliably_deteriorated: bool
    reliably_recovered: bool
    # One measure reliably improved while the other reliably worsened: by the definitions
    # neither improvement nor deterioration (CLINICAL.md "neither reliably worsened").
    mixed_change: bool
    category: str

    @property
    def label(self) -> str:
        return OUTCOME_CATEGORIES[self.category]


def classify_episode(
    *,
    first: Mapping[str, float | None],
    last: Mapping[str, float | None],
    measures: Sequence[str] = OUTCOME_MEASURES,
) -> EpisodeOutcome:
    """Classify an episode from its first and last PHQ-9 / GAD-7 totals.

    A measure missing (absent or None) at either end is left out of the pairing; caseness,
    recovery and change use the paired measures only. Other keys (other instruments) are
    ignored.

    `measures` names the instruments to pair (default PHQ-9 and GAD-7, the NHS Talking
    Therapies pair); the same definitions apply to one instrument alone (PHQ-9, GAD-7,
    CORE-10, PCL-5), each with its own caseness cut-off and reliable-change threshold. Each
    must have a caseness cut-off and a reliable-change rule (ScoringError otherwise).
    """
    pairs: dict[str, tuple[float, float]] = {}
    for code in measures:
        inst = resolve_instrument(code)
        if inst.caseness_cutoff is None or reliable_change_threshold(inst) is None:
            raise ScoringError(f"{code}: no caseness cut-off or reliable-change rule")
        start, end = first.get(code), last.get(code)
        if start is not None:
            start = check_total(inst, start, "first score")
        if end is not None:
            end = check_total(inst, end, "last score")
        if start is not None and end is not None:
            pairs[code] = (start, end)

    def at_caseness(index: int) -> bool:
        # PHQ-9 >= 10 or GAD-7 >= 8 (the instruments' caseness cut-offs; CLINICAL.md).
        for code, scores in pairs.items():
            cutoff = get_instrument(code).caseness_cutoff
            assert cutoff is not None
            if scores[index] >= cutoff:
                return True
        return False

    changes = [reliable_change(code, before=b, after=a) for code, (b, a) in pairs.items()]
    any_improved = "improved" in changes  # PHQ-9 fell by >= 6 or GAD-7 by >= 4
    any_worsened = "deteriorated" in changes  # PHQ-9 rose by >= 6 or GAD-7 by >= 4

    caseness_at_start = at_caseness(0)
    caseness_at_end = at_caseness(1)
    # recovery: at caseness at start and not at caseness at the end (on neither measure)
    recovered = caseness_at_start and not caseness_at_end
    # reliable improvement: ... and neither reliably worsened
    reliably_improved = any_improved and not any_worsened
    # reliable deterioration: ... (and neither reliably improved)
    reliably_deteriorated = any_worsened and not any_improved
    # reliable recovery: both recovery and reliable improvement
    reliably_recovered = recovered and reliably_improved

    if not pairs:
        category = "no_paired_scores"
    elif reliably_deteriorated:
        category = "reliable_deterioration"
    elif reliably_recovered:
        category = "reliable_recovery"
    elif recovered:
        category = "recovery"
    elif reliably_improved:
        category = "reliable_improvement"
    elif not caseness_at_start:
        category = "not_at_caseness"
    else:
        category = "no_reliable_change"

    return EpisodeOutcome(
        paired=tuple(pairs),
        caseness_at_start=caseness_at_start,
        caseness_at_end=caseness_at_end,
        recovered=recovered,
        reliably_improved=reliably_improved,
        reliably_deteriorated=reliably_deteriorated,
        reliably_recovered=reliably_recovered,
        mixed_change=any_improved and any_worsened,
        category=category,
    )


@dataclass(frozen=True)
class OutcomeRates:
    finished: int  # finished episodes with paired scores
    finished_at_caseness: int
    recovered: int
    reliably_improved: int
    unpaired: int  # finished episodes left out: no paired scores
    recovery_rate: float | None  # None when the denominator is 0
    reliable_improvement_rate: float | None


def outcome_rates(
    outcomes: Sequence[EpisodeOutcome], finished_flags: Sequence[bool]
) -> OutcomeRates:
    """NHS Talking Therapies rates over episodes (CLINICAL.md):

    recovery rate = recovered / (finished - not at caseness at start);
    reliable improvement rate = reliably improved / finished.

    `finished_flags[i]` says whether episode i finished treatment (at least two attended
    treatment appointments; the caller counts them). Only finished episodes count. A finished
    episode without paired scores cannot be classified and is left out of both rates (our
    choice, counted in `unpaired`), rather than silently counted as "not improved".
    """
    if len(outcomes) != len(finished_flags):
        raise ScoringError("outcomes and finished_flags must have the same length")
    finished = [o for o, done in zip(outcomes, finished_flags, strict=True) if done]
    paired = [o for o in finished if o.paired]
    at_caseness = [o for o in paired if o.caseness_at_start]
    recovered = sum(o.recovered for o in at_caseness)
    improved = sum(o.reliably_improved for o in paired)
    return OutcomeRates(
        finished=len(paired),
        finished_at_caseness=len(at_caseness),
        recovered=recovered,
        reliably_improved=improved,
        unpaired=len(finished) - len(paired),
        recovery_rate=recovered / len(at_caseness) if at_caseness else None,
        reliable_improvement_rate=improved / len(paired) if paired else None,
    )
