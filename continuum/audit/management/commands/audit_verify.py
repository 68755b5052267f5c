"""`manage.py audit_verify`: check the audit hash chain.

Exits 0 when the log is intact, 1 naming the first bad row.

Seals nothing and writes nothing. Run it daily and keep the printed chain head somewhere the
database's administrators cannot rewrite (see docs/operations.md).
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from continuum.audit import chain
from continuum.audit.chain import verify

ANCHOR = re.compile(r"^(\d+):([0-9a-f]{64})$")


def parse_anchor(value: str) -> tuple[int, str]:
    match = ANCHOR.match(value.strip().lower())
    if match is None:
        raise CommandError("--anchor takes SEQ:HASH, as printed by an earlier audit_verify run")
    return int(match.group(1)), match.group(2)


class Command(BaseCommand):
    help = "Verify the tamper-evident audit log (content hashes and the hash chain)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchor",
            help="SEQ:HASH of a chain head recorded earlier; the chain must still pass through it",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, **options: Any) -> None:
        # Without --anchor, the head the last seal wrote outside the database (AUDIT_ANCHOR_FILE).
        anchor = parse_anchor(options["anchor"]) if options["anchor"] else chain.anchor()
        report = verify(options["database"], anchor=anchor)
        if anchor is None and report.head_seq:
            # Not an error (a new app server has no file until its first seal), but said, so
            # that nobody reads "intact" as "the tail was checked" (docs/operations.md).
            where = settings.AUDIT_ANCHOR_FILE or "AUDIT_ANCHOR_FILE (not set)"
            self.stderr.write(
                f"Warning: no chain head to check the tail against: {where} holds none, and "
                "no --anchor was given. Rows cut off the end of the log would not be noticed."
            )
        if report.problems:
            first = report.problems[0]
            others = len(report.problems) - 1
            more = (
                f" ({others} more problem{'s' if others != 1 else ''} after it)" if others else ""
            )
            raise CommandError(f"Audit log NOT intact: {first.message}{more}", returncode=1)
        pending = f"; {report.pending} awaiting their seal" if report.pending else ""
        self.stdout.write(
            f"Audit log intact: {report.events} events, chain head {report.head_hash} "
            f"at seq {report.head_seq}{pending}"
        )
