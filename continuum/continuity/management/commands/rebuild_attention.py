"""Fill the day's attention table from scratch (after a migration, a restore or an import)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from continuum.continuity.attention import rebuild


class Command(BaseCommand):
    help = "Rebuild the day's attention table (every client's reasons) from the records."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{rebuild()} reasons kept")
