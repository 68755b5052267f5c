"""A tapering schedule as plain Python: rows of (interval in weeks, number of sessions) become
local calendar dates (no Django here).

Rows read in order: "weekly → fortnightly → monthly" is [(1, 2), (2, 2), (4, 1)]. The first
session is on the first date; every later session comes its row's interval after the one
before it, so [(1, 2), (2, 2), (4, 1)] from 1 June gives 1 Jun, 8 Jun, 22 Jun, 6 Jul, 3 Aug.
Times are placed per local date by the caller (care.scheduling.to_utc), so a 09:00 session
stays at 09:00 on the therapist's clock across a change of the clocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

MAX_STAGES = 4
MAX_WEEKS = 12
MAX_SESSIONS = 26  # all stages together


class TaperError(ValueError):
    """A schedule that cannot be booked; the message is safe to show."""


@dataclass(frozen=True)
class Stage:
    weeks: int
    count: int


def check_stages(stages: Sequence[Stage]) -> list[Stage]:
    """The stages that book something (count > 0), or TaperError saying what is wrong."""
    if len(stages) > MAX_STAGES:
        raise TaperError(f"A tapering schedule has at most {MAX_STAGES} steps.")
    used = [s for s in stages if s.count > 0]
    for stage in used:
        if not 1 <= stage.weeks <= MAX_WEEKS:
            raise TaperError(f"Sessions can be 1 to {MAX_WEEKS} weeks apart.")
    total = sum(s.count for s in used)
    if total > MAX_SESSIONS:
        raise TaperError(f"A tapering schedule books at most {MAX_SESSIONS} sessions.")
    return used


def taper_dates(first: date, stages: Sequence[Stage]) -> list[date]:
    """The local date of every tapering session, in order (empty for no sessions)."""
    dates: list[date] = []
    for stage in check_stages(stages):
        for _ in range(stage.count):
            dates.append(dates[-1] + timedelta(weeks=stage.weeks) if dates else first)
    return dates


def as_rows(stages: Sequence[Stage]) -> list[dict[str, int]]:
    """The stages as stored on the plan (JSON)."""
    return [{"weeks": s.weeks, "count": s.count} for s in stages if s.count > 0]
