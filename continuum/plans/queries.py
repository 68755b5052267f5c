"""Read models for plans and homework, and the functions the brief and the day call.

Every function here runs a fixed number of queries whatever the length of the history (the
number of plan versions, reviews, administrations or tasks); the tests pin them with
assertNumQueries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Min, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from continuum.accounts.models import User
from continuum.care.access import clients_for
from continuum.care.episodes import OPEN_STATUSES
from continuum.care.models import Client, Episode
from continuum.lib.contributions import DayItem, Rank
from continuum.measures.instruments import UnknownInstrument, get_instrument
from continuum.measures.models import Administration, AdministrationStatus
from continuum.plans.models import (
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
)

DEFAULT_REVIEW_DAYS = 28
GOAL_RATING = "goal_rating"


def review_interval_days() -> int:
    """Days after which an active intervention is due for review (setting PLAN_REVIEW_DAYS)."""
    return int(getattr(settings, "PLAN_REVIEW_DAYS", DEFAULT_REVIEW_DAYS))


def _local_date(moment: datetime) -> date:
    return timezone.localtime(moment).date()


# --- Goal progress --------------------------------------------------------------------------


@dataclass
class Progress:
    """The latest score bearing on a goal's target."""

    value: float  # on the scale as people read it (WHO-5 in %)
    shown: str  # "12", "48%", "6"
    day: date
    met: bool


@dataclass
class GoalRow:
    goal: Goal
    progress: Progress | None


def _latest_scores(episode: Episode, codes: set[str]) -> dict[str, Administration]:
    """The latest completed administration with a total, per instrument code (one query)."""
    if not codes:
        return {}
    ranked = (
        Administration.objects.filter(
            episode=episode,
            status=AdministrationStatus.COMPLETED,
            instrument__in=sorted(codes),
            total__isnull=False,
            completed_at__isnull=False,
        )
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("instrument")],
                order_by=[F("completed_at").desc(), F("pk").desc()],
            )
        )
        .filter(rank=1)
        .only("pk", "instrument", "total", "answers", "goal_labels", "completed_at")
    )
    return {admin.instrument: admin for admin in ranked}


def _normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


def _progress(goal: Goal, latest: dict[str, Administration]) -> Progress | None:
    if goal.target_kind == TargetKind.RATING:
        admin = latest.get(GOAL_RATING)
        if admin is None or admin.completed_at is None:
            return None
        # The goal-rating form asks one item per goal, keyed "1".."n" in label order.
        wanted = _normalise(goal.statement)
        for n, label in enumerate(admin.goal_labels or [], start=1):
            answer = (admin.answers or {}).get(str(n))
            if _normalise(str(label)) == wanted and isinstance(answer, int | float):
                value = float(answer)
                shown = f"{value:g}"
                return Progress(
                    value, shown, _local_date(admin.completed_at), goal.is_met_by(value)
                )
        return None
    admin = latest.get(goal.instrument)
    if admin is None or admin.total is None or admin.completed_at is None:
        return None
    try:
        instrument = get_instrument(goal.instrument)
    except UnknownInstrument:
        return None
    value = admin.total * instrument.factor
    return Progress(
        value,
        instrument.display(admin.total),
        _local_date(admin.completed_at),
        goal.is_met_by(value),
    )


def goal_rows(plan: TreatmentPlan, goals: list[Goal] | None = None) -> list[GoalRow]:
    """Each goal of `plan` with the latest score on its target (two queries at most)."""
    if goals is None:
        goals = list(plan.goals.all())
    codes = {g.instrument for g in goals if g.target_kind == TargetKind.INSTRUMENT}
    if any(g.target_kind == TargetKind.RATING for g in goals):
        codes.add(GOAL_RATING)
    latest = _latest_scores(plan.episode, codes)
    return [GoalRow(goal, _progress(goal, latest)) for goal in goals]


def active_goal_statements(episode: Episode) -> list[str]:
    """The current plan's active goals, in the client's words, in plan order (one query).

    For the `goal_rating` measure: each statement is one "how close are you" item.
    """
    return list(
        Goal.objects.filter(
            plan__episode=episode, plan__status=PlanStatus.CURRENT, status=GoalStatus.ACTIVE
        )
        .order_by("pk")
        .values_list("statement", flat=True)
    )


# --- Interventions: evolution chains and reviews --------------------------------------------


@dataclass
class Step:
    """One version of an intervention: v1, v2, ... in its evolution chain."""

    number: int
    intervention: Intervention
    # The review that adapted the previous version into this one (None for v1).
    caused_by: InterventionReview | None
    reviews: list[InterventionReview]


@dataclass
class Chain:
    """An intervention as it stands in a plan version, with how it evolved."""

    head: Intervention  # the newest version in this plan
    steps: list[Step]  # oldest first; steps[-1].intervention is `head`
    goals: list[Goal] = field(default_factory=list)
    last_reviewed: date | None = None
    due_for_review: bool = False
    review_since: date | None = None  # the start date or last review, whichever is later


@dataclass
class _EpisodeInterventions:
    rows: dict[int, Intervention]
    reviews_by_origin: dict[int, list[InterventionReview]]
    caused_by: dict[int, InterventionReview]  # origin id of a new version → its review

    def origin(self, row: Intervention) -> int:
        """The first row of an intervention's copies across plan versions."""
        seen = row
        while seen.previous_id is not None and seen.previous_id in self.rows:
            seen = self.rows[seen.previous_id]
        return seen.pk


def _episode_interventions(episode_id: int) -> _EpisodeInterventions:
    """Every intervention of every plan version of an episode, and every review (2 queries)."""
    rows = {
        i.pk: i for i in Intervention.objects.filter(plan__episode_id=episode_id).order_by("pk")
    }
    reviews = list(
        InterventionReview.objects.filter(intervention__plan__episode_id=episode_id).order_by(
            "reviewed_on", "pk"
        )
    )
    data = _EpisodeInterventions(rows, defaultdict(list), {})
    for review in reviews:
        row = rows.get(review.intervention_id)
        if row is None:
            continue
        review.intervention = row
        data.reviews_by_origin[data.origin(row)].append(review)
        if review.result_id is not None and review.result_id in rows:
            data.caused_by[data.origin(rows[review.result_id])] = review
    return data


def _chains(
    plan: TreatmentPlan,
    data: _EpisodeInterventions,
    goal_links: dict[int, list[Goal]],
    today: date,
) -> list[Chain]:
    in_plan = [row for row in data.rows.values() if row.plan_id == plan.pk]
    adapted_here = {row.adapted_from_id for row in in_plan if row.adapted_from_id is not None}
    days = review_interval_days()
    chains = []
    for head in in_plan:
        if head.pk in adapted_here:
            continue  # an earlier version: shown inside its successor's chain
        versions = [head]
        while versions[0].adapted_from_id in data.rows:
            versions.insert(0, data.rows[versions[0].adapted_from_id])
        steps = []
        for number, version in enumerate(versions, start=1):
            origin = data.origin(version)
            steps.append(
                Step(
                    number=number,
                    intervention=version,
                    caused_by=data.caused_by.get(origin) if number > 1 else None,
                    reviews=data.reviews_by_origin.get(origin, []),
                )
            )
        reviews = steps[-1].reviews
        last = reviews[-1].reviewed_on if reviews else None
        since = max(head.start_date, last) if last is not None else head.start_date
        chains.append(
            Chain(
                head=head,
                steps=steps,
                goals=goal_links.get(head.pk, []),
                last_reviewed=last,
                review_since=since,
                due_for_review=(
                    plan.status == PlanStatus.CURRENT
                    and head.status == InterventionStatus.ACTIVE
                    and since <= today - timedelta(days=days)
                ),
            )
        )
    # Active ones first, in the order they were added.
    chains.sort(
        key=lambda c: (c.head.status != InterventionStatus.ACTIVE, c.steps[0].intervention.pk)
    )
    return chains


def _goal_links(plan: TreatmentPlan, goals: list[Goal]) -> dict[int, list[Goal]]:
    by_id = {g.pk: g for g in goals}
    links: dict[int, list[Goal]] = defaultdict(list)
    through = Intervention.goals.through.objects.filter(intervention__plan=plan).order_by("pk")
    for intervention_id, goal_id in through.values_list("intervention_id", "goal_id"):
        if goal_id in by_id:
            links[intervention_id].append(by_id[goal_id])
    return links


# --- Plan pages -----------------------------------------------------------------------------


@dataclass
class PlanView:
    plan: TreatmentPlan
    goals: list[GoalRow]
    chains: list[Chain]

    @property
    def active_chains(self) -> list[Chain]:
        return [c for c in self.chains if c.head.status == InterventionStatus.ACTIVE]

    @property
    def ended_chains(self) -> list[Chain]:
        return [c for c in self.chains if c.head.status != InterventionStatus.ACTIVE]

    @property
    def due_count(self) -> int:
        return sum(c.due_for_review for c in self.chains)


def plan_view(plan: TreatmentPlan, *, today: date | None = None) -> PlanView:
    """One plan version in full: goals with progress, interventions with their chains.

    Five queries at most: goals, the latest score per instrument (skipped when no goal has a
    target), goal links, and the interventions and reviews of every version of the episode
    (they feed the evolution chains, which cross plan versions).
    """
    today = today or timezone.localdate()
    goals = list(plan.goals.all())
    rows = goal_rows(plan, goals)
    links = _goal_links(plan, goals)
    data = _episode_interventions(plan.episode_id)
    return PlanView(plan=plan, goals=rows, chains=_chains(plan, data, links, today))


@dataclass
class EpisodePlans:
    current: TreatmentPlan | None
    draft: TreatmentPlan | None
    versions: list[TreatmentPlan]  # newest first


def episode_plans(episode: Episode) -> EpisodePlans:
    """Every plan version of an episode (one query)."""
    versions = list(
        TreatmentPlan.objects.filter(episode=episode)
        .select_related("created_by")
        .order_by("-version")
    )
    for plan in versions:
        plan.episode = episode
    current = next((p for p in versions if p.status == PlanStatus.CURRENT), None)
    draft = next((p for p in versions if p.status == PlanStatus.DRAFT), None)
    return EpisodePlans(current=current, draft=draft, versions=versions)


# --- For the brief and the day --------------------------------------------------------------


@dataclass
class DueIntervention:
    intervention: Intervention
    since: date  # its start date or its last review, whichever is later
    days: int  # days since then
    last_reviewed: date | None


def interventions_due_for_review(
    episode: Episode, today: date | None = None
) -> list[DueIntervention]:
    """Active interventions of the episode's current plan not reviewed for PLAN_REVIEW_DAYS.

    Returns a list of DueIntervention(intervention, since, days, last_reviewed), the longest
    waiting first; `intervention.plan` is set. "since" counts from the start date when the
    intervention was never reviewed. Three queries whatever the history.
    """
    today = today or timezone.localdate()
    plan = (
        TreatmentPlan.objects.filter(episode=episode, status=PlanStatus.CURRENT)
        .select_related("client")
        .first()
    )
    if plan is None:
        return []
    plan.episode = episode
    data = _episode_interventions(episode.pk)
    due = [
        DueIntervention(
            intervention=chain.head,
            since=chain.review_since or chain.head.start_date,
            days=(today - (chain.review_since or chain.head.start_date)).days,
            last_reviewed=chain.last_reviewed,
        )
        for chain in _chains(plan, data, {}, today)
        if chain.due_for_review
    ]
    for item in due:
        item.intervention.plan = plan
    return sorted(due, key=lambda d: (d.since, d.intervention.pk))


def plan_reviews_due_query(user: User, today: date) -> QuerySet[TreatmentPlan]:
    """Current plans of `user`'s clients whose review date is today or earlier, the most
    overdue first. The day reads their columns; `plan_reviews_due` loads them."""
    return _plan_reviews_due(clients_for(user), today)


def _plan_reviews_due(clients: QuerySet[Client], today: date) -> QuerySet[TreatmentPlan]:
    return TreatmentPlan.objects.filter(
        client__in=clients,
        status=PlanStatus.CURRENT,
        review_date__lte=today,
        # A finished course's plan is not reviewed any more.
        episode__status__in=[str(st) for st in OPEN_STATUSES],
    ).order_by("review_date", "pk")


def plan_reviews_due(user: User, today: date) -> list[TreatmentPlan]:
    """`plan_reviews_due_query` as TreatmentPlan rows with `client` and `episode` loaded
    (one query); link to `plans:episode_plan` with `plan.episode_id`."""
    return list(plan_reviews_due_query(user, today).select_related("client", "episode"))


# --- Homework -------------------------------------------------------------------------------


@dataclass
class HomeworkHistory:
    items: list[Homework]  # newest due date first (at most `limit` when one was given)
    total: int  # every task, cancelled ones included
    counts: dict[str, int]  # status value → number of tasks

    @property
    def reported(self) -> int:
        return sum(self.counts.get(s, 0) for s in ("done", "partly", "not_done"))

    @property
    def more(self) -> bool:
        return self.total > len(self.items)

    @property
    def open_items(self) -> list[Homework]:
        """The items still to do (the client page shows them first)."""
        return [hw for hw in self.items if hw.status == HomeworkStatus.ASSIGNED]

    @property
    def past_items(self) -> list[Homework]:
        """The items reported or cancelled (behind "show more" on the client page)."""
        return [hw for hw in self.items if hw.status != HomeworkStatus.ASSIGNED]


def _homework(client: Client) -> Any:
    return Homework.objects.filter(client=client).select_related("goal", "intervention")


def homework_for_client(client: Client, *, limit: int | None = None) -> HomeworkHistory:
    """A client's homework history for the client page and the homework list (2 queries).

    Returns HomeworkHistory(items, total, counts): `items` are Homework rows, newest due date
    first (at most `limit`), with `goal` and `intervention` loaded for `why_text`; `counts`
    maps each status to its number of tasks over the whole history.
    """
    rows = _homework(client).order_by("-due_date", "-pk")
    items = list(rows[:limit] if limit is not None else rows)
    counts: dict[str, int] = dict(
        Homework.objects.filter(client=client)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return HomeworkHistory(items=items, total=sum(counts.values()), counts=counts)


def homework_since(client: Client, since: datetime) -> list[Homework]:
    """Homework that moved since `since`, for the brief (one query).

    Returns Homework rows (not cancelled) set, reported or due since `since`, plus every task
    still open, by due date; `goal` and `intervention` are loaded. `client_note` is the
    client's own words (decrypted): show it escaped, never log it.
    """
    return list(
        _homework(client)
        .exclude(status=HomeworkStatus.CANCELLED)
        .filter(
            Q(created_at__gte=since)
            | Q(reported_at__gte=since)
            | Q(due_date__gte=_local_date(since))
            | Q(status=HomeworkStatus.ASSIGNED)
        )
        .order_by("due_date", "pk")
    )


def overdue_homework_query(user: User, today: date) -> QuerySet[Homework]:
    """Open tasks of `user`'s clients whose due date has passed. The day counts them per
    client; `overdue_homework` lists them."""
    return _overdue_homework(clients_for(user), today)


def _overdue_homework(clients: QuerySet[Client], today: date) -> QuerySet[Homework]:
    return Homework.objects.filter(
        client__in=clients, status=HomeworkStatus.ASSIGNED, due_date__lt=today
    )


def overdue_homework(user: User, today: date) -> list[Homework]:
    """The overdue tasks as Homework rows with `client` loaded, the longest overdue first
    (one query); link to `plans:homework_list` with `homework.client_id`."""
    return list(
        overdue_homework_query(user, today).select_related("client").order_by("due_date", "pk")
    )


# --- The portal -----------------------------------------------------------------------------


def current_plan(client: Client) -> TreatmentPlan | None:
    """The client's current plan (of their latest episode that has one), or None (1 query).

    The portal's "My plan" and the homework form (what a task can be linked to) use it.
    """
    plan: TreatmentPlan | None = (
        TreatmentPlan.objects.filter(client=client, status=PlanStatus.CURRENT)
        .select_related("episode", "client")
        .order_by("-episode__start_date", "-published_at", "-pk")
        .first()
    )
    return plan


def portal_homework(client: Client) -> list[Homework]:
    """The client's tasks (not cancelled): open ones first by due date, then the reported."""
    rows = list(_homework(client).exclude(status=HomeworkStatus.CANCELLED))
    open_ = sorted((h for h in rows if h.is_open), key=lambda h: (h.due_date, h.pk))
    done = sorted(
        (h for h in rows if not h.is_open), key=lambda h: (h.due_date, h.pk), reverse=True
    )
    return open_ + done


# --- What plans contributes to the day and the brief -----------------------------------------

# The brief of a first session: homework "since" the beginning of time.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

PLAN_REVIEW_ITEM = "plans.review"
HOMEWORK_ITEM = "plans.homework"


def plan_day_items(user: User, now: datetime) -> list[DayItem]:
    """Plans whose review date has come, and homework past its due date (two queries: the
    rows of plan_reviews_due_query and overdue_homework_query, as plain columns and counts
    per client)."""
    return plan_items_for(clients_for(user), now)


def plan_items_for(clients: QuerySet[Client], now: datetime) -> list[DayItem]:
    """`plan_day_items` of `clients` (any therapist's), for the day's attention table."""
    today = timezone.localtime(now).date()
    reviews = _plan_reviews_due(clients, today).values_list(
        "client_id", "episode_id", "review_date"
    )
    items = [
        DayItem(
            kind=PLAN_REVIEW_ITEM,
            client_id=client_id,
            rank=Rank.ROUTINE,
            at=_morning_of(review_date) if review_date is not None else None,
            ref=episode_id,
            facts={"review_date": review_date},
        )
        for client_id, episode_id, review_date in reviews
    ]
    overdue = (
        _overdue_homework(clients, today)
        .order_by()
        .values("client_id")
        .annotate(count=Count("pk"), oldest=Min("due_date"))
        .order_by("oldest", "client_id")
        .values_list("client_id", "count", "oldest")
    )
    items.extend(
        DayItem(
            kind=HOMEWORK_ITEM,
            client_id=client_id,
            rank=Rank.ROUTINE,
            # Overdue from the day after the oldest task's due date.
            at=_morning_of(oldest + timedelta(days=1)),
            ref=client_id,
            facts={"count": count},
        )
        for client_id, count, oldest in overdue
    )
    return items


def _morning_of(day: date) -> datetime:
    """The start of `day` in the current time zone: when a date-based reason was raised."""
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass
class PlanSection:
    plan: TreatmentPlan
    goals: list[Any]
    due: list[Any]
    review_due: bool


def plan_section(client: Client) -> PlanSection | None:
    """For the brief: the current plan's goals with their progress, interventions due for
    review and the plan's review date (1 query for the plan, 2 for goals and scores, 3 for
    interventions)."""
    plan = current_plan(client)
    if plan is None:
        return None
    today = timezone.localdate()
    return PlanSection(
        plan=plan,
        goals=goal_rows(plan),
        due=interventions_due_for_review(plan.episode, today),
        review_due=plan.review_date is not None and plan.review_date <= today,
    )
