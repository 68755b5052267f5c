"""Raise an alert for each scheduled measure not completed within its window.

The scheduler does this every hour (`manage.py run_scheduler`, the jobs of
continuum/measures/jobs.py); this command does it now, by hand. It first brings every-session
schedules in step with the appointment book (new appointments get a questionnaire, cancelled
ones lose theirs). Safe to run as often as you like: an alert is raised once per
questionnaire.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from continuum.measures.services import raise_overdue_alerts, sync_session_schedules


class Command(BaseCommand):
    help = "Raise overdue alerts for scheduled measures not completed within their window."

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        created, withdrawn = sync_session_schedules(now)
        raised = raise_overdue_alerts(now)
        self.stdout.write(
            f"Every-session schedules: {created} questionnaire(s) added, {withdrawn} withdrawn. "
            f"Raised {len(raised)} overdue alert(s)."
        )
