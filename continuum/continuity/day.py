"""The therapist's day: today's and tomorrow's sessions, and the clients who need thought.

"Clients on my mind" lists, most urgent first: open safety alerts, then not-on-track and
deteriorating clients, urgent and new check-ins, drifting clients (an active episode, no
attended session for DRIFT_DAYS and nothing booked), plan reviews due, overdue homework.
Each entry says why it is there and links to where to act; acting removes it.

Speed (issue 8, docs/performance.md): a busy caseload puts dozens of entries here, and the day
is opened between every two sessions. Providers therefore read plain columns (ids, counts,
dates; grouped per client in SQL where one line stands for many rows) and never load client
rows, encrypted notes or message bodies; `build_day` names every client of every entry with
one query at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, Max, Min, OuterRef, Q
from django.utils import timezone

from continuum.care.access import clients_for
from continuum.care.episodes import EpisodeStatus
from continuum.care.models import Appointment, AppointmentStatus, Episode, display_name_of
from continuum.lib.paths import path_for_ids
from continuum.lib.timezones import local_day_bounds
from continuum.measures.alerts import ACTIVE
from continuum.measures.models import Alert, AlertKind

# Lower ranks come first.
RANK_SAFETY = 0
RANK_ALERT = 1
RANK_URGENT_CHECKIN = 2
RANK_CHECKIN = 3
RANK_DRIFTING = 4
RANK_PLAN_REVIEW = 5
RANK_HOMEWORK = 6


@dataclass(frozen=True)
class ClientName:
    """What the day shows of a client: their name, linking to their page."""

    pk: int
    first_name: str
    preferred_name: str
    last_name: str

    url: str = ""

    @property
    def display_name(self) -> str:
        return display_name_of(self.first_name, self.preferred_name, self.last_name)


@dataclass
class MindEntry:
    # None for an entry about the therapist rather than a client (the wellbeing prompt).
    client_id: int | None
    rank: int
    reason: str
    url: str
    action: str
    at: datetime | None = None
    # An optional POST button beside the link (e.g. "Snooze for a week").
    post_url: str = ""
    post_label: str = ""
    # Filled in by build_day (one query names the clients of every entry).
    client: ClientName | None = None


@dataclass
class Day:
    today: date
    today_sessions: list[Appointment]
    tomorrow_sessions: list[Appointment]
    on_my_mind: list[MindEntry]


def sessions_between(user: Any, start: datetime, end: datetime) -> list[Appointment]:
    return list(
        Appointment.objects.filter(
            client__in=clients_for(user), starts_at__gte=start, starts_at__lt=end
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("client")
        .order_by("starts_at")
    )


def alert_entries(user: Any) -> list[MindEntry]:
    """One entry per client: their most urgent open alert, and how many more wait.

    A client with five alerts is one person to think about, not five lines; the link goes to
    the most urgent alert and the client page lists the rest.
    """
    alerts = (
        Alert.objects.filter(client__in=clients_for(user), status__in=ACTIVE)
        .order_by("severity_rank", "-created_at")
        .values_list("pk", "client_id", "kind", "message", "created_at")[:500]
    )
    by_client: dict[int, list[tuple[int, int, str, str, datetime]]] = {}
    for alert in alerts:  # most urgent first, so each client's first alert leads
        by_client.setdefault(alert[1], []).append(alert)
    alert_path = path_for_ids("measures:alert_detail", "alert_id")
    entries = []
    for group in by_client.values():
        (pk, client_id, kind, message, created_at), more = group[0], len(group) - 1
        reason = f"{AlertKind(kind).label}: {message}"
        if more:
            reason += f" (and {more} more open alert{'s' if more > 1 else ''})"
        entries.append(
            MindEntry(
                client_id=client_id,
                rank=RANK_SAFETY if kind == AlertKind.SAFETY else RANK_ALERT,
                reason=reason,
                url=alert_path(pk),
                action="Review the alert",
                at=created_at,
            )
        )
    return entries


def drifting_entries(user: Any, now: datetime) -> list[MindEntry]:
    """Active episode, no attended session for DRIFT_DAYS, and no future session booked."""
    cutoff = now - timedelta(days=settings.DRIFT_DAYS)
    attended = Appointment.objects.filter(client=OuterRef("pk"), status=AppointmentStatus.ATTENDED)
    clients = (
        clients_for(user)
        # An episode that began within the window is not drifting yet.
        .filter(
            Exists(
                Episode.objects.filter(
                    client=OuterRef("pk"),
                    status=EpisodeStatus.ACTIVE,
                    start_date__lte=timezone.localtime(cutoff).date(),
                )
            )
        )
        .exclude(Exists(attended.filter(starts_at__gte=cutoff)))
        .exclude(
            Exists(
                Appointment.objects.filter(
                    client=OuterRef("pk"),
                    status=AppointmentStatus.SCHEDULED,
                    starts_at__gte=now,
                )
            )
        )
        .annotate(last_seen=Max("appointments__starts_at", filter=_attended_filter()))
        .order_by("last_name", "first_name")
        .values_list("pk", "last_seen")[:100]
    )
    book_path = path_for_ids("care:appointment_create", "client_id")
    entries = []
    for client_id, last_seen in clients:
        if last_seen is None:
            reason = "Active episode with no attended session yet, and nothing booked."
        else:
            days = (now - last_seen).days
            reason = f"No session for {days} days, and nothing booked."
        entries.append(
            MindEntry(
                client_id=client_id,
                rank=RANK_DRIFTING,
                reason=reason,
                url=book_path(client_id),
                action="Book a session",
                at=last_seen,
            )
        )
    return entries


def _attended_filter() -> Any:
    return Q(appointments__status=AppointmentStatus.ATTENDED)


def build_day(user: Any, now: datetime | None = None) -> Day:
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    start, _ = local_day_bounds(today, user.time_zone)
    _, end = local_day_bounds(today + timedelta(days=1), user.time_zone)
    sessions = sessions_between(user, start, end)
    tomorrow_start, _ = local_day_bounds(today + timedelta(days=1), user.time_zone)
    entries = alert_entries(user) + drifting_entries(user, now)
    for provider in extra_providers():
        entries.extend(provider(user, now))
    entries.sort(key=lambda e: (e.rank, -(e.at.timestamp() if e.at else 0)))
    entries = name_clients(user, entries)
    return Day(
        today=today,
        today_sessions=[s for s in sessions if s.starts_at < tomorrow_start],
        tomorrow_sessions=[s for s in sessions if s.starts_at >= tomorrow_start],
        on_my_mind=entries,
    )


def name_clients(user: Any, entries: list[MindEntry]) -> list[MindEntry]:
    """The entries, each with its client's name: one query for all of them, through the
    access helper (an entry about a client the user no longer treats is dropped, not named)."""
    wanted = {e.client_id for e in entries if e.client_id is not None}
    if not wanted:
        return entries
    client_path = path_for_ids("care:client_detail", "client_id")
    names = {
        row[0]: ClientName(*row, url=client_path(row[0]))
        for row in clients_for(user)
        .filter(pk__in=wanted)
        .values_list("pk", "first_name", "preferred_name", "last_name")
    }
    kept = []
    for entry in entries:
        if entry.client_id is not None:
            entry.client = names.get(entry.client_id)
            if entry.client is None:
                continue
        kept.append(entry)
    return kept


def checkin_entries(user: Any, now: datetime) -> list[MindEntry]:
    """One entry per client with unseen check-ins; urgent ones rank above the rest.
    One query, counted per client in SQL (the check-ins' encrypted notes are not read)."""
    from continuum.portal.queries import unseen_checkins_query

    rows = (
        unseen_checkins_query(user)
        .order_by()
        .values("client_id")
        .annotate(
            count=Count("pk"), urgent=Count("pk", filter=Q(urgent=True)), at=Max("created_at")
        )
        .values_list("client_id", "count", "urgent", "at")
    )
    checkins_path = path_for_ids("portal:client_checkins", "client_id")
    entries = []
    for client_id, count, urgent, at in rows:
        noun = "check-in" if count == 1 else "check-ins"
        reason = f"{count} new {noun}" + (f", {urgent} marked urgent" if urgent else "")
        entries.append(
            MindEntry(
                client_id=client_id,
                rank=RANK_URGENT_CHECKIN if urgent else RANK_CHECKIN,
                reason=reason + ".",
                url=checkins_path(client_id),
                action="Read and mark seen",
                at=at,
            )
        )
    return entries


def plan_entries(user: Any, now: datetime) -> list[MindEntry]:
    """Plans whose review date has come, and homework past its due date (two queries: the
    rows of plans.queries' plan_reviews_due_query and overdue_homework_query, as plain
    columns and counts per client)."""
    from continuum.plans.queries import overdue_homework_query, plan_reviews_due_query

    today = timezone.localtime(now).date()
    reviews = plan_reviews_due_query(user, today).values_list(
        "client_id", "episode_id", "review_date"
    )
    plan_path = path_for_ids("plans:episode_plan", "episode_id")
    entries = [
        MindEntry(
            client_id=client_id,
            rank=RANK_PLAN_REVIEW,
            reason=f"Treatment plan review due since {review_date:%-d %B}.",
            url=plan_path(episode_id),
            action="Review the plan",
        )
        for client_id, episode_id, review_date in reviews
    ]
    overdue = (
        overdue_homework_query(user, today)
        .order_by()
        .values("client_id")
        .annotate(count=Count("pk"), oldest=Min("due_date"))
        .order_by("oldest", "client_id")
        .values_list("client_id", "count")
    )
    homework_path = path_for_ids("plans:homework_list", "client_id")
    for client_id, count in overdue:
        entries.append(
            MindEntry(
                client_id=client_id,
                rank=RANK_HOMEWORK,
                reason=f"{count} homework task{'s' if count > 1 else ''} past due, not reported.",
                url=homework_path(client_id),
                action="See homework",
            )
        )
    return entries


def extra_providers() -> list[Any]:
    """Entries from the between-session apps (check-ins, plans, homework, portal messages)
    and wellbeing."""
    from continuum.boundaries.queries import message_entries
    from continuum.endings.queries import unplanned_entries
    from continuum.followup.queries import day_entries as followup_entries
    from continuum.wellbeing.prompts import prompt_entries

    return [
        checkin_entries,
        plan_entries,
        prompt_entries,
        message_entries,
        unplanned_entries,
        followup_entries,
    ]
