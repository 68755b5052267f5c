"""The audit hash chain: canonical content hashes, sealing, and verification.

Writing an audit row takes no lock: `record()` computes the row's content hash in Python and
inserts it; a trigger puts the row on the seal queue (AuditPending) inside the same INSERT.
Linking rows into the chain happens after the commit, in `seal_pending()`: it reads the queue
(no lock), then in a short transaction of its own takes the chain head, removes those events
from the queue, appends one seal each in id order and commits. Only one sealer works at a
time: on PostgreSQL `pg_try_advisory_xact_lock`, on SQLite the database's write lock, taken
without waiting. A sealer that finds it taken returns at once; the holder, or the next
sealer, seals its events too. Each process seals at most every AUDIT_SEAL_INTERVAL_MS after
a commit; `manage.py audit_seal` catches up whatever is left.

`verify()` reads everything and writes nothing. It recomputes every sealed event's content hash
and every link, and reports the first row that does not add up:

- a changed byte in an event      -> "content hash mismatch" (sealed or still queued)
- an event swapped with another   -> "chain hash mismatch" (the seal binds id to content)
- a seal edited                   -> "chain hash mismatch" or "link to the previous seal broken"
- an event and its seal deleted   -> "seal seq N is missing" (a gap in the sequence)
- a seal deleted (event kept)     -> the gap, or "not sealed and not queued for sealing"
- an event deleted (seal kept)    -> "the event is missing"

A chain can always be rebuilt from scratch by someone who can write to the database, so the
head hash (printed by `audit_verify`, stored in every backup manifest) should also be kept
somewhere else; `verify(anchor=...)` checks the chain still passes through a recorded head.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    IntegrityError,
    OperationalError,
    connections,
    transaction,
)
from django.utils import timezone

from continuum.audit.models import AuditEvent, AuditPending, AuditSeal
from continuum.lib.jobs import PeriodicJob

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
# pg_try_advisory_xact_lock key: "audit chain head" (any constant unique to this purpose).
ADVISORY_LOCK_KEY = 0x636F6E7461756474  # "contaudt"
SEAL_BATCH = 500
VERIFY_CHUNK = 2000

# The fields that make up an event's canonical content (the id is not known before insert).
CONTENT_FIELDS = (
    "at",
    "actor_id",
    "actor_label",
    "practice_id",
    "action",
    "object_type",
    "object_id",
    "ip",
    "flagged",
    "detail",
    "nonce",
)


# --- content hashes ---------------------------------------------------------------------------


def _canonical_value(value: Any) -> Any:
    """JSON-native values that read back from SQLite and PostgreSQL exactly as written."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        # jsonb stores numbers as numeric: 2.0 and 1e20 come back as integers.
        if math.isfinite(value) and value.is_integer():
            return int(value)
        return value
    if isinstance(value, Mapping):
        return {str(k): _canonical_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical_value(v) for v in value]
    raise TypeError(f"audit content of type {type(value).__name__} is not JSON-native")


def canonical_json(content: Mapping[str, Any]) -> str:
    data = {name: _canonical_value(content.get(name)) for name in CONTENT_FIELDS}
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def content_hash(content: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of an event's canonical content: a mapping of CONTENT_FIELDS."""
    return hashlib.sha256(canonical_json(content).encode("ascii")).hexdigest()


def event_content(event: Any) -> dict[str, Any]:
    """The canonical content of a stored event (also works on a migration's historical model)."""
    return {name: getattr(event, name) for name in CONTENT_FIELDS}


def link_hash(prev_hash: str, event_hash: str) -> str:
    return hashlib.sha256((prev_hash + event_hash).encode("ascii")).hexdigest()


# --- sealing ----------------------------------------------------------------------------------


def seal_pending(
    using: str = DEFAULT_DB_ALIAS, batch: int = SEAL_BATCH, *, wait: bool = False
) -> int:
    """Seal every queued event, oldest id first; returns how many were sealed.

    Without `wait`, returns at once when another writer holds the chain head (the advisory
    lock on PostgreSQL, the write lock on SQLite): nothing waits, and whoever holds it, or the
    next sealer, seals these events too. `audit_seal` waits.
    """
    total = 0
    while True:
        # Read the queue before taking any lock (a plain read; on SQLite a WAL read), so the
        # locked part is three short statements and idle sealers take no lock at all.
        queued = _queued(using, batch)
        if not queued:
            return total
        sealed = _seal_batch(using, queued, wait)
        if sealed is None:
            return total
        total += sealed
        write_anchor(using)
        if sealed < batch:
            return total


def _read_anchor(path: Path) -> tuple[int, str] | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        return None
    return int(seq), digest


def anchor() -> tuple[int, str] | None:
    """The chain head last written to AUDIT_ANCHOR_FILE, if the setting names a file."""
    name = settings.AUDIT_ANCHOR_FILE
    return _read_anchor(Path(name)) if name else None


def write_anchor(using: str = DEFAULT_DB_ALIAS) -> None:
    """Write the chain head to AUDIT_ANCHOR_FILE (outside the database, mode 0600) after a
    seal, replacing the file atomically and never moving it backwards (two sealers)."""
    name = settings.AUDIT_ANCHOR_FILE
    if not name:
        return
    path = Path(name)
    seq, digest = chain_head(using)
    current = _read_anchor(path)
    if current is not None and current[0] >= seq:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(f"{seq}:{digest}\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(temporary, path)


def seal_job(now: datetime) -> str:
    """The periodic job "audit.seal": whatever the after-commit seals left waiting."""
    return f"sealed={seal_pending(wait=True)}"


SEAL_JOB = PeriodicJob(name="audit.seal", every=timedelta(minutes=1), run=seal_job)


def _queued(using: str, batch: int) -> list[tuple[int, str]]:
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT q.event_id, e.content_hash FROM audit_auditpending q "
            "JOIN audit_auditevent e ON e.id = q.event_id ORDER BY q.event_id LIMIT %s",
            [batch],
        )
        return [(int(event_id), str(digest)) for event_id, digest in cursor.fetchall()]


class _Raced(Exception):
    """Another sealer sealed some of these events first; roll back and leave it to them."""


def _seal_batch(using: str, queued: list[tuple[int, str]], wait: bool) -> int | None:
    connection = connections[using]
    own_transaction = not connection.in_atomic_block
    try:
        if connection.vendor == "sqlite" and own_transaction:
            return _seal_on_sqlite(using, queued, wait)
        with transaction.atomic(using=using):
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    if own_transaction:
                        # A seal is derived data: if a crash loses it, its events are still
                        # queued (the queue rows go in the same transaction) and are sealed
                        # again. So it need not wait for its own WAL flush; the events did.
                        cursor.execute("SET LOCAL synchronous_commit TO OFF")
                    if wait:
                        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
                    else:
                        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
                        row = cursor.fetchone()
                        if not row or not row[0]:
                            return None
            return _seal_locked(using, queued)
    except (_Raced, IntegrityError):
        return None


def _seal_on_sqlite(using: str, queued: list[tuple[int, str]], wait: bool) -> int | None:
    """The seal transaction on SQLite, with two per-transaction settings put back afterwards.

    - busy_timeout 0 (unless `wait`): if another writer holds the lock, leave it to them.
    - synchronous NORMAL: a seal is derived data (see _seal_batch), so its commit skips the
      fsync; it becomes durable with the next FULL commit, and is redone if a crash loses it.
    """
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        row = cursor.fetchone()
        busy_timeout = int(row[0]) if row else 0
        cursor.execute("PRAGMA synchronous")
        row = cursor.fetchone()
        synchronous = int(row[0]) if row else 2
        if not wait:
            cursor.execute("PRAGMA busy_timeout = 0")
        cursor.execute("PRAGMA synchronous = NORMAL")
    try:
        with transaction.atomic(using=using):
            return _seal_locked(using, queued)
    except OperationalError as exc:
        if not wait and ("locked" in str(exc) or "busy" in str(exc)):
            return None
        raise
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {busy_timeout:d}")
            cursor.execute(f"PRAGMA synchronous = {synchronous:d}")


def _seal_locked(using: str, queued: list[tuple[int, str]]) -> int:
    """Holding the chain head: take the events off the queue, then append one seal each."""
    ids = [event_id for event_id, _ in queued]
    # Off the queue first: if another sealer got some of them since they were read, fewer
    # rows go and this transaction rolls back (no seal is ever written twice).
    deleted, _ = AuditPending.objects.using(using).filter(event_id__in=ids).delete()
    if deleted != len(ids):
        raise _Raced
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq, chain_hash FROM audit_auditseal ORDER BY seq DESC LIMIT 1")
        row = cursor.fetchone()
        seq, prev = (int(row[0]), str(row[1])) if row else (0, GENESIS)
        sealed_at = connection.ops.adapt_datetimefield_value(timezone.now())
        seals = []
        for event_id, digest in queued:
            seq += 1
            link = link_hash(prev, digest)
            seals.append((seq, event_id, prev, link, sealed_at))
            prev = link
        cursor.executemany(
            "INSERT INTO audit_auditseal (seq, event_id, prev_hash, chain_hash, sealed_at) "
            "VALUES (%s, %s, %s, %s, %s)",
            seals,
        )
    return len(queued)


_last_seal_attempt = [-math.inf]  # time.monotonic() of this process's last after-commit seal


def _seal_after_commit(using: str) -> None:
    # At most one after-commit seal per process per AUDIT_SEAL_INTERVAL_MS: under load one seal
    # covers the events of many requests, and the chain's write lock is taken rarely. Events
    # left waiting at the end of a burst go with the next seal or the `audit_seal` timer.
    now = time.monotonic()
    if (now - _last_seal_attempt[0]) * 1000 < settings.AUDIT_SEAL_INTERVAL_MS:
        return
    _last_seal_attempt[0] = now
    try:
        seal_pending(using)
    except Exception as exc:
        # Never fail a request whose work is already committed: the event stays queued and
        # the next sealer (or `audit_seal`) links it. Only the error's type is logged.
        logger.warning("audit sealing deferred: %s", type(exc).__name__)


def schedule_seal(using: str = DEFAULT_DB_ALIAS) -> None:
    """Seal after the current transaction commits (at once outside a transaction).

    One callback per transaction is enough: the first seals every event queued by then.
    """
    connection = connections[using]
    if connection.in_atomic_block:
        current = set(connection.savepoint_ids)
        for entry in connection.run_on_commit:
            savepoints, func = entry[0], entry[1]
            # Reuse a callback that survives whenever this event does.
            if getattr(func, "continuum_audit_seal", False) and set(savepoints) <= current:
                return

    def seal() -> None:
        _seal_after_commit(using)

    seal.continuum_audit_seal = True  # type: ignore[attr-defined]
    transaction.on_commit(seal, using=using)


# --- verification -----------------------------------------------------------------------------


@dataclass
class Problem:
    message: str
    seq: int | None = None
    event_id: int | None = None


@dataclass
class Report:
    events: int = 0
    sealed: int = 0
    pending: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[Problem] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def _seals(using: str) -> Iterator[list[AuditSeal]]:
    after = 0
    while True:
        chunk = list(
            AuditSeal.objects.using(using).filter(seq__gt=after).order_by("seq")[:VERIFY_CHUNK]
        )
        if not chunk:
            return
        yield chunk
        after = chunk[-1].seq


def verify(using: str = DEFAULT_DB_ALIAS, anchor: tuple[int, str] | None = None) -> Report:
    """Walk the chain by seq and check every link; write nothing."""
    report = Report()
    expected_seq, prev = 1, GENESIS
    anchor_seen = False
    for chunk in _seals(using):
        events = AuditEvent.objects.using(using).in_bulk([s.event_id for s in chunk])
        for seal in chunk:
            problem = _check_seal(seal, events.get(seal.event_id), expected_seq, prev)
            if problem is not None:
                report.problems.append(problem)
            if anchor is not None and seal.seq == anchor[0]:
                anchor_seen = True
                if seal.chain_hash != anchor[1]:
                    report.problems.append(
                        Problem(
                            f"event {seal.event_id} (seq {seal.seq}): chain hash differs from "
                            "the recorded anchor",
                            seal.seq,
                            seal.event_id,
                        )
                    )
            expected_seq, prev = seal.seq + 1, seal.chain_hash
            report.sealed += 1
            report.head_seq, report.head_hash = seal.seq, seal.chain_hash
    if anchor is not None and not anchor_seen:
        report.problems.append(
            Problem(f"seq {anchor[0]}: the recorded anchor is missing (the log was truncated)")
        )

    # Unsealed events, then the queue, then a second look: a sealer removes an event from the
    # queue in the same transaction that seals it, so an event that is neither queued nor
    # sealed by the second look lost its seal. (No snapshot needed, and no lock taken.)
    unsealed = list(
        AuditEvent.objects.using(using)
        .filter(seal__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    pending = set(AuditPending.objects.using(using).values_list("event_id", flat=True))
    report.pending = len(pending)
    report.events = AuditEvent.objects.using(using).count()
    suspects = [event_id for event_id in unsealed if event_id not in pending]
    if suspects:
        sealed_since: set[int] = set()
        for start in range(0, len(suspects), VERIFY_CHUNK):
            sealed_since.update(
                AuditSeal.objects.using(using)
                .filter(event_id__in=suspects[start : start + VERIFY_CHUNK])
                .values_list("event_id", flat=True)
            )
        for event_id in suspects:
            if event_id not in sealed_since:
                report.problems.append(
                    Problem(
                        f"event {event_id}: not sealed and not queued for sealing "
                        "(its seal was deleted)",
                        event_id=event_id,
                    )
                )
    # Rows still waiting for their seal are checked against their own content hash.
    waiting = AuditEvent.objects.using(using).filter(
        pk__in=AuditPending.objects.using(using).values("event_id")
    )
    for event in waiting.order_by("pk").iterator(chunk_size=VERIFY_CHUNK):
        if content_hash(event_content(event)) != event.content_hash:
            report.problems.append(
                Problem(
                    f"event {event.pk} (awaiting its seal): content hash mismatch",
                    event_id=event.pk,
                )
            )
    dangling = (
        AuditPending.objects.using(using)
        .exclude(event_id__in=AuditEvent.objects.using(using).values("pk"))
        .order_by("event_id")
        .values_list("event_id", flat=True)
    )
    for event_id in dangling:
        report.problems.append(
            Problem(
                f"event {event_id}: queued for sealing but missing (a row was deleted)",
                event_id=event_id,
            )
        )
    return report


def _check_seal(
    seal: AuditSeal, event: AuditEvent | None, expected_seq: int, prev: str
) -> Problem | None:
    where = f"event {seal.event_id} (seq {seal.seq})"
    if seal.seq != expected_seq:
        missing = (
            f"seq {expected_seq}"
            if seal.seq == expected_seq + 1
            else f"seq {expected_seq}-{seal.seq - 1}"
        )
        return Problem(
            f"{where}: seal {missing} is missing before it (a row was deleted)",
            seal.seq,
            seal.event_id,
        )
    if event is None:
        return Problem(
            f"{where}: the event is missing (a row was deleted)", seal.seq, seal.event_id
        )
    actual = content_hash(event_content(event))
    if actual != event.content_hash:
        return Problem(f"{where}: content hash mismatch", seal.seq, seal.event_id)
    if seal.prev_hash != prev:
        return Problem(f"{where}: link to the previous seal broken", seal.seq, seal.event_id)
    if seal.chain_hash != link_hash(prev, actual):
        return Problem(f"{where}: chain hash mismatch", seal.seq, seal.event_id)
    return None


def chain_head(using: str = DEFAULT_DB_ALIAS) -> tuple[int, str]:
    """(seq, chain hash) of the newest seal; (0, GENESIS) for an empty chain."""
    head = AuditSeal.objects.using(using).order_by("-seq").only("seq", "chain_hash").first()
    return (head.seq, head.chain_hash) if head is not None else (0, GENESIS)
