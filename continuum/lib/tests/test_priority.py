"""The clinical priority (docs/clinical.md, "The clinical priority"), without a database."""

from __future__ import annotations

import ast
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from continuum.lib import priority
from continuum.lib.contributions import DayItem, Rank

NOW = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
TIERS = list(Rank)


def item(
    rank: Rank, client: int | None = 1, hours_ago: float | None = 1, kind: str = "k"
) -> DayItem:
    at = None if hours_ago is None else NOW - timedelta(hours=hours_ago)
    return DayItem(kind=kind, client_id=client, rank=rank, at=at)


def test_the_six_tiers_in_the_order_of_issue_13() -> None:
    assert [t.name for t in sorted(Rank)] == [
        "SAFETY",
        "SAFETY_UNANSWERED",
        "DETERIORATION",
        "NOT_ON_TRACK",
        "DISENGAGING",
        "ROUTINE",
    ]


@pytest.mark.parametrize(("higher", "lower"), list(itertools.combinations(TIERS, 2)))
def test_every_higher_tier_leads_every_lower_one_whatever_their_age(
    higher: Rank, lower: Rank
) -> None:
    # The lower tier's reason is far older and listed first: the tier still decides.
    old_lower = item(lower, client=2, hours_ago=24 * 365)
    new_higher = item(higher, client=1, hours_ago=0.1)
    assert priority.by_priority([old_lower, new_higher]) == [new_higher, old_lower]
    entries = priority.client_entries([old_lower, new_higher])
    assert [e.client_id for e in entries] == [1, 2]
    # Within one client, the higher tier leads the entry and the entry takes its tier.
    same = priority.client_entries([item(lower, hours_ago=500), item(higher, hours_ago=0.1)])
    assert [i.rank for i in same[0].lines] == [higher, lower]
    assert same[0].rank == higher


@pytest.mark.parametrize("tier", TIERS)
def test_within_a_tier_the_oldest_unaddressed_reason_comes_first(tier: Rank) -> None:
    newer, older, undated = item(tier, 1, 2), item(tier, 2, 50), item(tier, 3, None)
    entries = priority.client_entries([newer, undated, older])
    assert [e.client_id for e in entries] == [2, 1, 3]  # undated after the dated ones


def test_an_entry_stands_where_its_most_urgent_reason_stands() -> None:
    # Ann: a not-on-track alert 3 weeks old and a routine note; Ben: a new safety answer;
    # Cal: a not-on-track alert 1 week old.
    ann = [item(Rank.ROUTINE, 1, 1), item(Rank.NOT_ON_TRACK, 1, 24 * 21)]
    ben = [item(Rank.SAFETY, 2, 1)]
    cal = [item(Rank.NOT_ON_TRACK, 3, 24 * 7), item(Rank.ROUTINE, 3, 24 * 60)]
    entries = priority.client_entries([*cal, *ann, *ben])
    assert [e.client_id for e in entries] == [2, 1, 3]
    assert [i.rank for i in entries[1].lines] == [Rank.NOT_ON_TRACK, Rank.ROUTINE]
    assert sum(len(e.lines) for e in entries) == 5  # every reason is kept, as a line


def test_for_you_is_never_among_the_clients() -> None:
    prompt = item(Rank.ROUTINE, client=None, hours_ago=24 * 30)
    safety = item(Rank.SAFETY, client=1)
    assert [e.client_id for e in priority.client_entries([prompt, safety])] == [1]
    assert priority.for_you([prompt, safety]) == [prompt]


def test_new_means_raised_after_the_last_look() -> None:
    looked = NOW - timedelta(hours=3)
    assert priority.is_new(item(Rank.ROUTINE, hours_ago=1), looked)
    assert not priority.is_new(item(Rank.ROUTINE, hours_ago=5), looked)
    assert not priority.is_new(item(Rank.ROUTINE, hours_ago=None), looked)
    assert not priority.is_new(item(Rank.ROUTINE, hours_ago=1), None)  # the first visit


def test_the_rule_imports_no_django() -> None:
    tree = ast.parse(Path(priority.__file__).read_text())
    modules = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert not any(m.startswith("django") for m in modules), modules
