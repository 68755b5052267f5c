"""The day view's wellbeing prompt: a kind suggestion when the therapist's load stays high.

Registered in continuum/continuity/day.py `extra_providers()`. It ranks with the alerts, after
the safety ones (it is about the therapist, not a client, so it never pushes a client's safety
down), and disappears for a week with "Snooze for a week".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.urls import reverse

from continuum.continuity.day import RANK_ALERT, MindEntry
from continuum.wellbeing.queries import prompt_for_user


def prompt_entries(user: Any, now: datetime) -> list[MindEntry]:
    _, prompt = prompt_for_user(user, now)
    if prompt is None:
        return []
    return [
        MindEntry(
            client_id=None,
            rank=RANK_ALERT,
            reason=" ".join(prompt.reasons) + " " + prompt.suggestion,
            url=reverse("wellbeing:load"),
            action="See my load",
            # "Now": first among the alerts that follow the safety ones.
            at=now,
            post_url=reverse("wellbeing:snooze"),
            post_label="Snooze for a week",
        )
    ]
