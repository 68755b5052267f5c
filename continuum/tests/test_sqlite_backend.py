"""continuum.sqlite: BEGIN IMMEDIATE tried again until the lock wait has passed.

The fairness itself is what the slow test continuum/tests/test_security_durability.py relies
on (8 writers x 500 check-ins, 0 "database is locked"). Measured with the lock wait cut to
1 s (SQLITE_LOCK_WAIT=1, 8 writers x 300 check-ins, on this 2-core machine): Django's backend
76 and 98 "database is locked" in 2,400; this one 0, 0, 0 and 1 in four runs.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError

from continuum.sqlite.base import DatabaseWrapper


def wrapper(path: Path, timeout: float) -> DatabaseWrapper:
    settings: dict[str, Any] = {
        "ENGINE": "continuum.sqlite",
        "NAME": str(path),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": timeout},
        "TIME_ZONE": None,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False,
        "TEST": {},
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
    }
    return DatabaseWrapper(settings, alias=f"lock-test-{id(settings)}")


@pytest.fixture(autouse=True)
def _own_connections(django_db_blocker: Any) -> Iterator[None]:
    # These tests open their own file databases, not the test database.
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def lockdb(tmp_path: Path) -> Path:
    path = tmp_path / "lock.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (n INTEGER)")
    return path


def busy_timeout(connection: DatabaseWrapper) -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        value: int = cursor.fetchone()[0]
    return value


def test_a_free_lock_is_taken_at_once_and_the_busy_timeout_is_kept(lockdb: Path) -> None:
    connection = wrapper(lockdb, timeout=3)
    try:
        connection.ensure_connection()
        assert busy_timeout(connection) == 3000
        with connection.cursor() as cursor:
            connection.set_autocommit(True)
            start = time.monotonic()
            connection._start_transaction_under_autocommit()
            assert time.monotonic() - start < 0.5
            assert connection.connection.in_transaction
            cursor.execute("INSERT INTO t VALUES (1)")
            cursor.execute("COMMIT")
        assert busy_timeout(connection) == 3000
    finally:
        connection.close()


def test_a_writer_waits_for_the_lock_and_gets_it_when_it_is_released(lockdb: Path) -> None:
    holder = sqlite3.connect(lockdb, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    threading.Timer(0.3, lambda: holder.execute("COMMIT")).start()
    connection = wrapper(lockdb, timeout=5)
    try:
        start = time.monotonic()
        with connection.cursor() as cursor:
            connection._start_transaction_under_autocommit()
            waited = time.monotonic() - start
            cursor.execute("INSERT INTO t VALUES (2)")
            cursor.execute("COMMIT")
        assert 0.25 < waited < 3
    finally:
        connection.close()
        holder.close()
    with sqlite3.connect(lockdb) as conn:
        assert conn.execute("SELECT n FROM t").fetchall() == [(2,)]


def test_a_lock_held_past_the_wait_is_database_is_locked_as_django_reports_it(lockdb: Path) -> None:
    holder = sqlite3.connect(lockdb, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    connection = wrapper(lockdb, timeout=1)
    try:
        connection.ensure_connection()
        start = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"):
            connection._start_transaction_under_autocommit()
        assert 0.9 < time.monotonic() - start < 3
        assert not connection.connection.in_transaction
        assert busy_timeout(connection) == 1000  # restored after the failed wait
    finally:
        connection.close()
        holder.rollback()
        holder.close()
