"""The therapist's load in plain numbers: weekly aggregates, trends, and what stands out.

Plain Python over plain values (no Django): the views and the day-view prompt load the rows,
turn them into `Session`s in the therapist's own time zone, and call these functions.

Definitions (the load page explains them in words):

- A **session** is an attended appointment the therapist held; its **hours** are its booked
  duration. A **week** is an ISO week, Monday to Sunday, in the therapist's time zone.
- A session's **weight** is the therapist's own rating, 1 (light) to 5 (very heavy); a
  **heavy** session has a weight of 4 or more. Unrated sessions count for hours, not weight.
- Load **stays high** when, for `weeks_running` weeks in a row, the average weight is at or
  above the threshold or the hours are over the limit. The current week is still under way:
  if it has not (yet) crossed a line, the run ending last week counts instead, so a Monday
  morning does not wipe out two hard weeks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

HEAVY_WEIGHT = 4
# A week is "heavier than usual" when its average weight is at least this much above the
# average of the therapist's earlier weeks (and there are enough earlier weeks to compare).
HEAVIER_BY = 0.5
MIN_BASELINE_WEEKS = 3
# "Three heavy sessions in a row on Thursdays": at least this many, the latest this recent.
RUN_MIN = 3
RUN_RECENT_DAYS = 28
# "Thursdays are your heaviest day": at least this many rated sessions on the day and on the
# other days, and an average at least this much higher.
DAY_MIN_RATED = 4
DAY_HEAVIER_BY = 1.0

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


@dataclass(frozen=True)
class Session:
    """One attended session, its start in the therapist's local time."""

    start: datetime
    minutes: int
    weight: int | None = None

    @property
    def is_heavy(self) -> bool:
        return self.weight is not None and self.weight >= HEAVY_WEIGHT


@dataclass(frozen=True)
class Thresholds:
    weekly_hours_limit: int = 25
    average_weight: float = 3.5
    weeks_running: int = 2
    heavy_sessions: int = 3


@dataclass(frozen=True)
class Week:
    start: date
    sessions: int = 0
    minutes: int = 0
    rated: int = 0
    weight_total: int = 0
    heavy: int = 0
    alerts_handled: int = 0

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)

    @property
    def hours(self) -> float:
        return self.minutes / 60

    @property
    def average_weight(self) -> float | None:
        return self.weight_total / self.rated if self.rated else None

    @property
    def iso_week(self) -> str:
        year, number, _ = self.start.isocalendar()
        return f"{year}-W{number:02d}"


@dataclass(frozen=True)
class Prompt:
    """Why the day view suggests a pause, and what it suggests."""

    reasons: tuple[str, ...]
    suggestion: str


# --- Weeks --------------------------------------------------------------------------------------


def week_start(day: date) -> date:
    """The Monday of the ISO week containing `day`."""
    return day - timedelta(days=day.weekday())


def week_starts(today: date, count: int) -> list[date]:
    """The Mondays of the last `count` weeks, oldest first, ending with this week's."""
    this_week = week_start(today)
    return [this_week - timedelta(weeks=n) for n in range(count - 1, -1, -1)]


def weekly(
    sessions: Iterable[Session],
    starts: Sequence[date],
    handled: Iterable[tuple[int, date]] = (),
) -> list[Week]:
    """One `Week` per Monday in `starts` (sessions outside those weeks are ignored).

    `handled` holds (alert id, local day) for each time the therapist acknowledged or resolved
    an alert; an alert counts once per week however often it was acted on that week.
    """
    wanted = set(starts)
    counts: dict[date, dict[str, int]] = {
        s: {"sessions": 0, "minutes": 0, "rated": 0, "weight_total": 0, "heavy": 0} for s in starts
    }
    for session in sessions:
        monday = week_start(session.start.date())
        if monday not in wanted:
            continue
        row = counts[monday]
        row["sessions"] += 1
        row["minutes"] += session.minutes
        if session.weight is not None:
            row["rated"] += 1
            row["weight_total"] += session.weight
            if session.is_heavy:
                row["heavy"] += 1
    alerts: dict[date, set[int]] = defaultdict(set)
    for alert_id, day in handled:
        monday = week_start(day)
        if monday in wanted:
            alerts[monday].add(alert_id)
    return [Week(start=s, alerts_handled=len(alerts[s]), **counts[s]) for s in starts]


def trailing_run(flags: Sequence[bool]) -> int:
    """How many weeks in a row ending now a flag held (the last flag is the current week).

    The current week is unfinished, so when its flag is not (yet) set the run that ended last
    week counts instead.
    """
    items = list(flags)
    if items and not items[-1]:
        items.pop()
    run = 0
    for flag in reversed(items):
        if not flag:
            break
        run += 1
    return run


def over_limit(week: Week, limit: int) -> bool:
    return week.hours > limit


def weight_high(week: Week, threshold: float) -> bool:
    average = week.average_weight
    return average is not None and average >= threshold


# --- The day-view prompt ------------------------------------------------------------------------


def prompt_for(weeks: Sequence[Week], thresholds: Thresholds) -> Prompt | None:
    """A kind suggestion when load stays high, or None. `weeks` ends with the current week."""
    if not weeks:
        return None
    reasons: list[str] = []
    suggestions: list[str] = []
    heavy_run = trailing_run([weight_high(w, thresholds.average_weight) for w in weeks])
    if heavy_run >= thresholds.weeks_running:
        run_weeks = _run_weeks(weeks, heavy_run, thresholds)
        rated = sum(w.rated for w in run_weeks)
        average = sum(w.weight_total for w in run_weeks) / rated if rated else 0.0
        reasons.append(
            f"Your sessions have felt heavy for {_weeks(heavy_run)} running "
            f"(an average of {average:.1f} out of 5)."
        )
        suggestions.append("talking it through with a peer or in supervision")
    hours_run = trailing_run([over_limit(w, thresholds.weekly_hours_limit) for w in weeks])
    if hours_run >= thresholds.weeks_running:
        reasons.append(
            f"You have worked more than your limit of {thresholds.weekly_hours_limit} hours "
            f"for {_weeks(hours_run)} running."
        )
        suggestions.append("a proper break")
    heavy_now = weeks[-1].heavy
    if heavy_now >= thresholds.heavy_sessions:
        reasons.append(f"{count_word(heavy_now, capital=True)} heavy sessions so far this week.")
        if not suggestions:
            suggestions.append("a pause between sessions, or a word with a colleague")
    if not reasons:
        return None
    suggestion = (
        "That is a lot to carry. You might consider "
        + _join(_unique(suggestions))
        + ". Looking after yourself is part of looking after your clients."
    )
    return Prompt(reasons=tuple(reasons), suggestion=suggestion)


def _run_weeks(weeks: Sequence[Week], run: int, thresholds: Thresholds) -> list[Week]:
    items = list(weeks)
    if items and not weight_high(items[-1], thresholds.average_weight):
        items.pop()
    return items[-run:]


# --- What stands out ----------------------------------------------------------------------------


def what_stands_out(
    sessions: Sequence[Session], weeks: Sequence[Week], thresholds: Thresholds, today: date
) -> list[str]:
    """Plain sentences about the weeks in `weeks` (oldest first, ending with this week)."""
    if not weeks:
        return []
    window_start = weeks[0].start
    window_end = weeks[-1].end
    in_window = [s for s in sessions if window_start <= s.start.date() <= window_end]
    sentences: list[str] = []
    sentences += _hours_sentences(weeks, thresholds)
    heavy_now = weeks[-1].heavy
    if heavy_now >= thresholds.heavy_sessions:
        sentences.append(f"{count_word(heavy_now, capital=True)} heavy sessions this week.")
    heavier = heavier_than_usual(weeks)
    if heavier is not None:
        run, recent, usual = heavier
        sentences.append(
            f"Heavier weeks than usual for {_weeks(run)} "
            f"(an average of {recent:.1f} against your usual {usual:.1f})."
        )
    sentences += [
        f"{count_word(run, capital=True)} heavy sessions in a row on {WEEKDAYS[day]}s."
        for day, run in heavy_runs_by_weekday(in_window, today)
    ]
    heaviest = heaviest_weekday(in_window)
    if heaviest is not None:
        day, on_day, others = heaviest
        sentences.append(
            f"{WEEKDAYS[day]}s are your heaviest day: sessions average {on_day:.1f} "
            f"against {others:.1f} on other days."
        )
    return sentences


def _hours_sentences(weeks: Sequence[Week], thresholds: Thresholds) -> list[str]:
    limit = thresholds.weekly_hours_limit
    current = weeks[-1]
    sentences = []
    if over_limit(current, limit):
        sentences.append(
            f"You worked {format_hours(current.hours)} hours this week, "
            f"above your limit of {limit}."
        )
    elif len(weeks) > 1 and over_limit(weeks[-2], limit):
        sentences.append(
            f"You worked {format_hours(weeks[-2].hours)} hours last week, "
            f"above your limit of {limit}."
        )
    run = trailing_run([over_limit(w, limit) for w in weeks])
    if run >= 2:
        sentences.append(f"Over your limit of {limit} hours for {_weeks(run)} running.")
    return sentences


def heavier_than_usual(weeks: Sequence[Week]) -> tuple[int, float, float] | None:
    """(weeks, their average, the usual average) when the latest rated weeks stand out.

    Only weeks with rated sessions take part. The latest k of them are "heavier than usual"
    when each one's average is at least HEAVIER_BY above the average of all the rated weeks
    before them (at least MIN_BASELINE_WEEKS of those). The longest such k of two or more.
    """
    rated = [w for w in weeks if w.rated]
    best: tuple[int, float, float] | None = None
    for k in range(2, len(rated) - MIN_BASELINE_WEEKS + 1):
        recent, before = rated[-k:], rated[:-k]
        usual = sum(w.weight_total for w in before) / sum(w.rated for w in before)
        if all((w.average_weight or 0.0) >= usual + HEAVIER_BY for w in recent):
            average = sum(w.weight_total for w in recent) / sum(w.rated for w in recent)
            best = (k, average, usual)
        else:
            break
    return best


def heavy_runs_by_weekday(sessions: Sequence[Session], today: date) -> list[tuple[int, int]]:
    """(weekday, run) where the latest rated sessions on that weekday were all heavy.

    Sessions are taken in time order per weekday (Monday 0); the run is the number of heavy
    sessions at the end of that sequence, reported when it is at least RUN_MIN long and the
    latest of them was within the last RUN_RECENT_DAYS days.
    """
    by_day: dict[int, list[Session]] = defaultdict(list)
    for session in sorted(sessions, key=lambda s: s.start):
        if session.weight is not None:
            by_day[session.start.weekday()].append(session)
    runs = []
    for day in sorted(by_day):
        rated = by_day[day]
        run = 0
        for session in reversed(rated):
            if not session.is_heavy:
                break
            run += 1
        recent = (today - rated[-1].start.date()).days <= RUN_RECENT_DAYS
        if run >= RUN_MIN and recent:
            runs.append((day, run))
    return runs


def heaviest_weekday(sessions: Sequence[Session]) -> tuple[int, float, float] | None:
    """(weekday, its average weight, the other days' average) when one day stands out."""
    totals: dict[int, list[int]] = defaultdict(list)
    for session in sessions:
        if session.weight is not None:
            totals[session.start.weekday()].append(session.weight)
    best: tuple[int, float, float] | None = None
    for day, weights in totals.items():
        others = [w for d, ws in totals.items() if d != day for w in ws]
        if len(weights) < DAY_MIN_RATED or len(others) < DAY_MIN_RATED:
            continue
        on_day = sum(weights) / len(weights)
        rest = sum(others) / len(others)
        if on_day - rest >= DAY_HEAVIER_BY and (best is None or on_day > best[1]):
            best = (day, on_day, rest)
    return best


# --- Summaries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    sessions: int
    hours: float
    rated: int
    average_weight: float | None
    heavy: int
    alerts_handled: int


def totals(weeks: Sequence[Week]) -> Totals:
    rated = sum(w.rated for w in weeks)
    weight_total = sum(w.weight_total for w in weeks)
    return Totals(
        sessions=sum(w.sessions for w in weeks),
        hours=sum(w.minutes for w in weeks) / 60,
        rated=rated,
        average_weight=weight_total / rated if rated else None,
        heavy=sum(w.heavy for w in weeks),
        alerts_handled=sum(w.alerts_handled for w in weeks),
    )


REFLECTION_QUESTIONS = (
    "What gave you energy this week, and what took it?",
    "Which session are you still carrying, and what would help you set it down?",
    "When did you last take a real break, away from work?",
    "Who could you talk to about the case that weighs on you most?",
    "What is one thing you did well this week?",
    "What do you need more of next week, and what less?",
    "How did you look after your body this week: sleep, food, movement?",
    "Is there something you have been meaning to bring to supervision?",
    "What helped you leave work at work this week?",
    "What would you say to a colleague who had the week you just had?",
    "Which boundary served you well this week, and which one was hard to hold?",
    "What are you looking forward to, outside work?",
)


def reflection_question(week: date) -> str:
    """One question per ISO week, rotating through the list (the same all week)."""
    year, number, _ = week.isocalendar()
    return REFLECTION_QUESTIONS[(year * 53 + number) % len(REFLECTION_QUESTIONS)]


# --- Words --------------------------------------------------------------------------------------


def count_word(n: int, *, capital: bool = False) -> str:
    word = _WORDS[n] if 0 <= n < len(_WORDS) else str(n)
    return word[:1].upper() + word[1:] if capital else word


def format_hours(hours: float) -> str:
    """31 or 30.5: whole hours without a decimal point."""
    rounded = round(hours, 1)
    return f"{rounded:.0f}" if rounded == int(rounded) else f"{rounded:.1f}"


def _weeks(n: int) -> str:
    return f"{count_word(n)} week" + ("" if n == 1 else "s")


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]
