"""The readiness review's reasoning as plain Python: facts in, plain words out (no Django).

The review SUGGESTS, it never decides: the words describe the signals ("Most goals are met and
PHQ-9 has been below caseness for 6 weeks; the client feels 8/10 ready") and always end by
saying the decision is the therapist's and the client's, together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

# Session feedback: a mean below 7 prompts a conversation (CLINICAL.md).
ALLIANCE_CONCERN = 7.0
# A change of a whole point between the earlier and the recent sessions is a trend.
ALLIANCE_TREND_POINTS = 1.0
ALLIANCE_WINDOW = 3
# Below caseness for this long counts as a settled signal.
SETTLED_WEEKS = 4
CLIENT_READY = 7
CLIENT_NOT_READY = 4

NOT_A_DECISION = (
    "This is a prompt for your conversation with the client, not a decision: you decide "
    "together whether and when to end."
)


class Leaning(StrEnum):
    TOWARDS_ENDING = "towards_ending"
    SOME_SIGNS = "some_signs"
    MIXED = "mixed"
    NOT_YET = "not_yet"
    UNKNOWN = "unknown"


LEANING_WORDS: dict[Leaning, str] = {
    Leaning.TOWARDS_ENDING: "Several signals point towards planning an ending together.",
    Leaning.SOME_SIGNS: "One signal points towards an ending so far; more to go on would help.",
    Leaning.MIXED: "The signals are mixed: worth exploring with the client.",
    Leaning.NOT_YET: "The signals suggest it may be early to plan an ending.",
    Leaning.UNKNOWN: "Nothing points clearly either way yet.",
}


# --- Goals -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalFact:
    achieved: bool  # marked achieved in the plan
    met: bool | None  # the latest score meets the target (None: no score yet)
    dropped: bool = False

    @property
    def counts_as_met(self) -> bool:
        return self.achieved or self.met is True


def goals_clause(goals: Sequence[GoalFact]) -> tuple[str, int, int]:
    """("Most goals are met", met, considered); dropped goals do not count."""
    considered = [g for g in goals if not g.dropped]
    n = len(considered)
    met = sum(g.counts_as_met for g in considered)
    if n == 0:
        words = "No treatment goals are recorded"
    elif met == n:
        words = "The goal is met" if n == 1 else "All goals are met"
    elif met * 2 > n:
        words = "Most goals are met"
    elif met == 0:
        words = "No goal is met yet" if n == 1 else "No goals are met yet"
    else:
        words = f"{met} of {n} goals are met"
    return words, met, n


# --- Caseness --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScorePoint:
    day: date
    total: float


@dataclass(frozen=True)
class CasenessFact:
    name: str  # "PHQ-9"
    cutoff: float  # at caseness when total >= cutoff
    points: tuple[ScorePoint, ...]  # oldest first


@dataclass(frozen=True)
class CasenessStatus:
    name: str
    latest: ScorePoint
    at_caseness: bool
    below_since: date | None  # the first score of the latest run below caseness
    weeks_below: int  # from that score to the latest one

    @property
    def words(self) -> str:
        if self.at_caseness:
            return f"{self.name} is still at caseness ({self.latest.total:g})"
        if self.weeks_below >= 1:
            plural = "" if self.weeks_below == 1 else "s"
            return f"{self.name} has been below caseness for {self.weeks_below} week{plural}"
        return f"{self.name} is below caseness at the latest score ({self.latest.total:g})"


def caseness_status(fact: CasenessFact) -> CasenessStatus | None:
    """Where the latest scores stand against caseness; None without scores."""
    if not fact.points:
        return None
    points = sorted(fact.points, key=lambda p: p.day)
    latest = points[-1]
    if latest.total >= fact.cutoff:
        return CasenessStatus(fact.name, latest, True, None, 0)
    since = latest.day
    for point in reversed(points):
        if point.total >= fact.cutoff:
            break
        since = point.day
    return CasenessStatus(fact.name, latest, False, since, (latest.day - since).days // 7)


def caseness_clause(statuses: Sequence[CasenessStatus]) -> str | None:
    """The most telling caseness fact: any measure still at caseness, else the longest run."""
    if not statuses:
        return None
    at = [s for s in statuses if s.at_caseness]
    if at:
        return " and ".join(s.words for s in at)
    longest = max(statuses, key=lambda s: s.weeks_below)
    return longest.words


# --- Alliance (session feedback) -------------------------------------------------------------


class Direction(StrEnum):
    IMPROVING = "improving"
    STEADY = "steady"
    FALLING = "falling"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class AllianceTrend:
    means: tuple[float, ...]  # the mean feedback per session, oldest first
    direction: Direction
    recent: float | None  # the mean of the last sessions (up to ALLIANCE_WINDOW)

    @property
    def latest(self) -> float | None:
        return self.means[-1] if self.means else None

    @property
    def concern(self) -> bool:
        return self.latest is not None and self.latest < ALLIANCE_CONCERN

    @property
    def words(self) -> str:
        if not self.means:
            return "No session feedback in this episode."
        if self.direction == Direction.UNKNOWN:
            text = f"Session feedback from one session so far ({self.means[-1]:.1f} out of 10)."
        else:
            shown = min(len(self.means), ALLIANCE_WINDOW)
            text = (
                f"Session feedback is {self.direction.value} ({self.recent:.1f} out of 10 on "
                f"average over the last {shown} sessions)."
            )
        if self.concern:
            text += " The latest session was rated below 7: worth talking about."
        return text


def session_means(ratings: Sequence[tuple[object, float]]) -> list[float]:
    """The mean rating per session, in the order sessions first appear ((session, value))."""
    sums: dict[object, list[float]] = {}
    for key, value in ratings:
        sums.setdefault(key, []).append(value)
    return [sum(values) / len(values) for values in sums.values()]


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def alliance_trend(means: Sequence[float]) -> AllianceTrend:
    """Recent sessions against the ones before them: a point or more apart is a trend."""
    values = tuple(means)
    if len(values) < 2:
        return AllianceTrend(values, Direction.UNKNOWN, values[-1] if values else None)
    recent = values[-ALLIANCE_WINDOW:]
    earlier = values[:-ALLIANCE_WINDOW][-ALLIANCE_WINDOW:] or values[:1]
    if len(values) <= ALLIANCE_WINDOW:
        # Few sessions: the first against the rest.
        recent, earlier = values[1:], values[:1]
    diff = _mean(recent) - _mean(earlier)
    if diff >= ALLIANCE_TREND_POINTS:
        direction = Direction.IMPROVING
    elif diff <= -ALLIANCE_TREND_POINTS:
        direction = Direction.FALLING
    else:
        direction = Direction.STEADY
    return AllianceTrend(values, direction, _mean(values[-ALLIANCE_WINDOW:]))


# --- The suggestion --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadinessFacts:
    goals: Sequence[GoalFact] = ()
    caseness: Sequence[CasenessFact] = ()
    alliance: AllianceTrend | None = None
    client_readiness: int | None = None  # 0-10, from the portal questionnaire
    client_worries: bool = False  # the client wrote something about worries
    client_asked: bool = False  # a questionnaire was sent (answered or not)


@dataclass
class Suggestion:
    headline: str
    leaning: Leaning
    points: list[str] = field(default_factory=list)

    @property
    def leaning_words(self) -> str:
        return LEANING_WORDS[self.leaning]

    @property
    def not_a_decision(self) -> str:
        return NOT_A_DECISION


def client_clause(facts: ReadinessFacts) -> str:
    if facts.client_readiness is not None:
        return f"the client feels {facts.client_readiness}/10 ready"
    if facts.client_asked:
        return "the client has not answered the readiness questions yet"
    return "the client's own view has not been asked in the portal"


def suggest(facts: ReadinessFacts) -> Suggestion:
    """Plain-words signals for and against planning an ending now; never a verdict."""
    goal_words, met, considered = goals_clause(facts.goals)
    statuses = [s for s in (caseness_status(c) for c in facts.caseness) if s is not None]
    case_words = caseness_clause(statuses)
    first = goal_words if case_words is None else f"{goal_words} and {case_words}"
    headline = f"{first}; {client_clause(facts)}."

    positive = negative = 0
    if considered:
        if met * 2 > considered:
            positive += 1
        elif met * 2 < considered:
            negative += 1
    if statuses:
        if any(s.at_caseness for s in statuses):
            negative += 1
        elif all(s.weeks_below >= SETTLED_WEEKS for s in statuses):
            positive += 1
    if facts.client_readiness is not None:
        if facts.client_readiness >= CLIENT_READY:
            positive += 1
        elif facts.client_readiness <= CLIENT_NOT_READY:
            negative += 1
    if facts.alliance is not None and facts.alliance.direction == Direction.FALLING:
        negative += 1

    if positive and negative:
        leaning = Leaning.MIXED
    elif positive >= 2:
        leaning = Leaning.TOWARDS_ENDING
    elif positive == 1:
        leaning = Leaning.SOME_SIGNS
    elif negative:
        leaning = Leaning.NOT_YET
    else:
        leaning = Leaning.UNKNOWN

    points = []
    if considered:
        points.append(f"{met} of {considered} goal{'s' if considered != 1 else ''} met.")
    for status in statuses:
        points.append(f"{status.words}.")
    if facts.alliance is not None:
        points.append(facts.alliance.words)
    if facts.client_readiness is not None:
        points.append(
            f"The client rated their readiness to finish {facts.client_readiness} out of 10."
        )
    if facts.client_worries:
        points.append("The client wrote about worries on ending: talk them through.")
    return Suggestion(headline=headline, leaning=leaning, points=points)
