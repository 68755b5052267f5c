"""Who may read a reflection: its author, and nobody else (a 404 for everyone else).

Reflections are psychotherapy notes (CLINICAL.md): not the owner, not a colleague, not the
client, not the client's next therapist. Every lookup of a reflection goes through here.

After a client is reassigned (accounts.services.reassign_client):
- the new therapist never sees the reflections the previous therapist wrote (they are the
  author's working notes, not part of the record that moves with the client);
- the author keeps them, read-only, under "Former clients" (`former_reflections_for`): they
  can read what they wrote but no longer add to it, edit it or mark it addressed, because the
  client's sessions are no longer theirs to see;
- if the client comes back to the author, the reflections are current again.
A reflection never leaves the author's practice: a therapist who moves practice (or whose
membership ends) no longer reaches any of them.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from continuum.accounts.models import User
from continuum.care.access import clients_for
from continuum.care.models import Appointment, Client
from continuum.reflections.models import Reflection


def _active_clinical_practice_id(user: User) -> int | None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    membership = getattr(user, "membership", None)
    if membership is None or not membership.is_active or not membership.is_clinical:
        return None
    practice_id: int = membership.practice_id
    return practice_id


def reflections_for(user: User) -> QuerySet[Reflection]:
    """The user's own reflections about the clients they treat now (readable and editable)."""
    if _active_clinical_practice_id(user) is None:
        return Reflection.objects.none()
    return Reflection.objects.filter(author=user, client__in=clients_for(user))


def former_reflections_for(user: User) -> QuerySet[Reflection]:
    """The user's own reflections about clients of their practice they no longer treat."""
    practice_id = _active_clinical_practice_id(user)
    if practice_id is None:
        return Reflection.objects.none()
    return Reflection.objects.filter(author=user, client__practice_id=practice_id).exclude(
        client__in=clients_for(user)
    )


def readable_reflections_for(user: User) -> QuerySet[Reflection]:
    """Current and former: everything the user wrote in their present practice."""
    practice_id = _active_clinical_practice_id(user)
    if practice_id is None:
        return Reflection.objects.none()
    return Reflection.objects.filter(author=user, client__practice_id=practice_id)


def _with_relations(queryset: QuerySet[Reflection]) -> QuerySet[Reflection]:
    return queryset.select_related("client", "appointment", "addressed_in")


def get_reflection_for(user: User, reflection_id: int) -> Reflection:
    """A reflection the user may change (theirs, about a current client); 404 otherwise."""
    return get_object_or_404(_with_relations(reflections_for(user)), pk=reflection_id)


def get_readable_reflection_for(user: User, reflection_id: int) -> Reflection:
    """A reflection the user may read (theirs, current or former client); 404 otherwise."""
    return get_object_or_404(_with_relations(readable_reflections_for(user)), pk=reflection_id)


def reflections_to_bring(user: User, client: Client) -> QuerySet[Reflection]:
    """Open "bring to the next session" items of `user` about `client`, oldest first (an agenda).

    For the pre-session brief: one query when evaluated. Empty for anyone but the author, and
    for the author once the client is no longer theirs.
    """
    return (
        reflections_for(user)
        .filter(client=client, bring_to_next_session=True, addressed_at__isnull=True)
        .select_related("appointment")
        .order_by("created_at", "pk")
    )


def addressed_in_appointment(user: User, appointment: Appointment) -> QuerySet[Reflection]:
    """The user's reflections marked addressed in `appointment`, in the order they were."""
    return (
        reflections_for(user)
        .filter(client_id=appointment.client_id, addressed_in=appointment)
        .order_by("addressed_at", "pk")
    )
