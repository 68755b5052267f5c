"""The termination summary's data, in two versions from the same facts.

- clinical: for the record (the review log of each intervention, the pre-termination
  checklist, referral reasons, the closing note of an unplanned ending).
- client: plain language, for the client (no psychotherapy notes, no reflections, no
  therapist-only annotations: the review log's clinical text, the checklist, referral
  reasons and closing notes stay out).

Reflections are never read here: nothing in this module imports the reflections app.
Both versions come from `build_summary` in a fixed number of queries (see its docstring).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldError
from django.utils import timezone

from continuum.accounts.models import Practice, User
from continuum.care.models import Appointment, AppointmentStatus, Client, Episode
from continuum.endings.models import (
    Referral,
    RelapsePreventionPlan,
    TerminationPlan,
    UnplannedEnding,
)
from continuum.measures import scoring
from continuum.measures.charts import chart_svg, data_uri, spec_for
from continuum.measures.instruments import UnknownInstrument, get_instrument
from continuum.measures.models import Administration, AdministrationStatus
from continuum.measures.presenters import OutcomeWords, outcome_words
from continuum.measures.queries import episode_outcome

# Measures the client version leaves out: feedback about the sessions themselves is for the
# therapist, and goal ratings are shown per goal.
NOT_FOR_CLIENT = {"session_feedback", "goal_rating"}
NO_CHART = {"goal_rating"}

RELIABLE_WORDS = {
    "improved": "Reliable improvement",
    "deteriorated": "Reliable deterioration",
    "no_change": "No reliable change",
    None: "No rule for this measure",
}
CLIENT_RELIABLE_WORDS = {
    "improved": "a real improvement, bigger than day-to-day ups and downs",
    "deteriorated": "a real worsening, bigger than day-to-day ups and downs",
    "no_change": "no change bigger than day-to-day ups and downs",
    None: "",
}


class Version(StrEnum):
    CLINICAL = "clinical"
    CLIENT = "client"


@dataclass
class GoalLine:
    statement: str
    target: str  # clinical wording ("PHQ-9 below 10") or the plain one
    status: str  # "Achieved", "Met at the latest score", ...
    latest: str  # "7 on 3 Mar 2026", or ""


@dataclass
class InterventionLine:
    name: str
    plain: str
    status: str
    rationale: str
    reviews: list[Any] = field(default_factory=list)  # plans.InterventionReview (clinical)
    client_words: list[str] = field(default_factory=list)  # what the client said helped


@dataclass
class OutcomeLine:
    name: str
    baseline: str
    latest: str
    change: str
    reliable: str  # in the version's words


@dataclass
class Chart:
    name: str
    uri: str

    @property
    def alt(self) -> str:
        return f"Chart of {self.name} scores over this course of therapy."


@dataclass
class FollowUpPlan:
    lines: list[str]


@dataclass
class Summary:
    version: Version
    episode: Episode
    client: Client
    therapist: User
    practice: Practice
    generated_at: datetime
    attended: int
    focus: str
    goals: list[GoalLine]
    interventions: list[InterventionLine]
    outcome: OutcomeWords
    outcome_lines: list[OutcomeLine]
    charts: list[Chart]
    termination: TerminationPlan | None
    referrals: list[Referral]
    unplanned: UnplannedEnding | None
    relapse: RelapsePreventionPlan | None
    follow_up: FollowUpPlan | None

    @property
    def is_clinical(self) -> bool:
        return self.version == Version.CLINICAL

    @property
    def is_final(self) -> bool:
        return self.episode.end_date is not None

    @property
    def ending_words(self) -> str:
        """How the episode ended, in the version's words."""
        if self.episode.end_date is None:
            return (
                "Therapy is still going on: this summary is a draft."
                if self.is_clinical
                else "Your therapy is still going on."
            )
        if self.termination is not None:
            return (
                f"Planned ending: {self.termination.get_reason_display()}."
                if self.is_clinical
                else self.termination.client_reason
            )
        if self.episode.ended_unplanned:
            return (
                "Unplanned ending: the client stopped attending."
                if self.is_clinical
                else "Our sessions stopped before we could plan the ending together."
            )
        return "Ended." if self.is_clinical else "Your therapy has finished."


def _day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def _goal_lines(rows: list[Any], version: Version) -> list[GoalLine]:
    from continuum.plans.models import GoalStatus

    lines = []
    for row in rows:
        goal, progress = row.goal, row.progress
        latest = f"{progress.shown} on {_day(progress.day)}" if progress is not None else ""
        if goal.status == GoalStatus.ACHIEVED:
            status = "Achieved" if version == Version.CLINICAL else "Reached"
        elif goal.status == GoalStatus.DROPPED:
            status = "Dropped" if version == Version.CLINICAL else "Set aside"
        elif progress is None:
            status = "No score recorded"
        elif progress.met:
            status = "Target met at the latest score"
        else:
            status = "Not met yet"
        target = goal.target_text if version == Version.CLINICAL else goal.plain_target
        lines.append(GoalLine(goal.statement, target, status, latest))
    return lines


def _intervention_lines(view: Any, version: Version) -> list[InterventionLine]:
    lines = []
    for chain in view.chains:
        head = chain.head
        reviews = [review for step in chain.steps for review in step.reviews]
        lines.append(
            InterventionLine(
                name=head.name,
                plain=head.plain,
                status=head.get_status_display(),
                rationale=head.rationale if version == Version.CLINICAL else "",
                reviews=reviews if version == Version.CLINICAL else [],
                client_words=[r.client_response for r in reviews if r.client_response.strip()][-2:],
            )
        )
    return lines


def _outcome_lines(outcome: OutcomeWords, version: Version) -> list[OutcomeLine]:
    lines = []
    for m in outcome.measures:
        if version == Version.CLIENT and m.instrument.code in NOT_FOR_CLIENT:
            continue
        single = m.latest.pk == m.baseline.pk
        if version == Version.CLINICAL:
            reliable = "—" if single else RELIABLE_WORDS.get(m.reliable, "")
        else:
            reliable = "—" if single else CLIENT_RELIABLE_WORDS.get(m.reliable, "") or "—"
        lines.append(
            OutcomeLine(
                name=m.instrument.name,
                baseline=m.baseline_text,
                latest="—" if single else m.latest_text,
                change="—" if single else m.change,
                reliable=reliable,
            )
        )
    return lines


def _charts(admins: list[Administration], markers: list[date], version: Version) -> list[Chart]:
    by_code: dict[str, list[Administration]] = defaultdict(list)
    for admin in admins:
        by_code[admin.instrument].append(admin)
    charts = []
    for code, rows in by_code.items():
        if code in NO_CHART or (version == Version.CLIENT and code in NOT_FOR_CLIENT):
            continue
        try:
            inst = get_instrument(code)
        except UnknownInstrument:
            continue
        points = [
            (timezone.localtime(a.completed_at).date(), a.total)
            for a in rows
            if a.total is not None and a.completed_at is not None
        ]
        if not points:
            continue
        threshold = scoring.reliable_change_threshold(inst)
        spec = spec_for(
            inst,
            points,
            baseline=points[0][1],
            rc_points=threshold.points if threshold else None,
            markers=markers,
        )
        charts.append(Chart(inst.name, data_uri(chart_svg(spec))))
    return charts


def follow_up_plan(episode: Episode) -> FollowUpPlan | None:
    """The follow-up agreed for the episode, read defensively from the followup app (it may
    be missing or change): None means "No follow-up agreed"."""
    if not apps.is_installed("continuum.followup"):
        return None
    try:
        model = apps.get_model("followup", "FollowUpConsent")
        consent = (
            model.objects.filter(episode=episode)
            .exclude(status="declined")
            .order_by("-created_at", "-pk")
            .first()
        )
    except (LookupError, FieldError):  # another app's model: missing, or changed shape
        return None
    if consent is None:
        return None
    status = str(getattr(consent, "status", ""))
    if status == "offered":
        return FollowUpPlan(["Follow-up check-ins were offered and not yet accepted."])
    lines = []
    months = getattr(consent, "months", None)
    if isinstance(months, list | tuple) and months:
        listed = ", ".join(str(m) for m in months)
        lines.append(f"Check-ins {listed} months after the end of therapy.")
    scope = getattr(consent, "get_scope_display", None)
    if callable(scope):
        lines.append(f"Each one: {scope()}.")
    starts, ends = getattr(consent, "starts_on", None), getattr(consent, "ends_on", None)
    if isinstance(starts, date) and isinstance(ends, date):
        lines.append(f"Agreed from {_day(starts)} to {_day(ends)}.")
    if getattr(consent, "withdrawn_at", None) is not None:
        lines.append("Consent to follow-up was later withdrawn.")
    elif status in ("expired", "superseded"):
        lines.append("The follow-up period has ended.")
    return FollowUpPlan(lines or ["Follow-up check-ins agreed."])


def build_summary(episode: Episode, version: Version) -> Summary:
    """The summary of `episode` in the given version. `episode` comes with its client, the
    client's practice and its therapist loaded (endings.access). Queries, whatever the history:

    1. the current treatment plan, 2-6. its goals, latest scores, goal links, interventions
    and reviews (plans.queries.plan_view; 2-6 only with a plan), 7-8. the episode outcome,
    9. the scores for the charts, 10. attended sessions (chart markers), 11. the termination
    plan, 12. referrals, 13. the unplanned-ending record, 14. the relapse-prevention plan,
    15. the follow-up consent (only with the followup app).
    """
    from continuum.plans.models import PlanStatus, TreatmentPlan
    from continuum.plans.queries import plan_view

    plan = TreatmentPlan.objects.filter(episode=episode, status=PlanStatus.CURRENT).first()
    goals: list[GoalLine] = []
    interventions: list[InterventionLine] = []
    if plan is not None:
        plan.episode = episode
        view = plan_view(plan)
        goals = _goal_lines(view.goals, version)
        interventions = _intervention_lines(view, version)
    outcome = outcome_words(episode_outcome(episode))
    admins = list(
        Administration.objects.filter(
            episode=episode,
            status=AdministrationStatus.COMPLETED,
            total__isnull=False,
            completed_at__isnull=False,
        )
        .order_by("completed_at", "pk")
        .only("pk", "instrument", "total", "completed_at")
    )
    markers = [
        timezone.localtime(at).date()
        for at in Appointment.objects.filter(
            episode=episode, status=AppointmentStatus.ATTENDED
        ).values_list("starts_at", flat=True)
    ]
    termination = TerminationPlan.objects.filter(episode=episode).first()
    referrals = list(Referral.objects.filter(episode=episode).order_by("created_at", "pk"))
    unplanned = UnplannedEnding.objects.filter(episode=episode).first()
    relapse_rows = RelapsePreventionPlan.objects.filter(client_id=episode.client_id)
    if version == Version.CLIENT:
        relapse_rows = relapse_rows.filter(shared_with_client=True)
    relapse = relapse_rows.order_by("-version").first()
    client = episode.client
    return Summary(
        version=version,
        episode=episode,
        client=client,
        therapist=episode.therapist,
        practice=client.practice,
        generated_at=timezone.now(),
        attended=outcome.attended,
        focus=plan.focus if plan is not None else "",
        goals=goals,
        interventions=interventions,
        outcome=outcome,
        outcome_lines=_outcome_lines(outcome, version),
        charts=_charts(admins, markers, version),
        termination=termination,
        referrals=referrals,
        unplanned=unplanned if version == Version.CLINICAL else None,
        relapse=relapse,
        follow_up=follow_up_plan(episode),
    )
