"""`manage.py backfill_outcomes [--practice "<name>"]`: rebuild the stored outcome rows of every
finished episode (after an upgrade that adds them, or to check nothing drifted). Safe to run
again: each episode's rows are replaced."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from continuum.accounts.models import Practice
from continuum.outcomes.services import backfill


class Command(BaseCommand):
    help = "Rebuild the stored outcomes of finished episodes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--practice", help="only this practice (its exact name)")

    def handle(self, *args: Any, **options: Any) -> None:
        practice_id = None
        if options["practice"]:
            practice = Practice.objects.filter(name=options["practice"]).first()
            if practice is None:
                raise CommandError(f"No practice is called “{options['practice']}”.")
            practice_id = practice.pk
        written = backfill(practice_id)
        self.stdout.write(f"{written} outcome row(s) written.")
