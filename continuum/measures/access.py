"""Lookups of measures objects: the client's assigned therapist only; others get a 404.

Built on continuum.care.access.clients_for, so the rule (assigned therapist, own practice,
active clinical membership) lives in one place.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from continuum.accounts.models import User
from continuum.care.access import clients_for
from continuum.measures.models import Administration, Alert, MeasureAssignment


def administrations_for(user: User) -> QuerySet[Administration]:
    return Administration.objects.filter(client__in=clients_for(user))


def alerts_for(user: User) -> QuerySet[Alert]:
    return Alert.objects.filter(client__in=clients_for(user))


def get_administration_for(user: User, administration_id: int) -> Administration:
    return get_object_or_404(
        administrations_for(user).select_related(
            "client", "client__practice", "episode", "assignment", "entered_by", "supersedes"
        ),
        pk=administration_id,
    )


def get_assignment_for(user: User, assignment_id: int) -> MeasureAssignment:
    return get_object_or_404(
        MeasureAssignment.objects.select_related("episode", "episode__client").filter(
            episode__client__in=clients_for(user)
        ),
        pk=assignment_id,
    )


def get_alert_for(user: User, alert_id: int) -> Alert:
    return get_object_or_404(
        alerts_for(user).select_related(
            "client",
            "episode",
            "administration",
            "acknowledged_by",
            "resolved_by",
            "closed_by_administration",
        ),
        pk=alert_id,
    )
