"""Reflections: a therapist's private between-session notes about a client.

In law these are *psychotherapy notes* (CLINICAL.md, "Law and ethics"): kept apart from the
clinical record, readable and editable only by their author, never shown to the client, the
practice owner or another therapist. Their text is encrypted at rest (EncryptedTextField: the
key lives in the environment or a key file, never in the database).

Relations back from Client, Appointment and User are switched off (`related_name="+"`), so no
template or query elsewhere can reach a client's reflections by accident: the only way in is
continuum/reflections/access.py.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from continuum.care.models import Appointment, Client
from continuum.encryption import EncryptedTextField

TEXT_MAX_LENGTH = 10_000
ADDRESSED_NOTE_MAX_LENGTH = 2_000


class ReflectionKind(models.TextChoices):
    CONCERN = "concern", "Concern for well-being"
    BREAKTHROUGH = "breakthrough", "Breakthrough"
    SETBACK = "setback", "Setback"
    IDEA = "idea", "Idea or technique to try"
    QUESTION = "question", "Question to raise"
    SELF_REFLECTION = "self_reflection", "Self-reflection on my own reactions"


class Reflection(models.Model):
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # PROTECT: a client's record is never deleted with psychotherapy notes silently going
    # with it (a retention purge deletes these explicitly).
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=ReflectionKind.choices)
    text = EncryptedTextField()
    # The session the reflection is about, if any (one of the same client's appointments).
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    bring_to_next_session = models.BooleanField(default=False)
    addressed_at = models.DateTimeField(null=True, blank=True)
    addressed_in = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    addressed_note = EncryptedTextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["author", "client", "-created_at"]),
            models.Index(fields=["author", "addressed_in"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(addressed_in__isnull=True)
                | models.Q(addressed_at__isnull=False),
                name="reflection_addressed_in_needs_addressed_at",
            ),
        ]

    def __str__(self) -> str:
        # Never the text (nor the kind): __str__ ends up in logs and error reports.
        return f"Reflection {self.pk}"

    @property
    def practice_id(self) -> int:
        return self.client.practice_id

    @property
    def is_addressed(self) -> bool:
        return self.addressed_at is not None

    @property
    def is_to_bring(self) -> bool:
        """Marked "bring to the next session" and not yet addressed."""
        return self.bring_to_next_session and self.addressed_at is None
