"""Bulk export jobs (FHIR Bulk Data Access IG) and their NDJSON files.

A file's content is gzipped (NDJSON of FHIR shrinks some twentyfold, so a large export writes
a twentieth of the bytes) and encrypted at rest (the house's Fernet keys,
continuum/encryption.py), like every other stored text that holds a record; it lives in the
database, so a backup holds it and a restore brings it back, and it expires with its job
(CONTINUUM_BULK_EXPORT_TTL_HOURS).
"""

from __future__ import annotations

import base64
import gzip

from django.conf import settings
from django.db import models
from django.utils import timezone

from continuum.encryption import EncryptedTextField


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ExportJob(models.Model):
    """One `$export` kick-off: who asked, for what, and how far the worker got."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="fhir_exports"
    )
    practice_id = models.PositiveBigIntegerField()
    # "system" (everything the owner may see) or "group" (the practice's Group).
    level = models.CharField(max_length=8)
    types = models.JSONField(default=list)  # the resource types asked for, in order
    since = models.DateTimeField(null=True, blank=True)
    # The kick-off URL as the manifest repeats it (its path and _type/_since only: no PHI).
    request_url = models.CharField(max_length=500)
    status = models.CharField(
        max_length=8, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    error = models.CharField(max_length=200, blank=True)  # a code, never data
    created_at = models.DateTimeField(default=timezone.now)
    transaction_time = models.DateTimeField(null=True, blank=True)
    # The worker's last sign of life while running: a running job without one for
    # CONTINUUM_BULK_EXPORT_STALLED_MINUTES lost its worker and is marked failed.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return f"FHIR export {self.pk}"


class ExportFile(models.Model):
    """One NDJSON file of one resource type (a type with many resources has several)."""

    job = models.ForeignKey(ExportJob, on_delete=models.CASCADE, related_name="files")
    resource_type = models.CharField(max_length=40)
    part = models.PositiveIntegerField(default=1)
    count = models.PositiveIntegerField()
    # The NDJSON; when `gzipped`, its gzip bytes in base64 (every file written since the
    # heartbeat migration; older ones are the text itself).
    content = EncryptedTextField()
    gzipped = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["job", "resource_type", "part"], name="fhir_export_file_once"
            )
        ]

    def __str__(self) -> str:
        return f"FHIR export file {self.pk}"

    def ndjson_gzip(self) -> bytes:
        return (
            base64.b64decode(self.content)
            if self.gzipped
            else gzip.compress(self.content.encode(), compresslevel=1, mtime=0)
        )

    def ndjson(self) -> bytes:
        return (
            gzip.decompress(base64.b64decode(self.content))
            if self.gzipped
            else self.content.encode()
        )

    @classmethod
    def packed(cls, ndjson: str) -> str:
        """What `content` holds for a gzipped file of `ndjson`."""
        return base64.b64encode(gzip.compress(ndjson.encode(), compresslevel=1, mtime=0)).decode()
