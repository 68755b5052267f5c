"""The day and the brief in words: what the templates show (the edge of the surface).

Each item's words come from the presenter its app registered for its kind
(lib.contributions), called once per kind with all the items of that kind.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from continuum.accounts.paths import path_for_ids
from continuum.care.models import Appointment, display_name_of
from continuum.continuity.day import Day, DayEntry
from continuum.lib.contributions import BriefSection, DayLine, brief_template, day_presenter
from continuum.measures.instruments import get_instrument
from continuum.measures.models import Administration


@dataclass(frozen=True)
class MindLine:
    """One entry of "Clients on my mind" as the page shows it."""

    rank: int
    at: datetime | None
    client_id: int | None
    client_name: str  # "" for an entry about the therapist ("For you")
    client_url: str
    reason: str
    url: str
    action: str
    post_url: str = ""
    post_label: str = ""


@dataclass(frozen=True)
class DayPage:
    today: date
    today_sessions: list[Appointment]
    tomorrow_sessions: list[Appointment]
    on_my_mind: list[MindLine]


def mind_lines(entries: list[DayEntry]) -> list[MindLine]:
    by_kind: dict[str, list[int]] = defaultdict(list)
    for index, entry in enumerate(entries):
        by_kind[entry.item.kind].append(index)
    lines: dict[int, DayLine] = {}
    for kind, indexes in by_kind.items():
        made = day_presenter(kind)([entries[i].item for i in indexes])
        lines.update(zip(indexes, made, strict=True))
    client_path = path_for_ids("care:client_detail", "client_id")
    result = []
    for index, entry in enumerate(entries):
        line, client = lines[index], entry.client
        result.append(
            MindLine(
                rank=int(entry.item.rank),
                at=entry.item.at,
                client_id=entry.item.client_id,
                client_name=(
                    display_name_of(client.first_name, client.preferred_name, client.last_name)
                    if client
                    else ""
                ),
                client_url=client_path(client.pk) if client else "",
                reason=line.reason,
                url=line.url,
                action=line.action,
                post_url=line.post_url,
                post_label=line.post_label,
            )
        )
    return result


def day_page(day: Day) -> DayPage:
    return DayPage(
        today=day.today,
        today_sessions=day.today_sessions,
        tomorrow_sessions=day.tomorrow_sessions,
        on_my_mind=mind_lines(day.on_my_mind),
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
