"""What the domain apps contribute to the surfaces: day items and brief sections.

A surface (the day, the brief, the daily email) never imports a domain app to ask it for
its part. Each domain app registers what it contributes in its `AppConfig.ready()`, and the
surface iterates the registry. Adding a new kind of day item therefore touches one app: its
query (data: ids, codes, counts, dates), its presenter (words and a link, at the edge) and
one `register_*` line in its `ready()`.

Pure Python: no Django, no app imports (the `lib` layer of docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from typing import Any


class Rank(IntEnum):
    """The clinical priority of a reason to think of a client: lower comes first.

    One ordered list of tiers, used by the day, the alerts page, the daily email and the
    brief (docs/clinical.md gives the reasoning). Within a tier, the oldest unaddressed
    reason comes first. The therapist's own prompts ("For you", `client_id=None`) are not
    ranked among the clients: they have their own place.
    """

    SAFETY = 1  # a safety item answered above 0, an urgent check-in (in therapy or follow-up)
    SAFETY_UNANSWERED = 2  # a safety item left blank: ask it at the next contact
    DETERIORATION = 3  # reliable deterioration (in therapy or at follow-up), a booster request
    NOT_ON_TRACK = 4
    DISENGAGING = 5  # an unplanned ending, drifting (no session, nothing booked)
    ROUTINE = 6  # new check-ins, plan reviews, homework, overdue questionnaires, drafts to sign


@dataclass(frozen=True)
class DayItem:
    """One reason to think of a client today, as data.

    `kind` names the contribution that made it (its presenter turns it into words and a
    link); `ref` is the id the link points at (an alert, an episode, a client…); `facts`
    holds the plain values the words are made from (counts, days, codes), never text
    written by a person.
    """

    kind: str
    client_id: int | None  # None: about the therapist, not a client ("For you")
    rank: Rank
    at: datetime | None = None
    ref: int | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DayLine:
    """A day item in words, made by its kind's presenter at the edge."""

    reason: str
    url: str
    action: str
    # An optional POST button beside the link (e.g. "Snooze for a week").
    post_url: str = ""
    post_label: str = ""


# (user, now) -> the items; the user is the clinician whose day it is.
DayProvider = Callable[[Any, datetime], Iterable[DayItem]]
# (clients, now) -> the items of these clients (a queryset of clients; every therapist's): the
# same reasons as the provider, for the day's attention table (continuum.continuity.attention),
# which keeps them per client and refreshes them when an action calls
# `hooks.client_changed`. A contribution without it (the therapist's own prompts) is asked
# live each time the day is opened.
ClientsProvider = Callable[[Any, datetime], Iterable[DayItem]]
# Makes the words of many items of one kind at once, so a presenter can reverse a route once
# per kind (continuum.accounts.paths.path_for_ids), not once per item.
DayPresenter = Callable[[list[DayItem]], list[DayLine]]


@dataclass(frozen=True)
class DayContribution:
    name: str
    provider: DayProvider
    # kind -> presenter of the items of that kind
    presenters: Mapping[str, DayPresenter]
    for_clients: ClientsProvider | None = None


@dataclass(frozen=True)
class BriefSection:
    """One section of the pre-session brief, as data: `code` selects its template at the
    edge; `data` is what the contributing app's query returned."""

    code: str
    data: Any


# (appointment, since, user) -> the section's data (None or empty: "nothing new").
BriefBuilder = Callable[[Any, datetime | None, Any], Any]


@dataclass(frozen=True)
class BriefContribution:
    code: str
    order: int  # where the section stands on the page, lower first
    build: BriefBuilder
    template: str  # the partial that renders it (the edge)


_day: dict[str, DayContribution] = {}
_brief: dict[str, BriefContribution] = {}


def register_day(contribution: DayContribution) -> None:
    """Called from an AppConfig.ready(); registering the same name again replaces it."""
    _day[contribution.name] = contribution


def day_contributions() -> tuple[DayContribution, ...]:
    return tuple(_day.values())


def day_presenter(kind: str) -> DayPresenter:
    for contribution in _day.values():
        if kind in contribution.presenters:
            return contribution.presenters[kind]
    raise LookupError(f"no presenter registered for day item kind {kind!r}")


def register_brief(contribution: BriefContribution) -> None:
    _brief[contribution.code] = contribution


def brief_contributions() -> tuple[BriefContribution, ...]:
    return tuple(sorted(_brief.values(), key=lambda c: c.order))


def brief_template(code: str) -> str:
    return _brief[code].template


# --- Panels of the record pages (the client page, the episode page) -------------------------


@dataclass(frozen=True)
class PanelContribution:
    """A panel that a domain app adds to a page of a foundation app (care's client page
    shows measures, homework and reflections without importing those apps).

    `build(user, obj)` returns the panel's data, put in the page's context under `name`;
    `template` is the partial that renders it.
    """

    page: str  # "client" (obj: a Client) or "episode" (obj: an Episode)
    name: str
    order: int
    build: Callable[[Any, Any], Any]
    template: str


_panels: dict[tuple[str, str], PanelContribution] = {}


def register_panel(contribution: PanelContribution) -> None:
    _panels[contribution.page, contribution.name] = contribution


def panels(page: str) -> tuple[PanelContribution, ...]:
    return tuple(sorted((p for p in _panels.values() if p.page == page), key=lambda p: p.order))


# --- Small questions one app answers for another -------------------------------------------

# (client) -> True when the client's follow-up after therapy has ended (withdrawn or
# expired): portal messaging closes then. Registered by the follow-up app.
_contact_closers: dict[str, Callable[[Any], bool]] = {}
# (episode) -> the goal statements a goal-rating questionnaire asks about (the treatment
# plan's active goals). Registered by the plans app.
_goal_sources: dict[str, Callable[[Any], list[str]]] = {}


def register_contact_closer(name: str, closed: Callable[[Any], bool]) -> None:
    _contact_closers[name] = closed


def contact_closed(client: Any) -> bool:
    return any(closed(client) for closed in _contact_closers.values())


def register_goal_source(name: str, source: Callable[[Any], list[str]]) -> None:
    _goal_sources[name] = source


def goal_statements(episode: Any) -> list[str]:
    for source in _goal_sources.values():
        if statements := source(episode):
            return statements
    return []


# (client) -> the crisis lines the client's therapist chose for the client's phase of care
# (their contact policy), or [] when they chose none. Registered by the boundaries app, read by
# the questionnaire page and follow-up check-ins (measures.crisis.crisis_resources_for).
_crisis_sources: dict[str, Callable[[Any], list[str]]] = {}


def register_crisis_source(name: str, source: Callable[[Any], list[str]]) -> None:
    _crisis_sources[name] = source


def therapist_crisis_lines(client: Any) -> list[str]:
    for source in _crisis_sources.values():
        if lines := source(client):
            return lines
    return []


# --- Shapes of a client's own record (the portal download) -----------------------------------


@dataclass(frozen=True)
class RecordFormat:
    """A machine-readable shape of a client's own record that a higher app contributes (the
    fhir app: the `$everything` Bundle), so the exchange app offers it without importing it.

    `build(client)` returns the file's bytes; it must never include reflections.
    """

    name: str  # the download's format in the URL ("fhir") and in its audit row
    label: str  # how the portal names it ("FHIR")
    content_type: str
    extension: str  # of the downloaded file's name
    build: Callable[[Any], bytes]


_record_formats: dict[str, RecordFormat] = {}


def register_record_format(fmt: RecordFormat) -> None:
    _record_formats[fmt.name] = fmt


def record_formats() -> tuple[RecordFormat, ...]:
    return tuple(_record_formats.values())
