"""The day and the brief in words: what the templates show (the edge of the surface).

Each item's words come from the presenter its app registered for its kind
(lib.contributions), called once per kind with all the items of that kind.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.utils import timezone

from continuum.accounts.paths import path_for_ids
from continuum.care.models import display_name_of
from continuum.continuity.day import Day, DayEntry, DayReason, DaySession
from continuum.lib.contributions import (
    BriefSection,
    DayLine,
    Rank,
    brief_template,
    day_presenter,
)
from continuum.measures.instruments import get_instrument
from continuum.measures.models import Administration


@dataclass(frozen=True)
class MindLine:
    """One reason on the day as the page shows it."""

    rank: int
    at: datetime | None
    ago: str  # "2 h ago", "3 weeks ago"; "" when the reason has no time
    new: bool  # raised since the therapist last opened the day
    reason: str
    url: str
    action: str
    post_url: str = ""
    post_label: str = ""


@dataclass(frozen=True)
class MindEntry:
    """One client of "Clients on my mind": every reason a line, the most urgent first."""

    client_id: int
    client_name: str
    client_url: str
    lines: list[MindLine]

    @property
    def rank(self) -> int:
        return self.lines[0].rank

    @property
    def new(self) -> bool:
        return any(line.new for line in self.lines)


@dataclass(frozen=True)
class DayPage:
    today: date
    today_sessions: list[DaySession]
    tomorrow_sessions: list[DaySession]
    on_my_mind: list[MindEntry]  # the first `settings.DAY_LIST_LIMIT` unless all are asked
    for_you: list[MindLine]  # below the clinical list, never among the clients
    hidden: int = 0  # clients on the day past the list's limit ("show all")
    hidden_new: int = 0  # of them, those with a reason new since the last visit

    @property
    def total(self) -> int:
        return len(self.on_my_mind) + self.hidden


def ago(at: datetime | None, now: datetime) -> str:
    """How long ago a reason was raised, as a clinician says it: "2 h ago", "3 weeks ago"."""
    if at is None:
        return ""
    seconds = max((now - at).total_seconds(), 0)
    minutes, hours, days = int(seconds // 60), int(seconds // 3600), int(seconds // 86400)
    if minutes < 1:
        return "just now"
    if hours < 1:
        return f"{minutes} min ago"
    if days < 1:
        return f"{hours} h ago"
    if days < 14:
        return "1 day ago" if days == 1 else f"{days} days ago"
    if days < 63:
        return f"{days // 7} weeks ago"
    if days < 365:
        return f"{days // 30} months ago"
    years = days // 365
    return "1 year ago" if years == 1 else f"{years} years ago"


def _lines(reasons: list[DayReason], now: datetime) -> list[MindLine]:
    """Each reason in words, from the presenter its app registered for its kind (called once
    per kind with all the items of that kind)."""
    by_kind: dict[str, list[int]] = defaultdict(list)
    for index, reason in enumerate(reasons):
        by_kind[reason.item.kind].append(index)
    made: dict[int, DayLine] = {}
    for kind, indexes in by_kind.items():
        lines = day_presenter(kind)([reasons[i].item for i in indexes])
        made.update(zip(indexes, lines, strict=True))
    return [
        MindLine(
            rank=int(reason.item.rank),
            at=reason.item.at,
            ago=ago(reason.item.at, now),
            new=reason.new,
            reason=made[index].reason,
            url=made[index].url,
            action=made[index].action,
            post_url=made[index].post_url,
            post_label=made[index].post_label,
        )
        for index, reason in enumerate(reasons)
    ]


def mind_entries(entries: list[DayEntry], now: datetime) -> list[MindEntry]:
    flat = [reason for entry in entries for reason in entry.reasons]
    lines = iter(_lines(flat, now))
    client_path = path_for_ids("care:client_detail", "client_id")
    return [
        MindEntry(
            client_id=entry.client.pk,
            client_name=display_name_of(
                entry.client.first_name, entry.client.preferred_name, entry.client.last_name
            ),
            client_url=client_path(entry.client.pk),
            lines=[next(lines) for _ in entry.reasons],
        )
        for entry in entries
    ]


def shown_count(entries: list[DayEntry], everything: bool = False) -> int:
    """How many of the day's entries (in clinical order) the list shows: all when asked,
    else `settings.DAY_LIST_LIMIT`, and never fewer than the clients with a safety reason."""
    if everything:
        return len(entries)
    safety = sum(1 for e in entries if e.rank <= Rank.SAFETY_UNANSWERED)
    return min(len(entries), max(int(settings.DAY_LIST_LIMIT), safety))


def day_page(day: Day, now: datetime | None = None, *, everything: bool = False) -> DayPage:
    """The day in words. A long list is cut after `shown_count` entries (the most urgent
    first): only those are put in words, and the page says how many more there are."""
    now = now or timezone.now()
    shown = shown_count(day.on_my_mind, everything)
    rest = day.on_my_mind[shown:]
    return DayPage(
        today=day.today,
        today_sessions=day.today_sessions,
        tomorrow_sessions=day.tomorrow_sessions,
        on_my_mind=mind_entries(day.on_my_mind[:shown], now),
        for_you=_lines(day.for_you, now),
        hidden=len(rest),
        hidden_new=sum(1 for e in rest if e.new),
    )


@dataclass(frozen=True)
class SectionView:
    template: str
    data: object


def brief_sections(sections: list[BriefSection]) -> list[SectionView]:
    """Each section with the partial template its app registered for it."""
    return [SectionView(brief_template(s.code), s.data) for s in sections]


@dataclass
class ScoreLine:
    """A score as people read it: "PHQ-9", "18", "moderately severe"."""

    administration: Administration
    measure: str
    score: str
    band: str


def score_line(admin: Administration) -> ScoreLine:
    inst = get_instrument(admin.instrument)
    band = inst.band(admin.band) if admin.band else None
    return ScoreLine(
        administration=admin,
        measure=inst.name,
        score=inst.display(admin.total) if admin.total is not None else "—",
        band=band.label.lower() if band else "—",
    )


def score_lines(admins: list[Administration]) -> list[ScoreLine]:
    return [score_line(a) for a in admins]
