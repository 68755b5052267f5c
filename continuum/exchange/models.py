"""Calendar feeds: a private, revocable URL per therapist or client, stored only as a hash."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from continuum.accounts.models import Practice
from continuum.care.models import Client
from continuum.encryption import EncryptedTextField


class FeedNames(models.TextChoices):
    """What a therapist's calendar events say about the client (calendar apps are third
    parties: by default they learn nothing about who the session is with)."""

    NONE = "none", "Nothing: “Session” and the modality"
    INITIALS = "initials", "The client's initials"
    FIRST_NAME = "first_name", "The client's first name (or the name they go by)"


class CalendarFeed(models.Model):
    """One issued feed URL. Re-issuing revokes the old row and makes a new one; the token
    itself is shown once and never stored (only its SHA-256)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    # Set for a client's own feed (the portal login `user` is that client's).
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    names = models.CharField(max_length=16, choices=FeedNames.choices, default=FeedNames.NONE)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_live_calendar_feed_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"Calendar feed {self.pk}"

    @property
    def practice_id(self) -> int | None:
        if self.client is not None:
            return self.client.practice_id
        membership = getattr(self.user, "membership", None)
        return membership.practice_id if membership is not None else None


class ImportStatus(models.TextChoices):
    PREVIEW = "preview", "Waiting for confirmation"
    IMPORTED = "imported", "Imported"
    DISCARDED = "discarded", "Discarded"


class ImportKind(models.TextChoices):
    CLIENTS = "clients", "Clients"
    SCORES = "scores", "Past scores"


class ImportBatch(models.Model):
    """An uploaded clients CSV between preview and confirmation. The parsed rows (names,
    dates of birth…) are kept encrypted, server-side, never in the URL or the session; they
    are emptied once the import is confirmed or discarded."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=16, choices=ImportStatus.choices, default=ImportStatus.PREVIEW
    )
    # What the file holds: clients (importing.parse_clients) or past scores (importing_scores).
    kind = models.CharField(max_length=8, choices=ImportKind.choices, default=ImportKind.CLIENTS)
    rows = EncryptedTextField(blank=True)  # JSON: [ImportRow.as_json()]
    total = models.PositiveIntegerField(default=0)
    creates = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Import {self.pk}"


class RecordRequestStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    RELEASED = "released", "Released"


class RecordRequest(models.Model):
    """A client asked for a copy of their record. Their therapist reviews and releases it,
    or it is released automatically when `release_due_at` passes (RECORD_RELEASE_DAYS)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="record_requests")
    requested_at = models.DateTimeField(default=timezone.now)
    release_due_at = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=RecordRequestStatus.choices, default=RecordRequestStatus.REQUESTED
    )
    released_at = models.DateTimeField(null=True, blank=True)
    # None with `released_at` set: released automatically.
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["status", "release_due_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=models.Q(status="requested"),
                name="one_open_record_request_per_client",
            )
        ]

    def __str__(self) -> str:
        return f"Record request {self.pk}"

    @property
    def practice_id(self) -> int:
        return self.client.practice_id
