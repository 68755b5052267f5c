"""The therapist's own load and self-care: session weights, self-reflections, consultations.

Everything here belongs to one therapist and is for their eyes only (issue 6): not the
practice owner, not a colleague, not a client. Relations back from User, Client and
Appointment are switched off (`related_name="+"`), so no template or query elsewhere can
reach these rows by accident: the only way in is continuum/wellbeing/access.py.

Free text (the private line after a session, self-reflections, what a consultation decided) is
encrypted at rest with EncryptedTextField; its length limits are enforced by the forms and the
service functions (an encrypted column has no SQL length).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from continuum.care.models import Appointment, Client
from continuum.encryption import EncryptedTextField

MIN_WEIGHT = 1
MAX_WEIGHT = 5
PRIVATE_LINE_MAX_LENGTH = 280
SELF_REFLECTION_MAX_LENGTH = 10_000
WITH_WHOM_MAX_LENGTH = 200
DECIDED_MAX_LENGTH = 2_000

WEIGHT_LABELS = {
    1: "Light",
    2: "Fairly light",
    3: "Moderate",
    4: "Heavy",
    5: "Very heavy",
}


class SessionWeight(models.Model):
    """How heavy one attended session felt to the therapist who held it (1 light, 5 heavy)."""

    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="+")
    weight = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(MIN_WEIGHT), MaxValueValidator(MAX_WEIGHT)]
    )
    private_line = EncryptedTextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["therapist", "appointment"], name="one_weight_per_therapist_session"
            ),
            models.CheckConstraint(
                condition=models.Q(weight__gte=MIN_WEIGHT, weight__lte=MAX_WEIGHT),
                name="session_weight_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        # Never the weight or the line: __str__ ends up in logs and error reports.
        return f"Session weight {self.pk}"

    @property
    def label(self) -> str:
        return WEIGHT_LABELS.get(self.weight, "")


class SelfReflection(models.Model):
    """The therapist's reflection on their own reactions and needs; author-only, encrypted."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = EncryptedTextField()
    # Optional: one of the author's own clients, when they choose to link it.
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["author", "-created_at"])]

    def __str__(self) -> str:
        return f"Self-reflection {self.pk}"


class ConsultationKind(models.TextChoices):
    SUPERVISION = "supervision", "Supervision"
    PEER = "peer", "Peer consultation"


class ConsultationEntry(models.Model):
    """That a case (or the therapist's own load) was discussed, with whom, and what was decided.

    Deliberately no reflection text: what the therapist felt belongs in a self-reflection.
    """

    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    date = models.DateField()
    kind = models.CharField(max_length=16, choices=ConsultationKind.choices)
    with_whom = models.CharField(max_length=WITH_WHOM_MAX_LENGTH)
    decided = EncryptedTextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["therapist", "-date"]),
            models.Index(fields=["therapist", "client", "-date"]),
        ]

    def __str__(self) -> str:
        return f"Consultation {self.pk}"


def default_weekly_hours_limit() -> int:
    return int(settings.WELLBEING_WEEKLY_HOURS_LIMIT)


def default_weight_threshold() -> Decimal:
    return Decimal(str(settings.WELLBEING_WEIGHT_THRESHOLD))


def default_weeks_running() -> int:
    return int(settings.WELLBEING_WEEKS_RUNNING)


def default_heavy_sessions_per_week() -> int:
    return int(settings.WELLBEING_HEAVY_SESSIONS_PER_WEEK)


class WellbeingSettings(models.Model):
    """The therapist's own limits and choices. No row yet means the defaults (settings.py)."""

    therapist = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    weekly_hours_limit = models.PositiveSmallIntegerField(
        default=default_weekly_hours_limit, validators=[MinValueValidator(1), MaxValueValidator(80)]
    )
    # A prompt appears when the average session weight stays at or above this …
    weight_threshold = models.DecimalField(
        default=default_weight_threshold,
        max_digits=2,
        decimal_places=1,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    # … or the hours stay over the limit, for this many weeks running …
    weeks_running = models.PositiveSmallIntegerField(
        default=default_weeks_running, validators=[MinValueValidator(1), MaxValueValidator(8)]
    )
    # … or this many heavy sessions (weight 4 or 5) fall in one week.
    heavy_sessions_per_week = models.PositiveSmallIntegerField(
        default=default_heavy_sessions_per_week,
        validators=[MinValueValidator(1), MaxValueValidator(40)],
    )
    prompts_enabled = models.BooleanField(default=True)
    snooze_until = models.DateTimeField(null=True, blank=True)
    digest_opt_in = models.BooleanField(default=False)
    share_anonymous_aggregates = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Wellbeing settings {self.pk}"

    def is_snoozed(self, now: datetime) -> bool:
        return self.snooze_until is not None and self.snooze_until > now


class DigestSent(models.Model):
    """One weekly digest per therapist per ISO week, written before the email is sent."""

    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    week = models.CharField(max_length=8)  # ISO week, "2026-W46"
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["therapist", "week"], name="one_digest_per_week"),
        ]

    def __str__(self) -> str:
        return f"Digest {self.week}"
