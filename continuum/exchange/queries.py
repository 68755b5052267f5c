"""What an import is checked against, and who may import."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404
from django.utils import timezone

from continuum.accounts.access import clinicians_for
from continuum.accounts.models import User
from continuum.care.models import Client, Episode
from continuum.care.services.episodes import local_today
from continuum.exchange.importing import Context
from continuum.exchange.importing_scores import ScoresContext
from continuum.exchange.models import ImportBatch, ImportKind, ImportStatus
from continuum.measures.models import Administration, AdministrationStatus


def may_import(user: User) -> bool:
    membership = getattr(user, "membership", None)
    return (
        membership is not None
        and membership.is_active
        and (membership.is_owner or membership.is_clinical)
    )


def assignable_therapists(user: User) -> dict[str, int]:
    """Lower-case email -> id of whom `user` may import clients for: an owner, any active
    clinician of the practice; a therapist, themselves."""
    membership = user.membership
    if membership.is_owner:
        return {u.email.lower(): u.pk for u in clinicians_for(user)}
    return {user.email.lower(): user.pk} if membership.is_clinical else {}


def import_context(user: User) -> Context:
    """Duplicates are looked for where the uploader may look: the whole practice for an
    owner, their own caseload for a therapist (who may not learn of others' clients)."""
    membership = user.membership
    clients = Client.objects.filter(practice_id=membership.practice_id)
    if not membership.is_owner:
        clients = clients.filter(therapist=user)
    existing = frozenset(
        (first.lower(), last.lower(), dob)
        for first, last, dob in clients.values_list("first_name", "last_name", "date_of_birth")
    )
    return Context(
        default_therapist=user.email.lower() if membership.is_clinical else "",
        therapists=assignable_therapists(user),
        existing=existing,
        default_time_zone=membership.practice.time_zone or "UTC",
        today=local_today(user) if user else timezone.localdate(),
    )


def get_pending_batch_for(user: User, batch_id: int, kind: str = ImportKind.CLIENTS) -> ImportBatch:
    """The uploader's own import (of this kind) awaiting confirmation; anyone else's is a 404."""
    return get_object_or_404(
        ImportBatch.objects.filter(created_by=user, status=ImportStatus.PREVIEW, kind=kind),
        pk=batch_id,
    )


def scores_context(user: User) -> ScoresContext:
    """Past scores are for the clients the uploader may see: the practice's for an owner,
    their own caseload for a therapist. 2 queries (the clients, their administrations' days;
    the days are compared in the practice's time zone)."""
    membership = user.membership
    clients = Client.objects.filter(practice_id=membership.practice_id)
    if not membership.is_owner:
        clients = clients.filter(therapist=user)
    by_key: dict[tuple[str, str, date | None], list[int]] = defaultdict(list)
    ids, without_episode = [], []
    has_episode = Exists(Episode.objects.filter(client=OuterRef("pk")))
    for pk, first, last, dob, held in clients.annotate(held=has_episode).values_list(
        "pk", "first_name", "last_name", "date_of_birth", "held"
    ):
        ids.append(pk)
        by_key[(first.lower(), last.lower(), dob)].append(pk)
        if not held:
            without_episode.append(pk)
    zone = ZoneInfo(membership.practice.time_zone or "UTC")
    existing = frozenset(
        (client_id, code, when.astimezone(zone).date())
        for client_id, code, when in Administration.objects.filter(
            client__in=clients, status=AdministrationStatus.COMPLETED
        ).values_list("client_id", "instrument", "completed_at")
        if when is not None
    )
    return ScoresContext(
        client_ids=frozenset(ids),
        by_key=dict(by_key),
        existing=existing,
        today=local_today(user),
        without_episode=frozenset(without_episode),
    )
