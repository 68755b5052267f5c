"""Encrypted free-text fields. Keys come from the environment or a key file, never the database.

Settings: ENCRYPTION_KEYS (newest first). See docs/operations.md for rotation.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from continuum.lib.crypto import Keyring, generate_key


@cache
def keyring() -> Keyring:
    keys = list(settings.ENCRYPTION_KEYS) or _development_key_file()
    try:
        return Keyring(keys)
    except ValueError as exc:
        raise ImproperlyConfigured(str(exc)) from exc


def reset_keyring() -> None:
    """Forget the cached keys (after settings change, e.g. in a rotation test)."""
    keyring.cache_clear()


def _development_key_file() -> list[str]:
    """Without configured keys, keep one in var/ (mode 0600) so `make demo` just works.

    Production sets ENCRYPTION_KEYS or ENCRYPTION_KEYS_FILE and backs the key up apart from
    the database: a backup of the database alone cannot be read.
    """
    path = Path(settings.ENCRYPTION_KEY_FILE)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(generate_key() + "\n")
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Text stored as a Fernet token. It cannot be filtered or searched in SQL, by design."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return keyring().decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return keyring().encrypt(str(value))


def encrypted_fields(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
