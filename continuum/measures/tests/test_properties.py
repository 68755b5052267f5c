"""Property tests (hypothesis): invariants that must hold for any valid input."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from continuum.measures import scoring
from continuum.measures.instruments import INSTRUMENTS, Instrument, goal_rating_instrument
from continuum.measures.trajectories import percentile

STATIC = [i for i in INSTRUMENTS.values() if not i.dynamic]
WITH_THRESHOLD = [
    i for i in INSTRUMENTS.values() if scoring.reliable_change_threshold(i) is not None
]

# Not answered is either an absent key or None.
_ABSENT = object()


@st.composite
def administrations(draw: st.DrawFn) -> tuple[Instrument, dict[str, int | None]]:
    if draw(st.booleans()):
        inst = draw(st.sampled_from(STATIC))
    else:
        n_goals = draw(st.integers(min_value=1, max_value=8))
        inst = goal_rating_instrument([f"goal {n}" for n in range(1, n_goals + 1)])
    answers: dict[str, int | None] = {}
    for item in inst.items:
        choice = draw(st.one_of(st.just(_ABSENT), st.none(), st.sampled_from(sorted(item.values))))
        if choice is not _ABSENT:
            answers[item.key] = choice  # type: ignore[assignment]
    return inst, answers


@st.composite
def totals(draw: st.DrawFn, inst: Instrument) -> float:
    if inst.scoring == "mean":
        return draw(st.integers(0, 40)) / 4
    return draw(st.integers(int(inst.min_total), int(inst.max_total)))


@settings(max_examples=500, deadline=None)
@given(administrations())
def test_totals_stay_in_range_for_any_valid_answers(
    case: tuple[Instrument, dict[str, int | None]],
) -> None:
    inst, answers = case
    s = scoring.score(inst, answers)
    if s.total is None:
        assert s.reason is not None
        assert len(s.missing_items) > inst.missing.max_missing or not s.item_scores
        assert s.band is None
        assert s.caseness is None
        assert not s.prorated
    else:
        assert s.reason is None
        assert inst.min_total <= s.total <= inst.max_total
        if inst.bands:
            assert s.band is not None
        assert s.prorated == bool(s.missing_items)
        if not s.missing_items and inst.scoring != "mean":
            assert s.total == sum(s.item_scores.values())


@settings(max_examples=300, deadline=None)
@given(administrations())
def test_safety_is_raised_exactly_when_a_safety_item_is_above_zero(
    case: tuple[Instrument, dict[str, int | None]],
) -> None:
    inst, answers = case
    s = scoring.score(inst, answers)
    assert s.safety == any((answers.get(i.key) or 0) > 0 for i in inst.safety_items)


_phq9 = st.one_of(st.none(), st.integers(0, 27))
_gad7 = st.one_of(st.none(), st.integers(0, 21))


@settings(max_examples=1000, deadline=None)
@given(_phq9, _gad7, _phq9, _gad7)
def test_classify_episode_never_reports_improvement_and_deterioration_together(
    phq9_first: int | None, gad7_first: int | None, phq9_last: int | None, gad7_last: int | None
) -> None:
    o = scoring.classify_episode(
        first={"phq9": phq9_first, "gad7": gad7_first},
        last={"phq9": phq9_last, "gad7": gad7_last},
    )
    assert not (o.reliably_improved and o.reliably_deteriorated)
    assert o.category in scoring.OUTCOME_CATEGORIES
    assert o.reliably_recovered == (o.recovered and o.reliably_improved)
    if o.recovered:
        assert o.caseness_at_start
        assert not o.caseness_at_end
    if o.reliably_recovered:
        assert o.category == "reliable_recovery"
    if o.reliably_deteriorated:
        assert o.category == "reliable_deterioration"
    if not o.paired:
        assert o.category == "no_paired_scores"


@settings(max_examples=500, deadline=None)
@given(st.data())
def test_reliable_change_is_antisymmetric(data: st.DataObject) -> None:
    inst = data.draw(st.sampled_from(WITH_THRESHOLD))
    a = data.draw(totals(inst))
    b = data.draw(totals(inst))
    forward = scoring.reliable_change(inst, before=a, after=b)
    backward = scoring.reliable_change(inst, before=b, after=a)
    opposite = {"improved": "deteriorated", "deteriorated": "improved", "no_change": "no_change"}
    assert forward is not None
    assert backward == opposite[forward]
    if a == b:
        assert forward == "no_change"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(0, 27, allow_nan=False), min_size=1, max_size=50),
    st.floats(0, 100),
    st.floats(0, 100),
)
def test_percentiles_are_monotone_and_within_the_data(
    values: list[float], q1: float, q2: float
) -> None:
    values.sort()
    low, high = sorted((q1, q2))
    p_low, p_high = percentile(values, low), percentile(values, high)
    assert values[0] <= p_low <= p_high + 1e-9
    assert p_high <= values[-1] + 1e-9
