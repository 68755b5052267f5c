"""Read models for the portal and for the therapist's view of check-ins.

Each function runs a fixed number of queries, whatever the length of the history.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.apps import apps
from django.db.models import Case, Count, IntegerField, Max, Min, Q, QuerySet, Value, When
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from continuum.accounts.models import User
from continuum.boundaries.queries import NewFromTherapist, new_from_therapist
from continuum.care.access import clients_for
from continuum.care.models import Appointment, AppointmentStatus, Client
from continuum.lib.contributions import DayItem, Rank
from continuum.measures.instruments import (
    Instrument,
    UnknownInstrument,
    get_instrument,
    goal_rating_instrument,
)
from continuum.measures.models import Administration, AdministrationStatus
from continuum.portal import charts, timing
from continuum.portal.models import SCALE_MAX, SCALE_MIN, CheckIn, PortalSettings
from continuum.portal.services import settings_for

SPARKLINE_POINTS = 30


def optional_url(name: str) -> str | None:
    """The URL of a route another app adds later (plans' homework), or None until it exists."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


# --- The client's home page -------------------------------------------------------------------


@dataclass
class PortalHome:
    client: Client
    settings: PortalSettings
    next_appointment: Appointment | None
    last_checkin: CheckIn | None
    checkin_due: bool
    next_checkin_day: date | None
    questionnaires: list[Administration]
    homework: list[Any]  # plans.Homework rows still to report, soonest due first
    homework_url: str | None
    # The therapist's messages the client has not opened yet (boundaries).
    new_messages: NewFromTherapist

    @property
    def checkins_on(self) -> bool:
        return self.settings.checkin_cadence != "none"

    @property
    def nothing_due(self) -> bool:
        return not (self.checkin_due or self.questionnaires or self.homework)


HOMEWORK_SHOWN = 5


def open_homework(client: Client) -> list[Any]:
    """The first HOMEWORK_SHOWN tasks the client has yet to report, soonest due first (1 query;
    none without the plans app)."""
    if not apps.is_installed("continuum.plans"):
        return []
    from continuum.plans.models import Homework, HomeworkStatus

    return list(
        Homework.objects.filter(client=client, status=HomeworkStatus.ASSIGNED).order_by(
            "due_date", "pk"
        )[:HOMEWORK_SHOWN]
    )


def portal_home(client: Client, now: datetime | None = None) -> PortalHome:
    """What the client's home shows, in 5 queries (the client and its portal settings come
    loaded by `portal_client_required`):

    1. the next scheduled appointment
    2. the latest check-in
    3. the questionnaires due now (pending administrations whose due time has come)
    4. the homework still to report (the plans app's tasks)
    5. the therapist's messages the client has not opened yet
    Dates are the current time zone's (the client's, activated by the decorator).
    """
    now = now or timezone.now()
    portal = settings_for(client)
    next_appointment = (
        Appointment.objects.filter(
            client=client, status=AppointmentStatus.SCHEDULED, starts_at__gte=now
        )
        .order_by("starts_at")
        .first()
    )
    last = CheckIn.objects.filter(client=client).order_by("-created_at", "-pk").first()
    questionnaires = list(
        Administration.objects.filter(
            client=client, status=AdministrationStatus.PENDING, due_at__lte=now
        ).order_by("due_at", "pk")
    )
    today = timezone.localtime(now).date()
    last_day = _local_day(last.created_at) if last else None
    return PortalHome(
        client=client,
        settings=portal,
        next_appointment=next_appointment,
        last_checkin=last,
        checkin_due=timing.checkin_due(portal.checkin_cadence, last_day, today),
        next_checkin_day=timing.next_checkin_day(portal.checkin_cadence, last_day, today),
        questionnaires=questionnaires,
        homework=open_homework(client),
        homework_url=optional_url("plans:portal_homework"),
        new_messages=new_from_therapist(client),
    )


# --- The client's progress --------------------------------------------------------------------


@dataclass
class ProgressRow:
    day: date
    score: str  # as a person reads it ("12", "48%")
    band: str  # the band in plain words ("Moderate"), or ""
    total: float | None = None  # the raw total, for the change since the first score


@dataclass
class ProgressMeasure:
    instrument: Instrument
    rows: list[ProgressRow]  # oldest first
    chart: str | None  # data: URI, None without at least one score

    @property
    def chart_alt(self) -> str:
        return f"Chart of your {self.instrument.name} scores; the table lists the same scores."

    @property
    def first(self) -> ProgressRow | None:
        return self.rows[0] if self.rows else None

    @property
    def latest(self) -> ProgressRow | None:
        return self.rows[-1] if self.rows else None


def _instrument(admin: Administration) -> Instrument | None:
    try:
        inst = get_instrument(admin.instrument)
    except UnknownInstrument:
        return None
    return goal_rating_instrument(admin.goal_labels) if inst.dynamic else inst


def client_progress(client: Client, shared: list[str]) -> list[ProgressMeasure]:
    """The scores of the measures the therapist shares, in 1 query (none when nothing is
    shared): completed administrations of those instruments, oldest first. No reliable-change
    bands, caseness lines or alerts: those are the therapist's."""
    if not shared:
        return []
    admins = Administration.objects.filter(
        client=client,
        status=AdministrationStatus.COMPLETED,
        instrument__in=shared,
        total__isnull=False,
    ).order_by("completed_at", "pk")
    by_code: dict[str, list[Administration]] = defaultdict(list)
    for admin in admins:
        by_code[admin.instrument].append(admin)
    measures = []
    for code in sorted(by_code, key=shared.index):
        history = by_code[code]
        inst = _instrument(history[-1])
        if inst is None:
            continue
        rows, points = [], []
        for admin in history:
            if admin.total is None or admin.completed_at is None:
                continue
            band = inst.band(admin.band) if admin.band else None
            day = _local_day(admin.completed_at)
            rows.append(
                ProgressRow(day, inst.display(admin.total), band.label if band else "", admin.total)
            )
            points.append((day, admin.total * float(inst.factor)))
        svg = charts.progress_svg(
            points,
            y_min=inst.min_total * float(inst.factor),
            y_max=inst.max_total * float(inst.factor),
            title=f"Your {inst.name} scores over time",
            unit=inst.display_unit,
        )
        measures.append(ProgressMeasure(inst, rows, charts.data_uri(svg)))
    return measures


# --- Check-ins for the therapist --------------------------------------------------------------


def mood_sparkline(moods: list[int]) -> str | None:
    """A data: URI of the mood line (oldest first), None with fewer than two check-ins."""
    if len(moods) < 2:
        return None
    svg = charts.sparkline_svg(
        moods, y_min=SCALE_MIN, y_max=SCALE_MAX, title="Mood over the last check-ins (0 to 10)"
    )
    return charts.data_uri(svg)


@dataclass
class CheckinDigest:
    """Check-ins of one client since a moment, for the pre-session brief.

    checkins: every check-in since, oldest first (`note` is decrypted text: show it only to
        the client's therapist);
    urgent: those the client marked urgent, oldest first;
    unseen: how many the therapist has not marked seen;
    moods: the mood scores, oldest first; mood_change: last minus first (None with < 2);
    sparkline: a data: URI of the mood line, or None with fewer than two check-ins.
    """

    checkins: list[CheckIn] = field(default_factory=list)
    urgent: list[CheckIn] = field(default_factory=list)
    unseen: int = 0
    moods: list[int] = field(default_factory=list)
    mood_change: int | None = None
    sparkline: str | None = None

    @property
    def has_any(self) -> bool:
        return bool(self.checkins)


def checkins_since(client: Client, since: datetime | None) -> CheckinDigest:
    """The client's check-ins made after `since` (all of them for None), in 1 query.

    Returns a CheckinDigest (see its docstring). The caller has already checked that the
    user may read this client (care.access.get_client_for).
    """
    rows = CheckIn.objects.filter(client=client)
    if since is not None:
        rows = rows.filter(created_at__gt=since)
    checkins = list(rows.order_by("created_at", "pk"))
    moods = [c.mood for c in checkins]
    return CheckinDigest(
        checkins=checkins,
        urgent=[c for c in checkins if c.urgent],
        unseen=sum(1 for c in checkins if c.seen_at is None),
        moods=moods,
        mood_change=moods[-1] - moods[0] if len(moods) > 1 else None,
        sparkline=mood_sparkline(moods[-SPARKLINE_POINTS:]),
    )


def unseen_checkins_query(user: User) -> QuerySet[CheckIn]:
    """Check-ins `user`'s clients wrote that `user` has not marked seen (only clients `user`
    treats). The day counts them per client; `unseen_checkins` lists them."""
    return CheckIn.objects.filter(client__in=clients_for(user), seen_at__isnull=True)


def unseen_checkins(user: User) -> list[CheckIn]:
    """Check-ins the user's clients wrote that the user has not marked seen, in 1 query.

    Returns CheckIn rows with `client` loaded: urgent ones first, then the newest first.
    Only clients `user` treats (care.access.clients_for); none for anyone else.
    """
    return list(
        unseen_checkins_query(user)
        .select_related("client")
        .annotate(
            urgent_rank=Case(
                When(urgent=True, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("urgent_rank", "-created_at", "-pk")
    )


def recent_moods(client: Client) -> list[int]:
    """The moods of the last SPARKLINE_POINTS check-ins, oldest first, in 1 query."""
    rows = list(
        CheckIn.objects.filter(client=client)
        .order_by("-created_at", "-pk")
        .values_list("mood", flat=True)[:SPARKLINE_POINTS]
    )
    return rows[::-1]


def unseen_count(client: Client) -> int:
    """How many of the client's check-ins the therapist has not marked seen, in 1 query."""
    return CheckIn.objects.filter(client=client, seen_at__isnull=True).count()


# --- What the portal contributes to the therapist's day --------------------------------------

CHECKINS_ITEM = "portal.checkins"


def checkin_day_items(user: User, now: datetime) -> list[DayItem]:
    """One item per client with unseen check-ins; urgent ones rank above the rest. One query,
    counted per client in SQL (the check-ins' encrypted notes are not read)."""
    return checkin_items_for(clients_for(user), now)


def checkin_items_for(clients: QuerySet[Client], now: datetime) -> list[DayItem]:
    """`checkin_day_items` of `clients` (any therapist's), for the day's attention table."""
    rows = (
        CheckIn.objects.filter(client__in=clients, seen_at__isnull=True)
        .order_by()
        .values("client_id")
        .annotate(
            count=Count("pk"),
            n_urgent=Count("pk", filter=Q(urgent=True)),
            oldest=Min("created_at"),
            oldest_urgent=Min("created_at", filter=Q(urgent=True)),
            latest=Max("created_at"),
        )
        .values_list("client_id", "count", "n_urgent", "oldest", "oldest_urgent", "latest")
    )
    return [
        DayItem(
            kind=CHECKINS_ITEM,
            client_id=client_id,
            rank=Rank.SAFETY if urgent else Rank.ROUTINE,
            # Raised by the oldest check-in not yet read (the oldest urgent one for an urgent
            # line): it has waited longest (docs/clinical.md, "Check-ins on the day"). The
            # newest one's time is a fact of the line.
            at=oldest_urgent if urgent else oldest,
            ref=client_id,
            facts={"count": count, "urgent": urgent, "latest": latest},
        )
        for client_id, count, urgent, oldest, oldest_urgent, latest in rows
    ]
