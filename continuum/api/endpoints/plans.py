"""Treatment plans and their goals, read-only (scope `plans`)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Router

from continuum.api.core import ERRORS, TokenAuth, actor, user
from continuum.api.schemas import GoalOut, PlanList, PlanOut
from continuum.care.access import get_episode_for
from continuum.plans.access import get_plan_for
from continuum.plans.models import Goal, TreatmentPlan

router = Router(auth=TokenAuth("plans"), tags=["plans"])


def _plan_out(plan: TreatmentPlan, goals: list[Goal]) -> PlanOut:
    return PlanOut(
        id=plan.pk,
        episode_id=plan.episode_id,
        client_id=plan.client_id,
        version=plan.version,
        status=plan.status,
        focus=plan.focus,
        review_date=plan.review_date,
        published_at=plan.published_at,
        goals=[GoalOut.model_validate(g, from_attributes=True) for g in goals],
    )


@router.get(
    "/episodes/{episode_id}/plans", response={200: PlanList, **ERRORS}, url_name="episode_plans"
)
def episode_plans(request: HttpRequest, episode_id: int) -> Any:
    episode = get_episode_for(actor(request), episode_id)
    plans = (
        TreatmentPlan.objects.filter(episode=episode)
        .order_by("version")
        .prefetch_related(Prefetch("goals", queryset=Goal.objects.order_by("pk")))
    )
    return {"items": [_plan_out(p, list(p.goals.all())) for p in plans]}


@router.get("/plans/{plan_id}", response={200: PlanOut, **ERRORS}, url_name="plan")
def plan(request: HttpRequest, plan_id: int) -> Any:
    found = get_plan_for(user(request), plan_id)
    return _plan_out(found, list(found.goals.order_by("pk")))
