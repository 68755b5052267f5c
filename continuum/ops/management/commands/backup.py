"""`manage.py backup PATH`: a consistent backup of the database, taken while it is in use.

Writes PATH and PATH.json (row counts, SHA-256, audit chain head). See docs/operations.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from continuum.ops.backup import BackupError, backup, manifest_path


class Command(BaseCommand):
    help = "Back up the database to PATH (SQLite backup API or pg_dump), with a manifest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the backup file to write (must not exist yet)")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        try:
            manifest = backup(path, options["database"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Backup written: {path} ({manifest.size:,} bytes, {manifest.vendor})\n"
            f"  SHA-256     {manifest.sha256}\n"
            f"  tables      {len(manifest.tables)} tables, {manifest.rows:,} rows\n"
            f"  audit chain head {manifest.audit_head_hash} at seq {manifest.audit_head_seq}"
            f" ({manifest.audit_pending} event(s) awaiting their seal)\n"
            f"  manifest    {manifest_path(path)}\n"
            "The encryption keys are NOT in this backup: keep a copy of them elsewhere."
        )
