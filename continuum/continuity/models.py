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
