"""People and practices: users (staff and, later, clients), practices and memberships."""

from __future__ import annotations

from datetime import time
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from continuum.lib.timezones import is_valid_time_zone


def validate_time_zone(value: str) -> None:
    from django.core.exceptions import ValidationError

    if not is_valid_time_zone(value):
        raise ValidationError(
            "“%(value)s” is not a known time zone; use a name like Europe/London.",
            params={"value": value},
        )


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("an email address is required")
        user = self.model(email=normalize_email(email), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username or "")


def normalize_email(email: str) -> str:
    """Email addresses are unique case-insensitively; we store them lower-cased."""
    return email.strip().lower()


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who logs in: staff (with a Membership) or, from the portal issue on, clients."""

    email = models.EmailField(max_length=254, unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May use the Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def display_name(self) -> str:
        return self.full_name or self.email


class Country(models.TextChoices):
    UNITED_KINGDOM = "GB", "United Kingdom"
    IRELAND = "IE", "Ireland"
    UNITED_STATES = "US", "United States"
    CANADA = "CA", "Canada"
    AUSTRALIA = "AU", "Australia"
    NEW_ZEALAND = "NZ", "New Zealand"


class Practice(models.Model):
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # Shown to clients wherever a safety answer or an urgent message may appear. Empty means
    # the defaults in continuum/measures/crisis.py (988 in the US, 116 123 in the UK).
    # One resource a line, "name | phone or text | hours or web address" (the practice settings
    # page writes it in that form, in the order the owner gave).
    crisis_resources = models.TextField(max_length=2000, blank=True)
    # Where the practice works: picks the built-in crisis numbers (measures/crisis.py) while
    # the owner has written none. Blank: not said (the international list).
    country = models.CharField(max_length=2, choices=Country.choices, blank=True)
    # The practice's default contact policy: what a therapist's clients see until the
    # therapist saves their own (boundaries.services.default_policy).
    default_messages_in_therapy = models.BooleanField(default=True)
    default_messages_after_therapy = models.BooleanField(default=False)
    default_hours_start = models.TimeField(default=time(9, 0))
    default_hours_end = models.TimeField(default=time(17, 0))
    default_response_time_hours = models.PositiveSmallIntegerField(default=48)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    THERAPIST = "therapist", "Therapist"
    # A therapist who also reads every therapist's outcomes (the practice outcomes page).
    CLINICAL_LEAD = "clinical_lead", "Clinical lead"


class Membership(models.Model):
    """A staff member's place in one practice. A staff user belongs to exactly one practice."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.THERAPIST)
    # An owner who also treats clients is clinical; `--no-clinical` owners only administer.
    is_clinical = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    invited_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["practice", "role"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.practice} ({self.role})"

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER


class BreakGlassGrant(models.Model):
    """Emergency read access for an owner to one client's record while the treating therapist
    is unreachable (SECURITY.md promise 5): a reason, a time limit, flagged audit rows."""

    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="break_glass_grants")
    client = models.ForeignKey(
        "care.Client", on_delete=models.CASCADE, related_name="break_glass_grants"
    )
    # The owner's own words; kept here, never copied into audit rows or log lines.
    reason = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "expires_at"])]

    def __str__(self) -> str:
        return f"break-glass {self.pk} until {self.expires_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class Submission(models.Model):
    """A form submission that must take effect once (SECURITY.md promise 20).

    Create forms carry a one-time key; the first request to claim it does the work and
    records where it led. A repeat (a double click, a resend, a concurrent duplicate) finds
    the key taken and is sent to the same place instead of creating a second row.
    """

    key = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    result_url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Submission {self.pk}"


class EmailChange(models.Model):
    """A request to change a login address, waiting for its link to be followed (issue 18).

    The link carries a signature of this row's id only (no address in any URL); it works once
    (`used_at`) and for EMAIL_CHANGE_LINK_HOURS. `old_email` is kept for the notice.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    new_email = models.EmailField(max_length=254)
    old_email = models.EmailField(max_length=254)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"EmailChange {self.pk}"


class Refusal(models.Model):
    """Refused access (a 404 on an id-bearing route) counted per person and clock minute, until
    the "accounts.refusals" job writes it as one "access.refused" audit row (issue 18)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    minute = models.DateTimeField()
    route = models.CharField(max_length=100)  # the first refused route of that minute
    ip = models.GenericIPAddressField(null=True, blank=True)
    count = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "minute"], name="refusal_user_minute_unique")
        ]

    def __str__(self) -> str:
        return f"Refusal {self.pk}"
