"""The catalogue: one consistent, complete definition per instrument (CLINICAL.md)."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from pathlib import Path

import pytest

from continuum.measures.instruments import (
    INSTRUMENTS,
    Direction,
    Instrument,
    MissingMethod,
    ScoringMethod,
    UnknownInstrument,
    get_instrument,
    goal_rating_instrument,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
STATIC = [i for i in INSTRUMENTS.values() if not i.dynamic]


def test_it_lists_every_instrument_of_clinical_md() -> None:
    assert set(INSTRUMENTS) == {
        "phq9",
        "gad7",
        "who5",
        "pcl5",
        "wsas",
        "core10",
        "session_feedback",
        "goal_rating",
    }
    for code, inst in INSTRUMENTS.items():
        assert inst.code == code
        assert get_instrument(code) is inst


def test_it_raises_for_an_unknown_instrument() -> None:
    with pytest.raises(UnknownInstrument):
        get_instrument("ors")


@pytest.mark.parametrize(
    ("code", "n_items", "n_scored", "answer_range", "total_range"),
    [
        ("phq9", 10, 9, (0, 3), (0, 27)),
        ("gad7", 7, 7, (0, 3), (0, 21)),
        ("who5", 5, 5, (0, 5), (0, 25)),
        ("pcl5", 20, 20, (0, 4), (0, 80)),
        ("wsas", 5, 5, (0, 8), (0, 40)),
        ("core10", 10, 10, (0, 4), (0, 40)),
        ("session_feedback", 4, 4, (0, 10), (0, 10)),
    ],
)
def test_it_has_the_items_and_ranges_of_clinical_md(
    code: str,
    n_items: int,
    n_scored: int,
    answer_range: tuple[int, int],
    total_range: tuple[int, int],
) -> None:
    inst = get_instrument(code)
    assert [i.key for i in inst.items] == [str(n) for n in range(1, n_items + 1)]
    assert len(inst.scored_items) == n_scored
    for item in inst.items:
        assert item.wording.strip()
        assert item.values == frozenset(range(answer_range[0], answer_range[1] + 1))
        assert (item.min_score, item.max_score) == answer_range
    assert (inst.min_total, inst.max_total) == total_range


@pytest.mark.parametrize("inst", STATIC, ids=lambda i: i.code)
def test_its_declared_range_matches_the_items(inst: Instrument) -> None:
    scored = inst.scored_items
    if inst.scoring == ScoringMethod.MEAN:
        assert inst.min_total == min(i.min_score for i in scored)
        assert inst.max_total == max(i.max_score for i in scored)
    else:
        assert inst.min_total == sum(i.min_score for i in scored)
        assert inst.max_total == sum(i.max_score for i in scored)


@pytest.mark.parametrize("inst", STATIC, ids=lambda i: i.code)
def test_its_bands_cover_the_range_without_gaps(inst: Instrument) -> None:
    bands = inst.bands
    assert bands, f"{inst.code} has no bands"
    assert bands[0].low == inst.min_total
    for lower, upper in itertools.pairwise(bands):
        assert lower.below == upper.low
    assert bands[-1].below is None
    for band in bands:
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", band.name), band.name
        assert band.label
        assert band.started


@pytest.mark.parametrize(
    ("code", "names"),
    [
        ("phq9", ["minimal", "mild", "moderate", "moderately_severe", "severe"]),
        ("gad7", ["minimal", "mild", "moderate", "severe"]),
        ("who5", ["poor_wellbeing", "adequate_wellbeing"]),
        ("pcl5", ["below_threshold", "provisional_ptsd"]),
        ("wsas", ["subclinical", "significant", "moderately_severe_or_worse"]),
        (
            "core10",
            ["healthy", "low_level", "mild", "moderate", "moderately_severe", "severe"],
        ),
        ("session_feedback", ["talk_about_it", "ok"]),
    ],
)
def test_it_names_the_bands(code: str, names: list[str]) -> None:
    assert [b.name for b in get_instrument(code).bands] == names


def test_it_knows_which_way_is_better() -> None:
    better = {c for c, i in INSTRUMENTS.items() if i.direction == Direction.HIGHER_IS_BETTER}
    assert better == {"who5", "session_feedback", "goal_rating"}


def test_it_has_the_caseness_cutoffs_of_clinical_md() -> None:
    cutoffs = {c: i.caseness_cutoff for c, i in INSTRUMENTS.items()}
    assert cutoffs == {
        "phq9": 10,
        "gad7": 8,
        "who5": None,
        "pcl5": 33,
        "wsas": None,
        "core10": 11,
        "session_feedback": None,
        "goal_rating": None,
    }


def test_it_has_the_reliable_change_rules_of_clinical_md() -> None:
    points = {c: i.reliable_change.points for c, i in INSTRUMENTS.items()}
    assert points == {
        "phq9": 6,
        "gad7": 4,
        "who5": 2.5,  # 10 percentage points on the x4 scale
        "pcl5": 10,
        "wsas": None,
        "core10": 6,
        "session_feedback": None,
        "goal_rating": 3,
    }
    assert INSTRUMENTS["pcl5"].reliable_change.response_points == 5
    wsas = INSTRUMENTS["wsas"].reliable_change
    assert (wsas.sd, wsas.reliability) == (None, 0.73)
    assert "Mundt" in wsas.source
    assert "verify" in INSTRUMENTS["core10"].reliable_change.source


def test_it_has_the_missing_item_rules_of_clinical_md() -> None:
    rules = {c: (i.missing.max_missing, i.missing.method) for c, i in INSTRUMENTS.items()}
    assert rules["phq9"] == (2, MissingMethod.MEAN_FILL_ROUND)
    assert rules["gad7"] == (1, MissingMethod.MEAN_FILL_ROUND)
    assert rules["core10"] == (1, MissingMethod.PRORATE)
    for code in ("who5", "pcl5", "wsas"):
        assert rules[code] == (0, MissingMethod.NONE)
    assert "unverified" in INSTRUMENTS["phq9"].missing.source
    for inst in INSTRUMENTS.values():
        if inst.missing.method == MissingMethod.NONE:
            assert inst.missing.max_missing == 0


def test_phq9_item_9_is_the_safety_item_and_item_10_is_not_scored() -> None:
    phq9 = get_instrument("phq9")
    assert [i.key for i in phq9.safety_items] == ["9"]
    item10 = phq9.item("10")
    assert item10 is not None
    assert not item10.scored
    assert item10.loinc == "69722-7"
    assert item10.wording.startswith("If you checked off any problems")


def test_core10_reverse_scores_items_2_and_3() -> None:
    core10 = get_instrument("core10")
    assert [i.key for i in core10.items if i.reverse] == ["2", "3"]
    item2 = core10.item("2")
    assert item2 is not None
    assert item2.wording == "I have felt I have someone to turn to for support when needed"
    assert [(o.value, o.score) for o in item2.options] == [(0, 4), (1, 3), (2, 2), (3, 1), (4, 0)]
    item1 = core10.item("1")
    assert item1 is not None
    assert [(o.value, o.score) for o in item1.options] == [(n, n) for n in range(5)]
    # Its risk item is a safety item too (our choice, stated in instruments.py).
    assert [i.key for i in core10.safety_items] == ["6"]


def test_core10_shows_its_licence_and_copyright() -> None:
    core10 = get_instrument("core10")
    assert core10.requires_copyright_display
    assert core10.copyright == "© CORE System Trust"
    assert "CC BY-NC-ND 4.0" in core10.licence
    others = [c for c, i in INSTRUMENTS.items() if i.requires_copyright_display]
    assert others == ["core10"]


def test_it_names_each_licence() -> None:
    for code in ("phq9", "gad7"):
        inst = get_instrument(code)
        assert "Pfizer" in inst.licence
        assert "No permission required to reproduce, translate, display or distribute" in (
            inst.copyright
        )
    assert "Free to use" in get_instrument("who5").licence
    assert "Public domain" in get_instrument("pcl5").licence
    assert "National Center for PTSD" in get_instrument("pcl5").licence
    assert "unverified" in get_instrument("wsas").licence


def test_it_carries_the_loinc_codes_of_clinical_md() -> None:
    phq9, gad7 = get_instrument("phq9"), get_instrument("gad7")
    assert (phq9.loinc_panel, phq9.loinc_total) == ("44249-1", "44261-6")
    assert [i.loinc for i in phq9.scored_items] == [
        "44250-9",
        "44255-8",
        "44259-0",
        "44254-1",
        "44251-7",
        "44258-2",
        "44252-5",
        "44253-3",
        "44260-8",
    ]
    assert (gad7.loinc_panel, gad7.loinc_total) == ("69737-5", "70274-6")
    assert [i.loinc for i in gad7.items] == [
        "69725-0",
        "68509-9",
        "69733-4",
        "69734-2",
        "69735-9",
        "69689-8",
        "69736-7",
    ]
    answers = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]
    for item in (*phq9.scored_items, *gad7.items):
        assert [o.loinc for o in item.options] == answers


def test_wsas_lets_people_not_in_work_skip_the_work_item() -> None:
    wsas = get_instrument("wsas")
    assert [i.key for i in wsas.items if i.optional] == ["1"]
    item1 = wsas.item("1")
    assert item1 is not None
    assert "ability to work" in item1.wording
    assert item1.help_text


def test_session_feedback_is_our_own_wording() -> None:
    feedback = get_instrument("session_feedback")
    text = " ".join(i.wording for i in feedback.items).lower()
    # The four areas of CLINICAL.md...
    for topic in ("listened", "matter most to you", "worked together", "overall"):
        assert topic in text
    # ...without the Session Rating Scale's wording.
    for phrase in ("heard, understood", "respected", "good fit", "something missing"):
        assert phrase not in text


def test_goal_rating_has_one_item_per_goal() -> None:
    inst = goal_rating_instrument(["Sleep through the night", "Go back to choir"])
    assert [(i.key, i.wording) for i in inst.items] == [
        ("1", "Sleep through the night"),
        ("2", "Go back to choir"),
    ]
    assert all(i.values == frozenset(range(11)) for i in inst.items)
    assert inst.direction == Direction.HIGHER_IS_BETTER
    assert inst.reliable_change.points == 3
    assert inst.missing.max_missing == 1
    assert inst.dynamic


def test_who5_is_shown_as_a_percentage() -> None:
    who5 = get_instrument("who5")
    assert who5.scoring == ScoringMethod.SUM_X_FACTOR
    assert who5.factor == 4
    assert who5.display(13) == "52%"
    assert get_instrument("phq9").display(12) == "12"
    assert get_instrument("session_feedback").display(6.75) == "6.8"


def test_the_engine_imports_nothing_from_django() -> None:
    # A fresh interpreter where any import of django fails loudly.
    program = """
import sys

class BlockDjango:
    def find_spec(self, name, path=None, target=None):
        if name == "django" or name.startswith("django."):
            raise ImportError("blocked " + name)
        return None

sys.meta_path.insert(0, BlockDjango())
import continuum.measures.instruments
import continuum.measures.scoring
import continuum.measures.trajectories
import continuum.measures.data.make_default_curves
from continuum.measures import scoring, trajectories
scoring.score("phq9", {str(n): 1 for n in range(1, 10)})
trajectories.default_curves()
loaded = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
assert not loaded, loaded
"""
    result = subprocess.run(
        [sys.executable, "-c", program],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
