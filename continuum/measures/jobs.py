"""Measures' periodic jobs (continuum/lib/jobs.py), registered in MeasuresConfig.ready() and
run by the one scheduler (`manage.py run_scheduler`); `manage.py raise_overdue_alerts` runs
both now, by hand.

Every hour: every-session schedules are brought in step with the appointment book (sessions
booked since get their questionnaire, cancelled ones lose theirs), then a questionnaire whose
window has passed raises its overdue alert. Both are safe to run as often as you like.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from continuum.lib.jobs import PeriodicJob
from continuum.measures.services import (
    close_outdated_alerts,
    raise_overdue_alerts,
    sync_session_schedules,
)


def sync_sessions(now: datetime) -> str:
    created, withdrawn = sync_session_schedules(now)
    return f"{created} questionnaire(s) added, {withdrawn} withdrawn"


def overdue_alerts(now: datetime) -> str:
    return f"{len(raise_overdue_alerts(now))} overdue alert(s) raised"


SESSION_SCHEDULES = PeriodicJob("measures.session_schedules", timedelta(hours=1), sync_sessions)
# After the sync (order), so a session cancelled meanwhile raises no alert.
OVERDUE_ALERTS = PeriodicJob(
    "measures.overdue_alerts", timedelta(hours=1), overdue_alerts, order=10
)


def outdated_alerts(now: datetime) -> str:
    return f"{close_outdated_alerts(now)} alert(s) closed as no longer current"


# A newer score closes the alerts it no longer meets at once; this catches the alerts raised
# before that rule existed (one query when there is nothing to close).
OUTDATED_ALERTS = PeriodicJob(
    "measures.outdated_alerts", timedelta(hours=1), outdated_alerts, order=11
)
