"""The audit log: one append-only row per read, write, export, login and denial.

Tamper evidence (SECURITY.md promise 15) comes in two layers, so writing a row needs no lock:

- `AuditEvent.content_hash` is the SHA-256 of the row's canonical content (see chain.py),
  computed by `record()` before the INSERT. A random `nonce` makes identical events differ.
- `AuditSeal` links events into a hash chain in seal order: `chain_hash = sha256(prev_hash +
  content_hash)`. Seals are written after the business transaction commits, in a short
  transaction of their own (`chain.seal_pending`); `AuditPending` is the queue of events not
  sealed yet, filled by a database trigger on INSERT (migration 0002), so it costs `record()`
  no extra query.

Neither events nor seals have an update or delete path: the model and the queryset raise.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone

APPEND_ONLY = "audit rows are append-only"


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise PermissionError(APPEND_ONLY)

    def delete(self) -> NoReturn:
        raise PermissionError(APPEND_ONLY)


class AppendOnlyModel(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError(APPEND_ONLY)
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError(APPEND_ONLY)


class AuditEvent(AppendOnlyModel):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # Null actor means the system (a task or a command run without a person).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=254)
    practice = models.ForeignKey(
        "accounts.Practice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    flagged = models.BooleanField(default=False)
    # Structural facts only (ids, field names, status values): never names or free text.
    detail = models.JSONField(default=dict, blank=True)
    # 16 random bytes (hex), so two identical events still hash differently.
    nonce = models.CharField(max_length=32, default="", blank=True)
    # SHA-256 (hex) of the canonical content, every field above except the id.
    content_hash = models.CharField(max_length=64, default="", blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["practice", "-at"]),
            models.Index(fields=["object_type", "object_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


class SealQuerySet(models.QuerySet["AuditSeal"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise PermissionError(APPEND_ONLY)

    def delete(self) -> NoReturn:
        raise PermissionError(APPEND_ONLY)


class AuditSeal(AppendOnlyModel):
    """One link of the hash chain: event number `seq` in seal order."""

    seq = models.PositiveBigIntegerField(unique=True)
    event = models.OneToOneField(AuditEvent, on_delete=models.PROTECT, related_name="seal")
    prev_hash = models.CharField(max_length=64)
    chain_hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField(default=timezone.now)

    objects = SealQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(seq__gte=1), name="audit_seal_seq_positive"),
        ]

    def __str__(self) -> str:
        return f"seal {self.seq} of event {self.event_id}"


class AuditPending(models.Model):
    """An event waiting for its seal. Rows are added by a trigger and removed by the sealer.

    Not part of the audit record itself: it only tells the sealer where to look, so that
    sealing never scans the whole log (on PostgreSQL events can commit out of id order).
    """

    event_id = models.BigIntegerField(primary_key=True)

    def __str__(self) -> str:
        return f"event {self.event_id} awaiting its seal"
