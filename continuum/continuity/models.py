from __future__ import annotations

from django.conf import settings
from django.db import models


class DayVisit(models.Model):
    """When a therapist last opened their day, so the day can mark what is new since.

    No clinical content: a person and a time, like a last login.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="day_visit"
    )
    opened_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"day opened {self.opened_at:%Y-%m-%d %H:%M}"


class Attention(models.Model):
    """One reason to think of a client on the day, kept so the day reads them in one query.

    A copy of what a day contribution (`lib.contributions.DayContribution.for_clients`) says
    of one client: its kind, tier, when it was raised, the id its link points at and its
    facts (ids, counts, codes, dates; never text a person wrote). Rows are rewritten per
    (client, source) by `continuity.attention.refresh`, called through
    `lib.hooks.client_changed` inside the transaction of every action that adds or clears a
    reason, and for the time-based reasons by the scheduler's job `continuity.attention`.
    The therapist is not copied: the day reaches the rows through its clients
    (`care.access.clients_for`), so a client moved to another therapist moves with them.
    """

    client = models.ForeignKey("care.Client", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=40)  # the DayContribution's name
    kind = models.CharField(max_length=60)
    rank = models.PositiveSmallIntegerField()  # lib.contributions.Rank
    at = models.DateTimeField(null=True)
    ref = models.BigIntegerField(null=True)
    facts = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["client", "source"], name="attention_client_source")]

    def __str__(self) -> str:
        return f"{self.kind} (tier {self.rank})"
