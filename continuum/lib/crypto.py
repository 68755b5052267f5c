"""Symmetric encryption of free text at rest (Fernet, with MultiFernet for key rotation).

The first key encrypts; every key decrypts. To rotate: put a new key first, keep the old ones
after it, re-encrypt (`manage.py reencrypt`), then drop the old keys.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

# Every Fernet token starts with this: the version byte 0x80 and the top bytes of a 64-bit
# timestamp, which stay zero until the year 4147 (base64: "gAAAAA").
TOKEN_PREFIX = "gAAAAA"  # noqa: S105 (a format marker, not a secret)


class DecryptionError(ValueError):
    """A stored value could not be decrypted with any configured key."""


def is_token(value: str) -> bool:
    """Whether `value` has the shape of a Fernet token (it may still fail to decrypt)."""
    return value.startswith(TOKEN_PREFIX)


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


class Keyring:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is required")
        try:
            self._fernet = MultiFernet([Fernet(k.encode("ascii")) for k in keys])
        except (ValueError, TypeError) as exc:
            # Never echo the key itself.
            raise ValueError(
                "an encryption key is malformed (expected 32 url-safe base64 bytes)"
            ) from exc

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as exc:
            raise DecryptionError(
                "stored text could not be decrypted with the configured keys"
            ) from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the first key (works for tokens of any configured key)."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken as exc:
            raise DecryptionError(
                "stored text could not be decrypted with the configured keys"
            ) from exc
