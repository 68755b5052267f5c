"""The weekly wellbeing digests as a reminder kind (continuum/lib/jobs.py), registered in
WellbeingConfig.ready(): once per ISO week, from Monday 07:00 UTC, the scheduler records one
row and the task worker sends every opted-in therapist their digest (`send_digests`, which
itself sends each therapist at most one a week).

`NOTIFY_WELLBEING_DIGESTS=false` turns it off; `manage.py send_wellbeing_digests` sends them
now, by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from django.conf import settings

from continuum.lib.jobs import Due, Ledger, ReminderKind, ReminderRow
from continuum.wellbeing.services import send_digests

KIND = "wellbeing_digest"
TARGET = "system"


def weekly_digest(now: datetime, ledger: Ledger) -> list[Due]:
    if not settings.NOTIFY_WELLBEING_DIGESTS:
        return []
    utc = now.astimezone(UTC)
    if utc.weekday() == 0 and utc.hour < 7:
        return []
    year, week, _ = utc.isocalendar()
    occasion = f"{year}-W{week:02d}"
    if ledger.has(KIND, TARGET, 0, occasion):
        return []
    return [Due(KIND, TARGET, 0, occasion, now)]


class DigestsFailed(Exception):
    """Some digests could not be sent (the next run retries them)."""


def send_weekly_digests(reminder: ReminderRow, now: datetime) -> Callable[[], None]:
    def run() -> None:
        _, failed = send_digests()
        if failed:
            raise DigestsFailed(f"{failed} digest(s) could not be sent")

    return run


WELLBEING_DIGESTS = ReminderKind(KIND, providers=(weekly_digest,), handler=send_weekly_digests)
