"""The therapist's day: today's and tomorrow's sessions, and the clients who need thought.

"Clients on my mind" lists, most urgent first (lib.contributions.Rank): open safety alerts,
then not-on-track and deteriorating clients, urgent and new check-ins, drifting clients, plan
reviews due, overdue homework. The items come from the apps that own them: each registers a
DayContribution in its AppConfig.ready() (a provider of data, and presenters of words), and
this module only gathers, orders and names them. `build_day` returns data; the words and
links are made by continuity.presenters for the page.

Speed (issue 8, docs/performance.md): a busy caseload puts dozens of entries here, and the day
is opened between every two sessions. Providers therefore read plain columns (ids, counts,
dates; grouped per client in SQL where one line stands for many rows) and never load client
rows, encrypted notes or message bodies; `build_day` names every client of every entry with
one query at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from continuum.accounts.models import User
from continuum.care.access import clients_for
from continuum.care.models import Appointment, AppointmentStatus
from continuum.lib.contributions import DayItem, day_contributions
from continuum.lib.timezones import local_day_bounds


@dataclass(frozen=True)
class ClientName:
    """What the day knows of a client: the parts of their name."""

    pk: int
    first_name: str
    preferred_name: str
    last_name: str


@dataclass(frozen=True)
class DayEntry:
    item: DayItem
    client: ClientName | None  # None: an item about the therapist ("For you")


@dataclass
class Day:
    today: date
    today_sessions: list[Appointment]
    tomorrow_sessions: list[Appointment]
    on_my_mind: list[DayEntry]


def sessions_between(user: User, start: datetime, end: datetime) -> list[Appointment]:
    return list(
        Appointment.objects.filter(
            client__in=clients_for(user), starts_at__gte=start, starts_at__lt=end
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("client")
        .order_by("starts_at")
    )


def day_items(user: User, now: datetime) -> list[DayItem]:
    """Every registered contribution's items, most urgent first (then the most recent)."""
    items: list[DayItem] = []
    for contribution in day_contributions():
        items.extend(contribution.provider(user, now))
    items.sort(key=lambda e: (e.rank, -(e.at.timestamp() if e.at else 0)))
    return items


def build_day(user: User, now: datetime | None = None) -> Day:
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    start, _ = local_day_bounds(today, user.time_zone)
    _, end = local_day_bounds(today + timedelta(days=1), user.time_zone)
    sessions = sessions_between(user, start, end)
    tomorrow_start, _ = local_day_bounds(today + timedelta(days=1), user.time_zone)
    return Day(
        today=today,
        today_sessions=[s for s in sessions if s.starts_at < tomorrow_start],
        tomorrow_sessions=[s for s in sessions if s.starts_at >= tomorrow_start],
        on_my_mind=name_clients(user, day_items(user, now)),
    )


def name_clients(user: User, items: list[DayItem]) -> list[DayEntry]:
    """The items, each with its client's name: one query for all of them, through the
    access helper (an item about a client the user no longer treats is dropped, not named)."""
    wanted = {e.client_id for e in items if e.client_id is not None}
    names = {}
    if wanted:
        names = {
            row[0]: ClientName(*row)
            for row in clients_for(user)
            .filter(pk__in=wanted)
            .values_list("pk", "first_name", "preferred_name", "last_name")
        }
    entries = []
    for item in items:
        client = names.get(item.client_id) if item.client_id is not None else None
        if item.client_id is not None and client is None:
            continue
        entries.append(DayEntry(item, client))
    return entries
