"""The client portal: per-client portal settings chosen by the therapist, and check-ins.

A check-in's free text is encrypted at rest (EncryptedTextField); everything else is
structural and may be filtered in SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from continuum.care.models import Client, Episode
from continuum.encryption import EncryptedTextField

NOTE_MAX = 2000
SCALE_MIN, SCALE_MAX = 0, 10


class CheckinCadence(models.TextChoices):
    NONE = "none", "No check-ins"
    WEEKLY = "weekly", "Weekly"
    TWICE_WEEKLY = "twice_weekly", "Twice a week"
    DAILY = "daily", "Daily"


class PortalSettings(models.Model):
    """What the therapist chose for one client's portal (one row per client, made on demand)."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="portal_settings")
    checkin_cadence = models.CharField(
        max_length=16, choices=CheckinCadence.choices, default=CheckinCadence.NONE
    )
    # Instrument codes whose scores the client sees on "My progress" (nothing by default).
    shared_measures = models.JSONField(default=list, blank=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Portal settings ({self.get_checkin_cadence_display()})"

    @property
    def practice_id(self) -> int:
        return self.client.practice_id


def scale_validators() -> list[Callable[[Any], None]]:
    return [MinValueValidator(SCALE_MIN), MaxValueValidator(SCALE_MAX)]


class HomeworkStatus(models.TextChoices):
    DONE = "done", "Done"
    PARTLY = "partly", "Partly done"
    NOT_DONE = "not_done", "Not done"
    NO_HOMEWORK = "none", "I had no homework"


class CheckIn(models.Model):
    """A short between-session check-in written by the client in the portal."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="checkins")
    # The client's open episode when they checked in (none between courses of care).
    episode = models.ForeignKey(
        Episode, null=True, blank=True, on_delete=models.SET_NULL, related_name="checkins"
    )
    mood = models.PositiveSmallIntegerField(validators=scale_validators())
    sleep = models.PositiveSmallIntegerField(null=True, blank=True, validators=scale_validators())
    energy = models.PositiveSmallIntegerField(null=True, blank=True, validators=scale_validators())
    note = EncryptedTextField(blank=True)
    urgent = models.BooleanField(default=False)
    homework_status = models.CharField(max_length=16, choices=HomeworkStatus.choices, blank=True)
    # Issued with the form; a second submit of the same form finds the first row.
    idempotency_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(null=True, blank=True)
    seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["client", "-created_at"]),
            # unseen_checkins: a therapist's clients' check-ins not yet seen.
            models.Index(fields=["client", "seen_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "idempotency_key"], name="checkin_one_per_form"
            ),
            models.CheckConstraint(
                condition=models.Q(mood__gte=SCALE_MIN, mood__lte=SCALE_MAX),
                name="checkin_mood_0_10",
            ),
            models.CheckConstraint(
                condition=models.Q(sleep__isnull=True)
                | models.Q(sleep__gte=SCALE_MIN, sleep__lte=SCALE_MAX),
                name="checkin_sleep_0_10",
            ),
            models.CheckConstraint(
                condition=models.Q(energy__isnull=True)
                | models.Q(energy__gte=SCALE_MIN, energy__lte=SCALE_MAX),
                name="checkin_energy_0_10",
            ),
        ]

    def __str__(self) -> str:
        return f"Check-in {self.created_at:%Y-%m-%d %H:%M} UTC"

    @property
    def practice_id(self) -> int:
        return self.client.practice_id

    @property
    def is_seen(self) -> bool:
        return self.seen_at is not None
