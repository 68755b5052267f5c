"""Personal access tokens for the JSON API, and the memory of POSTs already answered.

A token is shown once; only its SHA-256 is stored (a random 256-bit secret needs no slow
hash: nobody can guess one to test against the hash). The first characters (`prefix`) are
kept in clear so a person can tell their tokens apart.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

# The areas a token may reach; each is granted for reading, writing, or both.
AREAS = ("clients", "appointments", "measures", "plans", "outcomes", "fhir")
ACCESS = ("read", "write")
SCOPES = tuple(f"{area}:{access}" for area in AREAS for access in ACCESS)


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    # ["clients:read", "appointments:write", ...], a subset of SCOPES.
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"API token {self.prefix}…"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    def allows(self, area: str, access: str) -> bool:
        """Write access to an area includes reading it."""
        if access == "read":
            return f"{area}:read" in self.scopes or f"{area}:write" in self.scopes
        return f"{area}:{access}" in self.scopes


class IdempotentRequest(models.Model):
    """The first answer to a POST with an `Idempotency-Key`: a repeat gets it again."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=128)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="api_idempotency_key_once")
        ]

    def __str__(self) -> str:
        return f"Idempotent request {self.pk}"
