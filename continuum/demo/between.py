"""Between sessions in the demo practice (issue 4): portal logins, treatment plans with their
reviews, homework, check-ins and the therapist's reflections; and clients who drift.

How it fits the builder (builder.py):

- **The practice decides first** (`between_deck`, stream "between-deck"): who drifts (3 of
  the default 40 clients, two of them therapist@example.org's: ordinary active courses whose
  sessions stopped more than DRIFT_DAYS ago, the last one called off, nothing booked since),
  who uses the portal (about half of the clients in an open course of therapy; a few only
  invited), which of therapist@example.org's clients has the fixed login client@example.org
  (one seen today or tomorrow, so their brief has check-ins, homework and a reflection to
  bring), whose plan review is due now, who has an urgent check-in waiting, overdue or
  cancelled homework. Each client gets a `Role`.
- **Each client's records** come from its own streams ("portal", "portal-settings", "plans",
  "homework", "checkins", "reflections"), planned by the functions below, which builder.STEPS
  calls after the score histories. Plans are simulated in time, their rows built by
  plans.services' own functions (new_intervention, adapted_version, copied_goal,
  copied_intervention) and their statuses moved through the plans' transition checks:
  version 1 after the assessment; each intervention reviewed at a session every
  four to eight weeks (keep, adapt or stop; adapting creates a new intervention `adapted_from`
  the old one, up to v3); a new plan version when the review date comes (14 to 26 weeks after
  publication) and towards a planned ending (relapse prevention), copying the goals and
  interventions with `previous` pointing back and superseding the old version. So the plan
  pages show how the approach evolved.
- Encrypted columns (reflection text, check-in and homework notes) are written by
  `bulk_create`, which encrypts each value; never by raw inserts.
- Volume per client is bounded whatever the practice's size: reflections over the last four
  months, homework over the last twelve weeks, at most MAX_CHECKINS check-ins.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import models

from continuum.accounts.models import User
from continuum.care.episodes import EpisodeStatus
from continuum.care.models import Appointment, AppointmentStatus, Client, Episode
from continuum.demo import between_content as words
from continuum.demo import content
from continuum.demo.history import ClientHistory, PortalAccess, RatedGoals, Role
from continuum.measures.models import AdministrationStatus
from continuum.plans.catalogue import OTHER
from continuum.plans.models import (
    Comparison,
    Decision,
    Goal,
    GoalStatus,
    Homework,
    HomeworkStatus,
    Intervention,
    InterventionReview,
    InterventionStatus,
    PlanStatus,
    TargetKind,
    TreatmentPlan,
    check_homework_transition,
    check_intervention_transition,
    check_plan_transition,
)
from continuum.plans.services import (
    adapted_version,
    copied_goal,
    copied_intervention,
    new_intervention,
)
from continuum.portal.models import CheckIn, CheckinCadence, PortalSettings
from continuum.reflections.models import Reflection, ReflectionKind

LONDON = ZoneInfo(content.PRACTICE_TIME_ZONE)
CLIENT_LOGIN = content.CLIENT_LOGIN
DEMO_THERAPIST = "therapist@example.org"

# --- The practice's choices -------------------------------------------------------------------

DRIFT_SHARE = 0.07  # of all clients (at least 2): 3 of the default 40
DRIFT_OF_DEMO_THERAPIST = 2  # of those, therapist@example.org's (their day lists them)
PORTAL_SHARE = 0.5  # of the clients in an open course of therapy who are not drifting
PENDING_SHARE = 0.1  # of portal clients: invited, no password chosen yet
REVIEW_DUE_SHARE = 0.05  # of all clients (at least 2): the plan's review date has come
OVERDUE_HOMEWORK_SHARE = 0.1  # of portal clients (at least 2): a task past due, unreported
CANCELLED_HOMEWORK_SHARE = 0.1  # of portal clients (at least 1): a task cancelled
URGENT_RECENT_SHARE = 0.01  # of portal clients: an urgent check-in in the last hours, unseen

# --- Per client -----------------------------------------------------------------------------------

PLAN_REVIEW_WEEKS = (14, 26)  # a plan's review date, from its publication
REVISE_AHEAD_DAYS = 7  # a plan is revised at the last session before its review date
ENDING_VERSION_RATE = 0.75  # planned endings add relapse prevention in a new version
REVIEW_EVERY_DAYS = (28, 56)
DECISION_WEIGHTS = {Decision.KEEP: 76, Decision.ADAPT: 16, Decision.STOP: 8}
MAX_VERSIONS_OF_INTERVENTION = 3  # v1 → v2 → v3
MAX_ADAPTATIONS = 3  # per course: the approach evolves, it is not rebuilt every month
MAX_STOPS = 2
ACKNOWLEDGED_RATE = 0.85

HOMEWORK_WEEKS = 12
HOMEWORK_RATE = 0.7  # sessions that set a task
EARLY_REPORT_RATE = 0.25  # open tasks already reported
HOMEWORK_STATUS_WEIGHTS = {
    HomeworkStatus.DONE: 55,
    HomeworkStatus.PARTLY: 27,
    HomeworkStatus.NOT_DONE: 18,
}
HOMEWORK_NOTE_RATE = 0.65

CADENCE_WEIGHTS = {
    CheckinCadence.WEEKLY: 65,
    CheckinCadence.TWICE_WEEKLY: 20,
    CheckinCadence.DAILY: 10,
    CheckinCadence.NONE: 5,
}
CHECKIN_GAPS: dict[str, tuple[int, int]] = {  # days between check-ins
    CheckinCadence.WEEKLY: (5, 9),
    CheckinCadence.TWICE_WEEKLY: (2, 5),
    CheckinCadence.DAILY: (1, 2),
}
CHECKIN_SKIP_RATE = 0.12
MAX_CHECKINS = 36
CHECKIN_NOTE_RATE = 0.55
OLD_URGENT_RATE = 0.12  # portal clients with an earlier urgent check-in (seen and acted on)
CHECKIN_HOMEWORK_WEIGHTS = {"": 40, "done": 30, "partly": 18, "not_done": 9, "none": 3}

REFLECTION_DAYS = 120
REFLECTION_KIND_WEIGHTS = {
    ReflectionKind.CONCERN: 14,
    ReflectionKind.BREAKTHROUGH: 16,
    ReflectionKind.SETBACK: 14,
    ReflectionKind.IDEA: 18,
    ReflectionKind.QUESTION: 20,
    ReflectionKind.SELF_REFLECTION: 18,
}
BRING_ADDRESSED_RATE = 0.5  # earlier reflections brought to (and addressed in) the next session
BRING_OPEN_RATE = 0.65  # reflections since the last session, marked for the next one


def _take(
    rng: random.Random, pool: Sequence[int], wanted: int, first: Sequence[int] = ()
) -> set[int]:
    """`wanted` numbers from `pool`: those of `first` (in their order), then others at random."""
    allowed = set(pool)
    chosen = [n for n in first if n in allowed][:wanted]
    rest = [n for n in pool if n not in chosen]
    chosen += rng.sample(rest, max(0, min(wanted - len(chosen), len(rest))))
    return set(chosen)


def _some(rng: random.Random, pool: Sequence[int], k: int) -> list[int]:
    return rng.sample(list(pool), min(k, len(pool)))


def between_deck(
    seed: int,
    *,
    therapist_of: Sequence[int],
    open_course: Sequence[bool],
    plain_active: Sequence[bool],
    seen_soon: set[int],
    demo_staff: int,
) -> list[Role]:
    """Each client's Role. `open_course`: in therapy now with sessions booked; `plain_active`:
    an ordinary active course (no safety answer or overdue questionnaire to follow up)."""
    rng = random.Random(f"{seed}:between-deck")
    total = len(therapist_of)
    numbers = range(total)
    demo = {n for n in numbers if therapist_of[n] == demo_staff}

    may_drift = [n for n in numbers if plain_active[n] and n not in seen_soon]
    wanted = max(2, round(total * DRIFT_SHARE)) if may_drift else 0
    demo_drift = _some(rng, [n for n in may_drift if n in demo], DRIFT_OF_DEMO_THERAPIST)
    drifting = _take(rng, may_drift, wanted, demo_drift)

    candidates = [n for n in numbers if open_course[n] and n not in drifting]
    portal = {n for n in candidates if rng.random() < PORTAL_SHARE}
    # The fixed login: the demo therapist's first ordinary active client seen today or
    # tomorrow (else any of theirs, else anyone's in therapy).
    mine = [n for n in numbers if n in demo and plain_active[n] and n not in drifting]
    fixed = min([n for n in mine if n in seen_soon] or mine or candidates or [-1])
    if fixed >= 0:
        portal.add(fixed)
    ordered = sorted(portal)
    demo_portal = [n for n in ordered if n in demo and n != fixed]

    urgent = _take(
        rng,
        ordered,
        max(1, round(len(ordered) * URGENT_RECENT_SHARE)),
        _some(rng, demo_portal, 1) or [fixed],
    )
    overdue = _take(
        rng,
        [n for n in ordered if n != fixed],
        max(2, round(len(ordered) * OVERDUE_HOMEWORK_SHARE)),
        _some(rng, demo_portal, 1),
    )
    cancelled = _take(rng, ordered, max(1, round(len(ordered) * CANCELLED_HOMEWORK_SHARE)))
    special = urgent | overdue | cancelled | {fixed}
    pending = _take(
        rng, [n for n in ordered if n not in special], round(len(ordered) * PENDING_SHARE)
    )

    reviewable = [n for n in numbers if open_course[n]]
    review_due = _take(
        rng,
        reviewable,
        max(2, round(total * REVIEW_DUE_SHARE)),
        _some(rng, [n for n in reviewable if n in demo], 1),
    )
    return [
        Role(
            drifting=n in drifting,
            portal=n in portal,
            pending=n in pending,
            login=CLIENT_LOGIN if n == fixed else "",
            seen_soon=n in seen_soon,
            review_due=n in review_due,
            urgent_recent=n in urgent,
            homework_overdue=n in overdue,
            homework_cancelled=n in cancelled,
        )
        for n in numbers
    ]


# --- What each client's records hold while they are planned ------------------------------------


# --- Time -----------------------------------------------------------------------------------------


def _local_date(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON).astimezone(UTC)


def _minutes(rng: random.Random, low: int, high: int) -> timedelta:
    return timedelta(minutes=rng.randint(low, high))


def _weighted(rng: random.Random, weights: dict[Any, int]) -> Any:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _course_sessions(history: ClientHistory) -> list[Appointment]:
    """The appointments of the client's latest course, in time order."""
    if not history.courses:
        return []
    episode = history.courses[-1].episode
    return [a for a in history.appointments if a.episode is episode]


def _attended(appointments: Sequence[Appointment]) -> list[Appointment]:
    return [a for a in appointments if a.status == AppointmentStatus.ATTENDED]


def _completed_scores(history: ClientHistory, episode: Episode, code: str) -> list[Any]:
    """(completed_at, total) of the episode's completed questionnaires of `code`, in order."""
    rows = [
        (a.completed_at, a.total)
        for a in (*history.alerted_administrations, *history.administrations)
        if a.episode is episode
        and a.instrument == code
        and a.status == AdministrationStatus.COMPLETED
        and a.completed_at is not None
        and a.total is not None
    ]
    return sorted(rows, key=lambda row: row[0])


# --- Portal logins and settings -------------------------------------------------------------------


def plan_portal_logins(history: ClientHistory) -> list[User]:
    """A portal login for the clients the practice chose, invited at a session (2 to 21 weeks
    ago; the fixed demo client 12 weeks ago) and set up soon after, or invited at the last
    session and not set up yet (pending). Portal users share the demo password's hash."""
    role, records = history.role, history.between
    records.portal = None
    if not role.portal:
        return []
    rng = history.rng("portal")
    attended = _attended(_course_sessions(history))
    if not attended:
        return []
    client = history.require_client()
    days_ago = 84 if role.login else rng.randint(14, 150)
    earliest = max(
        history.today - timedelta(days=days_ago),
        _local_date(attended[0].starts_at) + timedelta(days=14),
    )
    session = next((a for a in attended if _local_date(a.starts_at) >= earliest), attended[-1])
    if role.pending:  # invited at the last session; the link is still waiting to be used
        session = attended[-1]
    invited_at = min(session.ends_at + _minutes(rng, 5, 60), history.now)
    joined_at = None if role.pending else min(invited_at + _minutes(rng, 30, 72 * 60), history.now)
    user = User(
        email=role.login or client.email,
        full_name=client.full_name,
        time_zone=client.time_zone,
        password=history.portal_password if joined_at is not None else make_password(None),
        date_joined=joined_at or invited_at,
    )
    records.portal = PortalAccess(user, invited_at, joined_at)
    return [user]


def plan_portal_clients(history: ClientHistory) -> list[Client]:
    """The clients whose login was just planned, to link to it once both are saved (a client
    cannot be written pointing at a login not yet written: see `link_logins`)."""
    return [history.require_client()] if history.between.portal is not None else []


def link_logins(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """Point each saved client at the saved login with its email address (one query for the
    ids, one UPDATE per batch)."""
    clients = [obj for obj in objs if isinstance(obj, Client)]
    ids = dict(User.objects.filter(email__in=[c.email for c in clients]).values_list("email", "pk"))
    for client in clients:
        client.user_id = ids[client.email]
    Client.objects.bulk_update(clients, ["user"], batch_size=500)


def plan_portal_settings(history: ClientHistory) -> list[PortalSettings]:
    portal = history.between.portal
    if portal is None:
        return []
    rng = history.rng("portal-settings")
    completed = {
        a.instrument
        for a in (*history.alerted_administrations, *history.administrations)
        if a.status == AdministrationStatus.COMPLETED
    }
    if history.role.login:
        cadence: str = CheckinCadence.WEEKLY
        shared = {"phq9", "gad7"}
    else:
        cadence = _weighted(rng, CADENCE_WEIGHTS)
        roll = rng.random()
        shared = {"phq9", "gad7"} if roll < 0.55 else {rng.choice(("phq9", "gad7"))}
        if roll > 0.85:
            shared = set()
        if rng.random() < 0.4:
            shared.add("who5")
    if history.role.urgent_recent and cadence == CheckinCadence.NONE:
        cadence = CheckinCadence.WEEKLY
    portal.cadence = cadence
    return [
        PortalSettings(
            client=history.require_client(),
            checkin_cadence=cadence,
            shared_measures=sorted(shared & completed),
            invited_at=portal.invited_at,
            invited_by=history.therapist,
            updated_at=portal.joined_at or portal.invited_at,
        )
    ]


# --- Treatment plans ------------------------------------------------------------------------------


@dataclass
class _Plans:
    """One course's plan versions as they are drawn up, reviewed and revised in time."""

    history: ClientHistory
    rng: random.Random
    episode: Episode
    versions: list[TreatmentPlan] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)  # the current version's
    rows: list[Intervention] = field(default_factory=list)  # the current version's, in order
    linked: dict[int, list[Goal]] = field(default_factory=dict)  # id(intervention) → goals
    parent: dict[int, Intervention] = field(default_factory=dict)  # id(row) → adapted_from
    origin: dict[int, int] = field(default_factory=dict)  # id(row) → id of its first copy
    depth: dict[int, int] = field(default_factory=dict)  # id(row) → version in its chain
    since: dict[int, date] = field(default_factory=dict)  # origin → start or last review
    wait: dict[int, int] = field(default_factory=dict)  # origin → days to the next review
    scores: dict[str, list[Any]] = field(default_factory=dict)  # code → (completed_at, total)

    @property
    def current(self) -> TreatmentPlan:
        return self.versions[-1]

    def techniques(self) -> set[str]:
        return {r.technique for r in self.rows if r.status == InterventionStatus.ACTIVE}

    def add_goal(self, goal: Goal) -> Goal:
        self.goals.append(goal)
        self.history.between.goals.append(goal)
        return goal

    def add_intervention(
        self,
        row: Intervention,
        goals: list[Goal],
        *,
        parent: Intervention | None = None,
        origin: Intervention | None = None,
        depth: int = 1,
    ) -> Intervention:
        self.rows.append(row)
        self.history.between.interventions.append(row)
        self.linked[id(row)] = goals
        if parent is not None:
            self.parent[id(row)] = parent
        self.origin[id(row)] = self.origin[id(origin)] if origin is not None else id(row)
        self.depth[id(row)] = depth
        if origin is None:
            self.since[id(row)] = row.start_date
            self.wait[id(row)] = self.rng.randint(*REVIEW_EVERY_DAYS)
        return row


def _goals_for(history: ClientHistory, rng: random.Random, target_date: date) -> list[Goal]:
    """2 or 3 goals in the client's words: the theme's score target, perhaps the second
    theme's, and one or two 0-10 goal ratings."""
    profile = history.profile
    goals: list[Goal] = []
    themes = [profile.theme.key]
    main = words.INSTRUMENT_GOALS[profile.theme.key]
    targets = [main]
    if profile.second_theme is not None:
        themes.append(profile.second_theme.key)
        other = words.INSTRUMENT_GOALS[profile.second_theme.key]
        if other.instrument != main.instrument and rng.random() < 0.6:
            targets.append(other)
    for target in targets:
        goals.append(
            Goal(
                statement=rng.choice(target.statements),
                target_kind=TargetKind.INSTRUMENT,
                instrument=target.instrument,
                comparison=target.comparison,
                target_value=target.value,
                target_date=target_date,
            )
        )
    ratings = 1 if len(goals) == 2 else rng.choice((1, 2))
    statements = [s for key in themes for s in words.RATING_GOALS[key]]
    for statement in rng.sample(statements, ratings):
        goals.append(
            Goal(
                statement=statement,
                target_kind=TargetKind.RATING,
                instrument="",
                comparison=Comparison.AT_OR_ABOVE,
                target_value=7.0,
                target_date=target_date,
            )
        )
    return goals


def _first_techniques(history: ClientHistory, rng: random.Random) -> list[str]:
    """The client's main technique (their notes' intervention) and one or two of the theme's."""
    main = rng.choice(words.CATALOGUE_KEYS[history.profile.intervention.key])
    others: list[str] = []
    for key in history.profile.theme.interventions:
        for technique in words.CATALOGUE_KEYS[key]:
            if technique != main and technique not in others:
                others.append(technique)
    return [main, *rng.sample(others, min(rng.choice((1, 2)), len(others)))]


def _new_intervention(
    sim: _Plans,
    technique: str,
    start: date,
    created: datetime,
    *,
    custom: str = "",
    rationale: str = "",
) -> Intervention:
    row = new_intervention(
        sim.current,
        technique=technique,
        custom_technique=custom,
        rationale=rationale or sim.rng.choice(words.RATIONALES[technique]),
        start_date=start,
    )
    row.created_at = created
    return row


def _publish(sim: _Plans, focus: str, created: datetime, published: datetime) -> TreatmentPlan:
    """A new plan version, current from `published`; the previous one is superseded and its
    goals and interventions are copied (services.create_draft and publish_plan)."""
    history = sim.history
    previous = sim.versions[-1] if sim.versions else None
    plan = TreatmentPlan(
        episode=sim.episode,
        client=history.require_client(),
        version=len(sim.versions) + 1,
        status=check_plan_transition(PlanStatus.DRAFT, PlanStatus.CURRENT),
        focus=focus,
        review_date=_local_date(published) + timedelta(weeks=sim.rng.randint(*PLAN_REVIEW_WEEKS)),
        previous=previous,
        created_by=history.therapist,
        created_at=created,
        updated_at=published,
        published_at=published,
    )
    sim.versions.append(plan)
    history.between.plans.append(plan)
    if previous is None:
        return plan
    previous.status = check_plan_transition(previous.status, PlanStatus.SUPERSEDED)
    previous.superseded_at = published
    old_goals, old_rows = sim.goals, sim.rows
    sim.goals, sim.rows = [], []
    copied_goals: dict[int, Goal] = {}
    for goal in old_goals:
        goal_copy = copied_goal(goal, plan)
        goal_copy.created_at = created
        copied_goals[id(goal)] = sim.add_goal(goal_copy)
    copied_rows: dict[int, Intervention] = {}
    for row in old_rows:  # in creation order: an adaptation's origin is copied before it
        parent = sim.parent.get(id(row))
        copy = copied_intervention(
            row, plan, adapted_from=copied_rows[id(parent)] if parent is not None else None
        )
        copy.created_at = created
        copied_rows[id(row)] = sim.add_intervention(
            copy,
            [copied_goals[id(g)] for g in sim.linked[id(row)]],
            parent=copied_rows[id(parent)] if parent is not None else None,
            origin=row,
            depth=sim.depth[id(row)],
        )
    return plan


def _review(sim: _Plans, row: Intervention, session: Appointment) -> None:
    """Review an active intervention at a session: keep, adapt (a new version) or stop."""
    rng, history = sim.rng, sim.history
    day = _local_date(session.starts_at)
    active = [r for r in sim.rows if r.status == InterventionStatus.ACTIVE]
    weights = dict(DECISION_WEIGHTS)
    decided = [r.decision for r in sim.history.between.reviews]
    if (
        row.technique == "relapse_prevention"
        or sim.depth[id(row)] >= MAX_VERSIONS_OF_INTERVENTION
        or decided.count(Decision.ADAPT) >= MAX_ADAPTATIONS
    ):
        weights[Decision.ADAPT] = 0
    if (
        row.technique == "relapse_prevention"
        or len(active) < 2
        or decided.count(Decision.STOP) >= MAX_STOPS
    ):
        weights[Decision.STOP] = 0
    decision = _weighted(rng, weights)
    # After the session, and after the plan version agreed in it was published.
    published = sim.current.published_at or session.ends_at
    after = max(session.ends_at + _minutes(rng, 5, 120), published + timedelta(minutes=1))
    created = min(after, history.now)
    result = None
    if decision == Decision.ADAPT:
        options = words.ADAPTATIONS.get(row.technique) or (
            words.Adaptation(row.technique, row.custom_technique, ""),
        )
        choice = rng.choice(options)
        if choice.technique != row.technique and choice.technique in sim.techniques():
            # Already in the plan: adjust this one instead.
            choice = words.Adaptation(row.technique, row.custom_technique, "")
        result = adapted_version(
            row,
            technique=choice.technique,
            custom_technique=choice.custom,
            rationale=choice.rationale or words.DEFAULT_ADAPTATION_RATIONALE,
            start_date=day,
        )
        result.created_at = created
        sim.add_intervention(
            result, list(sim.linked[id(row)]), parent=row, depth=sim.depth[id(row)] + 1
        )
        row.status = check_intervention_transition(row.status, InterventionStatus.ADAPTED)
    elif decision == Decision.STOP:
        row.status = check_intervention_transition(row.status, InterventionStatus.STOPPED)
    history.between.reviews.append(
        InterventionReview(
            intervention=row,
            reviewed_on=day,
            what_happened=rng.choice(words.REVIEW_WHAT_HAPPENED),
            client_response=rng.choice(words.REVIEW_RESPONSES[decision]),
            decision=decision,
            reason=rng.choice(words.REVIEW_REASONS[decision]),
            result=result,
            created_by=history.therapist,
            created_at=created,
        )
    )
    origin = sim.origin[id(row)]
    sim.since[origin] = day
    sim.wait[origin] = rng.randint(*REVIEW_EVERY_DAYS)


def _revise(sim: _Plans, before: Appointment, session: Appointment, *, ending: bool) -> None:
    """A new plan version agreed at `session`, when the review date has come or towards a
    planned ending: goals that were met are marked achieved and the others get a new target
    date; the first revision may add a technique and a goal from the second theme; the ending
    adds relapse prevention."""
    rng, history = sim.rng, sim.history
    profile = history.profile
    created = min(before.ends_at + _minutes(rng, 24 * 60, 72 * 60), session.starts_at)
    published = min(session.ends_at + _minutes(rng, 10, 60), history.now)
    day = _local_date(session.starts_at)
    first_revision = len(sim.versions) == 1
    extra = first_revision and not ending and rng.random() < 0.6
    second_goal = extra and profile.second_theme is not None and rng.random() < 0.5
    focus = sim.current.focus
    if ending:
        focus = f"{words.FOCUS[profile.theme.key]} {words.FOCUS_ENDING[0]}"
    elif second_goal and profile.second_theme is not None:
        second = profile.second_theme.label.lower()
        revised = rng.choice(words.FOCUS_REVISED).format(second=second)
        focus = f"{words.FOCUS[profile.theme.key]} {revised}"
    plan = _publish(sim, focus, created, published)
    for goal in sim.goals:
        if goal.status != GoalStatus.ACTIVE:
            continue
        if goal.target_kind == TargetKind.INSTRUMENT:
            scores = [t for done, t in sim.scores.get(goal.instrument, []) if done < created]
            if scores and goal.is_met_by(float(scores[-1])) and rng.random() < 0.5:
                goal.status = GoalStatus.ACHIEVED
                continue
        if goal.target_date < day + timedelta(weeks=4):
            goal.target_date = day + timedelta(weeks=rng.randint(12, 20))
    if ending:
        if "relapse_prevention" not in sim.techniques():
            row = _new_intervention(sim, "relapse_prevention", day, created)
            sim.add_intervention(row, list(sim.goals))
        return
    if extra:
        keys = [t for t in words.EXTRA_TECHNIQUES[profile.theme.key] if t not in sim.techniques()]
        if keys:
            row = _new_intervention(sim, rng.choice(keys), day, created)
            goals = sorted(rng.sample(sim.goals, min(2, len(sim.goals))), key=sim.goals.index)
            sim.add_intervention(row, goals)
    if second_goal and profile.second_theme is not None:
        statement = rng.choice(words.RATING_GOALS[profile.second_theme.key])
        if statement not in {g.statement for g in sim.goals}:
            sim.add_goal(
                Goal(
                    plan=plan,
                    statement=statement,
                    target_kind=TargetKind.RATING,
                    instrument="",
                    comparison=Comparison.AT_OR_ABOVE,
                    target_value=7.0,
                    target_date=day + timedelta(weeks=rng.randint(12, 20)),
                    created_at=created,
                ),
            )


def plan_treatment_plans(history: ClientHistory) -> list[TreatmentPlan]:
    """Plans for the latest course when it is active, ending or ended (see the module doc)."""
    records = history.between
    records.plans, records.goals, records.interventions = [], [], []
    records.links, records.reviews, records.snapshots = [], [], {}
    records.rated_goals = []
    if not history.courses:
        return []
    course = history.courses[-1]
    episode = course.episode
    if episode.status not in (EpisodeStatus.ACTIVE, EpisodeStatus.ENDING, EpisodeStatus.ENDED):
        return []
    attended = [a for a in _attended(_course_sessions(history)) if a.ends_at <= history.now]
    if len(attended) < 2:
        return []
    rng = history.rng("plans")
    sim = _Plans(history, rng, episode)
    sim.scores = {code: _completed_scores(history, episode, code) for code in ("phq9", "gad7")}
    assessment, second = attended[0], attended[1]
    latest = second.starts_at - timedelta(hours=1)
    created = min(max(assessment.ends_at + _minutes(rng, 120, 72 * 60), assessment.ends_at), latest)
    published = max(min(created + _minutes(rng, 10, 120), latest), created)
    start = _local_date(second.starts_at)
    plan = _publish(sim, words.FOCUS[history.profile.theme.key], created, published)
    target_date = start + timedelta(weeks=rng.randint(16, 26))
    for goal in _goals_for(history, rng, target_date):
        goal.plan, goal.created_at = plan, created
        sim.add_goal(goal)
    for n, technique in enumerate(_first_techniques(history, rng)):
        if n == 0:  # the main technique serves the score target and the last rated goal
            goals = [sim.goals[0], sim.goals[-1]]
        else:
            goals = sorted(rng.sample(sim.goals, rng.choice((1, 2))), key=sim.goals.index)
        row = _new_intervention(sim, technique, start, created)
        sim.add_intervention(row, goals)
    _note_rated_goals(sim)

    ending_at = None
    if course.ending_from is not None and rng.random() < ENDING_VERSION_RATE:
        ending_from = course.ending_from
        ending_at = next(
            (
                i
                for i, a in enumerate(attended)
                if i > 2 and _local_date(a.starts_at) >= ending_from
            ),
            None,
        )
    # A client whose review is due now has had no revision for a month or more.
    quiet_from = history.today - timedelta(days=30) if history.role.review_due else date.max
    records.snapshots[id(second)] = _snapshot(sim)
    for index in range(2, len(attended)):
        session = attended[index]
        day = _local_date(session.starts_at)
        review_date = sim.current.review_date
        due = review_date is not None and day >= review_date - timedelta(days=REVISE_AHEAD_DAYS)
        if index == ending_at or (due and day < quiet_from):
            _revise(sim, attended[index - 1], session, ending=index == ending_at)
            _note_rated_goals(sim)
        for row in list(sim.rows):
            origin = sim.origin[id(row)]
            if row.status == InterventionStatus.ACTIVE and day >= sim.since[origin] + timedelta(
                days=sim.wait[origin]
            ):
                _review(sim, row, session)
        records.snapshots[id(session)] = _snapshot(sim)
    _finish_plans(sim, course.episode)
    return records.plans


def _note_rated_goals(sim: _Plans) -> None:
    """The goals the newly published version asks the client to rate (measures.py), in the
    order the plan lists them: by id, and builder._insert writes goals copied from an earlier
    version one generation after the goals they copy."""

    def copies(goal: Goal) -> int:
        n = 0
        while goal.previous is not None:
            goal, n = goal.previous, n + 1
        return n

    active = [g for g in sim.goals if g.status == GoalStatus.ACTIVE]
    in_order = sorted(active, key=lambda g: (copies(g), sim.goals.index(g)))
    sim.history.between.rated_goals.append(
        RatedGoals(sim.current, sim.current.review_date, [g.statement for g in in_order])
    )


def _snapshot(sim: _Plans) -> list[tuple[Intervention, list[Goal]]]:
    return [(r, sim.linked[id(r)]) for r in sim.rows if r.status == InterventionStatus.ACTIVE]


def _finish_plans(sim: _Plans, episode: Episode) -> None:
    """Goal links; the current version's review date, goals met at the end of an ended course,
    and the client's acknowledgements in the portal."""
    history, rng, records = sim.history, sim.rng, sim.history.between
    through = Intervention.goals.through
    for row in records.interventions:
        for goal in sim.linked[id(row)]:
            records.links.append(through(intervention=row, goal=goal))
    current = sim.current
    published = current.published_at or history.now
    if episode.status == EpisodeStatus.ENDED:
        current.review_date = None
        for goal in sim.goals:
            if goal.target_kind == TargetKind.INSTRUMENT:
                scores = _completed_scores(history, episode, goal.instrument)
                met = bool(scores) and goal.is_met_by(float(scores[-1][1]))
            else:
                met = rng.random() < 0.6
            if met:
                goal.status = GoalStatus.ACHIEVED
    elif history.role.review_due:  # fell due in the last ten days
        due = max(history.today - timedelta(days=rng.randint(0, 10)), _local_date(published))
        current.review_date = min(due + timedelta(days=28), history.today)
    portal = records.portal
    if portal is None or portal.joined_at is None:
        return
    for plan in sim.versions:
        if plan.published_at is None:
            continue
        seen = max(plan.published_at, portal.joined_at) + _minutes(rng, 60, 5 * 24 * 60)
        until = plan.superseded_at or history.now
        if seen <= until and (history.role.login or rng.random() < ACKNOWLEDGED_RATE):
            plan.client_acknowledged_at = seen


def plan_goals(history: ClientHistory) -> list[Goal]:
    return history.between.goals


def plan_interventions(history: ClientHistory) -> list[Intervention]:
    return history.between.interventions


def plan_goal_links(history: ClientHistory) -> list[Any]:
    return history.between.links


def plan_reviews(history: ClientHistory) -> list[InterventionReview]:
    return history.between.reviews


# --- Homework -------------------------------------------------------------------------------------


def plan_homework(history: ClientHistory) -> list[Homework]:
    """Tasks set at sessions since the client joined the portal (the last twelve weeks at
    most), linked to an intervention of the plan then and often a goal; due at the next
    session. Past ones reported done, partly or not done (with the client's note, usually);
    upcoming ones open, a few reported early; the practice's chosen few overdue or cancelled."""
    portal = history.between.portal
    if portal is None or portal.joined_at is None:
        return []
    rng = history.rng("homework")
    now, today, role = history.now, history.today, history.role
    sessions = _course_sessions(history)
    start = max(portal.joined_at, now - timedelta(weeks=HOMEWORK_WEEKS))
    attended = [a for a in _attended(sessions) if start <= a.starts_at and a.ends_at <= now]
    tasks: list[Homework] = []
    for session in attended:
        snapshot = history.between.snapshots.get(id(session))
        if not snapshot:
            continue
        last = session is attended[-1]
        if rng.random() >= HOMEWORK_RATE and not (last and role.login):
            continue
        row, goals = rng.choice(snapshot)
        goal = rng.choice(goals) if goals and rng.random() < 0.7 else None
        titles = words.HOMEWORK_TITLES.get(row.technique) or words.HOMEWORK_TITLES[OTHER]
        later = [
            a
            for a in sessions
            if a.starts_at > session.starts_at and a.status != AppointmentStatus.CANCELLED
        ]
        due = (
            _local_date(later[0].starts_at)
            if later
            else _local_date(session.starts_at) + timedelta(days=7)
        )
        created = min(session.ends_at + _minutes(rng, 5, 40), now)
        task = Homework(
            client=history.require_client(),
            episode=session.episode,
            title=rng.choice(titles),
            goal=goal,
            intervention=row,
            why=rng.choice(words.HOMEWORK_WHY) if rng.random() < 0.35 else "",
            due_date=due,
            assigned_by=history.therapist,
            created_at=created,
        )
        if due < today:
            _report(task, rng, _weighted(rng, HOMEWORK_STATUS_WEIGHTS), now, latest=_at(due, 21))
        elif not role.login and rng.random() < EARLY_REPORT_RATE:
            _report(task, rng, HomeworkStatus.DONE, now, latest=now)
        tasks.append(task)
    past = [t for t in tasks if t.due_date < today]
    if role.homework_overdue and past:
        overdue = past[-1]
        overdue.status, overdue.client_note, overdue.reported_at = HomeworkStatus.ASSIGNED, "", None
        past = past[:-1]
    if role.homework_cancelled and past:
        task = rng.choice(past)
        task.status, task.client_note, task.reported_at = HomeworkStatus.ASSIGNED, "", None
        task.status = check_homework_transition(task.status, HomeworkStatus.CANCELLED)
        task.cancelled_at = min(task.created_at + _minutes(rng, 120, 72 * 60), now)
    return tasks


def _report(
    task: Homework, rng: random.Random, status: str, now: datetime, *, latest: datetime
) -> None:
    """The client's report: some time after the task was set, by the evening it was due."""
    earliest = task.created_at + timedelta(hours=20)
    latest = min(latest, now)
    if latest <= earliest:
        earliest = task.created_at + timedelta(minutes=30)
    if latest <= earliest:
        return  # no time to report yet: stays open
    span = int((latest - earliest).total_seconds() // 60)
    task.status = check_homework_transition(task.status, status)
    task.reported_at = earliest + timedelta(minutes=rng.randint(0, span))
    if rng.random() < HOMEWORK_NOTE_RATE:
        task.client_note = rng.choice(words.HOMEWORK_NOTES[status])


# --- Check-ins ------------------------------------------------------------------------------------


def plan_checkins(history: ClientHistory) -> list[CheckIn]:
    """Check-ins at the chosen cadence since the client joined (the latest MAX_CHECKINS):
    mood following their PHQ-9, sleep and energy mostly given, a note about half the time.
    Read by the therapist within hours or a couple of days; the fixed demo client's latest
    and anything urgent in the last hours not yet."""
    portal = history.between.portal
    if portal is None or portal.joined_at is None or portal.cadence == CheckinCadence.NONE:
        return []
    rng = history.rng("checkins")
    now, role = history.now, history.role
    low, high = CHECKIN_GAPS[portal.cadence]
    days: list[date] = []
    day = _local_date(portal.joined_at) + timedelta(days=rng.randint(1, 3))
    while day <= history.today:
        if rng.random() >= CHECKIN_SKIP_RATE:
            days.append(day)
        day += timedelta(days=rng.randint(low, high))
    days = days[-MAX_CHECKINS:]
    episode = history.courses[-1].episode
    scores = _completed_scores(history, episode, "phq9")
    checkins: list[CheckIn] = []
    for day in days:
        at = _at(day, rng.randint(7, 21), rng.randrange(60))
        if at > now:
            at = now - _minutes(rng, 20, 180)
        if at <= portal.joined_at or (checkins and at <= checkins[-1].created_at):
            continue
        phq9 = next((total for done, total in reversed(scores) if done <= at), None)
        checkins.append(_checkin(history, rng, episode, at, phq9))
    older = [c for c in checkins if c.created_at < now - timedelta(days=7)]
    if older and rng.random() < OLD_URGENT_RATE:
        _make_urgent(rng.choice(older), rng)
    if role.urgent_recent:
        at = max(now - _minutes(rng, 60, 6 * 60), portal.joined_at + (now - portal.joined_at) / 2)
        checkins = [c for c in checkins if c.created_at < at - timedelta(hours=12)]
        phq9 = scores[-1][1] if scores else None
        checkins.append(_make_urgent(_checkin(history, rng, episode, at, phq9), rng))
    for checkin in checkins:
        delay = _minutes(rng, 20, 240) if checkin.urgent else _minutes(rng, 60, 60 * 60)
        if checkin.created_at + delay <= now:
            checkin.seen_at, checkin.seen_by = checkin.created_at + delay, history.therapist
    if role.urgent_recent:
        checkins[-1].seen_at, checkins[-1].seen_by = None, None
    if role.login and checkins:
        checkins[-1].seen_at, checkins[-1].seen_by = None, None
    return checkins


def _checkin(
    history: ClientHistory, rng: random.Random, episode: Episode, at: datetime, phq9: Any
) -> CheckIn:
    base = 9.5 - 0.3 * float(phq9) if phq9 is not None else 5.0
    mood = _scale(base + rng.gauss(0, 1.0))
    note = ""
    if rng.random() < CHECKIN_NOTE_RATE:
        band = "low" if mood <= 3 else "mid" if mood <= 6 else "high"
        note = rng.choice(words.CHECKIN_NOTES[band])
    return CheckIn(
        client=history.require_client(),
        episode=episode,
        mood=mood,
        sleep=_scale(mood + rng.gauss(0, 1.5)) if rng.random() < 0.85 else None,
        energy=_scale(mood + rng.gauss(0, 1.5)) if rng.random() < 0.75 else None,
        note=note,
        homework_status=_weighted(rng, CHECKIN_HOMEWORK_WEIGHTS),
        idempotency_key=uuid.UUID(int=rng.getrandbits(128), version=4).hex,
        created_at=at,
    )


def _make_urgent(checkin: CheckIn, rng: random.Random) -> CheckIn:
    checkin.urgent = True
    checkin.note = rng.choice(words.URGENT_NOTES)
    checkin.mood = min(checkin.mood, rng.randint(1, 3))
    return checkin


def _scale(value: float) -> int:
    return min(max(round(value), 0), 10)


# --- Reflections ----------------------------------------------------------------------------------


def plan_reflections(history: ClientHistory) -> list[Reflection]:
    """The therapist's private notes about the client over the last four months (two to five
    in an open course, fewer after it ended): some brought to the next session and addressed
    there, some since the last session marked to bring to the next one (always one for a
    client seen today or tomorrow); a question before a referral's assessment; a note of
    concern about a client who has gone quiet (nothing is booked to bring it to)."""
    rng = history.rng("reflections")
    now = history.now
    appointments = sorted(history.appointments, key=lambda a: a.starts_at)
    attended = [a for a in _attended(appointments) if a.ends_at <= now]
    upcoming = any(
        a.status == AppointmentStatus.SCHEDULED and a.starts_at > now for a in appointments
    )
    reflections: list[Reflection] = []
    if history.story == "referral":
        if upcoming and rng.random() < 0.7:
            created = history.courses[-1].episode.created_at + _minutes(rng, 60, 48 * 60)
            reflections.append(
                _reflection(
                    history,
                    ReflectionKind.QUESTION,
                    rng.choice(words.REFERRAL_QUESTIONS),
                    min(created, now - timedelta(minutes=10)),
                    bring=True,
                )
            )
        return reflections
    if not attended:
        return reflections
    window = attended[-1].starts_at - timedelta(days=REFLECTION_DAYS)
    pool = [a for a in attended if a.starts_at >= window]
    in_therapy = history.story in ("active", "ending", "reopened")
    count = rng.randint(2, 5) if in_therapy else rng.randint(1, 3)
    for index in sorted(rng.sample(range(len(pool)), min(count, len(pool)))):
        session = pool[index]
        following = next((a for a in attended if a.starts_at > session.starts_at), None)
        created = _after(rng, session, following, now)
        kind = _weighted(rng, REFLECTION_KIND_WEIGHTS)
        reflection = _reflection(
            history,
            kind,
            rng.choice(words.REFLECTION_TEXTS[kind]),
            created,
            appointment=session if rng.random() < 0.6 else None,
        )
        if following is not None:
            if rng.random() < BRING_ADDRESSED_RATE:
                addressed = min(following.starts_at + _minutes(rng, 5, 45), now)
                reflection.bring_to_next_session = True
                reflection.addressed_at, reflection.addressed_in = addressed, following
                if rng.random() < 0.7:
                    reflection.addressed_note = rng.choice(words.ADDRESSED_NOTES)
                reflection.updated_at = addressed
        elif upcoming and rng.random() < BRING_OPEN_RATE:
            reflection.bring_to_next_session = True
        reflections.append(reflection)
    to_bring = any(r.is_to_bring for r in reflections)
    if upcoming and (history.role.seen_soon or history.role.login) and not to_bring:
        kind = rng.choice((ReflectionKind.QUESTION, ReflectionKind.IDEA))
        reflections.append(
            _reflection(
                history,
                kind,
                rng.choice(words.REFLECTION_TEXTS[kind]),
                _after(rng, attended[-1], None, now),
                bring=True,
            )
        )
    if history.role.drifting:
        missed = appointments[-1]
        since = missed.cancelled_at or missed.starts_at
        reflections.append(
            _reflection(
                history,
                rng.choice((ReflectionKind.CONCERN, ReflectionKind.QUESTION)),
                rng.choice(words.DRIFT_REFLECTIONS),
                min(since + _minutes(rng, 60, 72 * 60), now - timedelta(minutes=10)),
            )
        )
    return reflections


def _after(
    rng: random.Random, session: Appointment, following: Appointment | None, now: datetime
) -> datetime:
    """A moment between a session and the next one (or now): usually the same evening."""
    latest = min(following.starts_at - timedelta(hours=1) if following else now, now)
    latest -= timedelta(minutes=10)
    created = min(session.ends_at + _minutes(rng, 20, 72 * 60), latest)
    return max(created, session.ends_at + timedelta(minutes=5))


def _reflection(
    history: ClientHistory,
    kind: str,
    text: str,
    created: datetime,
    *,
    appointment: Appointment | None = None,
    bring: bool = False,
) -> Reflection:
    return Reflection(
        author=history.therapist,
        client=history.require_client(),
        kind=kind,
        text=text,
        appointment=appointment,
        bring_to_next_session=bring,
        created_at=created,
        updated_at=created,
    )


# --- Drift ----------------------------------------------------------------------------------------


def drift_booked_until(history: ClientHistory) -> date:
    """A drifting client's last booked session: a few weeks ago, so the last one they attended
    (the session before, which they then cancelled) is more than DRIFT_DAYS ago."""
    rng = history.rng("drift")
    return history.today - timedelta(days=settings.DRIFT_DAYS + rng.randint(-4, 20))


# --- Counting -------------------------------------------------------------------------------------


def count(counts: Any, obj: models.Model, now: datetime, today: date) -> None:
    """What the command reports about one between-session row."""
    if isinstance(obj, Reflection):
        counts[f"reflections.{obj.kind}"] += 1
        if obj.is_to_bring:
            counts["reflections.to_bring"] += 1
        if obj.is_addressed:
            counts["reflections.addressed"] += 1
    elif isinstance(obj, TreatmentPlan):
        counts[f"plans.{obj.status}"] += 1
        if obj.review_date is not None and obj.status == PlanStatus.CURRENT:
            counts["plans.review_due"] += obj.review_date <= today
    elif isinstance(obj, Intervention):
        counts[f"interventions.{obj.status}"] += 1
        if obj.adapted_from_id is not None and obj.previous_id is None:
            counts["interventions.versions"] += 1
    elif isinstance(obj, Homework):
        counts[f"homework.{obj.status}"] += 1
        if obj.status == HomeworkStatus.ASSIGNED and obj.due_date < today:
            counts["homework.overdue"] += 1
    elif isinstance(obj, CheckIn):
        counts["checkins.urgent"] += obj.urgent
        counts["checkins.unseen"] += obj.seen_at is None
    elif isinstance(obj, User):
        counts[
            "portal_logins.active" if obj.has_usable_password() else "portal_logins.pending"
        ] += 1
