"""The clinical record: clients, episodes of care, appointments, progress notes."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from continuum.accounts.models import Practice, User, validate_time_zone
from continuum.care.episodes import LABELS, OPEN_STATUSES, EpisodeStatus
from continuum.care.note_formats import FORMATS, format_choices

EPISODE_STATUS_CHOICES = [(s.value, LABELS[s]) for s in EpisodeStatus]


def _clinical_practice_of(user: User) -> int | None:
    """The practice whose clients `user` may treat: none unless an active clinical member."""
    membership = getattr(user, "membership", None)
    if membership is None or not membership.is_active or not membership.is_clinical:
        return None
    return int(membership.practice_id)


def treated_by_sql(user: User, client: str) -> tuple[str, list[int]]:
    """`ClientQuerySet.for_therapist` for hand-written SQL (continuum.sql): the condition on the
    client table's alias `client`, and its parameters. The same rule in the same place, from
    the same `_clinical_practice_of`; continuity/tests/test_day_sql.py compares the two."""
    practice_id = _clinical_practice_of(user)
    if practice_id is None:
        return "1 = 0", []
    return f"{client}.therapist_id = %s AND {client}.practice_id = %s", [user.pk, practice_id]


class ClientQuerySet(models.QuerySet["Client"]):
    def for_therapist(self, user: User) -> ClientQuerySet:
        """Clients whose record `user` may read: those assigned to them, in their practice."""
        practice_id = _clinical_practice_of(user)
        if practice_id is None:
            return self.none()
        return self.filter(therapist=user, practice_id=practice_id)


def display_name_of(first_name: str, preferred_name: str, last_name: str) -> str:
    """How a client is named on every page: the name they go by, then their last name."""
    return f"{preferred_name or first_name} {last_name}"


class Client(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="clients")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="clients"
    )
    # Portal login (issue: the client portal); null until the client is invited.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="client_profile",
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    emergency_contact_name = models.CharField(max_length=150, blank=True)
    emergency_contact_phone = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ClientQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["therapist", "last_name", "first_name"]),
            models.Index(fields=["practice", "last_name"]),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return display_name_of(self.first_name, self.preferred_name, self.last_name)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Episode(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="episodes")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="episodes"
    )
    referral_reason = models.TextField(max_length=2000)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=EPISODE_STATUS_CHOICES, default=EpisodeStatus.REFERRAL
    )
    ended_unplanned = models.BooleanField(default=False)
    # A re-opened course of care points back to the episode it continues.
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["client", "-start_date"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="episode_end_after_start",
            ),
            # The service checks this with a friendly message; the database guarantees it.
            models.UniqueConstraint(
                fields=["client"],
                condition=models.Q(status__in=[s.value for s in OPEN_STATUSES]),
                name="one_open_episode_per_client",
            ),
        ]

    def __str__(self) -> str:
        return f"Episode from {self.start_date:%Y-%m-%d} ({self.get_status_display()})"

    @property
    def practice_id(self) -> int:
        return self.client.practice_id

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Modality(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    VIDEO = "video", "Video"
    PHONE = "phone", "Phone"


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    ATTENDED = "attended", "Attended"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


class CancelledBy(models.TextChoices):
    CLIENT = "client", "Client"
    THERAPIST = "therapist", "Therapist"
    PRACTICE = "practice", "Practice"


class Appointment(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="appointments")
    episode = models.ForeignKey(
        Episode, null=True, blank=True, on_delete=models.SET_NULL, related_name="appointments"
    )
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments"
    )
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(
        default=50, validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    modality = models.CharField(max_length=16, choices=Modality.choices, default=Modality.IN_PERSON)
    status = models.CharField(
        max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.SCHEDULED
    )
    cancelled_by = models.CharField(max_length=16, choices=CancelledBy.choices, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    series = models.UUIDField(null=True, blank=True, db_index=True)
    # Bumped when the time, length or modality changes or the session is cancelled, so a
    # subscribed calendar replaces its copy (iCalendar SEQUENCE, continuum/exchange/calendar.py).
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["therapist", "starts_at"]),
            models.Index(fields=["client", "-starts_at"]),
        ]

    def __str__(self) -> str:
        return f"Appointment {self.starts_at:%Y-%m-%d %H:%M} UTC"

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def practice_id(self) -> int:
        return self.client.practice_id


def new_series_id() -> uuid.UUID:
    return uuid.uuid4()


class NoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"


class ProgressNote(models.Model):
    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="note")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notes"
    )
    format = models.CharField(max_length=8, choices=format_choices())
    # {section key: text} for the sections of `format` (see note_formats.FORMATS).
    sections = models.JSONField(default=dict)
    next_session_plan = models.TextField(max_length=4000, blank=True)
    status = models.CharField(max_length=8, choices=NoteStatus.choices, default=NoteStatus.DRAFT)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["client", "status"]),
            # The day asks, on every visit, for its therapist's drafts of clients now seen by
            # someone else (care.queries.draft_elsewhere_day_items): their drafts, not every
            # note they ever wrote (issue 13).
            models.Index(fields=["author", "status"], name="care_note_author_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_format_display()} note ({self.get_status_display()})"

    @property
    def practice_id(self) -> int:
        return self.client.practice_id

    @property
    def is_signed(self) -> bool:
        return self.status == NoteStatus.SIGNED

    def section_items(self) -> list[tuple[str, str]]:
        """(label, text) for each section of this note's format, in order."""
        return [(s.label, self.sections.get(s.key, "")) for s in FORMATS[self.format].sections]


class NoteAddendum(models.Model):
    note = models.ForeignKey(ProgressNote, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=4000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Addendum {self.created_at:%Y-%m-%d}"
