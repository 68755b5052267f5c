from __future__ import annotations

from pathlib import Path

import pytest

from continuum.lib.env import ConfigError, env_bool, env_int, env_list, env_str


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("TRUE", True),
        ("yes", True),
        ("on", True),
        ("0", False),
        ("no", False),
        ("", False),
    ],
)
def test_env_bool_reads_the_usual_spellings(raw: str, expected: bool) -> None:
    assert env_bool("FLAG", environ={"FLAG": raw}) is expected


def test_env_bool_rejects_anything_else_naming_the_variable() -> None:
    with pytest.raises(ConfigError, match="FLAG='maybe' is not a boolean"):
        env_bool("FLAG", environ={"FLAG": "maybe"})


def test_defaults_apply_when_unset() -> None:
    assert env_bool("FLAG", True, environ={}) is True
    assert env_int("N", 7, environ={}) == 7
    assert env_str("S", "x", environ={}) == "x"
    assert env_list("L", ["a"], environ={}) == ["a"]


def test_env_int_rejects_words() -> None:
    with pytest.raises(ConfigError, match="N='ten' is not an integer"):
        env_int("N", 1, environ={"N": "ten"})


def test_env_list_splits_and_trims() -> None:
    assert env_list("HOSTS", [], environ={"HOSTS": " a.org, b.org ,,"}) == ["a.org", "b.org"]


def test_env_list_reads_one_item_per_line_from_a_file(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.write_text("new-key\nold-key\n")
    assert env_list("ENCRYPTION_KEYS", [], environ={"ENCRYPTION_KEYS_FILE": str(keys)}) == [
        "new-key",
        "old-key",
    ]


def test_name_file_reads_a_secret_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    assert env_str("SECRET_KEY", environ={"SECRET_KEY_FILE": str(secret)}) == "s3cret"


def test_an_unreadable_name_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"SECRET_KEY_FILE=.* cannot be read"):
        env_str("SECRET_KEY", environ={"SECRET_KEY_FILE": str(tmp_path / "missing")})
