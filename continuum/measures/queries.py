"""Read models for pages: a client's measures (charts and tables), an episode's outcome.

Each function runs a fixed number of queries whatever the length of the history; the tests
pin them with assertNumQueries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from continuum.accounts.models import User
from continuum.care.access import clients_for
from continuum.care.episodes import OPEN_STATUSES, EpisodeStatus
from continuum.care.models import Appointment, AppointmentStatus, Client, Episode
from continuum.lib.contributions import DayItem, Rank
from continuum.measures import scoring
from continuum.measures.alerts import ACTIVE
from continuum.measures.charts import chart_svg, data_uri, spec_for
from continuum.measures.instruments import (
    INSTRUMENTS,
    Instrument,
    UnknownInstrument,
    get_instrument,
    goal_rating_instrument,
)
from continuum.measures.models import (
    Administration,
    AdministrationStatus,
    Alert,
    AlertKind,
    AlertResolution,
    MeasureAssignment,
)

A = AdministrationStatus

CHANGE_WORDS = {
    "improved": "a reliable improvement",
    "deteriorated": "a reliable deterioration",
    "no_change": "no reliable change",
    None: "no reliable-change rule for this measure",
}


def _instrument(admin: Administration) -> Instrument:
    inst = get_instrument(admin.instrument)
    return goal_rating_instrument(admin.goal_labels) if inst.dynamic else inst


def _local_date(moment: Any) -> date:
    return timezone.localtime(moment).date()


@dataclass
class ScoreRow:
    """One completed (or superseded) administration, as the table beside the chart shows it."""

    administration: Administration
    day: date
    total: str  # as displayed ("18", "48%"), or "—" when there is no total
    band: str
    session_number: int | None
    entered: str  # "by link" or "in session"
    superseded: bool
    change: str  # "", or "down 6 from baseline: a reliable improvement"
    # What the table shows, worked out here rather than in the template (a long table's
    # rendering was a third of the client page): the link, the date, the last column.
    url: str = ""
    day_label: str = ""
    note: str = ""


@dataclass
class MeasureSummary:
    instrument: Instrument
    rows: list[ScoreRow]
    chart: str | None  # data: URI of the SVG, None without at least one total
    baseline: ScoreRow | None
    latest: ScoreRow | None
    # Scores left out of `rows` (the oldest), when only the recent ones were asked for.
    earlier: int = 0

    @property
    def code(self) -> str:
        return self.instrument.code

    @property
    def has_rule(self) -> bool:
        """Whether the measure has a reliable-change rule (said once per measure when not)."""
        return has_change_rule(self.instrument)

    @property
    def change(self) -> float | None:
        """The latest total minus the baseline's (raw units), None without both or when the
        latest is the baseline."""
        first = self.baseline.administration if self.baseline else None
        last = self.latest.administration if self.latest else None
        if first is None or last is None or first.pk == last.pk:
            return None
        if first.total is None or last.total is None:
            return None
        return last.total - first.total

    @property
    def reliable(self) -> str | None:
        """The reliable-change code of the change since the baseline (None: no rule, or no
        change to judge)."""
        if self.change is None or self.baseline is None or self.latest is None:
            return None
        before = self.baseline.administration.total
        after = self.latest.administration.total
        assert before is not None
        assert after is not None
        return reliable_change_code(self.instrument, before, after)

    @property
    def scores(self) -> int:
        """How many scores the measure has in all (shown in `rows` or not)."""
        return len(self.rows) + self.earlier

    @property
    def chart_alt(self) -> str:
        return (
            f"Chart of {self.instrument.name} scores over time; "
            "the table below it lists the same scores."
        )


@dataclass
class ClientMeasures:
    client: Client
    measures: list[MeasureSummary] = field(default_factory=list)
    pending: list[Administration] = field(default_factory=list)
    assignments: list[MeasureAssignment] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)

    @property
    def has_any(self) -> bool:
        return bool(self.measures or self.pending or self.assignments or self.alerts)

    @property
    def overdue(self) -> int:
        return sum(1 for a in self.pending if a.is_overdue)


def moved_words(inst: Instrument, before: float, after: float) -> str:
    """'down 7', 'up 4 points' (a percentage measure), 'no change'."""
    diff = after - before
    if diff == 0:
        return "no change"
    amount = inst.display(abs(diff)).removesuffix("%")
    unit = " points" if inst.display_unit == "%" else ""
    return f"{'up' if diff > 0 else 'down'} {amount}{unit}"


def reliable_change_code(inst: Instrument, before: float, after: float) -> str | None:
    """ "improved" | "deteriorated" | "no_change", None without a rule (or a total out of
    range)."""
    try:
        return scoring.reliable_change(inst, before=before, after=after)
    except scoring.ScoringError:
        return None


def has_change_rule(inst: Instrument) -> bool:
    return scoring.reliable_change_threshold(inst) is not None


def change_words(inst: Instrument, before: float, after: float) -> str:
    """'down 7: a reliable improvement' (used by measures' pages and the plans review)."""
    change = reliable_change_code(inst, before, after)
    return f"{moved_words(inst, before, after)}: {CHANGE_WORDS[change]}"


def _row(admin: Administration, inst: Instrument, baseline: Administration | None) -> ScoreRow:
    band = inst.band(admin.band) if admin.band else None
    change = ""
    if (
        baseline is not None
        and baseline.pk != admin.pk
        and baseline.total is not None
        and admin.total is not None
        and admin.status == A.COMPLETED
    ):
        # A measure without a reliable-change rule says so once, beside its summary, not on
        # every row (issue 14: six identical rows said it).
        change = (
            change_words(inst, baseline.total, admin.total)
            if has_change_rule(inst)
            else moved_words(inst, baseline.total, admin.total)
        )
    assert admin.completed_at is not None
    superseded = admin.status == A.SUPERSEDED
    if superseded:
        note = "Corrected later"
    elif baseline is not None and baseline.pk == admin.pk:
        note = "Baseline"
    else:
        note = change
    if not admin.total and admin.reason:
        note += admin.reason
    day = _local_date(admin.completed_at)
    return ScoreRow(
        administration=admin,
        day=day,
        total=inst.display(admin.total) if admin.total is not None else "—",
        band=band.label if band else "",
        session_number=admin.session_number,
        entered=(
            "imported"
            if admin.imported
            else "by link"
            if admin.entered_by_id is None
            else "in session"
        ),
        superseded=superseded,
        change=change,
        url=reverse("measures:administration_detail", args=[admin.pk]),
        day_label=f"{day.day} {day:%b %Y}",
        note=note,
    )


# The client page shows the latest scores of each measure beside its chart; the measures page
# shows them all. A long history made the client page's table (and its rendering) grow with
# every questionnaire answered.
CLIENT_PAGE_ROWS = 6

SUMMARY_FIELDS = (
    "pk",
    "episode_id",
    "client_id",
    "instrument",
    "status",
    "due_at",
    "window_ends_at",
    "total",
    "band",
    "reason",
    "session_number",
    "entered_by_id",
    "imported",
    "completed_at",
    "goal_labels",  # read only for the rows shown, where a goal rating needs its goals
)


class _Score(NamedTuple):
    """The columns of an administration that choose what the client page shows."""

    pk: int
    instrument: str
    status: str
    episode_id: int
    due_at: datetime
    completed_at: datetime | None
    total: float | None


@dataclass
class _MeasurePlan:
    """What the client page shows of one measure, chosen from its scores' columns."""

    history: list[_Score]  # completed and superseded, oldest first
    shown: list[_Score]  # the table's rows
    asked: _Score  # the latest current score (the latest of any status without one)
    baseline: _Score | None  # the first current score of the latest episode with a total
    latest: _Score | None  # the latest current score with a total
    points: list[tuple[date, float]]  # the chart's: every current score with a total

    def pks(self) -> set[int]:
        chosen = [*self.shown, self.asked, self.baseline, self.latest]
        return {s.pk for s in chosen if s is not None}


def _measure_plan(history: list[_Score], recent: int | None) -> _MeasurePlan:
    current = [s for s in history if s.status == A.COMPLETED]
    latest_episode = max((s.episode_id for s in current if s.total is not None), default=None)
    baseline = next(
        (
            s
            for s in sorted(current, key=lambda s: (s.due_at, s.completed_at, s.pk))
            if s.episode_id == latest_episode and s.total is not None
        ),
        None,
    )
    return _MeasurePlan(
        history=history,
        shown=history if recent is None else history[-recent:],
        asked=current[-1] if current else history[-1],
        baseline=baseline,
        latest=next((s for s in reversed(current) if s.total is not None), None),
        points=[
            (_local_date(s.completed_at), s.total)
            for s in current
            if s.total is not None and s.completed_at is not None
        ],
    )


def measures_summary_for_client(
    client: Client, *, recent: int | None = CLIENT_PAGE_ROWS
) -> ClientMeasures:
    """Everything the client page shows about measures, in 5 queries (4 without any
    administration):

    1. the client's administrations, seven columns of each: enough to group them, find each
       measure's baseline and latest score and draw the charts
    2. whole rows (not their answers) of only the administrations the tables and lists show:
       building every row of a long history was the page's largest cost
    3. the client's attended appointments (chart markers)
    4. the client's active assignments (with their episodes)
    5. the client's open and acknowledged alerts, and those closed lately as no longer
       current (with the score that closed them)
    Charts come from Django's cache (keyed by their data), not the database, and plot every
    score; each table keeps the `recent` latest rows (all of them with None) and counts the
    rest in `earlier`.
    """
    scores = [
        _Score(*row)
        for row in Administration.objects.filter(client=client)
        .order_by("completed_at", "due_at", "pk")
        .values_list("pk", "instrument", "status", "episode_id", "due_at", "completed_at", "total")
    ]
    done: dict[str, list[_Score]] = defaultdict(list)
    pending_pks: list[int] = []
    for score in scores:
        if score.status == A.PENDING:
            pending_pks.append(score.pk)
        elif score.status in (A.COMPLETED, A.SUPERSEDED) and score.completed_at is not None:
            done[score.instrument].append(score)

    plans = {code: _measure_plan(history, recent) for code, history in done.items()}
    wanted = set(pending_pks)
    for plan in plans.values():
        wanted.update(plan.pks())
    rows_by_pk = (
        Administration.objects.filter(pk__in=wanted).only(*SUMMARY_FIELDS).in_bulk()
        if wanted
        else {}
    )
    markers = [
        _local_date(at)
        for at in Appointment.objects.filter(
            client=client, status=AppointmentStatus.ATTENDED
        ).values_list("starts_at", flat=True)
    ]
    assignments = list(
        MeasureAssignment.objects.filter(episode__client=client, active=True)
        .select_related("episode")
        .order_by("-created_at", "-pk")
    )
    # Active alerts, and the ones that closed themselves lately (the client's history says
    # which score closed them), in one query.
    closed_since = timezone.now() - stale_after()
    alerts = list(
        Alert.objects.filter(client=client)
        .filter(
            Q(status__in=ACTIVE)
            | Q(resolution=AlertResolution.NO_LONGER_CURRENT, resolved_at__gte=closed_since)
        )
        .select_related("closed_by_administration")
        .order_by(alert_tier(), "created_at", "pk")
    )
    pending = sorted((rows_by_pk[pk] for pk in pending_pks), key=lambda a: (a.due_at, a.pk))

    measures = []
    order = list(INSTRUMENTS)
    for code in sorted(done, key=lambda c: order.index(c) if c in order else len(order)):
        plan = plans[code]
        inst = _instrument(rows_by_pk[plan.asked.pk])
        baseline = rows_by_pk[plan.baseline.pk] if plan.baseline else None
        chart = None
        if plan.points:
            threshold = scoring.reliable_change_threshold(inst)
            spec = spec_for(
                inst,
                plan.points,
                baseline=baseline.total if baseline else None,
                rc_points=threshold.points if threshold else None,
                markers=markers,
            )
            chart = data_uri(chart_svg(spec))
        measures.append(
            MeasureSummary(
                instrument=inst,
                rows=[_row(rows_by_pk[s.pk], inst, baseline) for s in plan.shown],
                chart=chart,
                baseline=_row(baseline, inst, baseline) if baseline else None,
                latest=_row(rows_by_pk[plan.latest.pk], inst, baseline) if plan.latest else None,
                earlier=len(plan.history) - len(plan.shown),
            )
        )
    return ClientMeasures(
        client=client,
        measures=measures,
        pending=pending,
        assignments=assignments,
        alerts=alerts,
    )


# --- Episode outcome ------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureOutcome:
    """One measure over an episode: its first and latest score, the change and whether it is
    reliable ("improved" | "deteriorated" | "no_change", or None where the measure has no
    reliable-change rule). Words: measures.presenters.outcome_words."""

    instrument: Instrument
    baseline: Administration
    latest: Administration
    change: float  # latest minus baseline, in the measure's own units
    reliable: str | None

    @property
    def single(self) -> bool:
        return self.baseline.pk == self.latest.pk


# The category of an episode without PHQ-9 or GAD-7 at both ends (not an NHS category).
NOT_PAIRED = "not_paired"


@dataclass(frozen=True)
class EpisodeOutcomeSummary:
    """An episode's outcome as data: each measure's pair of scores, the number of attended
    appointments, and the NHS Talking Therapies classification (`outcome`, None when no
    outcome measure is paired; `category` is its code, or NOT_PAIRED)."""

    episode: Episode
    measures: list[MeasureOutcome]
    attended: int
    finished_treatment: bool
    outcome: scoring.EpisodeOutcome | None
    category: str


def episode_outcome(episode: Episode) -> EpisodeOutcomeSummary:
    """Baseline, latest, change and reliable change per measure, and the episode's NHS
    Talking Therapies category (from PHQ-9 and GAD-7), in 2 queries:

    1. the episode's current completed administrations with a total
    2. the count of its attended appointments ("finished treatment" = at least two)
    """
    admins = list(
        Administration.objects.filter(episode=episode, status=A.COMPLETED, total__isnull=False)
        .order_by("due_at", "completed_at", "pk")
        .only("pk", "instrument", "goal_labels", "total", "band", "due_at", "completed_at")
    )
    attended = Appointment.objects.filter(
        episode=episode, status=AppointmentStatus.ATTENDED
    ).count()
    by_code: dict[str, list[Administration]] = defaultdict(list)
    for admin in admins:
        by_code[admin.instrument].append(admin)
    order = list(INSTRUMENTS)
    measures = []
    for code in sorted(by_code, key=lambda c: order.index(c) if c in order else len(order)):
        first, last = by_code[code][0], by_code[code][-1]
        inst = _instrument(last)
        assert first.total is not None
        assert last.total is not None
        reliable = None
        try:
            reliable = scoring.reliable_change(inst, before=first.total, after=last.total)
        except scoring.ScoringError:
            reliable = None
        measures.append(MeasureOutcome(inst, first, last, last.total - first.total, reliable))

    firsts = {c: v[0].total for c, v in by_code.items() if len(v) > 1}
    lasts = {c: v[-1].total for c, v in by_code.items() if len(v) > 1}
    outcome = scoring.classify_episode(first=firsts, last=lasts)
    return EpisodeOutcomeSummary(
        episode=episode,
        measures=measures,
        attended=attended,
        finished_treatment=attended >= 2,
        outcome=outcome if outcome.paired else None,
        category=outcome.category if outcome.paired else NOT_PAIRED,
    )


# --- Alerts: what "open" means, tiers, staleness ---------------------------------------------

# Each alert kind's place in the clinical priority (lib.contributions.Rank).
ALERT_TIERS: dict[str, Rank] = {
    AlertKind.SAFETY: Rank.SAFETY,
    AlertKind.DETERIORATION: Rank.DETERIORATION,
    AlertKind.NOT_ON_TRACK: Rank.NOT_ON_TRACK,
    AlertKind.OVERDUE: Rank.ROUTINE,
}


def alert_tier() -> Case:
    """ALERT_TIERS as an SQL expression, to order alerts in the database."""
    return Case(
        *(When(kind=kind, then=Value(int(rank))) for kind, rank in ALERT_TIERS.items()),
        default=Value(int(Rank.ROUTINE)),
        output_field=IntegerField(),
    )


def open_alerts(user: User) -> QuerySet[Alert]:
    """The one meaning of "open" (docs/clinical.md, "Alerts: what open means"): the alerts of
    the user's clients that still need them, open or acknowledged (seen, not yet dealt
    with). The day, the alerts page's "Open" tab and its count, and every other count of
    open alerts read this."""
    return Alert.objects.filter(client__in=clients_for(user), status__in=ACTIVE)


def count_open_alerts(user: User) -> int:
    """How many alerts `open_alerts` holds (1 query)."""
    return open_alerts(user).count()


def stale_after() -> timedelta:
    return timedelta(days=settings.CONTINUUM_ALERT_STALE_AFTER_DAYS)


def alert_evidence_at() -> Coalesce:
    """When an alert last had evidence: a newer score that still met it or the therapist
    keeping it (`confirmed_at`), else the score that raised it, else when it was raised."""
    return Coalesce("confirmed_at", "administration__completed_at", "created_at")


def evidence_of(alert: Alert) -> datetime:
    """alert_evidence_at for one loaded alert (its administration selected with it)."""
    if alert.confirmed_at is not None:
        return alert.confirmed_at
    admin = alert.administration
    if admin is not None and admin.completed_at is not None:
        return admin.completed_at
    return alert.created_at


def stale_days(kind: str, evidence_at: datetime | None, now: datetime) -> int | None:
    """The alert's age in days when it is stale (no evidence for stale_after()), else None.
    Safety alerts are never stale: they stay until an action is recorded."""
    if kind == AlertKind.SAFETY or evidence_at is None:
        return None
    age = now - evidence_at
    return age.days if age >= stale_after() else None


# --- What measures contributes to the therapist's day ----------------------------------------


ALERT_ITEM = "measures.alert"
SAFETY_ITEM_UNANSWERED = "measures.safety_unanswered"


def alert_day_items(user: User, now: datetime) -> list[DayItem]:
    """One item per client: their most urgent open alert (`open_alerts`), and how many more
    wait (1 query). Most urgent is the highest tier (ALERT_TIERS), then the oldest.

    A client with five alerts is one person to think about, not five lines; the link goes to
    the most urgent alert and the client page lists the rest. 1 + `more` over the items is
    `count_open_alerts(user)`.
    """
    return _alert_items(open_alerts(user), now, limit=500)


def alert_items_for(clients: QuerySet[Client], now: datetime) -> list[DayItem]:
    """`alert_day_items` of `clients` (any therapist's), for the day's attention table."""
    return _alert_items(Alert.objects.filter(client__in=clients, status__in=ACTIVE), now)


def _alert_items(active: QuerySet[Alert], now: datetime, limit: int | None = None) -> list[DayItem]:
    alerts = (
        active.annotate(tier=alert_tier(), evidence_at=alert_evidence_at())
        .order_by("tier", "created_at", "pk")
        .values_list("pk", "client_id", "kind", "message", "created_at", "evidence_at")
    )
    if limit is not None:
        alerts = alerts[:limit]
    by_client: dict[int, list[tuple[int, int, str, str, datetime, datetime]]] = {}
    for alert in alerts:  # most urgent first, so each client's first alert leads
        by_client.setdefault(alert[1], []).append(alert)
    items = []
    for group in by_client.values():
        (pk, client_id, kind, message, created_at, evidence_at), more = group[0], len(group) - 1
        items.append(
            DayItem(
                kind=ALERT_ITEM,
                client_id=client_id,
                rank=ALERT_TIERS[kind],
                at=created_at,
                ref=pk,
                facts={
                    "alert_kind": kind,
                    "message": message,
                    "more": more,
                    "stale_days": stale_days(kind, evidence_at, now),
                },
            )
        )
    return items


def unanswered_safety_items(user: User) -> QuerySet[Administration]:
    """The user's clients' latest current scores of a measure whose safety item was left
    blank, not answered by a later score nor dismissed, in an open episode (or follow-up)."""
    return unanswered_safety_items_of(clients_for(user))


def unanswered_safety_items_of(clients: QuerySet[Client]) -> QuerySet[Administration]:
    """`unanswered_safety_items` of `clients` (any therapist's)."""
    later = Administration.objects.filter(
        client_id=OuterRef("client_id"),
        instrument=OuterRef("instrument"),
        status=A.COMPLETED,
    ).filter(
        Q(due_at__gt=OuterRef("due_at"))
        | Q(due_at=OuterRef("due_at"), completed_at__gt=OuterRef("completed_at"))
        | Q(due_at=OuterRef("due_at"), completed_at=OuterRef("completed_at"), pk__gt=OuterRef("pk"))
    )
    return (
        Administration.objects.filter(
            # Only completed answers are scored, so only they can have a blank safety item;
            # no status term here, so that the planner takes the small partial index
            # `administration_safety_blank` rather than the status index.
            client__in=clients,
            safety_unanswered=True,
            safety_prompt_dismissed_at__isnull=True,
            episode__status__in=[str(s) for s in (*OPEN_STATUSES, EpisodeStatus.FOLLOW_UP)],
        )
        .exclude(Exists(later))
        .order_by("completed_at", "pk")
    )


def safety_prompt_day_items(user: User, now: datetime) -> list[DayItem]:
    """Tier 2: "ask PHQ-9 item 9 at the next contact", one per blank safety item (1 query)."""
    return safety_prompt_items_for(clients_for(user), now)


def safety_prompt_items_for(clients: QuerySet[Client], now: datetime) -> list[DayItem]:
    """`safety_prompt_day_items` of `clients`, for the day's attention table."""
    items = []
    for pk, client_id, code, completed_at in unanswered_safety_items_of(clients).values_list(
        "pk", "client_id", "instrument", "completed_at"
    ):
        inst = get_instrument(code)
        items.append(
            DayItem(
                kind=SAFETY_ITEM_UNANSWERED,
                client_id=client_id,
                rank=Rank.SAFETY_UNANSWERED,
                at=completed_at,
                ref=pk,
                facts={"instrument": code, "items": [i.key for i in inst.safety_items]},
            )
        )
    return items


# --- Scores as data (the JSON API) -------------------------------------------------------------


@dataclass(frozen=True)
class ScoreFact:
    """A completed administration with its band and its change from the episode's baseline
    (the first completed one of the same instrument in the episode)."""

    administration: Administration
    baseline_id: int | None
    change: float | None  # after minus before, raw totals
    reliable_change: str | None  # scoring.reliable_change: improved / deteriorated / no_change


def score_facts(admins: list[Administration]) -> list[ScoreFact]:
    """`admins` (completed or superseded) with baselines and reliable change: one query."""
    keys = {(a.episode_id, a.instrument) for a in admins}
    baselines: dict[tuple[int, str], Administration] = {}
    if keys:
        candidates = (
            Administration.objects.filter(
                episode_id__in={k[0] for k in keys},
                instrument__in={k[1] for k in keys},
                status__in=(A.COMPLETED, A.SUPERSEDED),
                total__isnull=False,
            )
            .order_by("completed_at", "pk")
            .only("pk", "episode_id", "instrument", "total", "completed_at")
        )
        for c in candidates:
            baselines.setdefault((c.episode_id, c.instrument), c)
    facts = []
    for admin in admins:
        base = baselines.get((admin.episode_id, admin.instrument))
        change: float | None = None
        verdict: str | None = None
        if base is not None and base.pk != admin.pk and admin.total is not None:
            assert base.total is not None
            change = admin.total - base.total
            try:
                verdict = scoring.reliable_change(
                    _instrument(admin), before=base.total, after=admin.total
                )
            except (scoring.ScoringError, UnknownInstrument):
                verdict = None
        facts.append(ScoreFact(admin, base.pk if base is not None else None, change, verdict))
    return facts


# --- Scores since a date (an intervention's review) ------------------------------------------


@dataclass(frozen=True)
class ScoresSince:
    """One measure's scores since a date, and the change from where it stood then: the last
    score on or before the date (or, without one, the first after it) to the latest. Goal
    ratings are left out (one score per goal, not a total to compare)."""

    instrument: str
    name: str
    baseline_id: int
    baseline_on: date
    baseline: float
    scores: list[tuple[int, date, float]]  # (administration id, local date, total) since
    change: float  # latest minus baseline, in raw units
    reliable: str | None  # "improved" | "deteriorated" | "no_change" | None (no rule)

    @property
    def latest(self) -> float:
        return self.scores[-1][2] if self.scores else self.baseline

    def as_stored(self) -> dict[str, Any]:
        """Ids, codes and numbers: what a review stores of the scores it was made against."""
        return {
            "instrument": self.instrument,
            "baseline_id": self.baseline_id,
            "baseline_on": self.baseline_on.isoformat(),
            "baseline": self.baseline,
            "scores": [[pk, on.isoformat(), total] for pk, on, total in self.scores],
            "change": self.change,
            "reliable": self.reliable,
        }


def scores_since(episode: Episode, since: date) -> list[ScoresSince]:
    """Each measure's scores of `episode` completed on or after `since` (local dates), with
    the change from where it stood at `since`, in catalogue order. 1 query."""
    admins = (
        Administration.objects.filter(episode=episode, status=A.COMPLETED, total__isnull=False)
        .exclude(instrument="goal_rating")
        .order_by("completed_at", "pk")
        .values_list("pk", "instrument", "total", "completed_at")
    )
    before: dict[str, tuple[int, date, float]] = {}
    after: dict[str, list[tuple[int, date, float]]] = defaultdict(list)
    for pk, code, total, completed_at in admins:
        if total is None:  # filtered above; the type does not know
            continue
        day = _local_date(completed_at)
        if day < since:
            before[code] = (pk, day, total)
        else:
            after[code].append((pk, day, total))
    order = list(INSTRUMENTS)
    out = []
    for code in sorted(after, key=lambda c: order.index(c) if c in order else len(order)):
        scores = after[code]
        base = before.get(code) or scores[0]
        if base is scores[0]:
            scores = scores[1:]
        latest = scores[-1][2] if scores else base[2]
        try:
            reliable = scoring.reliable_change(code, before=base[2], after=latest)
        except scoring.ScoringError:
            reliable = None
        out.append(
            ScoresSince(
                instrument=code,
                name=get_instrument(code).name,
                baseline_id=base[0],
                baseline_on=base[1],
                baseline=base[2],
                scores=scores,
                change=latest - base[2],
                reliable=reliable,
            )
        )
    return out
