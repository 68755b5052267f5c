"""Reading the therapist's load: a fixed number of queries, whatever the caseload's size.

The rows become `load.Session`s in the therapist's own time zone (weeks are theirs, not the
server's), and the plain-Python functions in load.py do the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import Avg, Count, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from continuum.accounts.models import Practice, User
from continuum.care.models import Appointment, AppointmentStatus, Client
from continuum.measures.models import Alert, AlertKind
from continuum.measures.queries import open_alerts
from continuum.wellbeing import charts, load
from continuum.wellbeing.models import SessionWeight, WellbeingSettings

# The owner's aggregate covers the last few complete weeks (never the current one, which would
# let someone guess who worked today).
AGGREGATE_WEEKS = 4


def zone_of(user: User) -> ZoneInfo:
    return ZoneInfo(user.time_zone or "UTC")


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def settings_for(user: User) -> WellbeingSettings:
    """The user's settings, or unsaved defaults (reading a page never writes a row)."""
    found = WellbeingSettings.objects.filter(therapist=user).first()
    return found if found is not None else WellbeingSettings(therapist=user)


def thresholds_of(s: WellbeingSettings) -> load.Thresholds:
    return load.Thresholds(
        weekly_hours_limit=int(s.weekly_hours_limit),
        average_weight=float(s.weight_threshold),
        weeks_running=int(s.weeks_running),
        heavy_sessions=int(s.heavy_sessions_per_week),
    )


def _weight_of_mine(user: User) -> Subquery:
    return Subquery(
        SessionWeight.objects.filter(therapist=user, appointment=OuterRef("pk")).values("weight")[
            :1
        ]
    )


def _attended(user: User, start: datetime, end: datetime) -> Any:
    """The attended sessions the user held in [start, end), each with `my_weight` (or None).
    The user's own appointments, whoever treats the client now: the hours were theirs."""
    return (
        Appointment.objects.filter(
            therapist=user,
            status=AppointmentStatus.ATTENDED,
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .annotate(my_weight=_weight_of_mine(user))
        .order_by("starts_at", "pk")
    )


def attended_sessions(user: User, start: datetime, end: datetime) -> list[Appointment]:
    """The attended sessions the user held in [start, end), each with `my_weight` (or None)
    and its client, for the load page's list of this week. One query (a name shows only while
    the client is still the user's own)."""
    return list(_attended(user, start, end).select_related("client"))


def session_loads(user: User, start: datetime, end: datetime, zone: ZoneInfo) -> list[load.Session]:
    """The same sessions as plain `load.Session`s, for the day's prompt and the digest. One
    query reading three columns: the prompt runs on every visit to the day, and building
    twelve weeks of full Appointment objects was its largest cost."""
    rows = _attended(user, start, end).values_list("starts_at", "duration_minutes", "my_weight")
    return [
        load.Session(start=starts_at.astimezone(zone), minutes=minutes, weight=weight)
        for starts_at, minutes, weight in rows
    ]


def as_sessions(appointments: list[Appointment], zone: ZoneInfo) -> list[load.Session]:
    return [
        load.Session(
            start=a.starts_at.astimezone(zone),
            minutes=a.duration_minutes,
            weight=getattr(a, "my_weight", None),
        )
        for a in appointments
    ]


def handled_alerts(user: User, start: datetime, zone: ZoneInfo) -> list[tuple[int, date]]:
    """(alert id, local day) for each acknowledgement or resolution by the user since start."""
    rows = Alert.objects.filter(
        Q(acknowledged_by=user, acknowledged_at__gte=start)
        | Q(resolved_by=user, resolved_at__gte=start)
    ).values_list("pk", "acknowledged_by_id", "acknowledged_at", "resolved_by_id", "resolved_at")
    events = []
    for pk, ack_by, ack_at, res_by, res_at in rows:
        if ack_by == user.pk and ack_at is not None and ack_at >= start:
            events.append((pk, ack_at.astimezone(zone).date()))
        if res_by == user.pk and res_at is not None and res_at >= start:
            events.append((pk, res_at.astimezone(zone).date()))
    return events


@dataclass
class ClientsNeedingThought:
    safety: list[Client] = field(default_factory=list)
    not_on_track: list[Client] = field(default_factory=list)
    deteriorating: list[Client] = field(default_factory=list)


def open_alert_clients(user: User) -> ClientsNeedingThought:
    """The user's current clients with open alerts (measures.queries.open_alerts: acknowledged
    ones too), by kind. One query."""
    kinds = {
        AlertKind.SAFETY: "safety",
        AlertKind.NOT_ON_TRACK: "not_on_track",
        AlertKind.DETERIORATION: "deteriorating",
    }
    alerts = (
        open_alerts(user)
        .filter(kind__in=kinds)
        .select_related("client")
        .order_by("client__last_name", "client__first_name", "client_id")[:1000]
    )
    found = ClientsNeedingThought()
    seen: set[tuple[str, int]] = set()
    for alert in alerts:
        key = (kinds[AlertKind(alert.kind)], alert.client_id)
        if key not in seen:
            seen.add(key)
            getattr(found, key[0]).append(alert.client)
    return found


# --- The load page ------------------------------------------------------------------------------


@dataclass
class WeekRow:
    week: load.Week
    over_limit: bool
    weight_high: bool


@dataclass
class ChartImage:
    title: str
    uri: str
    alt: str


@dataclass
class LoadPage:
    today: date
    settings: WellbeingSettings
    thresholds: load.Thresholds
    weeks: list[WeekRow]
    this_week: load.Week
    this_week_sessions: list[Appointment]
    totals: load.Totals
    clients: ClientsNeedingThought
    sentences: list[str]
    prompt: load.Prompt | None
    snoozed: bool
    charts: list[ChartImage]


def build_load_page(user: User, now: datetime | None = None) -> LoadPage:
    """Everything /me/load/ shows. Four queries: settings, sessions, alerts handled, open alerts."""
    now = now or timezone.now()
    zone = zone_of(user)
    today = now.astimezone(zone).date()
    s = settings_for(user)
    t = thresholds_of(s)
    starts = load.week_starts(today, int(settings.WELLBEING_WEEKS_SHOWN))
    start = local_midnight(starts[0], zone)
    end = local_midnight(starts[-1] + timedelta(days=7), zone)
    appointments = attended_sessions(user, start, end)
    sessions = as_sessions(appointments, zone)
    weeks = load.weekly(sessions, starts, handled_alerts(user, start, zone))
    this_monday = starts[-1]
    this_week_sessions = [
        a for a in appointments if a.starts_at.astimezone(zone).date() >= this_monday
    ]
    rows = [
        WeekRow(w, load.over_limit(w, t.weekly_hours_limit), load.weight_high(w, t.average_weight))
        for w in weeks
    ]
    return LoadPage(
        today=today,
        settings=s,
        thresholds=t,
        weeks=rows,
        this_week=weeks[-1],
        this_week_sessions=this_week_sessions,
        totals=load.totals(weeks),
        clients=open_alert_clients(user),
        sentences=load.what_stands_out(sessions, weeks, t, today),
        prompt=load.prompt_for(weeks, t),
        snoozed=s.is_snoozed(now),
        charts=load_charts(weeks, t),
    )


def _label(day: date) -> str:
    return f"{day.day} {day:%b}"


def load_charts(weeks: list[load.Week], t: load.Thresholds) -> list[ChartImage]:
    labels = [_label(w.start) for w in weeks]
    first, last = labels[0], labels[-1]
    span = f"weeks from {first} to {last}"
    hours = charts.BarChart(
        title="Hours worked per week",
        bars=charts.bars(
            labels,
            [w.hours for w in weeks],
            [load.over_limit(w, t.weekly_hours_limit) for w in weeks],
        ),
        y_max=float(t.weekly_hours_limit) * 1.2,
        line=float(t.weekly_hours_limit),
        line_label=f"your limit, {t.weekly_hours_limit} h",
        unit=" h",
    )
    sessions = charts.BarChart(
        title="Sessions per week",
        bars=charts.bars(labels, [float(w.sessions) for w in weeks], [False] * len(weeks)),
        y_max=10.0,
    )
    weight = charts.BarChart(
        title="Average session weight per week (1 light, 5 very heavy)",
        bars=charts.bars(
            labels,
            [w.average_weight for w in weeks],
            [load.weight_high(w, t.average_weight) for w in weeks],
        ),
        y_max=5.0,
        line=t.average_weight,
        line_label=f"your threshold, {t.average_weight:.1f}",
    )
    return [
        ChartImage(
            "Hours worked per week",
            charts.chart_uri(hours),
            f"Bar chart of hours worked per week, {span}, against your limit of "
            f"{t.weekly_hours_limit} hours. The table below lists the numbers.",
        ),
        ChartImage(
            "Sessions per week",
            charts.chart_uri(sessions),
            f"Bar chart of sessions per week, {span}. The table below lists the numbers.",
        ),
        ChartImage(
            "Average session weight per week (1 light, 5 very heavy)",
            charts.chart_uri(weight),
            f"Bar chart of the average session weight per week, {span}, against your "
            f"threshold of {t.average_weight:.1f}. The table below lists the numbers.",
        ),
    ]


# --- The day-view prompt ------------------------------------------------------------------------


def prompt_for_user(user: User, now: datetime) -> tuple[WellbeingSettings, load.Prompt | None]:
    """Whether load stays high for the user now, over the load page's weeks. Three queries
    (one when prompts are off or snoozed): the settings, then prompt_weeks."""
    s = settings_for(user)
    if not s.prompts_enabled or s.is_snoozed(now):
        return s, None
    t = thresholds_of(s)
    zone = zone_of(user)
    today = now.astimezone(zone).date()
    # The load page's weeks, so that both say the same ("heavy for five weeks running").
    starts = load.week_starts(today, max(int(settings.WELLBEING_WEEKS_SHOWN), t.weeks_running + 1))
    return s, load.prompt_for(prompt_weeks(user, starts, zone), t)


# The prompt's completed weeks are kept in the shared cache: past weeks hardly change, and
# adding up twelve weeks of sessions on every visit to the day was most of the prompt's cost
# (docs/performance.md). Rating a session forgets them (services.rate_session); an attendance
# corrected for a past week reaches the prompt within PAST_WEEKS_SECONDS. The load page always
# reads every week afresh.
PAST_WEEKS_SECONDS = 600


def _past_weeks_key(user: User) -> str:
    return f"wellbeing:past-weeks:{user.pk}"


def forget_kept_load(user: User) -> None:
    """After an action of the user's that changes their load or how it is judged (rating a
    session, their settings, snoozing): the next visit to the day asks afresh."""
    cache.delete_many([_past_weeks_key(user), _prompt_key(user)])


# The day's prompt itself is kept for PROMPT_SECONDS. It speaks of weeks ("heavy for two weeks
# running"), and asking it on every visit to the day (three queries and twelve weeks of
# sessions added up) was the largest part of the page after the clinical list (issue 13,
# docs/performance.md). The user's own actions forget it at once (forget_kept_load); a
# session attended, and the end of a snooze, reach it within PROMPT_SECONDS; a new day asks
# afresh. The load page always reads every week.
PROMPT_SECONDS = 300


def _prompt_key(user: User) -> str:
    return f"wellbeing:prompt:{user.pk}"


def day_prompt(user: User, now: datetime) -> load.Prompt | None:
    """`prompt_for_user`'s prompt, kept for PROMPT_SECONDS (never past the end of a snooze):
    one query while it is kept."""
    zone = zone_of(user)
    stamp = (timezone.localtime(now, zone).date().isoformat(), zone.key)
    found = cache.get(_prompt_key(user))
    if isinstance(found, dict) and found.get("stamp") == stamp:
        kept: load.Prompt | None = found["prompt"]
        return kept
    s, prompt = prompt_for_user(user, now)
    seconds = PROMPT_SECONDS
    if s.snooze_until is not None and s.snooze_until > now:
        seconds = max(1, min(seconds, int((s.snooze_until - now).total_seconds()) + 1))
    cache.set(_prompt_key(user), {"stamp": stamp, "prompt": prompt}, seconds)
    return prompt


def prompt_weeks(user: User, starts: list[date], zone: ZoneInfo) -> list[load.Week]:
    """One Week per Monday in `starts` (the last is this week): this week's from the
    database, the earlier ones from the cache when it holds those very weeks. Two queries
    (the cache, this week's sessions); two more and a cache write when the cache misses."""
    past_starts, this_monday = starts[:-1], starts[-1]
    stamp = (starts[0], this_monday, zone.key)
    found = cache.get(_past_weeks_key(user))
    if isinstance(found, dict) and found.get("stamp") == stamp:
        past: list[load.Week] = found["weeks"]
    else:
        sessions = session_loads(
            user, local_midnight(starts[0], zone), local_midnight(this_monday, zone), zone
        )
        past = load.weekly(sessions, past_starts)
        cache.set(_past_weeks_key(user), {"stamp": stamp, "weeks": past}, PAST_WEEKS_SECONDS)
    this_week = session_loads(
        user,
        local_midnight(this_monday, zone),
        local_midnight(this_monday + timedelta(days=7), zone),
        zone,
    )
    return past + load.weekly(this_week, [this_monday])


# --- The digest ---------------------------------------------------------------------------------


@dataclass
class Digest:
    week: load.Week
    limit: int
    question: str

    @property
    def over_limit(self) -> bool:
        return load.over_limit(self.week, self.limit)


def last_complete_week(user: User, now: datetime) -> date:
    """The Monday of the last complete week in the user's time zone."""
    today = now.astimezone(zone_of(user)).date()
    return load.week_start(today) - timedelta(weeks=1)


def digest_for(user: User, monday: date, s: WellbeingSettings) -> Digest:
    """The week in numbers: counts only, never a name or a word anyone wrote. Two queries."""
    zone = zone_of(user)
    start = local_midnight(monday, zone)
    end = local_midnight(monday + timedelta(days=7), zone)
    sessions = session_loads(user, start, end, zone)
    week = load.weekly(sessions, [monday], handled_alerts(user, start, zone))[0]
    return Digest(
        week=week,
        limit=int(s.weekly_hours_limit),
        question=load.reflection_question(monday),
    )


# --- The owner's anonymous aggregate ------------------------------------------------------------


@dataclass
class PracticeAggregate:
    opted_in: int
    floor: int
    weeks: int
    first_day: date | None = None
    last_day: date | None = None
    average_weight: float | None = None
    heavy_share: float | None = None  # percent of rated sessions
    average_hours: float | None = None  # per therapist per week

    @property
    def shown(self) -> bool:
        return self.opted_in >= self.floor

    @property
    def floor_in_words(self) -> str:
        return load.count_word(self.floor)


def practice_aggregate(practice: Practice, now: datetime | None = None) -> PracticeAggregate:
    """Practice-wide numbers over therapists who chose to share, only when enough did.

    Three queries when shown (who opted in, sessions, weights), one when not.
    """
    now = now or timezone.now()
    floor = int(settings.WELLBEING_AGGREGATE_FLOOR)
    opted = list(
        WellbeingSettings.objects.filter(
            share_anonymous_aggregates=True,
            therapist__is_active=True,
            therapist__membership__practice=practice,
            therapist__membership__is_active=True,
            therapist__membership__is_clinical=True,
        ).values_list("therapist_id", flat=True)
    )
    result = PracticeAggregate(opted_in=len(opted), floor=floor, weeks=AGGREGATE_WEEKS)
    if not result.shown:
        return result
    zone = ZoneInfo(practice.time_zone or "UTC")
    this_monday = load.week_start(now.astimezone(zone).date())
    first = this_monday - timedelta(weeks=AGGREGATE_WEEKS)
    start, end = local_midnight(first, zone), local_midnight(this_monday, zone)
    attended = Appointment.objects.filter(
        therapist_id__in=opted,
        status=AppointmentStatus.ATTENDED,
        starts_at__gte=start,
        starts_at__lt=end,
    )
    # The floor applies to the therapists whose data is in each figure (issue 18): five who
    # share but one who held sessions would make the "average" that one person's numbers.
    hours = attended.aggregate(
        total=Sum("duration_minutes"), contributors=Count("therapist_id", distinct=True)
    )
    minutes = hours["total"] or 0
    weights = SessionWeight.objects.filter(
        therapist_id__in=opted,
        appointment__therapist_id__in=opted,
        appointment__status=AppointmentStatus.ATTENDED,
        appointment__starts_at__gte=start,
        appointment__starts_at__lt=end,
    ).aggregate(
        average=Avg("weight"),
        rated=Count("pk"),
        heavy=Count("pk", filter=Q(weight__gte=load.HEAVY_WEIGHT)),
        raters=Count("therapist_id", distinct=True),
    )
    result.first_day, result.last_day = first, this_monday - timedelta(days=1)
    if hours["contributors"] >= floor:
        result.average_hours = minutes / 60 / AGGREGATE_WEEKS / len(opted)
    if weights["rated"] and weights["raters"] >= floor:
        result.average_weight = float(weights["average"])
        result.heavy_share = 100 * weights["heavy"] / weights["rated"]
    return result
