"""Crisis resources shown to a client after a safety answer.

A practice writes its own text (Practice.crisis_resources, one resource per line); an empty
field means these defaults. They name services that answer around the clock; the practice
should replace them with local ones where it works elsewhere.
"""

from __future__ import annotations

from continuum.accounts.models import Practice

DEFAULT_CRISIS_RESOURCES: tuple[str, ...] = (
    "If you are in immediate danger, call your local emergency number: 911 (US and Canada), "
    "999 (UK) or 112 (EU).",
    "US: call or text 988 to reach the 988 Suicide & Crisis Lifeline, any time, day or night.",
    "UK and Ireland: call Samaritans free on 116 123, any time, day or night.",
    "You can also go to your nearest emergency department.",
)


def crisis_resources(practice: Practice | None) -> list[str]:
    """The lines to show: the practice's own text, or the defaults when it has none."""
    text = (getattr(practice, "crisis_resources", "") or "").strip()
    if not text:
        return list(DEFAULT_CRISIS_RESOURCES)
    return [line.strip() for line in text.splitlines() if line.strip()]
