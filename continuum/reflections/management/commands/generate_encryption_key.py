"""Print a new encryption key (for ENCRYPTION_KEYS or the key file). See docs/operations.md."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from continuum.lib.crypto import generate_key


class Command(BaseCommand):
    help = "Print a new Fernet key for ENCRYPTION_KEYS (put it first to rotate; see docs)."

    def handle(self, *args: Any, **options: Any) -> None:
        # Only the key on stdout, so `manage.py generate_encryption_key > file` works.
        self.stdout.write(generate_key())
