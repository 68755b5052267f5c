"""Boundaries: each therapist's contact policy (one per phase of care), a therapist's choice to
turn portal messages off for one client, and the portal messages themselves.

Messages are part of the clinical record (not psychotherapy notes): the client's assigned
therapist reads them. Their bodies, and the reasons a therapist gives for turning messages
off, are free text about a client and are encrypted at rest.
"""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models
from django.utils import timezone

from continuum.boundaries import policy
from continuum.care.models import Client, Episode
from continuum.encryption import EncryptedTextField

BODY_MAX = 4000
AFTER_HOURS_REPLY_MAX = 1000
CRISIS_RESOURCES_MAX = 2000
REASON_MAX = 1000
ALL_DAYS_MASK = (1 << 7) - 1

DEFAULT_AFTER_HOURS_REPLY = (
    "Thank you for your message. I am not working right now and do not read messages "
    "outside my working hours. I will read yours when I am back. If you need help before "
    "then, please use the contacts on this page."
)


class Phase(models.TextChoices):
    IN_THERAPY = "in_therapy", "In therapy"
    AFTER_THERAPY = "after_therapy", "After therapy"


class ContactPolicy(models.Model):
    """How and when a therapist's clients in one phase of care may reach them."""

    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_policies"
    )
    phase = models.CharField(max_length=16, choices=Phase.choices)
    portal_messages_enabled = models.BooleanField(default=True)
    # Bit 0 is Monday .. bit 6 Sunday (policy.days_to_mask); Monday to Friday by default.
    working_days = models.PositiveSmallIntegerField(
        default=policy.days_to_mask(policy.DEFAULT_DAYS)
    )
    # Wall-clock times in the therapist's own time zone.
    working_hours_start = models.TimeField(default=time(9, 0))
    working_hours_end = models.TimeField(default=time(17, 0))
    response_time_hours = models.PositiveSmallIntegerField(default=policy.DEFAULT_RESPONSE_HOURS)
    after_hours_reply = models.TextField(
        max_length=AFTER_HOURS_REPLY_MAX, default=DEFAULT_AFTER_HOURS_REPLY
    )
    # One resource per line; blank means the practice's (or the built-in) crisis resources.
    crisis_resources = models.TextField(max_length=CRISIS_RESOURCES_MAX, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "contact policies"
        constraints = [
            models.UniqueConstraint(fields=["therapist", "phase"], name="one_policy_per_phase"),
            models.CheckConstraint(
                condition=models.Q(working_days__gte=1, working_days__lte=ALL_DAYS_MASK),
                name="policy_at_least_one_day",
            ),
            models.CheckConstraint(
                condition=models.Q(working_hours_end__gt=models.F("working_hours_start")),
                name="policy_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    response_time_hours__gte=policy.MIN_RESPONSE_HOURS,
                    response_time_hours__lte=policy.MAX_RESPONSE_HOURS,
                ),
                name="policy_response_time_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Contact policy ({self.get_phase_display()})"

    @property
    def days(self) -> frozenset[int]:
        return policy.mask_to_days(self.working_days)

    def hours(self, tz_name: str) -> policy.WorkingHours:
        """These hours in the therapist's zone (the caller passes therapist.time_zone)."""
        return policy.WorkingHours(
            self.days, self.working_hours_start, self.working_hours_end, tz_name
        )

    @property
    def hours_text(self) -> str:
        return policy.describe_schedule(self.days, self.working_hours_start, self.working_hours_end)

    @property
    def hours_phrase(self) -> str:
        """The same within a sentence ("... reads messages every day, 8:00 to 20:00")."""
        return policy.describe_schedule(
            self.days, self.working_hours_start, self.working_hours_end, sentence_start=False
        )

    @property
    def response_text(self) -> str:
        return policy.describe_response_time(self.response_time_hours)


class ClientMessaging(models.Model):
    """A therapist turned portal messages off (with a reason) or back on for one client.

    Append-only: the latest row is the current choice; none means the contact policy decides.
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="messaging_changes")
    enabled = models.BooleanField()
    reason = EncryptedTextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["client", "-changed_at"])]

    def __str__(self) -> str:
        return f"Messages {'on' if self.enabled else 'off'} from {self.changed_at:%Y-%m-%d}"

    @property
    def practice_id(self) -> int:
        return self.client.practice_id


class Direction(models.TextChoices):
    TO_THERAPIST = "to_therapist", "From the client"
    TO_CLIENT = "to_client", "From the therapist"


class Message(models.Model):
    """An asynchronous note between a client and their therapist through the portal."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="portal_messages")
    # The client's open episode when it was written (none between courses of care).
    episode = models.ForeignKey(
        Episode, null=True, blank=True, on_delete=models.SET_NULL, related_name="portal_messages"
    )
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(max_length=16, choices=Direction.choices)
    body = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)
    # For the client's messages: when the therapist marked them read.
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    in_reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    # Sent outside the therapist's working hours (by their zone): the client was shown the
    # after-hours reply.
    after_hours = models.BooleanField(default=False)
    # Issued with the form; a second submit of the same form finds the first row.
    idempotency_key = models.CharField(max_length=64)

    class Meta:
        indexes = [
            models.Index(fields=["client", "-created_at"]),
            # Unread client messages for a therapist's day and brief.
            models.Index(fields=["client", "direction", "read_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "idempotency_key"], name="message_one_per_form"
            ),
        ]

    def __str__(self) -> str:
        return f"Message {self.created_at:%Y-%m-%d %H:%M} UTC ({self.get_direction_display()})"

    @property
    def practice_id(self) -> int:
        return self.client.practice_id

    @property
    def from_client(self) -> bool:
        return self.direction == Direction.TO_THERAPIST

    @property
    def is_unread(self) -> bool:
        return self.from_client and self.read_at is None
