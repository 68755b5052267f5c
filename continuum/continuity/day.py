"""The therapist's day: today's and tomorrow's sessions, and the clients who need thought.

"Clients on my mind" lists, most urgent first: open safety alerts, then not-on-track and
deteriorating clients, urgent and new check-ins, drifting clients (an active episode, no
attended session for DRIFT_DAYS and nothing booked), plan reviews due, overdue homework.
Each entry says why it is there and links to where to act; acting removes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, Max, OuterRef
from django.urls import reverse
from django.utils import timezone

from continuum.care.access import clients_for
from continuum.care.episodes import EpisodeStatus
from continuum.care.models import Appointment, AppointmentStatus, Client, Episode
from continuum.lib.timezones import local_day_bounds
from continuum.measures.alerts import ACTIVE
from continuum.measures.models import Alert

# Lower ranks come first.
RANK_SAFETY = 0
RANK_ALERT = 1
RANK_URGENT_CHECKIN = 2
RANK_CHECKIN = 3
RANK_DRIFTING = 4
RANK_PLAN_REVIEW = 5
RANK_HOMEWORK = 6


@dataclass
class MindEntry:
    # None for an entry about the therapist rather than a client (the wellbeing prompt).
    client: Client | None
    rank: int
    reason: str
    url: str
    action: str
    at: datetime | None = None
    # An optional POST button beside the link (e.g. "Snooze for a week").
    post_url: str = ""
    post_label: str = ""


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
        .select_related("client")
        .order_by("severity_rank", "-created_at")[:500]
    )
    by_client: dict[int, list[Alert]] = {}
    for alert in alerts:  # most urgent first, so each client's first alert leads
        by_client.setdefault(alert.client_id, []).append(alert)
    entries = []
    for group in by_client.values():
        alert, more = group[0], len(group) - 1
        reason = f"{alert.get_kind_display()}: {alert.message}"
        if more:
            reason += f" (and {more} more open alert{'s' if more > 1 else ''})"
        entries.append(
            MindEntry(
                client=alert.client,
                rank=RANK_SAFETY if alert.kind == "safety" else RANK_ALERT,
                reason=reason,
                url=reverse("measures:alert_detail", kwargs={"alert_id": alert.pk}),
                action="Review the alert",
                at=alert.created_at,
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
        .order_by("last_name", "first_name")[:100]
    )
    entries = []
    for client in clients:
        last_seen: datetime | None = client.last_seen  # type: ignore[attr-defined]
        if last_seen is None:
            reason = "Active episode with no attended session yet, and nothing booked."
        else:
            days = (now - last_seen).days
            reason = f"No session for {days} days, and nothing booked."
        entries.append(
            MindEntry(
                client=client,
                rank=RANK_DRIFTING,
                reason=reason,
                url=reverse("care:appointment_create", kwargs={"client_id": client.pk}),
                action="Book a session",
                at=last_seen,
            )
        )
    return entries


def _attended_filter() -> Any:
    from django.db.models import Q

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
    return Day(
        today=today,
        today_sessions=[s for s in sessions if s.starts_at < tomorrow_start],
        tomorrow_sessions=[s for s in sessions if s.starts_at >= tomorrow_start],
        on_my_mind=entries,
    )


def checkin_entries(user: Any, now: datetime) -> list[MindEntry]:
    """One entry per client with unseen check-ins; urgent ones rank above the rest."""
    from continuum.portal.queries import unseen_checkins

    by_client: dict[int, list[Any]] = {}
    for checkin in unseen_checkins(user):
        by_client.setdefault(checkin.client_id, []).append(checkin)
    entries = []
    for checkins in by_client.values():
        client = checkins[0].client
        urgent = [c for c in checkins if c.urgent]
        count = len(checkins)
        noun = "check-in" if count == 1 else "check-ins"
        reason = f"{count} new {noun}" + (f", {len(urgent)} marked urgent" if urgent else "")
        entries.append(
            MindEntry(
                client=client,
                rank=RANK_URGENT_CHECKIN if urgent else RANK_CHECKIN,
                reason=reason + ".",
                url=reverse("portal:client_checkins", kwargs={"client_id": client.pk}),
                action="Read and mark seen",
                at=max(c.created_at for c in checkins),
            )
        )
    return entries


def plan_entries(user: Any, now: datetime) -> list[MindEntry]:
    """Plans whose review date has come, and homework past its due date."""
    from continuum.plans.queries import overdue_homework, plan_reviews_due

    today = timezone.localtime(now).date()
    entries = [
        MindEntry(
            client=plan.client,
            rank=RANK_PLAN_REVIEW,
            reason=f"Treatment plan review due since {plan.review_date:%-d %B}.",
            url=reverse("plans:episode_plan", kwargs={"episode_id": plan.episode_id}),
            action="Review the plan",
        )
        for plan in plan_reviews_due(user, today)
    ]
    overdue: dict[int, list[Any]] = {}
    for task in overdue_homework(user, today):
        overdue.setdefault(task.client_id, []).append(task)
    for tasks in overdue.values():
        count = len(tasks)
        entries.append(
            MindEntry(
                client=tasks[0].client,
                rank=RANK_HOMEWORK,
                reason=f"{count} homework task{'s' if count > 1 else ''} past due, not reported.",
                url=reverse("plans:homework_list", kwargs={"client_id": tasks[0].client_id}),
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
