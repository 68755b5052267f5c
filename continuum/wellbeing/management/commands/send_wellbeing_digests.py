"""`manage.py send_wellbeing_digests`: email each opted-in therapist their private weekly digest.

Each digest covers the therapist's last complete week (Monday to Sunday in their time zone):
numbers only, and one question to reflect on; never a client's name or anything anyone wrote.
It is safe to run as often as you like: a DigestSent row per therapist and ISO week, written
before the email goes, means each therapist gets at most one digest a week.

Scheduling: run it once a week, e.g. on Monday morning (cron or a systemd timer:
`manage.py send_wellbeing_digests`). When the task queue of issue 5 lands, it schedules
`continuum.wellbeing.services.send_digests` weekly instead; the function is the same.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from continuum.wellbeing.services import send_digests


class Command(BaseCommand):
    help = "Email each opted-in therapist their private weekly wellbeing digest (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        sent, failed = send_digests()
        self.stdout.write(f"{sent} digest(s) sent, {failed} failed.")
        if failed:
            raise CommandError(f"{failed} digest(s) could not be sent; run again to retry them.")
