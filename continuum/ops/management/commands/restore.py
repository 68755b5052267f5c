"""`manage.py restore PATH [--yes]`: restore a backup into the configured database, then verify.

Checks the file against PATH.json first; afterwards checks integrity (SQLite), every table's
row count and the audit chain. Refuses to overwrite a database holding data without --yes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from continuum.ops.backup import BackupError, RestoreReport, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into the configured database, and verify it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the backup file (its PATH.json manifest beside it)")
        parser.add_argument(
            "--yes",
            action="store_true",
            help="replace a database that already holds data (stop the application first)",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        try:
            report = restore(path, options["database"], replace=options["yes"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.describe(path, report))
        if not report.ok:
            raise CommandError(
                "Restore verification FAILED: see above. Do not use this database.", returncode=1
            )
        self.stdout.write("Restore verified.")

    def describe(self, path: Path, report: RestoreReport) -> str:
        manifest, audit = report.manifest, report.audit
        assert audit is not None
        lines = [
            f"Restored {path} (taken {manifest.created_at}, SHA-256 matches its manifest) "
            f"into {report.target}",
            f"  integrity check   {report.integrity}",
        ]
        if report.mismatched:
            for table, (expected, actual) in sorted(report.mismatched.items()):
                found = "missing" if actual is None else f"{actual:,} rows"
                lines.append(f"  row count         {table}: expected {expected:,}, found {found}")
        else:
            lines.append(
                f"  row counts        all {len(manifest.tables)} tables match the manifest "
                f"({manifest.rows:,} rows)"
            )
        if audit.intact:
            lines.append(
                f"  audit chain       intact: {audit.events} events, head {audit.head_hash} "
                f"at seq {audit.head_seq}"
            )
        else:
            lines.append(f"  audit chain       NOT intact: {audit.problems[0].message}")
        if not report.head_matches:
            lines.append(
                f"  audit chain head  differs from the manifest's ({manifest.audit_head_hash} "
                f"at seq {manifest.audit_head_seq})"
            )
        return "\n".join(lines)
