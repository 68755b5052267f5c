"""Tests for the measures engine (plain pytest; no database)."""

from __future__ import annotations

from continuum.measures.instruments import Instrument, get_instrument


def answers_for_total(instrument: str | Instrument, total: int) -> dict[str, int]:
    """A complete set of answers whose scored total is exactly `total` (items filled in order,
    each as high as it goes; reverse-scored items get the option that scores what is needed)."""
    inst = get_instrument(instrument) if isinstance(instrument, str) else instrument
    answers: dict[str, int] = {}
    remaining = total
    for item in inst.scored_items:
        want = min(remaining, item.max_score)
        option = next(o for o in item.options if o.score == want)
        answers[item.key] = option.value
        remaining -= want
    assert remaining == 0, f"{inst.code} cannot reach {total}"
    return answers
