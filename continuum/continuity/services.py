"""The day's one write: when the therapist last opened it ("since you last looked").

Not a clinical record (a person and a time, like a last login), so the write has no audit row
of its own; the day's read is audited ("day.view"), as every page with clinical content, in
the same transaction (`day_opened`): one commit instead of two on every visit.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from continuum import sql
from continuum.accounts.actors import Actor
from continuum.audit.log import record


def last_looked(actor: Actor) -> datetime | None:
    """When the actor last opened their day (1 query, by hand: continuum.sql); None the first
    time."""
    found = sql.rows(
        "SELECT opened_at FROM continuity_dayvisit WHERE user_id = %s", [actor.acting_user().pk]
    )
    return sql.aware(found[0][0]) if found else None


def note_day_opened(*, actor: Actor, at: datetime) -> None:
    """Keep `at` as the moment the actor last opened their day (1 query: an upsert, by hand,
    as SQLite and PostgreSQL both write it)."""
    sql.execute(
        "INSERT INTO continuity_dayvisit (user_id, opened_at) VALUES (%s, %s) "
        "ON CONFLICT (user_id) DO UPDATE SET opened_at = excluded.opened_at",
        [actor.acting_user().pk, sql.at(at)],
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
