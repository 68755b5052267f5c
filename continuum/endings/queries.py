"""Read models for the endings pages, the therapist's day and other apps.

Each function runs a fixed number of queries whatever the length of the history; the tests pin
them with assertNumQueries.

For other apps (read defensively, `apps.is_installed("continuum.endings")`):
- `current_relapse_plan(client)`: the client's relapse-prevention plan (newest version), or None.
- `termination_plan_for(episode)`: the episode's agreed termination plan, or None.
- `unplanned_candidates(clients, now)`: clients whose active episode has gone quiet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from continuum.accounts.models import User
from continuum.care.episodes import FINISHED_STATUSES, EpisodeStatus
from continuum.care.models import Appointment, AppointmentStatus, Client, Episode
from continuum.endings import readiness as logic
from continuum.endings.models import (
    ReadinessRequest,
    Referral,
    RelapsePreventionPlan,
    TerminationPlan,
    UnplannedEnding,
)
from continuum.lib.contributions import DayItem, Rank
from continuum.measures.instruments import get_instrument
from continuum.measures.models import Administration, AdministrationStatus
from continuum.measures.queries import EpisodeOutcomeSummary, episode_outcome
from continuum.measures.scoring import OUTCOME_MEASURES

DEFAULT_UNPLANNED_ENDING_DAYS = 42
SESSION_FEEDBACK = "session_feedback"


def unplanned_ending_days() -> int:
    return int(getattr(settings, "UNPLANNED_ENDING_DAYS", DEFAULT_UNPLANNED_ENDING_DAYS))


def _local_date(moment: datetime) -> date:
    return timezone.localtime(moment).date()


# --- Readiness review ------------------------------------------------------------------------


@dataclass
class ReadinessReview:
    episode: Episode
    plan: Any  # plans.TreatmentPlan | None
    goals: list[Any]  # plans.queries.GoalRow
    outcome: EpisodeOutcomeSummary
    caseness: list[logic.CasenessStatus]
    alliance: logic.AllianceTrend
    open_request: ReadinessRequest | None
    answered: ReadinessRequest | None  # the latest answer
    suggestion: logic.Suggestion


def _session_key(session: int | None, appointment: int | None, at: datetime) -> object:
    """Which session a feedback form belongs to: its session number, else its appointment,
    else the day it was completed."""
    if session is not None:
        return ("session", session)
    if appointment is not None:
        return ("appointment", appointment)
    return ("day", _local_date(at))


def readiness_review(episode: Episode) -> ReadinessReview:
    """Everything the readiness page shows, in 7 queries at most:

    1. the episode's current treatment plan, 2-3. its goals and the latest score per target
    (plans.queries.goal_rows), 4-5. the episode outcome (measures.queries.episode_outcome),
    6. PHQ-9, GAD-7 and session-feedback scores, 7. the readiness questionnaires sent.
    """
    from continuum.plans.models import GoalStatus, PlanStatus, TreatmentPlan
    from continuum.plans.queries import goal_rows

    plan = TreatmentPlan.objects.filter(episode=episode, status=PlanStatus.CURRENT).first()
    goals = []
    if plan is not None:
        plan.episode = episode
        goals = goal_rows(plan)
    outcome = episode_outcome(episode)
    scores: list[tuple[str, float, datetime, int | None, int | None]] = [
        (instrument, total, at, session, appointment)
        for instrument, total, at, session, appointment in Administration.objects.filter(
            episode=episode,
            status=AdministrationStatus.COMPLETED,
            total__isnull=False,
            completed_at__isnull=False,
            instrument__in=[*OUTCOME_MEASURES, SESSION_FEEDBACK],
        )
        .order_by("completed_at", "pk")
        .values_list("instrument", "total", "completed_at", "session_number", "appointment_id")
        if total is not None and at is not None
    ]
    caseness_facts = []
    for code in OUTCOME_MEASURES:
        inst = get_instrument(code)
        points = tuple(
            logic.ScorePoint(_local_date(at), total)
            for instrument, total, at, _, _ in scores
            if instrument == code
        )
        if points and inst.caseness_cutoff is not None:
            caseness_facts.append(logic.CasenessFact(inst.name, inst.caseness_cutoff, points))
    feedback = [
        (_session_key(session, appointment, at), total)
        for instrument, total, at, session, appointment in scores
        if instrument == SESSION_FEEDBACK
    ]
    alliance = logic.alliance_trend(logic.session_means(feedback))
    requests = list(ReadinessRequest.objects.filter(episode=episode).order_by("-requested_at"))
    open_request = next((r for r in requests if not r.is_answered), None)
    answered = max(
        (r for r in requests if r.is_answered),
        key=lambda r: r.answered_at or r.requested_at,
        default=None,
    )
    facts = logic.ReadinessFacts(
        goals=[
            logic.GoalFact(
                achieved=row.goal.status == GoalStatus.ACHIEVED,
                met=row.progress.met if row.progress is not None else None,
                dropped=row.goal.status == GoalStatus.DROPPED,
            )
            for row in goals
        ],
        caseness=caseness_facts,
        alliance=alliance,
        client_readiness=answered.readiness if answered is not None else None,
        client_worries=bool(answered is not None and answered.worries.strip()),
        client_asked=bool(requests),
    )
    statuses = [s for s in (logic.caseness_status(f) for f in caseness_facts) if s is not None]
    return ReadinessReview(
        episode=episode,
        plan=plan,
        goals=goals,
        outcome=outcome,
        caseness=statuses,
        alliance=alliance,
        open_request=open_request,
        answered=answered,
        suggestion=logic.suggest(facts),
    )


# --- Termination plan and referrals ----------------------------------------------------------


def termination_plan_for(episode: Episode) -> TerminationPlan | None:
    """The episode's termination plan (1 query)."""
    return TerminationPlan.objects.filter(episode=episode).first()


def referrals_for(episode: Episode) -> list[Referral]:
    """The referrals made at this episode's ending, oldest first (1 query)."""
    return list(Referral.objects.filter(episode=episode).order_by("created_at", "pk"))


def tapering_sessions(plan: TerminationPlan) -> list[Appointment]:
    """The sessions the plan booked that are still on (1 query)."""
    return list(plan.appointments.exclude(status=AppointmentStatus.CANCELLED).order_by("starts_at"))


def unplanned_for(episode: Episode) -> UnplannedEnding | None:
    return UnplannedEnding.objects.filter(episode=episode).first()


# --- Relapse prevention ----------------------------------------------------------------------


def relapse_versions(client: Client) -> list[RelapsePreventionPlan]:
    """Every version of the client's plan, newest first (1 query)."""
    return list(
        RelapsePreventionPlan.objects.filter(client=client)
        .select_related("created_by")
        .order_by("-version")
    )


def current_relapse_plan(
    client: Client, *, shared_only: bool = False
) -> RelapsePreventionPlan | None:
    """The newest version (with `shared_only`, the newest one shared with the client)."""
    rows = RelapsePreventionPlan.objects.filter(client=client)
    if shared_only:
        rows = rows.filter(shared_with_client=True)
    return rows.order_by("-version").first()


# --- The client's side -----------------------------------------------------------------------


def has_ending_content(client: Client) -> bool:
    """Whether the portal's "Ending well" tab has anything for the client (1 query): an
    episode that is ending or has ended (its plan, its summary), readiness questions waiting,
    or a relapse-prevention plan shared with them. A client in active therapy with none of
    these is not shown the tab."""
    episodes = Episode.objects.filter(
        client=OuterRef("pk"), status__in=[EpisodeStatus.ENDING, *FINISHED_STATUSES]
    )
    asked = ReadinessRequest.objects.filter(
        client=OuterRef("pk"),
        answered_at__isnull=True,
        episode__status__in=[EpisodeStatus.ACTIVE, EpisodeStatus.ENDING],
    )
    shared = RelapsePreventionPlan.objects.filter(client=OuterRef("pk"), shared_with_client=True)
    return (
        Client.objects.filter(pk=client.pk)
        .filter(Exists(episodes) | Exists(asked) | Exists(shared))
        .exists()
    )


def open_readiness_request(client: Client) -> ReadinessRequest | None:
    """The readiness questions waiting for the client's answer, on an open episode (1 query)."""
    return (
        ReadinessRequest.objects.filter(
            client=client,
            answered_at__isnull=True,
            episode__status__in=[EpisodeStatus.ACTIVE, EpisodeStatus.ENDING],
        )
        .select_related("episode")
        .order_by("-requested_at")
        .first()
    )


def portal_termination_plan(client: Client) -> TerminationPlan | None:
    """The plan of the client's latest episode, once that episode is ending or has ended
    (a re-opened course of care does not show the old plan). One query."""
    latest = Episode.objects.filter(client=client).order_by("-start_date", "-pk").values("pk")
    return (
        TerminationPlan.objects.filter(
            client=client,
            episode=Subquery(latest[:1]),
            episode__status__in=[EpisodeStatus.ENDING, *FINISHED_STATUSES],
        )
        .select_related("episode")
        .first()
    )


def latest_ended_episode(client: Client) -> Episode | None:
    """The client's most recent episode that has ended (its summary is in the portal)."""
    return (
        Episode.objects.filter(client=client, status__in=list(FINISHED_STATUSES))
        .select_related("client", "client__practice", "therapist")
        .order_by("-end_date", "-start_date", "-pk")
        .first()
    )


# --- Unplanned ending: clients who have gone quiet -------------------------------------------


def _client_messages(since: datetime) -> QuerySet[Any] | None:
    """Messages the client sent since `since` (the boundaries app's), or None without it."""
    if not apps.is_installed("continuum.boundaries"):
        return None
    try:
        model = apps.get_model("boundaries", "Message")
    except LookupError:
        return None
    names = {f.name for f in model._meta.get_fields()}
    if not {"client", "created_at", "sender"} <= names:
        return None
    # Sent from the client's own portal login (not the therapist's replies).
    sent: QuerySet[Any] = model.objects.filter(
        client=OuterRef("pk"), sender=OuterRef("user"), created_at__gte=since
    )
    return sent


def unplanned_candidates(clients: QuerySet[Client], now: datetime) -> QuerySet[Client]:
    """Clients with an active episode (begun before the window) and, for UNPLANNED_ENDING_DAYS,
    no attended session and no portal activity (check-ins, messages). One query.

    Each row is annotated with `quiet_episode_id` (the active episode) and `last_attended`.
    """
    from continuum.portal.models import CheckIn

    since = now - timedelta(days=unplanned_ending_days())
    active = Episode.objects.filter(
        client=OuterRef("pk"), status=EpisodeStatus.ACTIVE, start_date__lte=_local_date(since)
    ).order_by("-start_date", "-pk")
    attended = Appointment.objects.filter(
        client=OuterRef("pk"), status=AppointmentStatus.ATTENDED
    ).order_by("-starts_at")
    rows = (
        clients.annotate(
            quiet_episode_id=Subquery(active.values("pk")[:1]),
            last_attended=Subquery(attended.values("starts_at")[:1]),
        )
        .filter(quiet_episode_id__isnull=False)
        .exclude(Exists(attended.filter(starts_at__gte=since)))
        .exclude(Exists(CheckIn.objects.filter(client=OuterRef("pk"), created_at__gte=since)))
    )
    messages = _client_messages(since)
    if messages is not None:
        rows = rows.exclude(Exists(messages))
    return rows.order_by("last_name", "first_name", "pk")


UNPLANNED_ITEM = "endings.unplanned"


def unplanned_day_items(user: User, now: datetime) -> list[DayItem]:
    """The therapist's day: clients who may have stopped coming (one query)."""
    from continuum.care.access import clients_for

    return unplanned_items_for(clients_for(user), now, limit=100)


def unplanned_items_for(
    clients: QuerySet[Client], now: datetime, limit: int | None = None
) -> list[DayItem]:
    """`unplanned_day_items` of `clients` (any therapist's), for the day's attention table."""
    # Annotated with quiet_episode_id and last_attended (which the type checker cannot see).
    candidates: Any = unplanned_candidates(clients, now)
    rows = candidates.values_list("pk", "quiet_episode_id", "last_attended")
    if limit is not None:
        rows = rows[:limit]
    return [
        DayItem(
            kind=UNPLANNED_ITEM,
            client_id=client_id,
            rank=Rank.DISENGAGING,
            at=last_attended,
            ref=episode_id,
            facts={"quiet_days": (now - last_attended).days if last_attended is not None else None},
        )
        for client_id, episode_id, last_attended in rows
    ]


def session_days(client: Client, tz_name: str, now: datetime | None = None) -> frozenset[date]:
    """The days (on the `tz_name` clock) from today on that already hold a session of the
    client, not cancelled: an agreed final session on one of them is that session, not a
    new one to book (1 query)."""
    now = now or timezone.now()
    zone = ZoneInfo(tz_name)
    starts = Appointment.objects.filter(
        client=client, starts_at__gte=now - timedelta(days=1)
    ).exclude(status=AppointmentStatus.CANCELLED)
    return frozenset(
        at.astimezone(zone).date() for at in starts.values_list("starts_at", flat=True)
    )
