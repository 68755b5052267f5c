"""The README tells the truth about moving the demo server (issue 14)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_says_how_to_move_the_demo_server() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    serve = (ROOT / "bin" / "demo-serve").read_text(encoding="utf-8")
    assert "`PORT=8001 make demo`" in readme
    # ...and the script really reads the variables the README names.
    for name in ("PORT", "HOST"):
        assert re.search(rf"^{name}=\${{{name}:-", serve, re.MULTILINE), name
        assert f"`{name}`" in readme or f"`{name}=" in readme
