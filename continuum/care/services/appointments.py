"""Appointment actions: booking (single or a series), editing and status changes.

Each action is one transaction that writes one audit row. Exceptions carry a message that is
safe to show the therapist and to log: times and statuses only, never names or free text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from continuum.accounts.actors import Actor
from continuum.audit import log as audit
from continuum.care.episodes import OPEN_STATUSES
from continuum.care.models import (
    Appointment,
    AppointmentStatus,
    CancelledBy,
    Client,
    Episode,
    ProgressNote,
    new_series_id,
)
from continuum.care.scheduling import Clash, Slot, find_clashes, search_window
from continuum.lib.hooks import client_changed, episode_changed

MIN_DURATION = 5
MAX_DURATION = 480

S = AppointmentStatus

# The one table of status changes. Attended, no-show and cancelled are final, except that a
# mix-up between attended and no-show may be corrected for CORRECTION_WINDOW after the
# appointment's start: a week is long enough to notice a wrong click, and after that the
# record (attendance counts, "finished treatment", billing) must stay put. A cancellation is
# never undone: book a new appointment instead, so the record shows both.
TRANSITIONS: dict[AppointmentStatus, tuple[AppointmentStatus, ...]] = {
    S.SCHEDULED: (S.ATTENDED, S.NO_SHOW, S.CANCELLED),
    S.ATTENDED: (S.NO_SHOW,),
    S.NO_SHOW: (S.ATTENDED,),
    S.CANCELLED: (),
}
CORRECTION_WINDOW = timedelta(days=7)


class AppointmentError(Exception):
    """An appointment action that cannot happen; `str(error)` is safe to show."""


class OutsideEpisode(AppointmentError):
    """A session would fall before the open episode of care began (or after it ended)."""


class AppointmentClash(AppointmentError):
    """The proposed time overlaps the therapist's other appointments (not yet confirmed)."""

    def __init__(self, clashes: list[Clash]) -> None:
        super().__init__(f"{len(clashes)} overlapping appointment(s)")
        self.clashes = clashes


class AppointmentLocked(AppointmentError):
    """Only scheduled appointments can be edited."""


class InvalidStatusChange(AppointmentError):
    """A status change that the appointment's status (or its timing) does not allow."""


def _label(status: str) -> str:
    return AppointmentStatus(status).label


def status_change_problem(
    current: str, target: str, *, starts_at: datetime, now: datetime, has_note: bool
) -> str | None:
    """Why `current → target` is not allowed now, or None when it is."""
    try:
        old, new = AppointmentStatus(current), AppointmentStatus(target)
    except ValueError:
        return "That is not an appointment status."
    if old == new:
        return f"The appointment is already {old.label.lower()}."
    if new not in TRANSITIONS[old]:
        return f"An appointment that is {old.label.lower()} cannot become {new.label.lower()}."
    if new in (S.ATTENDED, S.NO_SHOW) and starts_at > now:
        return f"An appointment cannot be marked {new.label.lower()} before it starts."
    if old in (S.ATTENDED, S.NO_SHOW) and now - starts_at > CORRECTION_WINDOW:
        return (
            "Attended and no-show can be corrected only within 7 days of the appointment; "
            "this one is older."
        )
    if old == S.ATTENDED and new == S.NO_SHOW and has_note:
        return "This appointment has a progress note, so it cannot be marked no-show."
    return None


def possible_changes(
    current: str, *, starts_at: datetime, now: datetime, has_note: bool
) -> list[AppointmentStatus]:
    """The statuses this appointment may move to now, in table order."""
    return [
        target
        for target in TRANSITIONS[AppointmentStatus(current)]
        if status_change_problem(current, target, starts_at=starts_at, now=now, has_note=has_note)
        is None
    ]


def check_status_change(
    current: str, target: str, *, starts_at: datetime, now: datetime, has_note: bool
) -> AppointmentStatus:
    """The target status if the change is legal; else InvalidStatusChange listing the options."""
    problem = status_change_problem(
        current, target, starts_at=starts_at, now=now, has_note=has_note
    )
    if problem is None:
        return AppointmentStatus(target)
    options = possible_changes(current, starts_at=starts_at, now=now, has_note=has_note)
    listed = ", ".join(o.label for o in options) or "none"
    raise InvalidStatusChange(f"{problem} Possible changes: {listed}.")


def open_episode_for(client: Client) -> Episode | None:
    """The client's open episode of care (at most one is open), if any."""
    return (
        Episode.objects.filter(client=client, status__in=OPEN_STATUSES)
        .order_by("-start_date", "-pk")
        .first()
    )


def outside_episode(episode: Episode, starts: Sequence[datetime]) -> str | None:
    """Why a session falls outside the episode (dated before it began or after it ended, by
    the day in the current time zone: the person booking's), or None. Issue 14: a session on
    1 Jan 2025 was booked into an episode that began on 22 Dec 2025."""
    for start in sorted(starts):
        day = timezone.localtime(start).date()
        if day < episode.start_date or (episode.end_date and day > episode.end_date):
            began = f"{episode.start_date.day} {episode.start_date:%B %Y}"
            return (
                f"This client's episode of care began on {began}; a session on "
                f"{day.day} {day:%B %Y} falls outside it. Choose a date within the episode."
            )
    return None


def check_within_episode(episode: Episode, starts: Sequence[datetime]) -> None:
    """OutsideEpisode for a session outside the episode's dates."""
    if (problem := outside_episode(episode, starts)) is not None:
        raise OutsideEpisode(problem)


def clashes_for(
    therapist: Any, slots: Sequence[Slot], *, exclude_id: int | None = None
) -> list[Clash]:
    """The therapist's non-cancelled appointments that overlap any of `slots` (one query)."""
    after, before = search_window(slots, MAX_DURATION)
    candidates = Appointment.objects.filter(
        therapist=therapist, starts_at__gt=after, starts_at__lt=before
    ).exclude(status=S.CANCELLED)
    if exclude_id is not None:
        candidates = candidates.exclude(pk=exclude_id)
    booked = candidates.values_list("starts_at", "duration_minutes")
    return find_clashes(slots, [Slot.of(start, minutes) for start, minutes in booked])


@transaction.atomic
def book_appointments(
    client: Client,
    *,
    actor: Actor,
    starts: Sequence[datetime],
    duration_minutes: int,
    modality: str,
    allow_overlap: bool = False,
    allow_outside_episode: bool = False,
) -> list[Appointment]:
    """Book one appointment, or a whole series in one go (one `series` id, one audit row).

    Raises AppointmentClash, writing nothing, when any session overlaps another of the
    therapist's appointments and `allow_overlap` is not set; OutsideEpisode when a session
    falls outside the client's open episode and `allow_outside_episode` is not set.
    """
    if not starts:
        raise AppointmentError("No appointment times were given.")
    slots = [Slot.of(start, duration_minutes) for start in starts]
    if not allow_overlap:
        clashes = clashes_for(client.therapist_id, slots)
        if clashes:
            raise AppointmentClash(clashes)
    series = new_series_id() if len(starts) > 1 else None
    episode = open_episode_for(client)
    outside = outside_episode(episode, starts) if episode is not None else None
    if outside is not None and not allow_outside_episode:
        raise OutsideEpisode(outside)
    now = timezone.now()
    booked = Appointment.objects.bulk_create(
        [
            Appointment(
                client=client,
                therapist_id=client.therapist_id,
                episode=episode,
                starts_at=start,
                duration_minutes=duration_minutes,
                modality=modality,
                series=series,
                created_at=now,
            )
            for start in sorted(starts)
        ]
    )
    detail: dict[str, Any] = {"count": len(booked), "client_id": client.pk}
    if series is not None:
        detail["series"] = str(series)
    if episode is not None:
        detail["episode"] = episode.pk
    if allow_overlap:
        detail["overlap_confirmed"] = True
    if outside is not None:
        detail["outside_episode_confirmed"] = True
    audit.record(actor, "appointment.create", booked[0], **detail)
    client_changed(client.pk, "care", "care.notes", "endings")
    return booked


@transaction.atomic
def update_appointment(
    appointment: Appointment,
    *,
    actor: Actor,
    starts_at: datetime,
    duration_minutes: int,
    modality: str,
    allow_overlap: bool = False,
    allow_outside_episode: bool = False,
) -> Appointment:
    """Change the time, length or modality of a scheduled appointment. Raises, changing
    nothing, as booking does: AppointmentClash for an overlap, OutsideEpisode for a new time
    outside the appointment's episode, unless allowed."""
    # Lock the appointment's row only: its episode is joined to be read, and PostgreSQL
    # cannot lock the nullable side of an outer join.
    locked = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("episode")
        .get(pk=appointment.pk)
    )
    if locked.status != S.SCHEDULED:
        raise AppointmentLocked(
            f"Only scheduled appointments can be edited; this one is {_label(locked.status)}."
        )
    if not allow_overlap:
        clashes = clashes_for(
            locked.therapist_id, [Slot.of(starts_at, duration_minutes)], exclude_id=locked.pk
        )
        if clashes:
            raise AppointmentClash(clashes)
    outside = outside_episode(locked.episode, [starts_at]) if locked.episode is not None else None
    if outside is not None and not allow_outside_episode:
        raise OutsideEpisode(outside)
    changes = {
        "starts_at": starts_at,
        "duration_minutes": duration_minutes,
        "modality": modality,
    }
    changed = [name for name, value in changes.items() if getattr(locked, name) != value]
    for name, value in changes.items():
        setattr(locked, name, value)
        setattr(appointment, name, value)
    if changed:
        locked.sequence += 1
        appointment.sequence = locked.sequence
    locked.save(update_fields=[*changes, "sequence"])
    detail: dict[str, Any] = {"fields": changed}
    if outside is not None:
        detail["outside_episode_confirmed"] = True
    audit.record(actor, "appointment.update", locked, **detail)
    client_changed(appointment.client_id, "care", "care.notes", "endings")
    return appointment


@transaction.atomic
def change_status(
    appointment: Appointment,
    *,
    target: str,
    actor: Actor,
    cancelled_by: str = "",
) -> Appointment:
    """Move an appointment along TRANSITIONS; an illegal change raises InvalidStatusChange."""
    by = actor.user
    locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
    now = timezone.now()
    has_note = ProgressNote.objects.filter(appointment=locked).exists()
    new = check_status_change(
        locked.status, target, starts_at=locked.starts_at, now=now, has_note=has_note
    )
    if new == S.CANCELLED:
        if cancelled_by not in CancelledBy.values:
            raise InvalidStatusChange(
                "Say who cancelled: the client, the therapist or the practice."
            )
        locked.cancelled_by = cancelled_by
        locked.cancelled_at = now
        locked.cancelled_by_user = by
        locked.sequence += 1
    old = locked.status
    locked.status = new
    locked.save(
        update_fields=["status", "cancelled_by", "cancelled_at", "cancelled_by_user", "sequence"]
    )
    detail: dict[str, Any] = {"from": old, "to": str(new)}
    if new == S.CANCELLED:
        detail["cancelled_by"] = cancelled_by
    audit.record(actor, "appointment.status", locked, **detail)
    if S.ATTENDED in (old, new) and locked.episode_id is not None:
        # "Finished treatment" counts attended appointments (stored outcomes).
        episode_changed(locked.episode_id)
    for name in ("status", "cancelled_by", "cancelled_at", "cancelled_by_user", "sequence"):
        setattr(appointment, name, getattr(locked, name))
    client_changed(appointment.client_id, "care", "care.notes", "endings")
    return appointment
