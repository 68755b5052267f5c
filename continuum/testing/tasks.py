"""The task queue in tests: what is queued, and the real worker (`manage.py db_worker`) run
in-process until the queue is empty."""

from __future__ import annotations

from typing import Any
from unittest import mock

from django.core.management import call_command
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult


def queued(task_path: str) -> list[DBTaskResult[..., Any]]:
    """Tasks of `task_path` ("module.function") waiting for the worker."""
    return list(DBTaskResult.objects.ready().filter(task_path=task_path))


def run_worker() -> None:
    """Run every queued task once, through the real worker, then return.

    The worker calls close_old_connections() between tasks. Inside a test's transaction that
    closes the connection on PostgreSQL (its autocommit differs from the settings'), which
    would end the test's transaction, so here it is left out, as Django's test client leaves
    it out of requests.
    """
    with mock.patch.object(db_worker, "close_old_connections", return_value=None):
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
