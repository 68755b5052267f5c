"""Score histories for the demo practice: measures assigned at intake, answered over therapy.

For every course of treatment (an episode that got past referral) this plans, in order:

1. **Assignments** (stream "measures"): PHQ-9 and GAD-7 from the first session, every session
   or, for some clients seen fortnightly, fortnightly; WHO-5 monthly for some clients, CORE-10
   monthly for a few, session feedback after every session for about half. A schedule runs
   for at most a year (services.MAX_SCHEDULE_DAYS), so long courses are assigned again before
   the previous schedule ends; a finished course's schedules were stopped when it ended.
2. **Occasions**: the administrations the live app would have made for those schedules
   (services.py: one per appointment for every-session schedules, one per planned date
   otherwise) and which of them were answered, when and how: most by a one-time link a little
   before the session, some entered by the therapist in session, a few skipped. Statuses
   follow the live rules: a later completion of the same schedule expires earlier unanswered
   ones, the every-session sync withdraws those of cancelled, missed or past sessions, a
   stopped schedule withdraws what was pending, and what is left is pending (overdue once its
   window has passed, with the overdue alert `raise_overdue_alerts` would have raised).
3. **Scores** (stream "scores"): a trajectory per course (see `Trajectory`) gives a target
   total at each occasion, with noise; item answers are drawn to add up to the target (each
   0-3 for PHQ-9; PHQ-9 item 9 is 0 except on a safety occasion, and blank at one client's
   latest PHQ-9, which the day then asks the therapist to ask), scored with
   `scoring.score` and stored by the service's own `store_score`.
4. **Alerts** (stream "alerts"): the live rules of measures/alerts.py replayed over the
   completions in order: safety per occasion, and `alerts.score_alerts` (reliable
   deterioration from the baseline, not on track against the shipped default curves), each
   held back while an earlier one of the same episode and measure is still active; built by
   `alerts.new_alert` with `alerts.alert_cause` and the alerts' own sentences, so the app never
   raises one of them again. Then what the therapist did with each (acknowledged, resolved,
   the action recorded for a safety alert), through the alerts' transition check; and, as
   `alerts.close_no_longer_current` does live, a later score that no longer meets a
   deterioration or not-on-track alert closes it as no longer current (one that still meets
   it is its new evidence), so no alert is older than its evidence.

5. **Goal ratings** (streams "goal-ratings" and "goal-scores"), planned after the treatment
   plans (between.py): each plan version, once published, is given a monthly `goal_rating`
   of its active goals, worded as the plan words them (what the assign form offers from
   plans.queries.active_goal_statements); a new version stops the previous version's
   schedule and starts its own. Answers are settled by the same rules as above, and each
   goal's rating rises from a low start over the sessions, with noise, by the client's
   trajectory (goals that end achieved end high). No rating falls far enough below the
   episode's first to be a reliable deterioration, so they raise no alert.

Nothing here touches the database: the builder writes the rows (builder.STEPS). Causes name
the administration's id, which exists only once the administrations are written, so they hold
OCCASION until `fill_alert_causes` runs just before the alerts are inserted.

One-time link nonces are secrets (tokens.new_nonce), never drawn from the seed: the seed of
the demo is public. Everything else is deterministic per seed.
"""

from __future__ import annotations

import copy
import math
import random
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo

from continuum.care.episodes import OPEN_STATUSES, EpisodeStatus
from continuum.care.models import Appointment, AppointmentStatus
from continuum.demo import content
from continuum.demo.history import (
    ClientHistory,
    Course,
    RatedGoals,
    SafetyEvent,
    ScorePlan,
    Trajectory,
)
from continuum.measures import scoring, tokens, trajectories
from continuum.measures.alerts import (
    alert_cause,
    new_alert,
    overdue_message,
    safety_message,
    score_alerts,
)
from continuum.measures.instruments import Instrument, get_instrument, goal_rating_instrument
from continuum.measures.models import (
    Administration,
    AdministrationStatus,
    Alert,
    AlertKind,
    AlertResolution,
    AlertStatus,
    Cadence,
    MeasureAssignment,
    SafetyAction,
    check_administration_transition,
    check_alert_transition,
)
from continuum.measures.services import (
    SESSION_WINDOW,
    WINDOW,
    dated_due_at,
    planned_dates,
    store_score,
)
from continuum.plans.models import GoalStatus, TreatmentPlan

A = AdministrationStatus
LONDON = ZoneInfo(content.PRACTICE_TIME_ZONE)  # the demo therapists' time zone
OCCASION = "{occasion}"  # stands for the administration's id in a cause until it is known

# --- The practice's mix --------------------------------------------------------------------


# Shares of treated clients (those past referral), dealt as a shuffled deck by the builder.
TRAJECTORY_WEIGHTS: dict[Trajectory, int] = {
    Trajectory.IMPROVING: 62,
    Trajectory.FLAT: 20,
    Trajectory.DETERIORATING: 10,
    Trajectory.LATE: 8,
}
SAFETY_SHARE = 0.075  # of all clients: 3 of the default 40 answer PHQ-9 item 9 above 0
RECENT_SAFETY_SHARE = 1 / 3  # of those, answered at their latest PHQ-9: the alert is open
OVERDUE_SHARE = 0.05  # of all clients (at least 2): a monthly measure not completed in time
MIN_OVERDUE = 2


# --- Rates and scales ------------------------------------------------------------------------

FORTNIGHTLY_RATE = 0.5  # clients seen fortnightly whose PHQ-9 / GAD-7 run on dates instead
WHO5_RATE = 0.3
CORE10_RATE = 0.1
FEEDBACK_RATE = 0.5
IN_SESSION_CLIENT_RATE = 0.15  # clients who mostly fill the questionnaires in at the session
SKIP_RATE = 0.07  # questionnaires not answered (never the first)
FEEDBACK_SKIP_RATE = 0.2
FEEDBACK_DIP_RATE = 0.07  # sessions rated below 7
MISSING_ITEM_RATE = 0.015  # one item left blank (the total is prorated)
SESSION_SCHEDULE_DAYS = 364  # every-session schedules are assigned for a year at a time
DATED_SCHEDULE_DAYS = 181  # fortnightly and monthly ones for 26 weeks
RENEW_AHEAD_DAYS = 6  # a new schedule is assigned up to this many days before it starts

# Mean intake totals by the client's main theme (PHQ-9, GAD-7).
PHQ9_INTAKE = {
    "low_mood": 17,
    "grief": 15,
    "worry": 11,
    "panic": 10,
    "work_stress": 13,
    "relationships": 13,
    "sleep": 12,
    "trauma": 15,
}
GAD7_INTAKE = {
    "low_mood": 10,
    "grief": 9,
    "worry": 15,
    "panic": 15,
    "work_stress": 12,
    "relationships": 10,
    "sleep": 10,
    "trauma": 13,
}
# Intake ranges by trajectory: improving clients start at caseness, deteriorating ones low
# enough to rise reliably.
PHQ9_RANGE = {
    Trajectory.IMPROVING: (9, 24),
    Trajectory.LATE: (10, 24),
    Trajectory.FLAT: (6, 22),
    Trajectory.DETERIORATING: (5, 13),
}
GAD7_RANGE = {
    Trajectory.IMPROVING: (6, 21),
    Trajectory.LATE: (8, 21),
    Trajectory.FLAT: (4, 19),
    Trajectory.DETERIORATING: (4, 12),
}
NOISE = {"phq9": 1.4, "gad7": 1.2, "core10": 1.8, "who5": 0.9}
# Higher PHQ-9 items are more often endorsed (tiredness, sleep) than others (slowed/restless).
PHQ9_ITEM_WEIGHTS = {"1": 3, "2": 3, "3": 3, "4": 4, "5": 2, "6": 3, "7": 2, "8": 1}
POOL_SIZE = 12  # answer patterns kept per (instrument, total, safety answer)


# --- Time ------------------------------------------------------------------------------------


@cache
def _due_at(day: date) -> datetime:
    """A date-based questionnaire's due time (the service's rule), in UTC."""
    return dated_due_at(day, content.PRACTICE_TIME_ZONE).astimezone(UTC)


def _local_date(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def _minutes(rng: random.Random, low: int, high: int) -> timedelta:
    return timedelta(minutes=rng.randint(low, max(low, high)))


def _awake(moment: datetime, rng: random.Random, *, earlier: bool) -> datetime:
    """A time someone would answer or act at: one in the night (23:00 to 07:00 London time)
    moves to the evening before (`earlier`) or to the next morning."""
    local = moment.astimezone(LONDON)
    if 7 <= local.hour < 23:
        return moment
    day = local.date()
    if earlier:
        day -= timedelta(days=1 if local.hour < 7 else 0)
        wall = time(rng.randint(19, 22), rng.randint(0, 59))
    else:
        day += timedelta(days=1 if local.hour >= 23 else 0)
        wall = time(rng.randint(7, 8), rng.randint(0, 59))
    return datetime.combine(day, wall, tzinfo=LONDON).astimezone(UTC)


def _seconds(moment: datetime) -> datetime:
    """Whole seconds: a link token carries its issue time in seconds (services.issue_link)."""
    return moment.replace(microsecond=0)


# --- Trajectories ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """A course's scores relative to intake, by sessions received so far (0 at intake)."""

    kind: Trajectory
    floor: float = 1.0  # improving: where the decay levels off (share of the intake score)
    tau: float = 1.0  # sessions for the gap above the floor to shrink to 37%
    rise: float = 0.0  # deteriorating: the eventual rise (share of the intake score)
    drift: float = 0.0  # flat: a small change over twenty sessions
    flat_for: int = 0  # late responders: sessions before the change starts

    def factor(self, k: int) -> float:
        if self.kind == Trajectory.FLAT:
            return 1 + self.drift * min(k, 20) / 20
        if self.kind == Trajectory.DETERIORATING:
            return 1 + self.rise * (1 - math.exp(-k / self.tau))
        if self.kind == Trajectory.LATE:
            if k < self.flat_for:
                return 1.0
            k -= self.flat_for
        return self.floor + (1 - self.floor) * math.exp(-k / self.tau)


def draw_shape(rng: random.Random, kind: Trajectory, phq9_intake: int, sessions: int) -> Shape:
    if kind == Trajectory.IMPROVING:
        return Shape(kind, floor=rng.uniform(0.15, 0.45), tau=rng.uniform(1.5, 9.0))
    if kind == Trajectory.LATE:
        flat_for = min(rng.randint(6, 10), max(3, sessions - 6))
        return Shape(
            kind, floor=rng.uniform(0.2, 0.45), tau=rng.uniform(2.0, 5.0), flat_for=flat_for
        )
    if kind == Trajectory.DETERIORATING:
        points = rng.uniform(7.5, 11.0)  # PHQ-9 points: more than the 6 of a reliable change
        return Shape(kind, rise=points / max(phq9_intake, 1), tau=rng.uniform(2.0, 6.0))
    return Shape(kind, drift=rng.uniform(-0.12, 0.08))


@dataclass(frozen=True)
class Intake:
    """A course's intake levels: PHQ-9, GAD-7, CORE-10 totals and WHO-5 (raw 0-25)."""

    phq9: int
    gad7: int
    core10: int
    who5: int


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def draw_intake(rng: random.Random, kind: Trajectory, theme: str) -> Intake:
    phq9 = _clamp(rng.gauss(PHQ9_INTAKE.get(theme, 13), 3.5), *PHQ9_RANGE[kind])
    gad7 = _clamp(rng.gauss(GAD7_INTAKE.get(theme, 11), 3.0), *GAD7_RANGE[kind])
    core10 = _clamp(phq9 * 1.2 + 2 + rng.gauss(0, 2.5), 8, 34)
    who5 = _clamp(25 - phq9 * 0.8 + rng.gauss(0, 1.5), 2, 20)
    return Intake(phq9, gad7, core10, who5)


def target_total(code: str, intake: Intake, shape: Shape, k: int, rng: random.Random) -> float:
    """The total the client is heading for at this occasion, before item answers."""
    r = shape.factor(k)
    if code == "who5":  # higher is better: the gap below 25 shrinks as the client improves
        return 25 - (25 - intake.who5) * r + rng.gauss(0, NOISE["who5"])
    level = {"phq9": intake.phq9, "gad7": intake.gad7, "core10": intake.core10}[code]
    return level * r + rng.gauss(0, NOISE[code])


# --- Item answers --------------------------------------------------------------------------------


@cache
def _instrument(code: str) -> Instrument:
    return get_instrument(code)


@cache
def answer_pool(code: str, total: int, safety_value: int) -> tuple[tuple[int, ...], ...]:
    """Answer patterns (option values in item order) whose scored items add up to `total`.

    Safety items are answered `safety_value` (PHQ-9 item 9; CORE-10 item 6 is always 0
    here); the others share the rest, each within its range, more often on the items people
    endorse more. Reverse-scored items (CORE-10 2 and 3) store the value that gives the score.
    PHQ-9's unscored difficulty question follows the total. Patterns come from their own
    seeded stream, so the pool is the same whatever order it is asked for in.
    """
    inst = _instrument(code)
    rng = random.Random(f"demo-answers:{code}:{total}:{safety_value}")
    free = [i for i in inst.scored_items if not i.safety]
    fixed = {i.key: (safety_value if code == "phq9" else 0) for i in inst.scored_items if i.safety}
    left = total - sum(fixed.values())
    if left < 0 or left > sum(i.max_score for i in free):
        raise ValueError(f"{code}: no answers add up to {total}")
    weights = [PHQ9_ITEM_WEIGHTS.get(i.key, 1) if code == "phq9" else 1 for i in free]
    patterns = []
    for _ in range(POOL_SIZE):
        scores = dict.fromkeys((i.key for i in free), 0)
        room = {i.key: i.max_score for i in free}
        for _unit in range(left):
            open_items = [n for n, i in enumerate(free) if scores[i.key] < room[i.key]]
            pick = rng.choices(open_items, weights=[weights[n] for n in open_items])[0]
            scores[free[pick].key] += 1
        scores.update(fixed)
        values = []
        for item in inst.items:
            if not item.scored:  # PHQ-9 difficulty: 0 to 3, more difficult at higher totals
                values.append(_clamp(total / 7 + rng.uniform(-0.6, 0.6), 0, 3))
                continue
            option = next(o for o in item.options if o.score == scores[item.key])
            values.append(option.value)
        patterns.append(tuple(values))
    return tuple(patterns)


@cache
def _item_keys(code: str) -> tuple[str, ...]:
    return tuple(i.key for i in _instrument(code).items)


@cache
def _score(code: str, values: tuple[int | None, ...]) -> scoring.Score:
    return scoring.score(code, dict(zip(_item_keys(code), values, strict=True)))


@cache
def max_total(code: str, safety_value: int = 0) -> int:
    """The highest total reachable with the safety items answered `safety_value`."""
    inst = _instrument(code)
    top = sum(i.max_score for i in inst.scored_items if not i.safety)
    return top + (safety_value if code == "phq9" else 0)


def draw_answers(
    code: str, target: float, rng: random.Random, *, safety_value: int = 0
) -> tuple[int | None, ...]:
    total = _clamp(target, safety_value, max_total(code, safety_value))
    pattern: tuple[int | None, ...] = rng.choice(answer_pool(code, total, safety_value))
    if code != "who5" and rng.random() < MISSING_ITEM_RATE:  # WHO-5 allows none missing
        inst = _instrument(code)
        blanks = [n for n, i in enumerate(inst.items) if i.scored and not i.safety]
        blank = rng.choice(blanks)
        pattern = tuple(None if n == blank else v for n, v in enumerate(pattern))
    return pattern


def feedback_answers(rng: random.Random, mean: float) -> tuple[int | None, ...]:
    """Session feedback: four 0-10 ratings around the client's usual level, or a dip."""
    centre = rng.uniform(4.5, 6.5) if rng.random() < FEEDBACK_DIP_RATE else mean
    return tuple(_clamp(rng.gauss(centre, 0.7), 0, 10) for _ in range(4))


# --- The live alert rules, replayed --------------------------------------------------------------


@cache
def _default_curves() -> trajectories.Curves:
    return trajectories.default_curves()


@cache
def _score_alerts(
    code: str, baseline: float, session: int | None, total: float
) -> list[tuple[AlertKind, str]]:
    """alerts.score_alerts against the shipped default curves (cached: a large practice asks
    the same question many times)."""
    return score_alerts(_instrument(code), baseline, total, session, _default_curves())


def fill_alert_causes(alerts: Sequence[Alert]) -> None:
    """Put the (now saved) administration's id into each cause: "safety:phq9:123"."""
    for alert in alerts:
        if alert.administration is None or alert.administration.pk is None:
            raise LookupError("the administrations are saved before their alerts")
        alert.cause = alert.cause.replace(OCCASION, str(alert.administration.pk))


# --- Planning one client -----------------------------------------------------------------------


@dataclass
class Occasion:
    """One administration and how it went."""

    admin: Administration
    course: Course
    assignment: MeasureAssignment
    appointment: Appointment | None = None
    completes_at: datetime | None = None  # when it was (or would be) answered
    in_session: bool = False
    forced_overdue: bool = False


@dataclass
class _Client:
    """What the steps below share for one client."""

    history: ClientHistory
    plan: ScorePlan
    rng: random.Random  # "measures": assignments and who answered when
    score_rng: random.Random
    alert_rng: random.Random
    in_session_rate: float
    feedback_mean: float
    cadences: dict[str, str]  # instrument → cadence
    assignments: list[MeasureAssignment] = field(default_factory=list)
    administrations: list[Administration] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    # Deterioration and not-on-track alerts raised so far, across courses: a later score that
    # no longer meets one closes it (alerts.close_no_longer_current).
    score_alerts: list[_Raised] = field(default_factory=list)
    # id() of an assignment → the unused row its administrations are copied from
    templates: dict[int, Administration] = field(default_factory=dict)


def plan_measures(history: ClientHistory) -> None:
    """Plan the client's assignments, administrations and alerts onto the history."""
    plan = history.score_plan
    history.assignments, history.alerts = [], []
    history.alerted_administrations, history.administrations = [], []
    if plan is None:
        return
    rng = history.rng("measures")
    cadences = {"phq9": Cadence.EVERY_SESSION.value, "gad7": Cadence.EVERY_SESSION.value}
    if not history.profile.weekly and rng.random() < FORTNIGHTLY_RATE:
        cadences = {"phq9": Cadence.FORTNIGHTLY.value, "gad7": Cadence.FORTNIGHTLY.value}
    if rng.random() < WHO5_RATE or plan.overdue:
        cadences["who5"] = Cadence.MONTHLY.value
    if rng.random() < CORE10_RATE:
        cadences["core10"] = Cadence.MONTHLY.value
    if rng.random() < FEEDBACK_RATE:
        cadences["session_feedback"] = Cadence.EVERY_SESSION.value
    state = _Client(
        history=history,
        plan=plan,
        rng=rng,
        score_rng=history.rng("scores"),
        alert_rng=history.rng("alerts"),
        in_session_rate=0.6 if rng.random() < IN_SESSION_CLIENT_RATE else 0.05,
        feedback_mean=rng.uniform(8.2, 9.6),
        cadences=cadences,
    )
    for index, course in enumerate(history.courses):
        if course.episode.status == EpisodeStatus.REFERRAL:
            continue
        latest = index == len(history.courses) - 1
        _plan_course(state, course, latest=latest)
    history.assignments = state.assignments
    history.in_session_rate = state.in_session_rate
    alerted = {id(alert.administration) for alert in state.alerts}
    alerted |= {id(a.closed_by_administration) for a in state.alerts if a.closed_by_administration}
    history.alerted_administrations = [a for a in state.administrations if id(a) in alerted]
    history.administrations = [a for a in state.administrations if id(a) not in alerted]
    history.alerts = state.alerts


def _finished_at(course: Course, now: datetime) -> datetime | None:
    """When a finished course ended (its schedules were stopped then); None while open."""
    episode = course.episode
    if episode.status not in (EpisodeStatus.ENDED, EpisodeStatus.CLOSED):
        return None
    assert episode.end_date is not None
    return min(datetime.combine(episode.end_date, time(17), tzinfo=LONDON).astimezone(UTC), now)


def _plan_course(state: _Client, course: Course, *, latest: bool) -> None:
    history = state.history
    now = history.now
    sessions = [a for a in history.appointments if a.episode is course.episode]
    if not sessions or sessions[0].starts_at > now:
        return
    finished = _finished_at(course, now)
    occasions: dict[str, list[Occasion]] = {}
    for code, cadence in state.cadences.items():
        occasions[code] = _plan_instrument(state, course, sessions, code, cadence, finished)
    if latest and state.plan.overdue and "who5" in occasions and finished is None:
        _force_overdue(occasions["who5"], now)
    for code_occasions in occasions.values():
        _settle(state, code_occasions, finished)
    attended_ends = sorted(a.ends_at for a in sessions if a.status == AppointmentStatus.ATTENDED)
    attended_starts = sorted(
        a.starts_at for a in sessions if a.status == AppointmentStatus.ATTENDED
    )
    trajectory = state.plan.trajectory if latest else Trajectory.IMPROVING
    intake = draw_intake(state.score_rng, trajectory, history.profile.theme.key)
    shape = draw_shape(state.score_rng, trajectory, intake.phq9, len(attended_starts))
    safety = _safety_occasions(state, occasions.get("phq9", []), latest=latest)
    blank_item_9 = _unanswered_occasion(state, occasions.get("phq9", []), latest=latest)
    for code, code_occasions in occasions.items():
        done = [o for o in code_occasions if o.admin.status == A.COMPLETED]
        for occasion in done:
            assert occasion.completes_at is not None
            k = bisect_right(attended_ends, occasion.completes_at)
            occasion.admin.session_number = bisect_right(attended_starts, occasion.completes_at)
            if code == "session_feedback":
                values = feedback_answers(state.score_rng, state.feedback_mean)
            else:
                target = target_total(code, intake, shape, k, state.score_rng)
                item9 = safety.get(id(occasion), 0)
                if item9:
                    target += state.score_rng.randint(2, 5)  # a bad week
                values = draw_answers(code, target, state.score_rng, safety_value=item9)
                if id(occasion) == blank_item_9:
                    values = tuple(
                        None if key == "9" else v
                        for key, v in zip(_item_keys(code), values, strict=True)
                    )
            _store_score(occasion.admin, code, values)
        _replay_alerts(state, course, code, done, finished)
    for code_occasions in occasions.values():
        state.administrations += [o.admin for o in code_occasions]


def _periods(first: date, last: date, days: int, today: date) -> list[tuple[date, date]]:
    """Back-to-back schedules from the first session to the last booked one; each is assigned
    up to RENEW_AHEAD_DAYS before it starts, so none starts later than that from today."""
    periods: list[tuple[date, date]] = []
    start = first
    while start <= last and (not periods or start - timedelta(days=RENEW_AHEAD_DAYS) <= today):
        end = start + timedelta(days=days)
        periods.append((start, end))
        start = end + timedelta(days=1)
    return periods


def _plan_instrument(
    state: _Client,
    course: Course,
    sessions: list[Appointment],
    code: str,
    cadence: str,
    finished: datetime | None,
) -> list[Occasion]:
    history, rng, now = state.history, state.rng, state.history.now
    episode = course.episode
    inst = _instrument(code)
    first_day = _local_date(sessions[0].starts_at)
    last_day = _local_date(sessions[-1].starts_at)
    every_session = cadence == Cadence.EVERY_SESSION
    days = SESSION_SCHEDULE_DAYS if every_session else DATED_SCHEDULE_DAYS
    occasions: list[Occasion] = []
    previous_created: datetime | None = None
    for starts_on, ends_on in _periods(first_day, last_day, days, history.today):
        if previous_created is None:  # assigned at intake, a few days before the assessment
            created = sessions[0].starts_at - _minutes(rng, 24 * 60, 96 * 60)
            created = max(_awake(created, rng, earlier=True), episode.created_at)
        else:
            before = starts_on - timedelta(days=rng.randint(0, RENEW_AHEAD_DAYS))
            created = datetime.combine(
                before, time(rng.randint(9, 17), rng.choice((0, 15, 30, 45))), tzinfo=LONDON
            ).astimezone(UTC)
            created = max(min(created, now), previous_created)
        previous_created = created
        stopped = finished if finished is not None and ends_on >= _local_date(finished) else None
        assignment = MeasureAssignment(
            episode=episode,
            instrument=code,
            cadence=cadence,
            starts_on=starts_on,
            ends_on=ends_on,
            active=stopped is None,
            created_by=history.therapist,
            created_at=created,
            stopped_at=stopped,
        )
        state.assignments.append(assignment)
        if every_session:
            for appointment in sessions:
                if not starts_on <= _local_date(appointment.starts_at) <= ends_on:
                    continue
                due = appointment.starts_at
                occasion = Occasion(
                    _administration(
                        state,
                        assignment,
                        inst,
                        due,
                        due + SESSION_WINDOW,
                        max(created, appointment.created_at),
                        appointment,
                    ),
                    course,
                    assignment,
                    appointment=appointment,
                )
                _plan_session_answer(state, occasion, code, first=not occasions)
                occasions.append(occasion)
        else:
            for day in planned_dates(cadence, starts_on, ends_on):
                due = _due_at(day)
                occasion = Occasion(
                    _administration(state, assignment, inst, due, due + WINDOW, created),
                    course,
                    assignment,
                )
                _plan_dated_answer(state, occasion, sessions, first=not occasions)
                occasions.append(occasion)
    return occasions


def _administration(
    state: _Client,
    assignment: MeasureAssignment,
    inst: Instrument,
    due: datetime,
    window_ends: datetime,
    created: datetime,
    appointment: Appointment | None = None,
) -> Administration:
    """A pending administration of `assignment`, copied from one unused row per schedule:
    a model's __init__ costs about four copies, and a large practice plans hundreds of
    thousands of these. Mutable values (answers, goal labels) are never shared."""
    template = state.templates.get(id(assignment))
    if template is None:
        template = Administration(
            episode=assignment.episode,
            client=state.history.require_client(),
            assignment=assignment,
            instrument=inst.code,
            instrument_version=inst.version,
            status=A.PENDING,
            due_at=due,
            window_ends_at=window_ends,
            created_at=created,
        )
        state.templates[id(assignment)] = template
    admin = copy.copy(template)
    admin.answers, admin.goal_labels = {}, []
    admin.due_at, admin.window_ends_at = due, window_ends
    admin.created_at = min(created, state.history.now)
    if appointment is not None:
        admin.appointment = appointment
    return admin


def _plan_session_answer(state: _Client, occasion: Occasion, code: str, *, first: bool) -> None:
    """Every-session schedules: answered by link before the session (session feedback after
    it), or in session; never for a cancelled or missed one."""
    rng = state.rng
    appointment = occasion.appointment
    assert appointment is not None
    if appointment.status in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW):
        return
    earliest = occasion.admin.created_at + timedelta(minutes=15)
    if code == "session_feedback":
        if rng.random() < FEEDBACK_SKIP_RATE:
            return
        when = _awake(appointment.ends_at + _minutes(rng, 10, 20 * 60), rng, earlier=False)
        occasion.completes_at = min(when, occasion.admin.window_ends_at)
        return
    if not first and (state.plan.first_only or rng.random() < SKIP_RATE):
        return
    if appointment.status == AppointmentStatus.ATTENDED and rng.random() < state.in_session_rate:
        occasion.in_session = True
        occasion.completes_at = appointment.starts_at + _minutes(rng, 3, 15)
        return
    when = _awake(appointment.starts_at - _minutes(rng, 20, 20 * 60), rng, earlier=True)
    occasion.completes_at = min(max(when, earliest), appointment.starts_at - timedelta(minutes=5))


def _plan_dated_answer(
    state: _Client, occasion: Occasion, sessions: list[Appointment], *, first: bool
) -> None:
    """Date-based schedules: answered before the first session in the window (or in it), or
    by link on another day of the window."""
    rng = state.rng
    admin = occasion.admin
    if not first and (state.plan.first_only or rng.random() < SKIP_RATE):
        return
    starts = [a.starts_at for a in sessions]
    at = bisect_left(starts, admin.due_at)
    session = None
    if at < len(sessions) and sessions[at].starts_at < admin.window_ends_at:
        candidate = sessions[at]
        if candidate.status in (AppointmentStatus.ATTENDED, AppointmentStatus.SCHEDULED):
            session = candidate
    if session is not None:
        if session.status == AppointmentStatus.ATTENDED and rng.random() < state.in_session_rate:
            occasion.in_session = True
            occasion.completes_at = session.starts_at + _minutes(rng, 3, 15)
            return
        morning = admin.due_at + timedelta(hours=7)  # due at midnight; answered after 07:00
        room = int((session.starts_at - morning).total_seconds() // 60) - 5
        when = session.starts_at - _minutes(rng, 10, min(20 * 60, room))
        when = _awake(when, rng, earlier=True)
        occasion.completes_at = max(when, min(morning, session.starts_at))
        return
    occasion.completes_at = _answered_in_window(admin, rng)


def _answered_in_window(admin: Administration, rng: random.Random) -> datetime:
    """By link on some day of a date-based questionnaire's window, at a waking hour."""
    when = _awake(admin.due_at + _minutes(rng, 6 * 60, 6 * 24 * 60), rng, earlier=False)
    return min(when, admin.window_ends_at - timedelta(hours=2))  # by 22:00 on its last day


def _force_overdue(occasions: list[Occasion], now: datetime) -> None:
    """The latest questionnaire whose window has passed, and every later one, unanswered."""
    past = [o for o in occasions if o.admin.window_ends_at < now]
    if not past:
        return
    target = past[-1]
    target.forced_overdue = True
    for occasion in occasions[occasions.index(target) :]:
        occasion.completes_at = None
        occasion.in_session = False


def _settle(state: _Client, occasions: list[Occasion], finished: datetime | None) -> None:
    """Statuses by the live rules, latest first (a later completion expires earlier ones)."""
    rng, now = state.rng, state.history.now
    later_done: set[int] = set()  # assignments with a later completed administration
    for occasion in reversed(occasions):
        admin, assignment = occasion.admin, occasion.assignment
        stopped_at = assignment.stopped_at
        done_at = occasion.completes_at
        if done_at is not None and (done_at > now or (stopped_at and done_at >= stopped_at)):
            done_at = None
        if (
            done_at is None
            and occasion.appointment is None
            and not occasion.forced_overdue
            and admin.window_ends_at < (stopped_at or now)
            and id(assignment) not in later_done
        ):
            # Keep overdue questionnaires to the chosen few: this one was answered late.
            done_at = _answered_in_window(admin, rng)
            occasion.completes_at, occasion.in_session = done_at, False
        if done_at is not None:
            _complete(state, occasion, done_at)
            later_done.add(id(assignment))
            continue
        occasion.completes_at = None
        if id(assignment) in later_done or stopped_at is not None:
            # expired by a later completion, or withdrawn by a stop
            admin.status = check_administration_transition(admin.status, A.EXPIRED)
        elif occasion.appointment is not None and (
            occasion.appointment.status != AppointmentStatus.SCHEDULED
        ):
            # withdrawn by the every-session sync
            admin.status = check_administration_transition(admin.status, A.EXPIRED)
        else:
            admin.status = A.PENDING
            _issue_pending_link(state, occasion)
            # raise_overdue_alerts: past its window, in an open episode
            if admin.window_ends_at < now and occasion.course.episode.status in OPEN_STATUSES:
                _overdue_alert(state, occasion)


def _complete(state: _Client, occasion: Occasion, done_at: datetime) -> None:
    admin = occasion.admin
    admin.status = check_administration_transition(admin.status, A.COMPLETED)
    admin.completed_at = done_at
    if occasion.in_session:
        admin.entered_by = state.history.therapist
        return
    # By link: issued some hours before it was answered, used once.
    issued = _awake(done_at - _minutes(state.rng, 30, 48 * 60), state.rng, earlier=True)
    admin.link_issued_at = _seconds(min(max(issued, admin.created_at), done_at))
    admin.token_nonce = tokens.new_nonce()
    admin.token_used_at = done_at


def _issue_pending_link(state: _Client, occasion: Occasion) -> None:
    """The link of a questionnaire due now or next, sent by the therapist (still working
    unless it has outlived tokens.link_lifetime)."""
    admin, now = occasion.admin, state.history.now
    if occasion.appointment is not None:
        upcoming = admin.due_at - now
        if upcoming > timedelta(days=7):
            return
        issued = _awake(now - _minutes(state.rng, 60, 48 * 60), state.rng, earlier=True)
    elif admin.due_at <= now:
        issued = admin.due_at + _minutes(state.rng, 8 * 60, 20 * 60)
    else:
        return
    admin.link_issued_at = _seconds(min(max(issued, admin.created_at), now))
    admin.token_nonce = tokens.new_nonce()


def _overdue_alert(state: _Client, occasion: Occasion) -> None:
    """The alert raise_overdue_alerts raised the day the window passed (still open)."""
    admin = occasion.admin
    raised = admin.window_ends_at + _minutes(state.rng, 30, 20 * 60)
    inst = _instrument(admin.instrument)
    state.alerts.append(
        _alert(
            state,
            occasion,
            AlertKind.OVERDUE,
            alert_cause(AlertKind.OVERDUE, OCCASION),
            overdue_message(inst.name, admin.due_at, admin.window_ends_at, LONDON),
            min(raised, state.history.now),
        )
    )


def _safety_occasions(state: _Client, phq9: list[Occasion], *, latest: bool) -> dict[int, int]:
    """The PHQ-9 occasions (by id()) with item 9 above 0, and the answer given."""
    event = state.plan.safety
    done = [o for o in phq9 if o.admin.status == A.COMPLETED]
    if event in (None, SafetyEvent.UNANSWERED) or not latest or len(done) < 2:
        return {}
    rng = state.score_rng
    value = 1 if rng.random() < 0.8 else 2
    if event == SafetyEvent.RECENT:
        return {id(done[-1]): value}
    index = rng.randint(1, max(1, len(done) - 2))
    chosen = {id(done[index]): value}
    if index + 1 < len(done) - 1 and rng.random() < 0.3:
        chosen[id(done[index + 1])] = 1  # still there the next time
    return chosen


def _unanswered_occasion(state: _Client, phq9: list[Occasion], *, latest: bool) -> int | None:
    """The PHQ-9 occasion (by id()) whose item 9 was left blank: the latest, for the one
    client whose plan says so (the day then asks the therapist to ask it)."""
    done = [o for o in phq9 if o.admin.status == A.COMPLETED]
    if state.plan.safety != SafetyEvent.UNANSWERED or not latest or not done:
        return None
    return id(done[-1])


def _store_score(admin: Administration, code: str, values: tuple[int | None, ...]) -> None:
    """The answers and the engine's verdict, stored by the service's own store_score."""
    store_score(admin, dict(zip(_item_keys(code), values, strict=True)), _score(code, values))


@dataclass
class _Raised:
    alert: Alert

    def active_at(self, moment: datetime) -> bool:
        resolved = self.alert.resolved_at
        return self.alert.created_at <= moment and (resolved is None or resolved > moment)


def _replay_alerts(
    state: _Client,
    course: Course,
    code: str,
    done: list[Occasion],
    finished: datetime | None,
) -> None:
    """alerts.evaluate for each completion in order, with the alerts' later fate decided."""
    inst = _instrument(code)
    done = sorted(done, key=lambda o: (o.admin.completed_at, o.admin.due_at))
    baseline: Administration | None = None
    last: dict[str, _Raised] = {}
    for occasion in done:
        admin = occasion.admin
        assert admin.completed_at is not None
        when = admin.completed_at
        if admin.safety:
            recent = state.plan.safety == SafetyEvent.RECENT and occasion is _last_safety(done)
            state.alerts.append(
                _alert(
                    state,
                    occasion,
                    AlertKind.SAFETY,
                    alert_cause(AlertKind.SAFETY, OCCASION, code),
                    safety_message(inst, admin.answers),
                    when,
                    finished=finished,
                    keep_open=recent,
                )
            )
        if admin.total is None:
            continue
        if baseline is None:
            baseline = admin
            continue
        assert baseline.total is not None
        kinds = _score_alerts(code, baseline.total, admin.session_number, admin.total)
        _settle_score_alerts(state, occasion, {str(k) for k, _ in kinds})
        for kind, message in kinds:
            previous = last.get(kind)
            if previous is not None and previous.active_at(when):
                continue
            alert = _alert(
                state,
                occasion,
                kind,
                alert_cause(kind, OCCASION, code),
                message,
                when,
                finished=finished,
            )
            last[kind] = _Raised(alert)
            state.alerts.append(alert)
            state.score_alerts.append(last[kind])


def _settle_score_alerts(state: _Client, occasion: Occasion, met: set[str]) -> None:
    """alerts.close_no_longer_current at this score: the client's deterioration and
    not-on-track alerts of its measure still active now close as no longer current unless the
    score still meets them (then it is their new evidence)."""
    admin = occasion.admin
    when = admin.completed_at
    assert when is not None
    for raised in state.score_alerts:
        alert = raised.alert
        earlier = alert.administration
        if earlier is None or earlier is admin or earlier.instrument != admin.instrument:
            continue
        if not raised.active_at(when):
            continue
        if alert.kind in met:
            alert.confirmed_at = when
            continue
        # What the therapist had done by then stands; what they would have done later, not.
        seen = alert.acknowledged_at is not None and alert.acknowledged_at <= when
        if not seen:
            alert.acknowledged_by, alert.acknowledged_at = None, None
        alert.status = check_alert_transition(
            AlertStatus.ACKNOWLEDGED if seen else AlertStatus.OPEN, AlertStatus.RESOLVED
        )
        alert.resolution = AlertResolution.NO_LONGER_CURRENT
        alert.resolved_by, alert.resolved_at = None, when
        alert.closed_by_administration = admin


def _last_safety(done: list[Occasion]) -> Occasion | None:
    flagged = [o for o in done if o.admin.safety]
    return flagged[-1] if flagged else None


SAFETY_ACTION_WEIGHTS = {
    SafetyAction.CONTACTED_CLIENT: 50,
    SafetyAction.SAFETY_PLAN_REVIEWED: 40,
    SafetyAction.EMERGENCY_SERVICES: 2,
    SafetyAction.OTHER: 8,
}


def _alert(
    state: _Client,
    occasion: Occasion,
    kind: AlertKind,
    cause: str,
    message: str,
    created: datetime,
    *,
    finished: datetime | None = None,
    keep_open: bool = False,
) -> Alert:
    """An alert as the live rules raise it (alerts.new_alert), then what the therapist did."""
    history, rng = state.history, state.alert_rng
    alert = new_alert(
        kind,
        cause,
        message,
        client=history.require_client(),
        episode=occasion.course.episode,
        administration=occasion.admin,
        status=AlertStatus.OPEN,
        created_at=created,
    )
    if kind == AlertKind.OVERDUE or keep_open:
        return alert
    now = history.now
    fate = _fate(rng, kind, now - created, finished is not None and created < finished)
    if fate == "open":
        return alert
    age_minutes = int((now - created).total_seconds() // 60)
    if fate == "resolved_at_end":  # kept in view (acknowledged) until the course ended
        assert finished is not None
        handled = min(finished + _minutes(rng, 0, 3 * 24 * 60), now)
    else:
        quick = 30 * 60 if kind == AlertKind.SAFETY else 14 * 24 * 60  # safety: acted on fast
        handled = created + _minutes(rng, 30, min(quick, age_minutes))
        handled = min(_awake(handled, rng, earlier=False), now)
    seen_within = min(int((handled - created).total_seconds() // 60), 3 * 24 * 60)
    alert.acknowledged_by = history.therapist
    alert.acknowledged_at = created + _minutes(rng, 0, seen_within)
    alert.status = check_alert_transition(alert.status, AlertStatus.ACKNOWLEDGED)
    if fate != "acknowledged":
        alert.status = check_alert_transition(alert.status, AlertStatus.RESOLVED)
        alert.resolution = AlertResolution.BY_THERAPIST
        alert.resolved_by, alert.resolved_at = history.therapist, handled
        if kind == AlertKind.SAFETY:
            alert.action = _pick(rng, SAFETY_ACTION_WEIGHTS)
            notes = content.SAFETY_ACTION_NOTES[alert.action]
            if alert.action == SafetyAction.OTHER or rng.random() < 0.5:
                alert.action_note = rng.choice(notes)
    return alert


def _fate(
    rng: random.Random, kind: AlertKind, age: timedelta, before_end: bool
) -> Literal["open", "acknowledged", "resolved", "resolved_at_end"]:
    """What the therapist did with an alert. Safety alerts are acted on within hours; the
    others are mostly acknowledged and kept in view (an acknowledged alert is still active, so
    the live rules raise no repeat), and resolved when the course ends."""
    roll = rng.random()
    if kind == AlertKind.SAFETY:
        if age < timedelta(days=1):
            return "open" if roll < 0.5 else "acknowledged"
        return "resolved"
    if before_end:
        return "resolved_at_end" if roll < 0.85 else "resolved" if roll < 0.95 else "acknowledged"
    if age > timedelta(days=21):
        return "resolved" if roll < 0.3 else "acknowledged" if roll < 0.9 else "open"
    if age > timedelta(days=3):
        return "resolved" if roll < 0.2 else "acknowledged" if roll < 0.7 else "open"
    return "acknowledged" if roll < 0.2 else "open"


def _pick(rng: random.Random, weights: dict[SafetyAction, int]) -> SafetyAction:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


# --- Goal ratings ----------------------------------------------------------------------------

GOAL_RATING = "goal_rating"
GOAL_RATING_CADENCE = Cadence.MONTHLY
GOAL_START = (2.8, 1.3)  # a goal's first rating: mean and spread, at most GOAL_START_MAX
GOAL_START_MAX = 6
GOAL_NOISE = 0.8
# A goal is never rated more than this below its first rating, and the mean of a rating stays
# more than GOAL_MEAN_MARGIN above the episode's first mean minus the reliable-change points:
# a fall of 3 (CLINICAL.md) would be a reliable deterioration, which the live rules alert on.
GOAL_MAX_DIP = 2
GOAL_MEAN_MARGIN = 0.5


@dataclass
class _GoalPath:
    """How one goal's rating moves: from `start` towards `end` as sessions go by."""

    start: float
    end: float
    tau: float  # sessions for the gap to shrink to 37%
    delay: int = 0  # late responders: sessions before it moves
    since: int = 0  # sessions attended when it was first rated
    first: int | None = None  # the first rating given

    def level(self, sessions: int) -> float:
        moved = max(0, sessions - self.since - self.delay)
        return self.start + (self.end - self.start) * (1 - math.exp(-moved / self.tau))


def _goal_path(rng: random.Random, kind: Trajectory, achieved: bool, since: int) -> _GoalPath:
    start = min(max(rng.gauss(*GOAL_START), 0.0), GOAL_START_MAX)
    if kind in (Trajectory.IMPROVING, Trajectory.LATE):
        end = rng.uniform(6.0, 9.5)
    elif kind == Trajectory.FLAT:
        end = start + rng.uniform(0.5, 2.0)
    else:  # deteriorating scores; the goals still move a little
        end = start + rng.uniform(0.0, 1.5)
    if achieved:
        end = max(end, rng.uniform(7.5, 9.5))
    delay = rng.randint(5, 9) if kind == Trajectory.LATE else 0
    return _GoalPath(start, min(end, 10.0), rng.uniform(3.0, 10.0), delay, since)


@cache
def _goal_instrument() -> Instrument:
    return goal_rating_instrument([])


@cache
def _goal_score(values: tuple[int, ...]) -> scoring.Score:
    return scoring.score(GOAL_RATING, {str(n): v for n, v in enumerate(values, start=1)})


def plan_goal_ratings(history: ClientHistory) -> None:
    """Goal ratings for each version of the client's treatment plan (between.py plans only the
    latest course), onto history.goal_assignments and history.goal_administrations."""
    history.goal_assignments, history.goal_administrations = [], []
    versions = history.between.rated_goals
    score_plan = history.score_plan
    if not versions or score_plan is None or not history.courses:
        return
    course = history.courses[-1]
    now = history.now
    sessions = [a for a in history.appointments if a.episode is course.episode]
    if not sessions:
        return
    finished = _finished_at(course, now)
    state = _Client(
        history=history,
        plan=score_plan,
        rng=history.rng("goal-ratings"),
        score_rng=history.rng("goal-scores"),
        alert_rng=history.rng("goal-alerts"),
        in_session_rate=history.in_session_rate,
        feedback_mean=0.0,
        cadences={GOAL_RATING: GOAL_RATING_CADENCE.value},
    )
    occasions: list[Occasion] = []
    for index, version in enumerate(versions):
        following = versions[index + 1].plan.published_at if index + 1 < len(versions) else None
        if version.plan.published_at is None or not version.statements:
            continue
        stop = following if following is not None else finished
        occasions += _goal_schedules(state, course, sessions, version, stop)
    _rate_goals(state, occasions, sessions, achieved=_achieved_goals(history, versions[-1].plan))
    history.goal_assignments = state.assignments
    history.goal_administrations = [o.admin for o in occasions]


def _achieved_goals(history: ClientHistory, plan: TreatmentPlan) -> set[str]:
    return {
        g.statement
        for g in history.between.goals
        if g.plan is plan and g.status == GoalStatus.ACHIEVED
    }


def _goal_schedules(
    state: _Client,
    course: Course,
    sessions: list[Appointment],
    version: RatedGoals,
    stop: datetime | None,
) -> list[Occasion]:
    """One plan version's monthly goal ratings: assigned once it is published, from the next
    session's day (never the day it was assigned: nothing is answered before it is asked) to
    the plan's review date, renewed like the other dated schedules while the version lasts,
    stopped when the next version is published or the course ends (`stop`)."""
    history, rng, now = state.history, state.rng, state.history.now
    labels = version.statements
    assert version.plan.published_at is not None
    created = min(version.plan.published_at + _minutes(rng, 1, 30), now)
    if stop is not None and created >= stop:
        return []
    assigned_on = _local_date(created)
    upcoming = [a for a in sessions if _local_date(a.starts_at) > assigned_on]
    start = _local_date(upcoming[0].starts_at) if upcoming else assigned_on + timedelta(days=7)
    last_day = _local_date(sessions[-1].starts_at)
    if stop is not None:
        last_day = min(last_day, _local_date(stop))
    occasions: list[Occasion] = []
    first = True
    while start <= last_day:
        if not first:  # renewed a few days before the previous schedule runs out
            before = start - timedelta(days=rng.randint(1, RENEW_AHEAD_DAYS))
            renewed = datetime.combine(
                before, time(rng.randint(9, 17), rng.choice((0, 15, 30, 45))), tzinfo=LONDON
            ).astimezone(UTC)
            created = max(renewed, created)
            if created > now or (stop is not None and created >= stop):
                break
        ends_on = start + timedelta(days=DATED_SCHEDULE_DAYS)
        if first and version.review_date is not None and version.review_date > start:
            ends_on = min(ends_on, version.review_date)
        stopped = stop if stop is not None and ends_on >= _local_date(stop) else None
        assignment = MeasureAssignment(
            episode=course.episode,
            instrument=GOAL_RATING,
            cadence=GOAL_RATING_CADENCE,
            starts_on=start,
            ends_on=ends_on,
            goal_labels=list(labels),
            active=stopped is None,
            created_by=history.therapist,
            created_at=created,
            stopped_at=stopped,
        )
        state.assignments.append(assignment)
        group: list[Occasion] = []
        for day in planned_dates(GOAL_RATING_CADENCE, start, ends_on):
            due = _due_at(day)
            inst = _goal_instrument()
            admin = _administration(state, assignment, inst, due, due + WINDOW, created)
            admin.goal_labels = list(labels)
            occasion = Occasion(admin, course, assignment)
            _plan_dated_answer(state, occasion, sessions, first=not group)
            group.append(occasion)
        _settle(state, group, stop)
        occasions += group
        start, first = ends_on + timedelta(days=1), False
    return occasions


def _rate_goals(
    state: _Client, occasions: list[Occasion], sessions: list[Appointment], *, achieved: set[str]
) -> None:
    """The ratings, in the order the live rules read them (the first is the baseline)."""
    rng = state.score_rng
    attended = [a for a in sessions if a.status == AppointmentStatus.ATTENDED]
    attended_ends = sorted(a.ends_at for a in attended)
    attended_starts = sorted(a.starts_at for a in attended)
    done = sorted(
        (o.admin for o in occasions if o.admin.status == A.COMPLETED),
        key=lambda a: (a.due_at, a.completed_at),
    )
    paths: dict[str, _GoalPath] = {}
    baseline: float | None = None
    floor = -math.inf
    for admin in done:
        assert admin.completed_at is not None
        k = bisect_right(attended_ends, admin.completed_at)
        admin.session_number = bisect_right(attended_starts, admin.completed_at)
        values: list[int] = []
        for label in admin.goal_labels:
            path = paths.get(label)
            if path is None:
                path = paths[label] = _goal_path(
                    rng, state.plan.trajectory, label in achieved, since=k
                )
            value = _clamp(path.level(k) + rng.gauss(0, GOAL_NOISE), 0, 10)
            if path.first is None:
                path.first = value
            values.append(max(value, path.first - GOAL_MAX_DIP))
        while sum(values) / len(values) < floor:
            lowest = values.index(min(values))
            values[lowest] += 1
        store_score(
            admin, {str(n): v for n, v in enumerate(values, start=1)}, _goal_score(tuple(values))
        )
        if baseline is None and admin.total is not None:
            baseline = admin.total
            rule = scoring.reliable_change_threshold(_goal_instrument())
            points = rule.points if rule is not None else 10.0
            floor = baseline - points + GOAL_MEAN_MARGIN
