"""Endings actions: each is one transaction with its audit row; nothing half-written stays.

Episode status changes go through care.services.episodes.transition_episode (which writes its
own "episode.transition" row) and tapering sessions through
care.services.appointments.book_appointments (its "appointment.create" row), so agreeing a plan
leaves the plan's row beside theirs. Exceptions carry messages that are safe to show and to log:
no names, no free text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from continuum.accounts.actors import Actor
from continuum.audit.log import record
from continuum.care.episodes import LABELS, EpisodeStatus
from continuum.care.models import Client, Episode
from continuum.care.services.appointments import book_appointments
from continuum.care.services.episodes import transition_episode
from continuum.endings.models import (
    EndingReason,
    ReadinessRequest,
    Referral,
    RelapsePreventionPlan,
    TerminationPlan,
    UnplannedEnding,
)
from continuum.lib.hooks import client_changed


class EndingError(ValueError):
    """An endings action that cannot happen now; `str(error)` is safe to show."""


class PlanChanged(EndingError):
    """The client accepted a version of the plan that is no longer the current one."""


def _status_label(episode: Episode) -> str:
    return LABELS[EpisodeStatus(episode.status)].lower()


def _lock_episode(episode: Episode) -> Episode:
    return Episode.objects.select_for_update().select_related("client").get(pk=episode.pk)


# --- Readiness -------------------------------------------------------------------------------


@transaction.atomic
def request_readiness(episode: Episode, *, actor: Actor) -> tuple[ReadinessRequest, bool]:
    """Ask the client, in the portal, how ready they feel. (request, created): an unanswered
    request is not sent twice."""
    by = actor.acting_user()
    locked = _lock_episode(episode)
    if locked.status not in (EpisodeStatus.ACTIVE, EpisodeStatus.ENDING):
        raise EndingError(
            f"The readiness questions go to clients in an active episode; this one is "
            f"{_status_label(locked)}."
        )
    client = locked.client
    if client.user_id is None:
        raise EndingError(
            "This client has no portal login yet. Invite them to the portal first, or ask "
            "the questions in the session."
        )
    existing = ReadinessRequest.objects.filter(episode=locked, answered_at__isnull=True).first()
    if existing is not None:
        return existing, False
    asked = ReadinessRequest.objects.create(episode=locked, client=client, requested_by=by)
    record(
        actor,
        "ending.readiness_request",
        asked,
        client_id=client.pk,
        episode_id=locked.pk,
    )
    return asked, True


@transaction.atomic
def answer_readiness(
    asked: ReadinessRequest,
    *,
    actor: Actor,
    readiness: int,
    worries: str,
) -> ReadinessRequest:
    """The client's answers (once: a second send of the same form changes nothing)."""
    locked = ReadinessRequest.objects.select_for_update().get(pk=asked.pk)
    if locked.is_answered:
        raise EndingError("You have already answered these questions. Thank you.")
    locked.readiness = readiness
    locked.worries = worries
    locked.answered_at = timezone.now()
    locked.save(update_fields=["readiness", "worries", "answered_at"])
    record(
        actor,
        "ending.readiness_answer",
        locked,
        practice=locked.client.practice_id,
        client_id=locked.client_id,
        episode_id=locked.episode_id,
    )
    for name in ("readiness", "worries", "answered_at"):
        setattr(asked, name, getattr(locked, name))
    return asked


# --- The termination plan --------------------------------------------------------------------


@dataclass(frozen=True)
class PlanTerms:
    reason: str
    reason_other: str
    final_session_date: date
    ending_discussed: bool
    feelings_explored: bool
    gains_reviewed: bool
    referrals_offered: bool


@dataclass(frozen=True)
class Tapering:
    """Sessions to book with the plan (all at the same local time, from the form)."""

    starts: Sequence[datetime]
    rows: list[dict[str, int]]
    duration_minutes: int = 50
    modality: str = "in_person"
    allow_overlap: bool = False


def _check_terms(locked: Episode, terms: PlanTerms, taper: Tapering | None) -> None:
    if not terms.ending_discussed:
        raise EndingError("A plan is agreed with the client: discuss the ending first.")
    if terms.reason == EndingReason.OTHER and not terms.reason_other.strip():
        raise EndingError("Say what the other reason is.")
    if terms.final_session_date < locked.start_date:
        raise EndingError("The final session cannot be before the episode started.")
    if terms.reason == EndingReason.THERAPIST_REFERRAL:
        if not terms.referrals_offered:
            raise EndingError(
                "A therapist-initiated ending offers referrals to other providers "
                "(APA Ethics Code 10.10): tick “Referrals offered” once you have."
            )
        if not Referral.objects.filter(episode=locked).exists():
            raise EndingError(
                "Add at least one referral before agreeing a therapist-initiated ending."
            )
    if taper is not None and taper.starts:
        last = timezone.localtime(max(taper.starts)).date()
        if last > terms.final_session_date:
            raise EndingError(
                "The last tapering session falls after the agreed final session date."
            )


@transaction.atomic
def agree_termination_plan(
    episode: Episode,
    *,
    actor: Actor,
    terms: PlanTerms,
    taper: Tapering | None = None,
) -> TerminationPlan:
    """Record the plan agreed with the client, book its tapering sessions and move an active
    episode to `ending`. On an episode already ending, the plan changes (a new version the
    client accepts again). Raises EndingError or AppointmentClash, writing nothing."""
    by = actor.user
    locked = _lock_episode(episode)
    if locked.status not in (EpisodeStatus.ACTIVE, EpisodeStatus.ENDING):
        raise EndingError(
            f"A termination plan is agreed on an active episode; this one is "
            f"{_status_label(locked)}."
        )
    _check_terms(locked, terms, taper)
    now = timezone.now()
    plan = TerminationPlan.objects.select_for_update().filter(episode=locked).first()
    created = plan is None
    if plan is None:
        plan = TerminationPlan(episode=locked, client=locked.client, agreed_by=by, agreed_at=now)
    else:
        plan.version += 1
        plan.client_accepted_at = None
        plan.accepted_version = None
    for name, value in vars(terms).items():
        setattr(plan, name, value)
    if taper is not None and taper.starts:
        plan.tapering = [*plan.tapering, *taper.rows] if not created else list(taper.rows)
    plan.updated_at = now
    plan.save()
    booked = []
    if taper is not None and taper.starts:
        booked = book_appointments(
            locked.client,
            starts=taper.starts,
            duration_minutes=taper.duration_minutes,
            modality=taper.modality,
            allow_overlap=taper.allow_overlap,
            actor=actor,
        )
        plan.appointments.add(*booked)
    moved = locked.status == EpisodeStatus.ACTIVE
    if moved:
        transition_episode(locked, EpisodeStatus.ENDING, by)
    record(
        actor,
        "ending.plan.agree" if created else "ending.plan.update",
        plan,
        client_id=locked.client_id,
        episode_id=locked.pk,
        version=plan.version,
        reason=plan.reason,
        sessions_booked=len(booked),
    )
    for name in ("status", "status_changed_at"):
        setattr(episode, name, getattr(locked, name))
    return plan


@transaction.atomic
def accept_termination_plan(plan: TerminationPlan, *, actor: Actor, version: int) -> bool:
    """The client accepts the version they read. False if they already had."""
    locked = TerminationPlan.objects.select_for_update().select_related("client").get(pk=plan.pk)
    if locked.version != version:
        raise PlanChanged(
            "Your ending plan was changed while you were reading it. Please read it again."
        )
    if locked.accepted:
        return False
    locked.client_accepted_at = timezone.now()
    locked.accepted_version = locked.version
    locked.save(update_fields=["client_accepted_at", "accepted_version"])
    record(
        actor,
        "ending.plan.accept",
        locked,
        practice=locked.client.practice_id,
        client_id=locked.client_id,
        episode_id=locked.episode_id,
        version=locked.version,
    )
    plan.client_accepted_at = locked.client_accepted_at
    plan.accepted_version = locked.accepted_version
    return True


# --- Referrals -------------------------------------------------------------------------------


@transaction.atomic
def add_referral(
    episode: Episode,
    *,
    actor: Actor,
    name: str,
    service: str,
    contact: str,
    reason: str,
) -> Referral:
    by = actor.acting_user()
    locked = _lock_episode(episode)
    if locked.status == EpisodeStatus.CLOSED:
        raise EndingError("This episode is closed; referrals can no longer be added to it.")
    referral = Referral.objects.create(
        episode=locked,
        client=locked.client,
        name=name,
        service=service,
        contact=contact,
        reason=reason,
        created_by=by,
    )
    record(
        actor,
        "ending.referral.add",
        referral,
        client_id=locked.client_id,
        episode_id=locked.pk,
    )
    return referral


@transaction.atomic
def remove_referral(referral: Referral, *, actor: Actor) -> None:
    locked = _lock_episode(referral.episode)
    if locked.status == EpisodeStatus.CLOSED:
        raise EndingError("This episode is closed; its referrals stay as they are.")
    record(
        actor,
        "ending.referral.remove",
        referral,
        client_id=locked.client_id,
        episode_id=locked.pk,
    )
    referral.delete()


# --- Unplanned ending ------------------------------------------------------------------------


def default_letter(client: Client, therapist: Any, practice: Any, referrals: list[Referral]) -> str:
    """The reach-out letter's starting text, for the therapist to edit."""
    name = client.preferred_name or client.first_name
    lines = [
        f"Dear {name},",
        "",
        "I have noticed that we have not met for a while, and I wanted to get in touch. "
        "There is nothing you need to explain: people step back from therapy for all sorts "
        "of reasons.",
        "",
        "If you would like to talk, about carrying on, about finishing, or about how things "
        f"have been, I would be glad to hear from you. You can reach me through "
        f"{practice.name}.",
        "",
        "If I do not hear from you, I will close your course of therapy for now. You are "
        "welcome to get back in touch at any time in the future.",
    ]
    if referrals:
        lines += ["", "You may also find these services helpful:"]
        for referral in referrals:
            parts = [p for p in (referral.name, referral.service, referral.contact) if p]
            lines.append("- " + ", ".join(parts))
    lines += ["", "With best wishes,", "", therapist.display_name, practice.name]
    return "\n".join(lines)


def _unplanned_row(locked: Episode, by: Any) -> UnplannedEnding:
    row = UnplannedEnding.objects.select_for_update().filter(episode=locked).first()
    if row is None:
        row = UnplannedEnding(episode=locked, client=locked.client, created_by=by)
    return row


@transaction.atomic
def save_unplanned(
    episode: Episode,
    *,
    actor: Actor,
    letter: str,
    closing_note: str,
) -> UnplannedEnding:
    """Keep the letter and the closing note (the episode stays as it is)."""
    by = actor.user
    locked = _lock_episode(episode)
    if locked.status not in (EpisodeStatus.ACTIVE, EpisodeStatus.ENDING):
        raise EndingError(f"This episode is already {_status_label(locked)}.")
    row = _unplanned_row(locked, by)
    row.letter, row.closing_note, row.updated_at = letter, closing_note, timezone.now()
    row.save()
    record(
        actor,
        "ending.unplanned.save",
        row,
        client_id=locked.client_id,
        episode_id=locked.pk,
    )
    client_changed(episode.client_id, "endings")
    return row


@transaction.atomic
def end_unplanned(
    episode: Episode,
    *,
    actor: Actor,
    letter: str,
    closing_note: str,
    end_date: date | None = None,
) -> UnplannedEnding:
    """End the episode as unplanned (active or ending → ended), with its closing note."""
    by = actor.user
    locked = _lock_episode(episode)
    if locked.status not in (EpisodeStatus.ACTIVE, EpisodeStatus.ENDING):
        raise EndingError(f"This episode is already {_status_label(locked)}.")
    if not closing_note.strip():
        raise EndingError("Write a closing note before ending the episode.")
    row = _unplanned_row(locked, by)
    now = timezone.now()
    row.letter, row.closing_note, row.updated_at = letter, closing_note, now
    row.ended_at, row.ended_by = now, by
    row.save()
    transition_episode(locked, EpisodeStatus.ENDED, by, end_date=end_date, unplanned=True)
    record(
        actor,
        "ending.unplanned.end",
        row,
        client_id=locked.client_id,
        episode_id=locked.pk,
    )
    for name in ("status", "status_changed_at", "end_date", "ended_unplanned"):
        setattr(episode, name, getattr(locked, name))
    client_changed(episode.client_id)
    return row


# --- Relapse prevention ----------------------------------------------------------------------


RELAPSE_FIELDS = ("warning_signs", "what_helps", "contacts", "booster_when")


@transaction.atomic
def save_relapse_plan(
    client: Client,
    *,
    actor: Actor,
    episode: Episode | None,
    warning_signs: str,
    what_helps: str,
    contacts: str,
    booster_when: str,
    shared_with_client: bool,
) -> RelapsePreventionPlan:
    """Save a new version of the client's relapse-prevention plan."""
    by = actor.acting_user()
    texts = {
        "warning_signs": warning_signs,
        "what_helps": what_helps,
        "contacts": contacts,
        "booster_when": booster_when,
    }
    if not any(text.strip() for text in texts.values()):
        raise EndingError("Write at least one part of the plan.")
    # Serialise versions per client (SQLite's BEGIN IMMEDIATE already serialises writers).
    list(Client.objects.select_for_update().filter(pk=client.pk).values_list("pk"))
    latest = RelapsePreventionPlan.objects.filter(client=client).aggregate(v=Max("version"))["v"]
    plan = RelapsePreventionPlan.objects.create(
        client=client,
        episode=episode,
        version=(latest or 0) + 1,
        shared_with_client=shared_with_client,
        created_by=by,
        **texts,
    )
    record(
        actor,
        "relapse_plan.save",
        plan,
        client_id=client.pk,
        version=plan.version,
        shared=shared_with_client,
    )
    return plan
