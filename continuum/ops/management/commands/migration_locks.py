"""`manage.py migration_locks`: what the migrations not yet applied will lock on PostgreSQL
(`--all`: every migration), one line per operation that is not catalogue-only. Exits 0; read
the list before `migrate` on a live database (docs/deployment.md, "Upgrading")."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from continuum.ops.migration_locks import INSTANT, review


class Command(BaseCommand):
    help = "List the operations of pending migrations that lock or rewrite tables, or run code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="Every migration, applied or not.")

    def handle(self, *args: Any, **options: Any) -> None:
        applied = (
            set() if options["all"] else set(MigrationRecorder(connection).applied_migrations())
        )
        findings = [f for f in review() if (f.app, f.migration) not in applied]
        notable = [f for f in findings if f.kind != INSTANT]
        migrations = {f.name for f in findings}
        for f in notable:
            where = f" on {f.table}" if f.table else ""
            self.stdout.write(f"{f.kind:16} {f.name}: {f.operation}{where}: {f.why}")
        self.stdout.write(
            f"{len(migrations)} migration(s), {len(findings)} operation(s), "
            f"{len(notable)} not catalogue-only"
        )
