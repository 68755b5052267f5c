"""`manage.py outcomes_report --practice "<name>" --json`: the practice's outcomes as one JSON
object, `{"overall": {...}, "groups": [{"key": ..., ...}]}`, for audits and scripts.

The numbers come from outcomes.queries.practice_outcomes, the function the outcomes page calls:
its `practice` figures (overall, and the groups with --by) for the same period and instrument
set as the owner sees them on the page, suppressed cells included (with their numbers and
`"suppressed": true`). A test runs this command and compares it with the page and with
measures.scoring.outcome_rates. Each run writes one audit row (by the system, naming the
practice).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from continuum.accounts.models import Practice
from continuum.audit.log import record
from continuum.lib.actor import Actor
from continuum.outcomes import rules
from continuum.outcomes.queries import GROUPINGS, practice_outcomes


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"“{value}” is not a date: write it as YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Print a practice's outcomes (finished episodes, rates, intervals) as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--practice", required=True, help="the practice's exact name")
        parser.add_argument("--from", dest="start", help="episodes ending on or after (YYYY-MM-DD)")
        parser.add_argument("--to", dest="end", help="episodes ending on or before (YYYY-MM-DD)")
        parser.add_argument("--by", choices=GROUPINGS)
        parser.add_argument(
            "--instrument", choices=list(rules.INSTRUMENT_SETS), default=rules.DEFAULT_SET
        )
        parser.add_argument("--json", action="store_true", help="print JSON (the only format)")

    def handle(self, *args: Any, **options: Any) -> None:
        practices = list(Practice.objects.filter(name=options["practice"])[:2])
        if not practices:
            raise CommandError(f"No practice is called “{options['practice']}”.")
        if len(practices) > 1:
            raise CommandError(f"More than one practice is called “{options['practice']}”.")
        practice = practices[0]
        start = _day(options["start"]) if options["start"] else None
        end = _day(options["end"]) if options["end"] else None
        if start and end and end < start:
            raise CommandError("--to is before --from.")
        report = practice_outcomes(
            practice, start=start, end=end, by=options["by"], instrument=options["instrument"]
        ).practice
        record(
            Actor.system(practice_id=practice.pk),
            "outcomes.report",
            practice=practice.pk,
            instrument=report.instrument,
            by=report.by or "",
            groups=len(report.groups),
        )
        self.stdout.write(json.dumps(report.as_dict(), indent=2))
