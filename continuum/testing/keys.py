"""Encryption keys in tests: run a block under other ENCRYPTION_KEYS (rotation, a lost key)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.test import override_settings

from continuum.encryption import reset_keyring


@contextmanager
def encryption_keys(*keys: str) -> Iterator[None]:
    """ENCRYPTION_KEYS = `keys` (newest first) inside the block; the cached keyring is dropped
    on the way in and out, so code inside and after reads the keys then configured."""
    with override_settings(ENCRYPTION_KEYS=list(keys)):
        reset_keyring()
        try:
            yield
        finally:
            reset_keyring()
