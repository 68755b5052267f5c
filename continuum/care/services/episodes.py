"""Episodes of care: opening, editing and moving through their statuses.

Every change is one transaction and one audit row. Status changes go through
`transition_episode`, which asks care.episodes.check_transition whether the move is legal.
"""

from __future__ import annotations

import zoneinfo
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from continuum.accounts.actors import actor_for
from continuum.audit.log import record
from continuum.care.episodes import (
    LABELS,
    OPEN_STATUSES,
    TRANSITIONS,
    EpisodeStatus,
    InvalidTransition,
    check_transition,
)
from continuum.care.models import Client, Episode
from continuum.lib.hooks import client_changed, episode_changed

__all__ = [
    "InvalidEpisodeDates",
    "InvalidTransition",
    "OpenEpisodeExists",
    "local_today",
    "next_statuses",
    "open_episode",
    "transition_episode",
    "update_episode",
]

_OPEN = [str(s) for s in OPEN_STATUSES]


class OpenEpisodeExists(ValueError):
    """A client has at most one open episode (referral, active or ending) at a time."""


class InvalidEpisodeDates(ValueError):
    """An episode cannot end before it starts."""


def local_today(user: Any) -> date:
    """Today in `user`'s own time zone (not the server's, not necessarily the request's)."""
    try:
        tz = zoneinfo.ZoneInfo(getattr(user, "time_zone", "") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    return timezone.localdate(timezone=tz)


def next_statuses(status: str) -> list[tuple[str, str]]:
    """(value, label) of each status an episode in `status` may move to, in table order."""
    try:
        current = EpisodeStatus(status)
    except ValueError:
        return []
    return [(str(s), LABELS[s]) for s in TRANSITIONS[current]]


def _day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def _check_dates(start: date, end: date | None) -> None:
    if end is not None and end < start:
        raise InvalidEpisodeDates(f"The end date cannot be before the start date ({_day(start)}).")


def _lock_client(client: Client) -> None:
    # Serialises episode changes per client on PostgreSQL (SQLite's BEGIN IMMEDIATE already
    # serialises every write transaction), so two requests cannot both open an episode.
    list(Client.objects.select_for_update().filter(pk=client.pk).values_list("pk"))


@transaction.atomic
def open_episode(
    client: Client,
    *,
    by: Any,
    referral_reason: str,
    start_date: date,
    end_date: date | None = None,
) -> Episode:
    """Open a new episode (as a referral) for a client who has no open episode."""
    _lock_client(client)
    _check_dates(start_date, end_date)
    current = Episode.objects.filter(client=client, status__in=_OPEN).first()
    if current is not None:
        raise OpenEpisodeExists(
            f"This client already has an open episode ({current.get_status_display()}, "
            f"from {_day(current.start_date)}). End or close it before opening another."
        )
    episode = Episode.objects.create(
        client=client,
        therapist=client.therapist,
        referral_reason=referral_reason,
        start_date=start_date,
        end_date=end_date,
        status=EpisodeStatus.REFERRAL,
    )
    record(actor_for(by), "episode.create", episode, client_id=client.pk, status=episode.status)
    client_changed(client.pk)
    return episode


@transaction.atomic
def update_episode(
    episode: Episode,
    *,
    by: Any,
    referral_reason: str,
    start_date: date,
    end_date: date | None,
) -> list[str]:
    """Change an episode's reason and dates; returns the names of the fields that changed."""
    _check_dates(start_date, end_date)
    values = {"referral_reason": referral_reason, "start_date": start_date, "end_date": end_date}
    changed = [name for name, value in values.items() if getattr(episode, name) != value]
    for name in changed:
        setattr(episode, name, values[name])
    if changed:
        episode.save(update_fields=changed)
        episode_changed(episode.pk)
    record(actor_for(by), "episode.update", episode, client_id=episode.client_id, fields=changed)
    client_changed(episode.client_id)
    return changed


@transaction.atomic
def transition_episode(
    episode: Episode,
    target: str,
    by: Any,
    end_date: date | None = None,
    unplanned: bool = False,
) -> Episode:
    """Move an episode to `target`, or raise InvalidTransition (nothing changes).

    Ending sets the end date (today in `by`'s time zone unless given); `active → ended`
    skips the planned ending phase, so it is recorded as unplanned. Closing an episode that
    never ended (a referral that did not become treatment) also sets its end date.
    Raises InvalidEpisodeDates when a given end date is before the start date.
    """
    locked = Episode.objects.select_for_update().get(pk=episode.pk)
    old = EpisodeStatus(locked.status)
    new = check_transition(old, target)
    changed = ["status", "status_changed_at"]
    if new == EpisodeStatus.ENDED or (new == EpisodeStatus.CLOSED and locked.end_date is None):
        if end_date is None:
            # The default "today" never precedes a start date that lies in the future.
            end_date = max(local_today(by), locked.start_date)
        _check_dates(locked.start_date, end_date)
        locked.end_date = end_date
        changed.append("end_date")
    if new == EpisodeStatus.ENDED:
        locked.ended_unplanned = unplanned or old == EpisodeStatus.ACTIVE
        changed.append("ended_unplanned")
    locked.status = new
    locked.status_changed_at = timezone.now()
    locked.save(update_fields=changed)
    # "from" is a Python keyword, hence the dict.
    detail: dict[str, Any] = {
        "from": str(old),
        "to": str(new),
        "unplanned": locked.ended_unplanned,
        "client_id": locked.client_id,
    }
    record(actor_for(by), "episode.transition", locked, **detail)
    episode_changed(locked.pk)
    for name in changed:
        setattr(episode, name, getattr(locked, name))
    client_changed(episode.client_id)
    return episode
