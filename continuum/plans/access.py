"""Lookups of plans, goals, interventions and homework: outsiders get a 404, never a 403.

Therapist side: only the client's assigned therapist (care.access.clients_for). Portal side:
homework is looked up within the logged-in client's own rows; the client never comes from
the URL.
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404

from continuum.accounts.models import User
from continuum.care.access import clients_for
from continuum.care.models import Client
from continuum.plans.models import Goal, Homework, Intervention, TreatmentPlan


def plans_for(user: User) -> Any:
    return TreatmentPlan.objects.select_related("episode", "client").filter(
        client__in=clients_for(user)
    )


def get_plan_for(user: User, plan_id: int) -> TreatmentPlan:
    plan: TreatmentPlan = get_object_or_404(plans_for(user), pk=plan_id)
    return plan


def get_goal_for(user: User, goal_id: int) -> Goal:
    goal: Goal = get_object_or_404(
        Goal.objects.select_related("plan__episode", "plan__client").filter(
            plan__client__in=clients_for(user)
        ),
        pk=goal_id,
    )
    return goal


def get_intervention_for(user: User, intervention_id: int) -> Intervention:
    intervention: Intervention = get_object_or_404(
        Intervention.objects.select_related("plan__episode", "plan__client").filter(
            plan__client__in=clients_for(user)
        ),
        pk=intervention_id,
    )
    return intervention


def get_homework_for(user: User, homework_id: int) -> Homework:
    homework: Homework = get_object_or_404(
        Homework.objects.select_related("client", "goal", "intervention").filter(
            client__in=clients_for(user)
        ),
        pk=homework_id,
    )
    return homework


def get_portal_homework(client: Client, homework_id: int) -> Homework:
    """One of the logged-in client's own tasks (not cancelled); anything else is a 404."""
    homework: Homework = get_object_or_404(
        Homework.objects.select_related("client", "goal", "intervention")
        .filter(client=client)
        .exclude(status="cancelled"),
        pk=homework_id,
    )
    return homework
