"""The day's one write: when the therapist last opened it ("since you last looked").

Not a clinical record (a person and a time, like a last login), so the write has no audit row
of its own; the day's read is audited ("day.view"), as every page with clinical content, in
the same transaction (`day_opened`): one commit instead of two on every visit.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from continuum.accounts.actors import Actor
from continuum.audit.log import record
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


def day_opened(*, actor: Actor, at: datetime, clients: int, saw_everything_new: bool) -> None:
    """The actor opened their day at `at`, showing `clients` clients: keep the moment
    (`note_day_opened`) and audit the read (issue 18, finding 4: the day shows clinical
    content; counts only), in one transaction, so a visit costs one commit (2 queries).

    When the list was cut and an entry below the cut holds something new, the moment is not
    kept: "new since you last looked" stays marked until the therapist has seen it."""
    with transaction.atomic(savepoint=False):
        if saw_everything_new:
            note_day_opened(actor=actor, at=at)
        record(actor, "day.view", clients=clients)
