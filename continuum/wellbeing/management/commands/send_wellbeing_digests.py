"""`manage.py send_wellbeing_digests`: email each opted-in therapist their private weekly digest.

Each digest covers the therapist's last complete week (Monday to Sunday in their time zone):
numbers only, and one question to reflect on; never a client's name or anything anyone wrote.
It is safe to run as often as you like: a DigestSent row per therapist and ISO week, written
before the email goes, means each therapist gets at most one digest a week.

Scheduling: the scheduler (`manage.py run_scheduler`) sends them once per ISO week from
Monday 07:00 UTC through the task queue (continuum/wellbeing/reminders.py); this command
sends them now, by hand. The function is the same.
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
