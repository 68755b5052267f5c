"""The shared types of the demo's planning modules: one client's history (`ClientHistory`)
and what the practice decides for it before it is planned (a `Story`, a `Role` for life
between sessions, a `ScorePlan` for scores). builder.py fills them; between.py and
measures.py read and extend them. Kept apart so those modules import this one and not each
other (no import circle).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from continuum.accounts.models import Practice, User
from continuum.care.models import Appointment, Client, Episode, NoteAddendum, ProgressNote
from continuum.demo import content
from continuum.measures.models import Administration, Alert, MeasureAssignment
from continuum.plans.models import Goal, Intervention, InterventionReview, TreatmentPlan
from continuum.portal.models import CheckinCadence

LONDON = ZoneInfo(content.PRACTICE_TIME_ZONE)
EPOCH_MONDAY = date(2000, 1, 3)  # fixes which weeks are "even" for fortnightly clients


class Story(StrEnum):
    """The shape of a client's history with the practice."""

    ACTIVE = "active"  # in therapy now, 3 to 18 months of sessions, more booked
    REFERRAL = "referral"  # referred in the last three weeks, assessment booked
    ENDING = "ending"  # long course, ending agreed, final sessions booked
    ENDED = "ended"  # last session a few weeks ago
    CLOSED = "closed"  # ended months ago and closed
    REOPENED = "reopened"  # an earlier closed episode and a new active one
    # The practice's past caseload: a course that ended up to eighteen months ago and was
    # closed (the outcomes page's finished episodes; builder.DemoOptions.discharged).
    DISCHARGED = "discharged"


def week_parity(day: date) -> int:
    return ((day - EPOCH_MONDAY).days // 7) % 2


def is_practice_holiday(day: date) -> bool:
    """The practice closes from Christmas Eve to New Year's Day."""
    return (day.month == 12 and day.day >= 24) or (day.month == 1 and day.day == 1)


@dataclass(frozen=True)
class Slot:
    """A client's regular session time; `parity` picks the weeks of a fortnightly client."""

    weekday: int
    hour: int
    parity: int | None  # None: every week

    def dates(self, start: date, end: date) -> Iterator[date]:
        """Session dates from `start` to `end` inclusive, skipping practice holidays."""
        day = start + timedelta(days=(self.weekday - start.weekday()) % 7)
        while day <= end:
            if (self.parity is None or week_parity(day) == self.parity) and not (
                is_practice_holiday(day)
            ):
                yield day
            day += timedelta(days=7)


class Trajectory(StrEnum):
    """How a client's scores move over a course of therapy."""

    IMPROVING = "improving"  # exponential decay towards a floor, at different speeds
    FLAT = "flat"  # no real change
    DETERIORATING = "deteriorating"  # rises by more than the reliable-change threshold
    LATE = "late"  # flat for 6 to 10 sessions, then improving


class SafetyEvent(StrEnum):
    RECENT = "recent"  # item 9 above 0 at the latest PHQ-9: the alert is still open
    EARLIER = "earlier"  # at an earlier PHQ-9: the therapist acted and resolved it
    UNANSWERED = "unanswered"  # item 9 left blank at the latest PHQ-9: "ask it" on the day


@dataclass(frozen=True)
class ScorePlan:
    """What the practice decided for one treated client before their history is planned."""

    trajectory: Trajectory
    safety: SafetyEvent | None = None
    overdue: bool = False  # their monthly WHO-5 was not completed within its window
    # Answered only their first questionnaires (a discharged client whose episode has no
    # paired scores: the outcomes page's data completeness).
    first_only: bool = False


@dataclass(frozen=True)
class Role:
    """What the practice decided for one client before their history is planned."""

    drifting: bool = False
    portal: bool = False
    pending: bool = False  # invited to the portal, no password chosen yet
    login: str = ""  # the fixed demo login (client@example.org) for one client
    seen_soon: bool = False  # has a session today or tomorrow
    review_due: bool = False
    urgent_recent: bool = False
    homework_overdue: bool = False
    homework_cancelled: bool = False


@dataclass
class PortalAccess:
    user: User
    invited_at: datetime
    joined_at: datetime | None  # when the password was chosen; None while only invited
    cadence: str = CheckinCadence.NONE


@dataclass(frozen=True)
class RatedGoals:
    """A plan version as published: its review date then, and its active goals' statements in
    plan order (what plans.queries.active_goal_statements then offered the goal rating)."""

    plan: TreatmentPlan
    review_date: date | None
    statements: list[str]


@dataclass
class Records:
    """One client's between-session rows, planned step by step (see builder.STEPS)."""

    portal: PortalAccess | None = None
    plans: list[TreatmentPlan] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    interventions: list[Intervention] = field(default_factory=list)
    links: list[Any] = field(default_factory=list)  # Intervention.goals.through rows
    reviews: list[InterventionReview] = field(default_factory=list)
    # Per attended session (by id()): the plan's active interventions then, with their goals.
    snapshots: dict[int, list[tuple[Intervention, list[Goal]]]] = field(default_factory=dict)
    # Per plan version, oldest first: what its goal ratings ask about (measures.py).
    rated_goals: list[RatedGoals] = field(default_factory=list)


@dataclass(frozen=True)
class Profile:
    """Who the client is and how their therapy runs, drawn once and used by every step."""

    person: content.Person
    theme: content.Theme
    second_theme: content.Theme | None
    intervention: content.Intervention
    weekly: bool
    modality: str
    note_format: str
    slot: Slot


@dataclass
class Course:
    """An episode of care and the dates its sessions were (or are) booked on."""

    episode: Episode
    dates: list[date]
    ending_from: date | None = None  # sessions from this date on work towards the ending
    unplanned: bool = False  # the client stopped coming (the last two sessions are no-shows)


@dataclass
class ClientHistory:
    number: int
    seed: int
    now: datetime
    practice: Practice
    therapist: User
    story: Story
    profile: Profile
    score_plan: ScorePlan | None = None  # None: no score history (referrals)
    client: Client | None = None
    courses: list[Course] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)
    notes: list[ProgressNote] = field(default_factory=list)
    addenda: list[NoteAddendum] = field(default_factory=list)
    assignments: list[MeasureAssignment] = field(default_factory=list)
    alerted_administrations: list[Administration] = field(default_factory=list)  # have alerts
    administrations: list[Administration] = field(default_factory=list)  # the others
    alerts: list[Alert] = field(default_factory=list)
    in_session_rate: float = 0.0  # how often questionnaires are filled in at the session
    # Goal ratings of the treatment plan's goals (planned once the plans are).
    goal_assignments: list[MeasureAssignment] = field(default_factory=list)
    goal_administrations: list[Administration] = field(default_factory=list)
    # Between sessions (between.py): what the practice decided, and the rows planned.
    role: Role = field(default_factory=Role)
    between: Records = field(default_factory=Records)
    portal_password: str = ""  # the demo password's hash, shared by every portal login

    def rng(self, kind: str) -> random.Random:
        """The random stream for one kind of record of this client (see the module docstring)."""
        return random.Random(f"{self.seed}:{self.number}:{kind}")

    @property
    def today(self) -> date:
        return self.now.astimezone(LONDON).date()

    def require_client(self) -> Client:
        """The client record (planned by the first step, which every later step follows)."""
        if self.client is None:
            raise LookupError("plan_clients runs before the other steps")
        return self.client
