"""SECURITY.md promise 22: dependencies pinned with hashes; Django no older than our pin."""

from __future__ import annotations

import re
from pathlib import Path

import django

REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements"
# The latest Django 5.2 security release we have pinned and reviewed. Raise it with the lock.
MINIMUM_DJANGO = (5, 2, 19)


def _pins(lock: Path) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) for every requirement in a uv/pip-tools lock file."""
    pins: dict[str, tuple[str, list[str]]] = {}
    current = None
    for line in lock.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s\\]+)", line)
        if match:
            current = match[1].lower().split("[")[0]
            pins[current] = (match[2], [])
        elif current and "--hash=sha256:" in line:
            pins[current][1].append(line.split("--hash=sha256:")[1].split()[0])
    return pins


def test_every_dependency_is_pinned_with_a_hash() -> None:
    for name in ("base.txt", "dev.txt", "bootstrap.txt"):
        pins = _pins(REQUIREMENTS / name)
        assert pins, name
        unhashed = [pkg for pkg, (_, hashes) in pins.items() if not hashes]
        assert unhashed == [], f"{name}: no hash for {unhashed}"
        for pkg, (version, hashes) in pins.items():
            assert re.fullmatch(r"[0-9][0-9A-Za-z.+\-]*", version), (pkg, version)
            assert all(len(h) == 64 for h in hashes), pkg


def test_django_is_at_least_the_pinned_security_release() -> None:
    version, _ = _pins(REQUIREMENTS / "base.txt")["django"]
    pinned = tuple(int(part) for part in version.split(".")[:3])
    assert pinned >= MINIMUM_DJANGO
    assert django.VERSION[:3] == pinned, "the installed Django differs from the lock file"
    assert django.VERSION[:2] == (5, 2), "Django 5.2 LTS is the decided version"
