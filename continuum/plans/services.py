"""Every change to plans, goals, interventions, reviews and homework.

Each function is one transaction and writes one audit row (detail: ids and statuses only,
never the client's or the therapist's words). Status changes go through the tables in
models.py; a change the current state does not allow raises PlanError and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from continuum.accounts.actors import actor_for
from continuum.audit.log import record
from continuum.care.models import Client, Episode
from continuum.lib.hooks import client_changed
from continuum.measures.queries import scores_since
from continuum.plans.catalogue import CATALOGUE, OTHER
from continuum.plans.models import (
    Decision,
    Goal,
    GoalStatus,
    Homework,
    HomeworkStatus,
    Intervention,
    InterventionReview,
    InterventionStatus,
    PlanError,
    PlanStatus,
    TreatmentPlan,
    check_homework_transition,
    check_intervention_transition,
    check_plan_transition,
)

__all__ = [
    "PlanError",
    "acknowledge_plan",
    "adapted_version",
    "add_goal",
    "add_intervention",
    "assign_homework",
    "cancel_homework",
    "copied_goal",
    "copied_intervention",
    "create_draft",
    "new_intervention",
    "publish_plan",
    "report_homework",
    "review_intervention",
    "update_goal",
    "update_homework",
    "update_intervention",
    "update_plan",
]

GOAL_FIELDS = (
    "statement",
    "target_kind",
    "instrument",
    "comparison",
    "target_value",
    "target_date",
    "status",
)


def _lock_episode(episode: Episode) -> None:
    # Serialises plan changes per episode on PostgreSQL (SQLite's BEGIN IMMEDIATE already
    # serialises every write transaction): two requests cannot both publish or both draft.
    list(Episode.objects.select_for_update().filter(pk=episode.pk).values_list("pk"))


def _locked_plan(plan: TreatmentPlan) -> TreatmentPlan:
    locked: TreatmentPlan = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
    return locked


def _require_draft(plan: TreatmentPlan) -> None:
    if plan.status != PlanStatus.DRAFT:
        raise PlanError(
            "Only a draft plan can be changed. Start a new version to change the current plan."
        )


def _check_technique(technique: str, custom_technique: str) -> None:
    if technique == OTHER:
        if not custom_technique.strip():
            raise PlanError("Describe the technique when it is not in the catalogue.")
    elif technique not in CATALOGUE:
        raise PlanError("Choose a technique from the catalogue, or “Other” and describe it.")


# --- Plans ----------------------------------------------------------------------------------


def copied_goal(goal: Goal, plan: TreatmentPlan) -> Goal:
    """A new plan version's copy of `goal` (unsaved): the same fields, `previous` pointing back."""
    return Goal(plan=plan, previous=goal, **{name: getattr(goal, name) for name in GOAL_FIELDS})


def copied_intervention(
    old: Intervention, plan: TreatmentPlan, *, adapted_from: Intervention | None
) -> Intervention:
    """A new plan version's copy of `old` (unsaved), `previous` pointing back; `adapted_from`
    is the copy of the intervention `old` was adapted from, if any."""
    return Intervention(
        plan=plan,
        previous=old,
        technique=old.technique,
        custom_technique=old.custom_technique,
        rationale=old.rationale,
        start_date=old.start_date,
        status=old.status,
        adapted_from=adapted_from,
    )


def new_intervention(
    plan: TreatmentPlan,
    *,
    technique: str,
    custom_technique: str,
    rationale: str,
    start_date: date,
    adapted_from: Intervention | None = None,
) -> Intervention:
    """An unsaved intervention of `plan`; a custom description is kept only for "other"."""
    return Intervention(
        plan=plan,
        technique=technique,
        custom_technique=custom_technique if technique == OTHER else "",
        rationale=rationale,
        start_date=start_date,
        adapted_from=adapted_from,
    )


def adapted_version(
    old: Intervention, *, technique: str, custom_technique: str, rationale: str, start_date: date
) -> Intervention:
    """The new version an "adapt" review creates (unsaved): in the same plan, `adapted_from`
    the old one, starting on the review date."""
    return new_intervention(
        old.plan,
        technique=technique,
        custom_technique=custom_technique,
        rationale=rationale,
        start_date=start_date,
        adapted_from=old,
    )


def _copy_contents(source: TreatmentPlan, target: TreatmentPlan) -> None:
    """Copy goals and interventions into new rows linked to their predecessors."""
    goal_map: dict[int, Goal] = {}
    for goal in source.goals.order_by("pk"):
        copy = copied_goal(goal, target)
        copy.save(force_insert=True)
        goal_map[goal.pk] = copy
    intervention_map: dict[int, Intervention] = {}
    # In creation order, so an adaptation's origin is always copied before it.
    for old in source.interventions.order_by("pk").prefetch_related("goals"):
        new = copied_intervention(
            old, target, adapted_from=intervention_map.get(old.adapted_from_id or 0)
        )
        new.save(force_insert=True)
        new.goals.set([goal_map[g.pk] for g in old.goals.all() if g.pk in goal_map])
        intervention_map[old.pk] = new


@transaction.atomic
def create_draft(
    episode: Episode, *, by: Any, focus: str, review_date: date | None
) -> TreatmentPlan:
    """Start the episode's next plan version as a draft.

    With a current plan, the draft copies its goals and interventions (new rows, `previous`
    pointing at the originals), so the current version stays as it is.
    """
    _lock_episode(episode)
    if not episode.is_open:
        raise PlanError("This episode has ended: plans are started for open episodes only.")
    plans = TreatmentPlan.objects.filter(episode=episode)
    if plans.filter(status=PlanStatus.DRAFT).exists():
        raise PlanError("This episode already has a draft plan; finish or publish that one.")
    current = plans.filter(status=PlanStatus.CURRENT).first()
    version = (plans.aggregate(top=Max("version"))["top"] or 0) + 1
    draft = TreatmentPlan.objects.create(
        episode=episode,
        client_id=episode.client_id,
        version=version,
        status=PlanStatus.DRAFT,
        focus=focus,
        review_date=review_date,
        previous=current,
        created_by=by,
    )
    if current is not None:
        _copy_contents(current, draft)
    record(
        actor_for(by),
        "plan.create_draft",
        draft,
        client_id=episode.client_id,
        episode_id=episode.pk,
        version=version,
        previous_id=current.pk if current is not None else None,
    )
    return draft


@transaction.atomic
def update_plan(
    plan: TreatmentPlan, *, by: Any, focus: str, review_date: date | None
) -> TreatmentPlan:
    locked = _locked_plan(plan)
    _require_draft(locked)
    values = {"focus": focus, "review_date": review_date}
    changed = [name for name, value in values.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, values[name])
        setattr(plan, name, values[name])
    locked.updated_at = timezone.now()
    locked.save(update_fields=[*changed, "updated_at"])
    record(actor_for(by), "plan.update", locked, client_id=locked.client_id, fields=changed)
    client_changed(plan.client_id, "plans")
    return plan


@transaction.atomic
def publish_plan(plan: TreatmentPlan, *, by: Any) -> TreatmentPlan:
    """Make a draft the current plan; the version that was current becomes superseded."""
    _lock_episode(plan.episode)
    locked = _locked_plan(plan)
    check_plan_transition(locked.status, PlanStatus.CURRENT)
    if not locked.goals.filter(status=GoalStatus.ACTIVE).exists():
        raise PlanError("Add at least one active goal before publishing the plan.")
    now = timezone.now()
    old = (
        TreatmentPlan.objects.select_for_update()
        .filter(episode_id=locked.episode_id, status=PlanStatus.CURRENT)
        .first()
    )
    if old is not None:
        check_plan_transition(old.status, PlanStatus.SUPERSEDED)
        old.status = PlanStatus.SUPERSEDED
        old.superseded_at = now
        # Saved first: the database allows one current plan per episode.
        old.save(update_fields=["status", "superseded_at"])
    locked.status = PlanStatus.CURRENT
    locked.published_at = now
    locked.save(update_fields=["status", "published_at"])
    record(
        actor_for(by),
        "plan.publish",
        locked,
        client_id=locked.client_id,
        episode_id=locked.episode_id,
        version=locked.version,
        superseded_id=old.pk if old is not None else None,
    )
    plan.status, plan.published_at = locked.status, locked.published_at
    client_changed(plan.client_id, "plans")
    return plan


@transaction.atomic
def acknowledge_plan(plan: TreatmentPlan, *, by: Any) -> bool:
    """The client confirms they have read the current plan. False if already acknowledged."""
    locked = _locked_plan(plan)
    if locked.status != PlanStatus.CURRENT:
        raise PlanError("This plan has been replaced by a newer version; read that one.")
    if locked.client_acknowledged_at is not None:
        return False
    locked.client_acknowledged_at = timezone.now()
    locked.save(update_fields=["client_acknowledged_at"])
    record(
        actor_for(by),
        "plan.acknowledge",
        locked,
        practice=locked.client.practice_id,
        client_id=locked.client_id,
        version=locked.version,
    )
    plan.client_acknowledged_at = locked.client_acknowledged_at
    return True


# --- Goals ----------------------------------------------------------------------------------


@transaction.atomic
def add_goal(plan: TreatmentPlan, *, by: Any, **fields: Any) -> Goal:
    locked = _locked_plan(plan)
    _require_draft(locked)
    goal = Goal.objects.create(plan=locked, **{name: fields[name] for name in GOAL_FIELDS})
    record(
        actor_for(by),
        "goal.create",
        goal,
        practice=locked.client.practice_id,
        client_id=locked.client_id,
        plan_id=locked.pk,
        target_kind=goal.target_kind,
        instrument=goal.instrument,
    )
    return goal


@transaction.atomic
def update_goal(goal: Goal, *, by: Any, **fields: Any) -> list[str]:
    locked_plan = _locked_plan(goal.plan)
    _require_draft(locked_plan)
    changed = [name for name in GOAL_FIELDS if getattr(goal, name) != fields[name]]
    for name in changed:
        setattr(goal, name, fields[name])
    if changed:
        goal.save(update_fields=changed)
    record(
        actor_for(by),
        "goal.update",
        goal,
        practice=locked_plan.client.practice_id,
        client_id=locked_plan.client_id,
        plan_id=locked_plan.pk,
        fields=changed,
        status=goal.status,
    )
    return changed


# --- Interventions --------------------------------------------------------------------------


def _plan_goals(plan: TreatmentPlan, goals: Iterable[Goal]) -> list[Goal]:
    chosen = list(goals)
    if any(g.plan_id != plan.pk for g in chosen):
        raise PlanError("Link only goals of this plan.")
    return chosen


@transaction.atomic
def add_intervention(
    plan: TreatmentPlan,
    *,
    by: Any,
    technique: str,
    custom_technique: str,
    rationale: str,
    start_date: date,
    goals: Iterable[Goal] = (),
) -> Intervention:
    locked = _locked_plan(plan)
    _require_draft(locked)
    _check_technique(technique, custom_technique)
    linked = _plan_goals(locked, goals)
    intervention = new_intervention(
        locked,
        technique=technique,
        custom_technique=custom_technique,
        rationale=rationale,
        start_date=start_date,
    )
    intervention.save(force_insert=True)
    intervention.goals.set(linked)
    record(
        actor_for(by),
        "intervention.create",
        intervention,
        practice=locked.client.practice_id,
        client_id=locked.client_id,
        plan_id=locked.pk,
        technique=technique,
    )
    return intervention


@transaction.atomic
def update_intervention(
    intervention: Intervention,
    *,
    by: Any,
    technique: str,
    custom_technique: str,
    rationale: str,
    start_date: date,
    goals: Iterable[Goal] = (),
) -> list[str]:
    locked_plan = _locked_plan(intervention.plan)
    _require_draft(locked_plan)
    _check_technique(technique, custom_technique)
    linked = _plan_goals(locked_plan, goals)
    values: dict[str, Any] = {
        "technique": technique,
        "custom_technique": custom_technique if technique == OTHER else "",
        "rationale": rationale,
        "start_date": start_date,
    }
    changed = [name for name, value in values.items() if getattr(intervention, name) != value]
    for name in changed:
        setattr(intervention, name, values[name])
    if changed:
        intervention.save(update_fields=changed)
    before = set(intervention.goals.values_list("pk", flat=True))
    if before != {g.pk for g in linked}:
        intervention.goals.set(linked)
        changed.append("goals")
    record(
        actor_for(by),
        "intervention.update",
        intervention,
        practice=locked_plan.client.practice_id,
        client_id=locked_plan.client_id,
        plan_id=locked_plan.pk,
        fields=changed,
    )
    return changed


def _mirror_in_draft(old: Intervention, new: Intervention | None, status: str) -> None:
    """Carry a review's change into the episode's draft, if one was copied from this plan.

    The draft holds a copy of `old` (its `previous`); the copy takes the same status and,
    for an adaptation, the draft gets a copy of the new version too.
    """
    copy = (
        Intervention.objects.select_for_update()
        .filter(previous=old, plan__status=PlanStatus.DRAFT, plan__episode_id=old.plan.episode_id)
        .select_related("plan")
        .first()
    )
    if copy is None or copy.status != InterventionStatus.ACTIVE:
        return
    copy.status = status
    copy.save(update_fields=["status"])
    if new is None:
        return
    new_copy = copied_intervention(new, copy.plan, adapted_from=copy)
    new_copy.save(force_insert=True)
    new_copy.goals.set(Goal.objects.filter(plan=copy.plan, previous__in=new.goals.all()))


@transaction.atomic
def review_intervention(
    intervention: Intervention,
    *,
    by: Any,
    reviewed_on: date,
    what_happened: str,
    client_response: str,
    decision: str,
    reason: str,
    new_technique: str = "",
    new_custom_technique: str = "",
    new_rationale: str = "",
) -> InterventionReview:
    """Log a review of an active intervention of the current plan.

    "keep" changes nothing else; "stop" marks the intervention stopped; "adapt" creates its
    new version (`adapted_from` the old one, starting on the review date, linked to the same
    goals) and marks the old one adapted. A draft copied from this plan follows along.
    """
    locked = Intervention.objects.select_for_update().select_related("plan").get(pk=intervention.pk)
    if locked.plan.status != PlanStatus.CURRENT:
        raise PlanError("Only interventions of the current plan are reviewed.")
    if locked.status != InterventionStatus.ACTIVE:
        raise PlanError(
            f"This intervention was already {locked.get_status_display().lower()}; "
            "review its newer version instead."
        )
    if reviewed_on < locked.start_date:
        raise PlanError("A review cannot be dated before the intervention started.")
    new: Intervention | None = None
    if decision == Decision.ADAPT:
        _check_technique(new_technique, new_custom_technique)
        if not new_rationale.strip():
            raise PlanError("Describe the new version: why this approach now.")
        locked.status = check_intervention_transition(locked.status, InterventionStatus.ADAPTED)
        new = adapted_version(
            locked,
            technique=new_technique,
            custom_technique=new_custom_technique,
            rationale=new_rationale,
            start_date=reviewed_on,
        )
        new.save(force_insert=True)
        new.goals.set(locked.goals.all())
    elif decision == Decision.STOP:
        locked.status = check_intervention_transition(locked.status, InterventionStatus.STOPPED)
    elif decision != Decision.KEEP:
        raise PlanError("Choose keep, adapt or stop.")
    if decision != Decision.KEEP:
        locked.save(update_fields=["status"])
        _mirror_in_draft(locked, new, locked.status)
    # The scores in view when deciding, stored with the decision (issue 17).
    scores = [s.as_stored() for s in scores_since(locked.plan.episode, locked.start_date)]
    review = InterventionReview.objects.create(
        intervention=locked,
        scores=scores,
        reviewed_on=reviewed_on,
        what_happened=what_happened,
        client_response=client_response,
        decision=decision,
        reason=reason,
        result=new,
        created_by=by,
    )
    record(
        actor_for(by),
        "intervention.review",
        review,
        practice=locked.plan.client.practice_id,
        client_id=locked.plan.client_id,
        intervention_id=locked.pk,
        decision=decision,
        new_intervention_id=new.pk if new is not None else None,
        measures=len(scores),
    )
    intervention.status = locked.status
    return review


# --- Homework -------------------------------------------------------------------------------


def _check_reasons(
    client: Client, goal: Goal | None, intervention: Intervention | None, why: str
) -> None:
    if goal is None and intervention is None and not why.strip():
        raise PlanError("Say why: link a goal or an intervention, or write a reason.")
    for linked in (goal, intervention):
        if linked is not None and linked.plan.client_id != client.pk:
            raise PlanError("Link only this client's goals and interventions.")


@transaction.atomic
def assign_homework(
    client: Client,
    *,
    by: Any,
    title: str,
    due_date: date,
    goal: Goal | None = None,
    intervention: Intervention | None = None,
    why: str = "",
    episode: Episode | None = None,
) -> Homework:
    _check_reasons(client, goal, intervention, why)
    if episode is None:
        plan_of = goal or intervention
        episode = plan_of.plan.episode if plan_of is not None else None
    homework = Homework.objects.create(
        client=client,
        episode=episode,
        title=title,
        goal=goal,
        intervention=intervention,
        why=why,
        due_date=due_date,
        assigned_by=by,
    )
    record(
        actor_for(by),
        "homework.assign",
        homework,
        client_id=client.pk,
        goal_id=goal.pk if goal is not None else None,
        intervention_id=intervention.pk if intervention is not None else None,
    )
    client_changed(client.pk, "plans")
    return homework


@transaction.atomic
def update_homework(
    homework: Homework,
    *,
    by: Any,
    title: str,
    due_date: date,
    goal: Goal | None,
    intervention: Intervention | None,
    why: str,
) -> list[str]:
    locked: Homework = Homework.objects.select_for_update().get(pk=homework.pk)
    if locked.status != HomeworkStatus.ASSIGNED:
        raise PlanError(
            f"This task is {locked.get_status_display().lower()}; only open tasks can be edited."
        )
    _check_reasons(homework.client, goal, intervention, why)
    values: dict[str, Any] = {
        "title": title,
        "due_date": due_date,
        "goal": goal,
        "intervention": intervention,
        "why": why,
    }
    changed = [name for name, value in values.items() if getattr(homework, name) != value]
    for name in changed:
        setattr(homework, name, values[name])
    if changed:
        homework.save(update_fields=changed)
    record(actor_for(by), "homework.update", homework, client_id=homework.client_id, fields=changed)
    client_changed(homework.client_id, "plans")
    return changed


@transaction.atomic
def cancel_homework(homework: Homework, *, by: Any) -> Homework:
    locked: Homework = Homework.objects.select_for_update().get(pk=homework.pk)
    locked.status = check_homework_transition(locked.status, HomeworkStatus.CANCELLED)
    locked.cancelled_at = timezone.now()
    locked.save(update_fields=["status", "cancelled_at"])
    record(actor_for(by), "homework.cancel", locked, client_id=locked.client_id)
    homework.status, homework.cancelled_at = locked.status, locked.cancelled_at
    client_changed(homework.client_id, "plans")
    return homework


@transaction.atomic
def report_homework(homework: Homework, *, by: Any, status: str, note: str) -> Homework:
    """The client says how a task went (done, partly, not done), with an optional note."""
    locked: Homework = Homework.objects.select_for_update().get(pk=homework.pk)
    locked.status = check_homework_transition(locked.status, status)
    locked.client_note = note
    locked.reported_at = timezone.now()
    locked.save(update_fields=["status", "client_note", "reported_at"])
    record(
        actor_for(by),
        "homework.report",
        locked,
        practice=homework.client.practice_id,
        client_id=locked.client_id,
        status=locked.status,
        has_note=bool(note),
    )
    homework.status, homework.client_note, homework.reported_at = (
        locked.status,
        locked.client_note,
        locked.reported_at,
    )
    client_changed(homework.client_id, "plans")
    return homework
