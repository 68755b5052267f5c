"""docs/configuration.md describes every environment variable settings.py reads."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_variable_settings_reads_is_documented() -> None:
    settings = (ROOT / "continuum/settings.py").read_text()
    read = set(re.findall(r'env_(?:str|int|bool|list)\(\s*"([A-Z0-9_]+)"', settings))
    assert len(read) > 50, "the pattern no longer finds the settings' variables"
    documented = set(
        re.findall(r"^\| `([A-Z0-9_]+)` \|", (ROOT / "docs/configuration.md").read_text(), re.M)
    )
    assert sorted(read - documented) == [], "describe these in docs/configuration.md"
    assert sorted(documented - read) == [], (
        "docs/configuration.md describes variables no longer read"
    )
