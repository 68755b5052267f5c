"""Hand-written SQL for the few reads a page opened all day makes on every visit (issue 13).

The day is opened between every two sessions. Its reads are simple (one join, a condition,
an order), but building each as a QuerySet and compiling it costs more than running it on
SQLite: the attention rows took 1.8 ms through the ORM and 0.7 ms as below. These functions
run such SQL through Django's connection (its cursor wrapper, so queries are still counted and
logged) and give the values back as the ORM would: datetimes aware, in UTC.

Use them only where a measurement says so, with a test that compares the rows with the
ORM's (continuum/continuity/tests/test_day_sql.py). The SQL must run on SQLite and
PostgreSQL alike: plain joins, `CAST(... AS TEXT)` for JSON read as text, no backend
functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, overload

from django.db import connection


def rows(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Every row of `sql` (placeholders `%s`) with `params`."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found: list[tuple[Any, ...]] = cursor.fetchall()
    return found


def execute(sql: str, params: Sequence[Any]) -> None:
    """Run one statement that returns nothing (an upsert, say)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def at(value: datetime) -> Any:
    """A datetime as a parameter, as the ORM passes it (SQLite keeps naive UTC text)."""
    return connection.ops.adapt_datetimefield_value(value)


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: None) -> None: ...
def aware(value: datetime | None) -> datetime | None:
    """A datetime read back: SQLite gives it naive (stored in UTC), PostgreSQL aware."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
