"""Read models for follow-up pages, the therapist's day and the pre-session brief.

Each function runs a fixed number of queries whatever the length of the history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from continuum.accounts.models import User
from continuum.care.access import clients_for
from continuum.care.episodes import EpisodeStatus, is_finished
from continuum.care.models import Appointment, Client, Episode
from continuum.endings.models import RelapsePreventionPlan
from continuum.followup.models import (
    BoosterRequest,
    BoosterStatus,
    CheckInStatus,
    ConsentStatus,
    FollowUpCheckIn,
    FollowUpConsent,
)
from continuum.followup.services import client_today, latest_episode
from continuum.lib.contributions import DayItem, Rank
from continuum.measures.models import Administration
from continuum.plans.models import Goal, PlanStatus

# --- The therapist's follow-up page for one client --------------------------------------------


@dataclass
class ClientFollowUp:
    client: Client
    episode: Episode | None  # the latest episode
    consents: list[FollowUpConsent]
    boosters: list[BoosterRequest]
    can_agree: bool  # the latest episode has ended and has no live offer or consent
    can_reopen: bool  # no open episode, and the latest one has ended

    @property
    def active(self) -> FollowUpConsent | None:
        return next((c for c in self.consents if c.status == ConsentStatus.ACTIVE), None)


def client_followup(client: Client) -> ClientFollowUp:
    """In 4 queries: 1. the latest episode, 2. the consents, 3. their check-ins (prefetched),
    4. the booster requests with their appointments."""
    episode = latest_episode(client)
    consents = list(
        FollowUpConsent.objects.filter(client=client)
        .select_related("episode")
        .prefetch_related(
            Prefetch("checkins", queryset=FollowUpCheckIn.objects.order_by("due_on", "number"))
        )
        .order_by("-created_at", "-pk")
    )
    boosters = list(
        BoosterRequest.objects.filter(client=client)
        .select_related("appointment", "checkin")
        .order_by("-requested_at", "-pk")
    )
    live = any(
        c.episode_id == (episode.pk if episode else None)
        and c.status in (ConsentStatus.OFFERED, ConsentStatus.ACTIVE)
        for c in consents
    )
    ended = episode is not None and episode.status in (EpisodeStatus.ENDED, EpisodeStatus.FOLLOW_UP)
    return ClientFollowUp(
        client=client,
        episode=episode,
        consents=consents,
        boosters=boosters,
        can_agree=ended and not live,
        can_reopen=episode is not None and is_finished(episode.status),
    )


@dataclass
class CheckInDetail:
    checkin: FollowUpCheckIn
    administrations: list[Administration]
    boosters: list[BoosterRequest]


def checkin_detail(checkin: FollowUpCheckIn) -> CheckInDetail:
    """2 queries: the answer's questionnaires, and booster requests made from it."""
    return CheckInDetail(
        checkin=checkin,
        administrations=list(checkin.administrations.order_by("instrument")),
        boosters=list(checkin.booster_requests.order_by("-requested_at")),
    )


# --- The client's follow-up page in the portal -------------------------------------------------


@dataclass
class PortalFollowUp:
    consent: FollowUpConsent | None
    checkins: list[FollowUpCheckIn] = field(default_factory=list)
    due: FollowUpCheckIn | None = None
    next_due: FollowUpCheckIn | None = None
    boosters: list[BoosterRequest] = field(default_factory=list)

    @property
    def open_booster(self) -> BoosterRequest | None:
        return next((b for b in self.boosters if b.status == BoosterStatus.REQUESTED), None)


def portal_followup(client: Client, consent: FollowUpConsent | None) -> PortalFollowUp:
    """2 queries after the consent: its check-ins, and the client's booster requests."""
    if consent is None:
        return PortalFollowUp(consent=None)
    checkins = list(FollowUpCheckIn.objects.filter(consent=consent).order_by("due_on", "number"))
    today = client_today(client)
    due = None
    if consent.status == ConsentStatus.ACTIVE and consent.ends_on >= today:
        open_ = [c for c in checkins if c.status == CheckInStatus.SCHEDULED and c.due_on <= today]
        due = open_[-1] if open_ else None
    upcoming = [c for c in checkins if c.status == CheckInStatus.SCHEDULED and c.due_on > today]
    boosters = list(
        BoosterRequest.objects.filter(client=client, episode_id=consent.episode_id)
        .select_related("appointment")
        .order_by("-requested_at", "-pk")
    )
    return PortalFollowUp(
        consent=consent,
        checkins=checkins,
        due=due,
        next_due=upcoming[0] if upcoming else None,
        boosters=boosters,
    )


# --- The therapist's day ---------------------------------------------------------------------


FOLLOWUP_ANSWERED_ITEM = "followup.answered"
FOLLOWUP_DUE_ITEM = "followup.due"
BOOSTER_ITEM = "followup.booster"


def _checkin_tier(flags: list[str]) -> Rank:
    """A follow-up answer's place in the clinical priority: its most urgent flag."""
    kinds = {flag.split(":", 1)[0] for flag in flags}
    if "safety" in kinds:
        return Rank.SAFETY
    if kinds & {"deterioration", "caseness"}:
        return Rank.DETERIORATION
    return Rank.ROUTINE


def day_items(user: User, now: datetime) -> list[DayItem]:
    """ "On my mind" items: follow-up answers not yet seen (flagged ones rank with urgent
    check-ins), follow-ups due and unanswered, and booster requests awaiting a decision.
    2 queries."""
    return followup_items_for(clients_for(user), now, limit=100)


def followup_items_for(
    clients: QuerySet[Client], now: datetime, limit: int | None = None
) -> list[DayItem]:
    """`day_items` of `clients` (any therapist's), for the day's attention table."""
    today = timezone.localtime(now).date()
    checkins = (
        FollowUpCheckIn.objects.filter(client__in=clients)
        .filter(
            Q(status=CheckInStatus.ANSWERED, seen_at__isnull=True)
            | Q(
                status=CheckInStatus.SCHEDULED,
                due_on__lte=today,
                consent__status=ConsentStatus.ACTIVE,
            )
        )
        .order_by("-due_on", "-pk")
    )
    if limit is not None:
        checkins = checkins[:limit]
    items = []
    for checkin in checkins:
        facts = {"months": checkin.months, "flags": list(checkin.flags), "due_on": checkin.due_on}
        if checkin.is_answered:
            items.append(
                DayItem(
                    kind=FOLLOWUP_ANSWERED_ITEM,
                    client_id=checkin.client_id,
                    rank=_checkin_tier(checkin.flags),
                    at=checkin.answered_at,
                    ref=checkin.pk,
                    facts=facts,
                )
            )
        else:
            items.append(
                DayItem(
                    kind=FOLLOWUP_DUE_ITEM,
                    client_id=checkin.client_id,
                    rank=Rank.DISENGAGING,
                    # Raised on the morning it fell due (the day's "time since raised").
                    at=timezone.make_aware(datetime.combine(checkin.due_on, time.min)),
                    ref=checkin.client_id,
                    facts=facts,
                )
            )
    boosters = BoosterRequest.objects.filter(
        client__in=clients, status=BoosterStatus.REQUESTED
    ).order_by("requested_at")
    if limit is not None:
        boosters = boosters[:limit]
    items.extend(
        DayItem(
            kind=BOOSTER_ITEM,
            client_id=booster.client_id,
            rank=Rank.DETERIORATION,
            at=booster.requested_at,
            ref=booster.pk,
        )
        for booster in boosters
    )
    return items


# --- The pre-session brief of a re-opened episode -----------------------------------------------


@dataclass
class PreviousEpisode:
    episode: Episode
    outcome: Any  # measures.queries.EpisodeOutcomeSummary (data; words in templates)
    goals: list[Any]
    relapse_plan: list[tuple[str, str]]  # (label, text) of the endings app's plan, if any
    summary_url: str | None


def _relapse_plan(client: Client) -> list[tuple[str, str]]:
    """The client's latest relapse-prevention plan, as (heading, text) pairs in the order the
    plan reads (1 query)."""
    plan = RelapsePreventionPlan.objects.filter(client=client).order_by("-version", "-pk").first()
    if plan is None:
        return []
    return [(heading, text) for _key, heading, text in plan.sections if text]


def _summary_url(episode: Episode) -> str:
    return reverse("endings:summary", kwargs={"episode_id": episode.pk})


def previous_episode_section(appointment: Appointment) -> PreviousEpisode | None:
    """For a session of a re-opened episode: the previous episode's dates, outcome category,
    goals and the relapse-prevention plan. No queries when the episode continues none;
    otherwise 1 (the previous episode) + 2 (its outcome) + 1 (its goals) + 1 (the plan)."""
    episode = appointment.episode
    if episode is None or episode.previous_id is None:
        return None
    from continuum.measures.queries import episode_outcome

    previous = Episode.objects.filter(pk=episode.previous_id).first()
    if previous is None:
        return None
    return PreviousEpisode(
        episode=previous,
        outcome=episode_outcome(previous),
        goals=_goals(previous),
        relapse_plan=_relapse_plan(appointment.client),
        summary_url=_summary_url(previous),
    )


def _goals(episode: Episode) -> list[Any]:
    """The goals of the episode's last published plan (current or last superseded), 1 query."""
    goals = list(
        Goal.objects.filter(
            plan__episode=episode, plan__status__in=[PlanStatus.CURRENT, PlanStatus.SUPERSEDED]
        )
        .select_related("plan")
        .order_by("-plan__version", "pk")
    )
    if not goals:
        return []
    latest = goals[0].plan.version
    return [g for g in goals if g.plan.version == latest]
