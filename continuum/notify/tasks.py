"""Background tasks (django-tasks, django-tasks-db backend; run by `manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task

from continuum.notify.delivery import deliver


@task()
def send_reminder(reminder_id: int) -> str:
    """Send one reminder at most once (the row is claimed first; see notify/delivery.py)."""
    return deliver(reminder_id)
