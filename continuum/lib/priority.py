"""The clinical priority: in which order a clinician thinks of the reasons on their day.

One rule, used by the day, the daily email and the brief (docs/clinical.md, "The clinical
priority", gives the reasoning):

1. A reason's tier (`contributions.Rank`: safety first, routine last) decides first.
2. Within a tier, the oldest unaddressed reason comes first: it has waited longest. A reason
   without a time (we do not know when it was raised) comes after the dated ones of its tier.
3. A client is one entry, whatever the number of reasons: the entry stands where its most
   urgent reason stands (its best tier, then that tier's oldest reason), and its reasons are
   its lines, in the same order.

The therapist's own prompts (`client_id=None`, "For you") are never among the clients:
`client_entries` leaves them out, `for_you` returns them.

Pure Python: no Django, no app imports, so the rule is read and tested on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from continuum.lib.contributions import DayItem

# (tier, undated?, time): an undated reason sorts after the dated ones of its tier.
PriorityKey = tuple[int, bool, float]


def priority_key(item: DayItem) -> PriorityKey:
    """Lower comes first: the tier, then the oldest reason of that tier."""
    if item.at is None:
        return (int(item.rank), True, 0.0)
    return (int(item.rank), False, item.at.timestamp())


def by_priority(items: Iterable[DayItem]) -> list[DayItem]:
    return sorted(items, key=priority_key)


@dataclass(frozen=True)
class ClientReasons:
    """One client's reasons, the most urgent first (`lines[0]` leads the entry)."""

    client_id: int
    lines: tuple[DayItem, ...]

    @property
    def lead(self) -> DayItem:
        return self.lines[0]

    @property
    def rank(self) -> int:
        return int(self.lead.rank)


def client_entries(items: Iterable[DayItem]) -> list[ClientReasons]:
    """One entry per client, every reason a line inside it, entries in clinical order.

    Ties (the same tier and time) keep the order the items came in, so the result does not
    depend on the order of dictionaries or providers beyond what the caller gave.
    """
    grouped: dict[int, list[DayItem]] = {}
    for item in items:
        if item.client_id is not None:
            grouped.setdefault(item.client_id, []).append(item)
    entries = [
        ClientReasons(client_id, tuple(by_priority(reasons)))
        for client_id, reasons in grouped.items()
    ]
    entries.sort(key=lambda entry: priority_key(entry.lead))
    return entries


def for_you(items: Iterable[DayItem]) -> list[DayItem]:
    """The therapist's own prompts, in the same order among themselves."""
    return by_priority(item for item in items if item.client_id is None)


def is_new(item: DayItem, last_looked: datetime | None) -> bool:
    """Raised after the therapist last opened the day. Nothing is marked on the first visit
    (there is no "last time" to be new since), nor a reason without a time."""
    return last_looked is not None and item.at is not None and item.at > last_looked
