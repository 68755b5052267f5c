"""Words for the outcomes page and its CSV: labels, each figure explained, rates as percent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.http import QueryDict

from continuum.measures.instruments import get_instrument
from continuum.outcomes import rules
from continuum.outcomes.models import InstrumentSet
from continuum.outcomes.queries import Cell, Rate

GROUP_LABELS = {
    "therapist": "Therapist",
    "quarter": "Quarter",
    "referral": "Referral source",
    "band": "Severity at intake",
}


def _names(code: str) -> list[str]:
    return [get_instrument(m).name for m in rules.INSTRUMENT_SETS[code]]


def caseness_words(code: str) -> str:
    """'PHQ-9 ≥ 10 or GAD-7 ≥ 8'."""
    parts = []
    for m in rules.INSTRUMENT_SETS[code]:
        inst = get_instrument(m)
        parts.append(f"{inst.name} \N{GREATER-THAN OR EQUAL TO} {inst.caseness_cutoff:g}")
    return " or ".join(parts)


def change_words(code: str, direction: str) -> str:
    """'PHQ-9 fell by 6 or more or GAD-7 by 4 or more'."""
    parts = []
    for i, m in enumerate(rules.INSTRUMENT_SETS[code]):
        inst = get_instrument(m)
        points = inst.reliable_change.points
        lead = f"{inst.name} {direction} by" if i == 0 else f"{inst.name} by"
        parts.append(f"{lead} {points:g} or more")
    return " or ".join(parts)


def percent(value: float | None) -> str:
    return "\N{EM DASH}" if value is None else f"{value:.0%}"


def rate_text(rate: Rate) -> str:
    if rate.value is None:
        return "\N{EM DASH}"
    return f"{percent(rate.value)} ({percent(rate.low)}\N{EN DASH}{percent(rate.high)})"


@dataclass(frozen=True)
class Figure:
    name: str
    rate: Rate | None  # None for the plain count (finished episodes)
    count: str  # "41 of 78"
    shown: str  # "53% (42-63%)" or the count
    explanation: str


def figures(cell: Cell, code: str) -> list[Figure]:
    """Every figure of a cell, each with its count and a sentence saying what it is."""
    names = " and ".join(_names(code))
    both = "both cut-offs" if len(rules.INSTRUMENT_SETS[code]) > 1 else "the cut-off"
    r = cell.rates

    def fig(name: str, key: str, what: str) -> Figure:
        rate = r[key]
        count = f"{rate.numerator} of {rate.denominator}"
        return Figure(name, rate, count, rate_text(rate), f"{what}; {count}.")

    finished = Figure(
        "Finished episodes",
        None,
        str(cell.finished),
        str(cell.finished),
        "Episodes that ended in this period after at least two attended appointments; "
        f"{cell.finished}.",
    )
    return [
        finished,
        fig(
            "Data completeness",
            "completeness",
            f"Finished episodes with a first and a last {names} score "
            "(unpaired episodes are left out of every rate, and can bias them)",
        ),
        fig(
            "Recovery",
            "recovery_rate",
            f"Started at caseness ({caseness_words(code)}) and ended below {both}, out of "
            "finished episodes at caseness at the start",
        ),
        fig(
            "Reliable improvement",
            "reliable_improvement_rate",
            f"{change_words(code, 'fell')}, and none reliably worsened, out of finished "
            "episodes with paired scores",
        ),
        fig(
            "Reliable recovery",
            "reliable_recovery_rate",
            "Both recovered and reliably improved, out of finished episodes at caseness at "
            "the start",
        ),
        fig(
            "Reliable deterioration",
            "reliable_deterioration_rate",
            f"{change_words(code, 'rose')}, and none reliably improved, out of finished "
            "episodes with paired scores",
        ),
    ]


def group_label(by: str, cell: Cell) -> str:
    if by == "therapist":
        return cell.name
    if by == "quarter":
        return str(cell.key).replace("Q", " Q")
    if by == "band":
        return str(cell.key or "").replace("_", " ").capitalize() or "No score at intake"
    return str(cell.key)


def instrument_label(code: str) -> str:
    return str(InstrumentSet(code).label)


SUPPRESSED = f"Fewer than {rules.SUPPRESS_BELOW} finished episodes: not shown"


# --- Period navigation ------------------------------------------------------------------------

PERIOD_NOUNS = ("month", "quarter", "year")


def _period_start(kind: str, day: date) -> date:
    if kind == "month":
        return day.replace(day=1)
    if kind == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


def period_name(kind: str, start: date) -> str:
    """'May 2026', 'Q2 2026', '2026'."""
    if kind == "month":
        return f"{start:%B %Y}"
    if kind == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    return str(start.year)


@dataclass(frozen=True)
class PeriodLink:
    text: str  # "Previous quarter: Q1 2026"
    query: str  # the page's own filter with the period moved


def period_links(
    params: dict[str, Any], given: QueryDict, today: date
) -> tuple[PeriodLink | None, PeriodLink | None]:
    """Links to the month, quarter or year before and after the one shown, keeping the other
    filters (instrument, breakdown); none for a custom range, and no "next" past today's."""
    kind = params.get("period") or "year"
    if kind not in PERIOD_NOUNS:
        return None, None

    def link(word: str, day: date) -> PeriodLink:
        first = _period_start(kind, day)
        query = given.copy()
        for key in ("start", "end", "table"):
            query.pop(key, None)
        query["period"], query["on"] = kind, first.isoformat()
        query.setdefault("instrument", params["instrument"])
        query.setdefault("by", params["by"])
        return PeriodLink(f"{word} {kind}: {period_name(kind, first)}", query.urlencode())

    previous = link("Previous", params["start"] - timedelta(days=1))
    after = params["end"] + timedelta(days=1)
    return previous, (link("Next", after) if after <= today else None)
