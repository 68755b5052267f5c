from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from continuum.lib.crypto import DecryptionError, Keyring, generate_key

OLD, NEW = generate_key(), generate_key()


@given(st.text(max_size=500))
def test_round_trip(text: str) -> None:
    ring = Keyring([OLD])
    token = ring.encrypt(text)
    assert text == ring.decrypt(token)
    if len(text) >= 12:  # shorter strings can occur in base64 by chance
        assert text not in token


def test_rotation_re_encrypts_under_the_first_key_without_loss() -> None:
    token = Keyring([OLD]).encrypt("private words")
    rotated = Keyring([NEW, OLD]).rotate(token)
    assert Keyring([NEW]).decrypt(rotated) == "private words"
    with pytest.raises(DecryptionError):
        Keyring([NEW]).decrypt(token)


def test_a_wrong_key_is_a_clear_error() -> None:
    token = Keyring([OLD]).encrypt("x")
    with pytest.raises(DecryptionError, match="could not be decrypted"):
        Keyring([NEW]).decrypt(token)


def test_a_malformed_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValueError, match="malformed") as info:
        Keyring(["not-a-key"])
    assert "not-a-key" not in str(info.value)
    with pytest.raises(ValueError, match="at least one"):
        Keyring([])
