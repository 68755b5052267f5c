"""The therapist's day: today's and tomorrow's sessions, and the clients who need thought.

"Clients on my mind" lists each client once, every reason a line inside the entry, in the
clinical priority of lib.priority (the six tiers of lib.contributions.Rank; within a tier the
oldest reason first). The therapist's own prompts ("For you") are kept apart, never among
the clients. The items come from the apps that own them: each registers a
DayContribution in its AppConfig.ready() (a provider of data, and presenters of words), and
this module only gathers, orders and names them. `build_day` returns data; the words and
links are made by continuity.presenters for the page.

Speed (issue 8, docs/performance.md): a busy caseload puts dozens of entries here, and the day
is opened between every two sessions. Providers therefore read plain columns (ids, counts,
dates; grouped per client in SQL where one line stands for many rows) and never load client
rows, encrypted notes or message bodies; `build_day` names every client of every entry with
one query at the end.

At scale (issue 13) the day does not ask the contributions at all: their reasons are kept per
client in the attention table (continuity.attention, kept by the actions that change them and
by the scheduler), and `build_day` reads them with the clients' names in one query. Only the
therapist's own prompts ("For you") are asked live. `build_day(..., live=True)` still asks
every contribution (the consistency test compares the two).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from continuum import sql
from continuum.accounts.models import User
from continuum.care.access import clients_for
from continuum.care.models import AppointmentStatus, Modality, display_name_of, treated_by_sql
from continuum.continuity import attention
from continuum.lib import priority
from continuum.lib.contributions import DayItem, day_contributions
from continuum.lib.timezones import local_day_bounds


@dataclass(frozen=True)
class ClientName:
    """What the day knows of a client: the parts of their name."""

    pk: int
    first_name: str
    preferred_name: str
    last_name: str

    @property
    def display_name(self) -> str:
        return display_name_of(self.first_name, self.preferred_name, self.last_name)


@dataclass(frozen=True)
class DaySession:
    """One of the day's sessions, with what the day shows of it (the `session_list` tag):
    read as plain values, not Appointment rows (issue 13: the day is opened between every
    two sessions)."""

    pk: int
    starts_at: datetime
    modality: str
    status: str
    therapist_id: int
    client: ClientName

    def get_modality_display(self) -> str:
        return str(Modality(self.modality).label)

    def get_status_display(self) -> str:
        return str(AppointmentStatus(self.status).label)


@dataclass(frozen=True)
class DayReason:
    """One reason to think of a client (or of oneself), and whether it is new since the
    therapist last opened the day."""

    item: DayItem
    new: bool


@dataclass(frozen=True)
class DayEntry:
    """One client on the day, with every reason as a line, the most urgent first."""

    client: ClientName
    reasons: tuple[DayReason, ...]

    @property
    def rank(self) -> int:
        return int(self.reasons[0].item.rank)

    @property
    def new(self) -> bool:
        return any(r.new for r in self.reasons)


@dataclass
class Day:
    today: date
    today_sessions: list[DaySession]
    tomorrow_sessions: list[DaySession]
    on_my_mind: list[DayEntry]  # the clients, in clinical order (lib.priority)
    for_you: list[DayReason]  # the therapist's own prompts: never among the clients
    last_looked: datetime | None = None


# The sessions of one therapist's clients in a time range, not cancelled: `sessions_between`.
_SESSIONS = """
    SELECT a.id, a.starts_at, a.modality, a.status, a.therapist_id,
           c.id, c.first_name, c.preferred_name, c.last_name
    FROM care_appointment a JOIN care_client c ON c.id = a.client_id
    WHERE {treated} AND a.starts_at >= %s AND a.starts_at < %s AND a.status <> %s
    ORDER BY a.starts_at, a.id
"""


def sessions_between(user: User, start: datetime, end: datetime) -> list[DaySession]:
    """The sessions of the user's clients (`care.models.treated_by_sql`) between `start` and
    `end`, not cancelled, in time order: one query, written by hand (continuum.sql: the day reads it
    on every visit)."""
    treated, params = treated_by_sql(user, "c")
    found = sql.rows(
        _SESSIONS.format(treated=treated),
        [*params, sql.at(start), sql.at(end), AppointmentStatus.CANCELLED.value],
    )
    return [
        DaySession(
            pk, sql.aware(at), modality, status, therapist, ClientName(client, first, pref, last)
        )
        for pk, at, modality, status, therapist, client, first, pref, last in found
    ]


def day_items(user: User, now: datetime) -> list[DayItem]:
    """Every registered contribution's items, in clinical order (lib.priority)."""
    items: list[DayItem] = []
    for contribution in day_contributions():
        items.extend(contribution.provider(user, now))
    return priority.by_priority(items)


def build_day(
    user: User,
    now: datetime | None = None,
    last_looked: datetime | None = None,
    *,
    live: bool = False,
) -> Day:
    """The day as data. `last_looked`: when the therapist last opened it (continuity.services
    .last_looked); reasons raised after it are marked new. `live`: ask every contribution
    instead of reading the attention table (slower; the same day)."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    start, _ = local_day_bounds(today, user.time_zone)
    _, end = local_day_bounds(today + timedelta(days=1), user.time_zone)
    sessions = sessions_between(user, start, end)
    tomorrow_start, _ = local_day_bounds(today + timedelta(days=1), user.time_zone)
    if live:
        items = day_items(user, now)
        on_my_mind = name_clients(user, priority.client_entries(items), last_looked)
    else:
        rows = attention.day_rows(user)
        names = {name[0]: ClientName(*name) for _, name in rows}
        items = [item for item, _ in rows] + [
            item
            for contribution in day_contributions()
            if contribution.for_clients is None
            for item in contribution.provider(user, now)
        ]
        on_my_mind = [
            DayEntry(
                names[entry.client_id],
                tuple(DayReason(i, priority.is_new(i, last_looked)) for i in entry.lines),
            )
            for entry in priority.client_entries(items)
        ]
    return Day(
        today=today,
        today_sessions=[s for s in sessions if s.starts_at < tomorrow_start],
        tomorrow_sessions=[s for s in sessions if s.starts_at >= tomorrow_start],
        on_my_mind=on_my_mind,
        for_you=[DayReason(i, priority.is_new(i, last_looked)) for i in priority.for_you(items)],
        last_looked=last_looked,
    )


def name_clients(
    user: User, entries: list[priority.ClientReasons], last_looked: datetime | None = None
) -> list[DayEntry]:
    """The entries, each with its client's name: one query for all of them, through the
    access helper (an entry about a client the user no longer treats is dropped, not named)."""
    names = {}
    if entries:
        names = {
            row[0]: ClientName(*row)
            for row in clients_for(user)
            .filter(pk__in=[e.client_id for e in entries])
            .values_list("pk", "first_name", "preferred_name", "last_name")
        }
    return [
        DayEntry(
            names[entry.client_id],
            tuple(DayReason(i, priority.is_new(i, last_looked)) for i in entry.lines),
        )
        for entry in entries
        if entry.client_id in names
    ]
