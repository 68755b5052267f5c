"""Crisis resources shown to a client after a safety answer.

In order of precedence: the client's therapist's own (their contact policy for the client's
phase of care, contributed by the boundaries app), the practice's (Practice.crisis_resources,
written on the practice settings page, one resource a line in the owner's order), and while
the practice has written none the built-in ones for its country (continuum/lib/crisis.py).
"""

from __future__ import annotations

from typing import Any

from continuum.accounts.models import Practice
from continuum.lib import crisis
from continuum.lib.contributions import therapist_crisis_lines

DEFAULT_CRISIS_RESOURCES: tuple[str, ...] = crisis.INTERNATIONAL


def crisis_resources(practice: Practice | None) -> list[str]:
    """The practice's lines: its own text, or the built-in ones for its country."""
    text = (getattr(practice, "crisis_resources", "") or "").strip()
    if not text:
        return crisis.built_in(getattr(practice, "country", "") or "")
    return crisis.sentences(text)


def crisis_resources_for(client: Any) -> list[str]:
    """The lines a client sees: the therapist's own where they chose some, else the practice's
    (2 queries for the therapist's policy; the client comes with its practice)."""
    return therapist_crisis_lines(client) or crisis_resources(client.practice)
