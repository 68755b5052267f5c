"""The day view's wellbeing prompt: a kind suggestion when the therapist's load stays high.

Registered in WellbeingConfig.ready(). It is about the therapist, not a client, so it is never
ranked among the clients: the day shows it in its own section, "For you", below the clinical
list (lib.priority.for_you). It disappears for a week with "Snooze for a week".
"""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse

from continuum.accounts.models import User
from continuum.lib.contributions import DayItem, DayLine, Rank
from continuum.wellbeing.queries import day_prompt

PROMPT_ITEM = "wellbeing.prompt"


def prompt_day_items(user: User, now: datetime) -> list[DayItem]:
    prompt = day_prompt(user, now)
    if prompt is None:
        return []
    return [
        DayItem(
            kind=PROMPT_ITEM,
            client_id=None,
            rank=Rank.ROUTINE,  # unused: "For you" items have their own place
            # No moment it was raised: it holds while the load stays high, so it is never
            # "new" nor "2 h ago".
            at=None,
            facts={"reasons": list(prompt.reasons), "suggestion": prompt.suggestion},
        )
    ]


def prompt_lines(items: list[DayItem]) -> list[DayLine]:
    return [
        DayLine(
            reason=" ".join(item.facts["reasons"]) + " " + item.facts["suggestion"],
            url=reverse("wellbeing:load"),
            action="See my load",
            post_url=reverse("wellbeing:snooze"),
            post_label="Snooze for a week",
        )
        for item in items
    ]
