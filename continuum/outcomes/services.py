"""Keeping the stored outcomes true.

`refresh_episode` is called (through continuum.lib.hooks) by every action that changes what an
episode's outcome is made from, inside that action's transaction, so it writes no audit row of
its own: the action's row is the record of the change. `refresh_episodes` rebuilds many
episodes in bulk (the backfill command and the demo).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from continuum.care.episodes import FINISHED_STATUSES
from continuum.care.models import Appointment, AppointmentStatus, Episode
from continuum.measures.models import Administration, AdministrationStatus
from continuum.outcomes import rules
from continuum.outcomes.models import EpisodeOutcome

FINISHED = [str(s) for s in FINISHED_STATUSES]
BATCH = 2000


def _rows(
    episode: Episode, series: dict[str, list[rules.Score]], attended: int
) -> list[EpisodeOutcome]:
    assert episode.end_date is not None
    now = timezone.now()
    return [
        EpisodeOutcome(
            episode_id=episode.pk,
            practice_id=episode.client.practice_id,
            therapist_id=episode.therapist_id,
            end_date=episode.end_date,
            end_quarter=rules.quarter_key(episode.end_date),
            referral=rules.referral_key(episode.referral_reason),
            attended=attended,
            finished_treatment=attended >= 2,
            updated_at=now,
            **vars(values),
        )
        for values in rules.outcome_values(series)
    ]


def _scores(episode_ids: Sequence[int]) -> dict[int, dict[str, list[rules.Score]]]:
    admins = (
        Administration.objects.filter(
            episode_id__in=episode_ids,
            instrument__in=rules.MEASURED,
            status=AdministrationStatus.COMPLETED,
            total__isnull=False,
        )
        # The same order as measures.queries.episode_outcome: first and last by due time.
        .order_by("episode_id", "due_at", "completed_at", "pk")
        .values_list("episode_id", "instrument", "total", "band")
    )
    out: dict[int, dict[str, list[rules.Score]]] = defaultdict(lambda: defaultdict(list))
    for episode_id, code, total, band in admins:
        if total is not None:  # filtered above; the type does not know
            out[episode_id][code].append(rules.Score(total, band))
    return out


def _attended(episode_ids: Sequence[int]) -> dict[int, int]:
    return dict(
        Appointment.objects.filter(episode_id__in=episode_ids, status=AppointmentStatus.ATTENDED)
        .values("episode_id")
        .annotate(n=Count("pk"))
        .values_list("episode_id", "n")
    )


@transaction.atomic
def refresh_episode(episode_id: int) -> list[EpisodeOutcome]:
    """Rewrite one episode's stored outcomes from its current state (none unless finished)."""
    episode = Episode.objects.select_related("client").filter(pk=episode_id).first()
    if episode is None or episode.status not in FINISHED or episode.end_date is None:
        # One query for an open episode (every score of a course in progress): it has no rows,
        # since rows are written only once it finished and no status leads back to open.
        return []
    EpisodeOutcome.objects.filter(episode_id=episode_id).delete()
    rows = _rows(
        episode, _scores([episode_id])[episode_id], _attended([episode_id]).get(episode_id, 0)
    )
    return EpisodeOutcome.objects.bulk_create(rows)


def refresh_episodes(episodes: Iterable[Episode]) -> int:
    """Rebuild the stored outcomes of many episodes in batches; returns the rows written."""
    written = 0
    batch: list[Episode] = []

    def flush() -> int:
        ids = [e.pk for e in batch]
        with transaction.atomic():
            EpisodeOutcome.objects.filter(episode_id__in=ids).delete()
            scores, attended = _scores(ids), _attended(ids)
            rows = [
                row
                for e in batch
                if e.status in FINISHED and e.end_date is not None
                for row in _rows(e, scores.get(e.pk, {}), attended.get(e.pk, 0))
            ]
            EpisodeOutcome.objects.bulk_create(rows, batch_size=500)
        batch.clear()
        return len(rows)

    for episode in episodes:
        batch.append(episode)
        if len(batch) >= BATCH:
            written += flush()
    if batch:
        written += flush()
    return written


def backfill(practice_id: int | None = None) -> int:
    """Rebuild every finished episode's stored outcomes (of one practice, or all)."""
    episodes = Episode.objects.select_related("client").filter(status__in=FINISHED)
    if practice_id is not None:
        episodes = episodes.filter(client__practice_id=practice_id)
    return refresh_episodes(episodes.order_by("pk").iterator(chunk_size=BATCH))
