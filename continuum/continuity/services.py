"""The day's one write: when the therapist last opened it ("since you last looked").

Not a clinical record (a person and a time, like a last login), so the write has no audit row
of its own; the view audits the day's read ("day.view"), as every page with clinical content.
"""

from __future__ import annotations

from datetime import datetime

from continuum.accounts.actors import Actor
from continuum.continuity.models import DayVisit


def last_looked(actor: Actor) -> datetime | None:
    """When the actor last opened their day (1 query); None the first time."""
    return (
        DayVisit.objects.filter(user_id=actor.acting_user().pk)
        .values_list("opened_at", flat=True)
        .first()
    )


def note_day_opened(*, actor: Actor, at: datetime) -> None:
    """Keep `at` as the moment the actor last opened their day (1 query: an upsert)."""
    DayVisit.objects.bulk_create(
        [DayVisit(user_id=actor.acting_user().pk, opened_at=at)],
        update_conflicts=True,
        unique_fields=["user"],
        update_fields=["opened_at"],
    )
