"""Django's SQLite backend, with writers that take the write lock in turn.

Every transaction starts with `BEGIN IMMEDIATE` (settings: `transaction_mode`), so a writer
waits for the lock at its start instead of failing half-way. SQLite's own wait (the busy
timeout) sleeps in growing steps, up to 100 ms between tries. Under steady load that is
unfair: a writer that has just committed starts its next transaction at once, while the
others are asleep, so a waiter can lose every try for the whole timeout and its client sees
"database is locked" (SECURITY.md promise 17: 8 processes x 500 check-ins found one such
writer in 4,000 after 20 s). Here `BEGIN IMMEDIATE` does not sleep inside SQLite: it is
tried again every millisecond or two (with a random part, so waiters do not try in step)
until `SQLITE_LOCK_WAIT` seconds have passed: a waiter has some fifty times more chances
in the same time. Measured with the wait cut to 1 s (8 writers x 300 check-ins on 2 cores):
Django's backend 76 and 98 "database is locked" in 2,400, this one 0, 0, 0 and 1 in four
runs. It is not a queue (SQLite has none), only far less unfair. Everything else (reads,
writes outside a transaction, the checkpoint) keeps SQLite's busy timeout of the same length.
"""

from __future__ import annotations

import random
import sqlite3
import time
from typing import Any

from django.db.backends.sqlite3 import base

SQLITE_BUSY = 5  # the primary result code; extended codes (BUSY_RECOVERY...) share its low byte


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        # sqlite3.connect's timeout (seconds) is the busy timeout; Django's default is 5.
        self.lock_wait = float(params.get("timeout", 5.0))
        return params

    def _start_transaction_under_autocommit(self) -> None:
        # Neither is in django-stubs: `transaction_mode` comes from OPTIONS (Django 5.1).
        if getattr(self, "transaction_mode", None) != "IMMEDIATE":
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
            return
        raw: sqlite3.Connection = self.connection
        wait_ms = int(self.lock_wait * 1000)
        deadline = time.monotonic() + self.lock_wait
        with self.wrap_database_errors:
            raw.execute("PRAGMA busy_timeout = 0")
            try:
                while True:
                    try:
                        raw.execute("BEGIN IMMEDIATE")
                        return
                    except sqlite3.OperationalError as exc:
                        busy = getattr(exc, "sqlite_errorcode", SQLITE_BUSY) & 0xFF == SQLITE_BUSY
                        if not busy or time.monotonic() >= deadline:
                            raise
                    time.sleep(random.uniform(0.0005, 0.002))  # nosec B311
            finally:
                raw.execute(f"PRAGMA busy_timeout = {wait_ms}")
