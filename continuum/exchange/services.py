"""Calendar feed actions: issue (or re-issue), revoke, choose what events say.

Each is one transaction with one audit row; the detail names the feed's kind, never the token.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from continuum.accounts.actors import Actor
from continuum.audit import log as audit
from continuum.care.models import Client
from continuum.care.services.clients import (
    ImportRefused,
    NewClient,
    NotAClinician,
    import_clients,
)
from continuum.exchange.feeds import hash_token, new_token
from continuum.exchange.importing import ImportRow, RowStatus
from continuum.exchange.models import (
    CalendarFeed,
    FeedNames,
    ImportBatch,
    ImportKind,
    ImportStatus,
)
from continuum.measures.scoring import ScoringError
from continuum.measures.services import ImportRefused as ScoresImportRefused
from continuum.measures.services import PastScore, import_scores

_TEXT_FIELDS = (
    "first_name",
    "last_name",
    "preferred_name",
    "pronouns",
    "email",
    "phone",
    "time_zone",
)


@transaction.atomic
def issue_feed(actor: Actor, *, client: Client | None = None) -> tuple[CalendarFeed, str]:
    """A new feed URL for the actor (a therapist, or `client` through their portal login);
    any earlier one stops working. Returns the feed and its token (shown once)."""
    user = actor.acting_user()
    previous = (
        CalendarFeed.objects.select_for_update().filter(user=user, revoked_at__isnull=True).first()
    )
    names = FeedNames.NONE.value
    if previous is not None:
        previous.revoked_at = timezone.now()
        previous.save(update_fields=["revoked_at"])
        names = previous.names
    token = new_token()
    feed = CalendarFeed.objects.create(
        user=user, client=client, token_hash=hash_token(token), names=names
    )
    audit.record(
        actor,
        "calendar_feed.create",
        feed,
        kind="client" if client is not None else "therapist",
        replaced=previous.pk if previous is not None else None,
        client_id=client.pk if client is not None else None,
    )
    return feed, token


@transaction.atomic
def revoke_feed(actor: Actor) -> CalendarFeed | None:
    """Stop the actor's live feed (None when there was none)."""
    user = actor.acting_user()
    feed = (
        CalendarFeed.objects.select_for_update().filter(user=user, revoked_at__isnull=True).first()
    )
    if feed is None:
        return None
    feed.revoked_at = timezone.now()
    feed.save(update_fields=["revoked_at"])
    audit.record(actor, "calendar_feed.revoke", feed)
    return feed


@transaction.atomic
def set_feed_names(actor: Actor, names: str) -> CalendarFeed | None:
    """What the therapist's events say about the client (FeedNames)."""
    user = actor.acting_user()
    choice = FeedNames(names)
    feed = (
        CalendarFeed.objects.select_for_update()
        .filter(user=user, revoked_at__isnull=True, client__isnull=True)
        .first()
    )
    if feed is None:
        return None
    old = feed.names
    feed.names = choice.value
    feed.save(update_fields=["names"])
    audit.record(actor, "calendar_feed.names", feed, was=old, now=choice.value)
    return feed


# --- Clients CSV import: preview, then confirm or discard -------------------------------------


class ImportNotAllowed(ValueError):
    """`str(error)` is safe to show."""


ALL_OR_NOTHING = "all_or_nothing"
VALID_ROWS = "valid_rows"


@transaction.atomic
def stage_import(
    actor: Actor, rows: list[ImportRow], kind: str = ImportKind.CLIENTS
) -> ImportBatch:
    """Keep a parsed upload (encrypted) for its preview; one audit row with the counts."""
    user = actor.acting_user()
    counts = Counter(row.status for row in rows)
    batch = ImportBatch.objects.create(
        kind=kind,
        created_by=user,
        practice_id=user.membership.practice_id,
        rows=json.dumps([row.as_json() for row in rows]),
        total=len(rows),
        creates=counts[RowStatus.CREATE],
        duplicates=counts[RowStatus.DUPLICATE],
        errors=counts[RowStatus.ERROR],
    )
    audit.record(
        actor,
        "client_import.preview" if kind == ImportKind.CLIENTS else "score_import.preview",
        batch,
        rows=batch.total,
        creates=batch.creates,
        duplicates=batch.duplicates,
        errors=batch.errors,
    )
    return batch


def batch_rows(batch: ImportBatch) -> list[ImportRow]:
    return [ImportRow.from_json(data) for data in json.loads(batch.rows or "[]")]


def _lock_for_confirm(batch: ImportBatch, mode: str) -> ImportBatch:
    locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status != ImportStatus.PREVIEW:
        raise ImportNotAllowed("This import was already confirmed or discarded.")
    if mode not in (ALL_OR_NOTHING, VALID_ROWS):
        raise ImportNotAllowed("Choose how to import.")
    if mode == ALL_OR_NOTHING and locked.errors:
        raise ImportNotAllowed(
            f"{locked.errors} row(s) have errors, so nothing was imported. Correct the file "
            "and upload it again, or choose to import the valid rows only."
        )
    return locked


def _finish(locked: ImportBatch, imported: int) -> None:
    locked.status = ImportStatus.IMPORTED
    locked.imported = imported
    locked.rows = ""
    locked.finished_at = timezone.now()
    locked.save(update_fields=["status", "imported", "rows", "finished_at"])


@transaction.atomic
def confirm_import(
    actor: Actor, batch: ImportBatch, *, mode: str, therapists: dict[str, int]
) -> int:
    """Write the rows marked "will create", all in one transaction. With ALL_OR_NOTHING a
    file with any error row writes nothing. The care service writes the one audit row."""
    locked = _lock_for_confirm(batch, mode)
    to_create = [row for row in batch_rows(locked) if row.status == RowStatus.CREATE]
    if not to_create:
        raise ImportNotAllowed("No row would create a client.")
    new = []
    for row in to_create:
        values = row.values
        therapist_id = therapists.get(values["therapist_email"])
        if therapist_id is None:
            raise ImportNotAllowed(
                f"Row {row.line}: the therapist can no longer be assigned; upload the file again."
            )
        new.append(
            NewClient(
                therapist_id=therapist_id,
                details={name: values.get(name) or "" for name in _TEXT_FIELDS}
                | {"date_of_birth": values.get("date_of_birth")},
                referral_reason=values.get("referral_reason", ""),
                episode_start=values.get("episode_start"),
            )
        )
    try:
        ids = import_clients(
            actor, new, batch=locked.pk, mode=mode, skipped=locked.total - len(new)
        )
    except (ImportRefused, NotAClinician) as error:
        raise ImportNotAllowed(str(error)) from None
    except ValidationError as error:
        fields = ", ".join(sorted(error.message_dict)) if hasattr(error, "error_dict") else ""
        raise ImportNotAllowed(f"A row did not pass the record's checks ({fields}).") from None
    _finish(locked, len(ids))
    return len(ids)


@transaction.atomic
def confirm_scores_import(actor: Actor, batch: ImportBatch, *, mode: str) -> int:
    """Write the past scores marked "will create", all in one transaction (or, with
    ALL_OR_NOTHING and any error row, nothing). measures.services.import_scores scores them
    and writes the one audit row."""
    locked = _lock_for_confirm(batch, mode)
    to_create = [row for row in batch_rows(locked) if row.status == RowStatus.CREATE]
    if not to_create:
        raise ImportNotAllowed("No row would add a score.")
    scores = [
        PastScore(
            client_id=int(row.values["client_id"]),
            instrument=row.values["instrument"],
            on=date.fromisoformat(str(row.values["date"])),
            answers=row.values.get("answers"),
            total=row.values.get("total"),
        )
        for row in to_create
    ]
    try:
        ids = import_scores(
            actor, scores, batch=locked.pk, mode=mode, skipped=locked.total - len(scores)
        )
    except (ScoresImportRefused, ScoringError) as error:
        raise ImportNotAllowed(str(error)) from None
    _finish(locked, len(ids))
    return len(ids)


@transaction.atomic
def discard_import(actor: Actor, batch: ImportBatch) -> None:
    locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status != ImportStatus.PREVIEW:
        return
    locked.status = ImportStatus.DISCARDED
    locked.rows = ""
    locked.finished_at = timezone.now()
    locked.save(update_fields=["status", "rows", "finished_at"])
    action = "client_import" if locked.kind == ImportKind.CLIENTS else "score_import"
    audit.record(actor, f"{action}.discard", locked, rows=locked.total)
