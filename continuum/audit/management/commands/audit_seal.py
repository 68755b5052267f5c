"""`manage.py audit_seal`: link every audit event still waiting into the hash chain.

`record()` seals after each commit, so this only catches up (after a crash, or when a sealer
was busy); run it every few minutes from cron or a systemd timer, and before a backup.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DEFAULT_DB_ALIAS

from continuum.audit.chain import chain_head, seal_pending


class Command(BaseCommand):
    help = "Seal audit events that are waiting for their link in the hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, **options: Any) -> None:
        sealed = seal_pending(options["database"], wait=True)
        seq, head = chain_head(options["database"])
        self.stdout.write(f"Sealed {sealed} event(s); chain head {head} at seq {seq}")
