"""Who may see the therapist's wellbeing records: the therapist, and nobody else.

Not the practice owner, not a colleague, not a client: everyone else gets a 404, never a 403
that would confirm a row exists. Every lookup of a wellbeing row goes through here.

A self-reflection or consultation entry may be linked to a client; the link only ever shows
while that client is in the author's present practice (a row about a client of a practice the
therapist has left stays theirs, without the name).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from continuum.accounts.actors import Actor
from continuum.accounts.models import User
from continuum.care.access import get_appointment_for
from continuum.care.models import Appointment
from continuum.wellbeing.models import ConsultationEntry, SelfReflection


def clinical_practice_id(user: User) -> int | None:
    """The practice of an active clinician, or None for anyone else."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    membership = getattr(user, "membership", None)
    if membership is None or not membership.is_active or not membership.is_clinical:
        return None
    practice_id: int = membership.practice_id
    return practice_id


def _same_practice(practice_id: int) -> Q:
    return Q(client__isnull=True) | Q(client__practice_id=practice_id)


def self_reflections_for(user: User) -> QuerySet[SelfReflection]:
    practice_id = clinical_practice_id(user)
    if practice_id is None:
        return SelfReflection.objects.none()
    return SelfReflection.objects.filter(_same_practice(practice_id), author=user)


def get_self_reflection_for(user: User, reflection_id: int) -> SelfReflection:
    return get_object_or_404(self_reflections_for(user).select_related("client"), pk=reflection_id)


def consultations_for(user: User) -> QuerySet[ConsultationEntry]:
    practice_id = clinical_practice_id(user)
    if practice_id is None:
        return ConsultationEntry.objects.none()
    return ConsultationEntry.objects.filter(_same_practice(practice_id), therapist=user)


def get_consultation_for(user: User, consultation_id: int) -> ConsultationEntry:
    return get_object_or_404(consultations_for(user).select_related("client"), pk=consultation_id)


def get_own_appointment_for(actor: Actor, appointment_id: int) -> Appointment:
    """An appointment of the actor's own client that the actor held; 404 otherwise.

    The client lookup is care.access's; a session held by a previous therapist of a client
    who has since moved to the user is not the user's to rate.
    """
    appointment = get_appointment_for(actor, appointment_id)
    if actor.user is None or appointment.therapist_id != actor.user.pk:
        raise Http404("No such appointment")
    return appointment
