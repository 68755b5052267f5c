"""Endings: the client's readiness questionnaire, the termination plan and its referrals, the
unplanned-ending record (reach-out letter, closing note) and the relapse-prevention plan.

Every free text that may hold something about the client is encrypted at rest
(EncryptedTextField). Status changes of the episode itself happen only in
care.services.episodes.transition_episode; endings/services.py calls it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from continuum.care.models import Appointment, Client, Episode
from continuum.encryption import EncryptedTextField

READINESS_MIN, READINESS_MAX = 0, 10
WORRIES_MAX = 2000
REASON_OTHER_MAX = 500
REFERRAL_FIELD_MAX = 200
REFERRAL_REASON_MAX = 1000
LETTER_MAX = 6000
CLOSING_NOTE_MAX = 4000
RELAPSE_FIELD_MAX = 3000


# --- The client's own view of ending ---------------------------------------------------------


class ReadinessRequest(models.Model):
    """The therapist asks the client, in the portal, how ready they feel to finish."""

    episode = models.ForeignKey(
        Episode, on_delete=models.CASCADE, related_name="readiness_requests"
    )
    # Denormalised from the episode: the portal looks requests up by the logged-in client.
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    # "How ready do you feel to finish?" 0 (not at all) to 10 (completely).
    readiness = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(READINESS_MIN), MaxValueValidator(READINESS_MAX)],
    )
    # "What worries you about ending?" in the client's own words.
    worries = EncryptedTextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["client", "answered_at"])]
        constraints = [
            # One open question at a time: sending again while unanswered changes nothing.
            models.UniqueConstraint(
                fields=["episode"],
                condition=models.Q(answered_at__isnull=True),
                name="readiness_one_open_per_episode",
            ),
            models.CheckConstraint(
                condition=models.Q(readiness__isnull=True)
                | models.Q(readiness__gte=READINESS_MIN, readiness__lte=READINESS_MAX),
                name="readiness_0_10",
            ),
            models.CheckConstraint(
                condition=models.Q(answered_at__isnull=True) | models.Q(readiness__isnull=False),
                name="readiness_answer_has_rating",
            ),
        ]

    def __str__(self) -> str:
        return f"Readiness request {self.pk}"

    @property
    def practice_id(self) -> int:
        return self.client.practice_id

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None


# --- Planned termination ---------------------------------------------------------------------


class EndingReason(models.TextChoices):
    GOALS_MET = "goals_met", "Goals met"
    MUTUAL = "mutual", "Mutual decision"
    CLIENT_CHOICE = "client_choice", "Client's choice"
    THERAPIST_REFERRAL = "therapist_referral", "Therapist-initiated, with referrals"
    MOVING = "moving", "Moving away"
    OTHER = "other", "Other"


# The reason as the client reads it in the portal and in their summary (never the free text of
# "other", which the therapist wrote for the record).
CLIENT_REASON_WORDS: dict[str, str] = {
    EndingReason.GOALS_MET: "You have reached the goals we set together.",
    EndingReason.MUTUAL: "We decided together that it is a good time to finish.",
    EndingReason.CLIENT_CHOICE: "You chose to finish therapy.",
    EndingReason.THERAPIST_REFERRAL: (
        "Your therapist thinks another service can now help you more, and has suggested "
        "where to go next."
    ),
    EndingReason.MOVING: "You are moving away.",
    EndingReason.OTHER: "For the reasons you talked about together.",
}


class TerminationPlan(models.Model):
    """A planned ending, agreed with the client (one per episode; changes bump `version`)."""

    episode = models.OneToOneField(
        Episode, on_delete=models.CASCADE, related_name="termination_plan"
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=24, choices=EndingReason.choices)
    reason_other = EncryptedTextField(blank=True)
    final_session_date = models.DateField()
    # The pre-termination discussion (APA Ethics Code 10.10).
    ending_discussed = models.BooleanField(default=False)
    feelings_explored = models.BooleanField(default=False)
    gains_reviewed = models.BooleanField(default=False)
    referrals_offered = models.BooleanField(default=False)
    # The tapering schedule as agreed: [{"weeks": 1, "count": 2}, {"weeks": 2, "count": 2}].
    tapering = models.JSONField(default=list, blank=True)
    # The sessions the tapering schedule booked.
    appointments = models.ManyToManyField(Appointment, blank=True, related_name="+")
    # Each change makes a new version; the client accepts a version they have read.
    version = models.PositiveIntegerField(default=1)
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    agreed_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    client_accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_version = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Termination plan v{self.version}"

    @property
    def practice_id(self) -> int:
        return self.client.practice_id

    @property
    def client_reason(self) -> str:
        return CLIENT_REASON_WORDS[self.reason]

    @property
    def accepted(self) -> bool:
        """Whether the client accepted this version (a later change needs accepting again)."""
        return self.client_accepted_at is not None and self.accepted_version == self.version

    @property
    def checklist(self) -> list[tuple[str, bool]]:
        return [
            ("Ending discussed with the client", self.ending_discussed),
            ("Feelings about ending explored", self.feelings_explored),
            ("Gains reviewed together", self.gains_reviewed),
            ("Referrals offered where needed", self.referrals_offered),
        ]

    @property
    def tapering_text(self) -> str:
        """ "2 weekly, then 2 fortnightly, then 1 after four weeks"."""
        return tapering_words(self.tapering)


def tapering_words(rows: list[dict[str, int]]) -> str:
    parts = []
    for row in rows:
        weeks, count = int(row.get("weeks", 0)), int(row.get("count", 0))
        if count <= 0:
            continue
        if weeks == 1:
            every = "weekly"
        elif weeks == 2:
            every = "fortnightly"
        else:
            every = f"{weeks} weeks apart"
        parts.append(f"{count} {every}")
    return ", then ".join(parts)


class Referral(models.Model):
    """Another provider suggested to the client at the ending (planned or not)."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="ending_referrals")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    # Who and where: a service's details, not the client's.
    name = models.CharField(max_length=REFERRAL_FIELD_MAX)
    service = models.CharField(max_length=REFERRAL_FIELD_MAX, blank=True)
    contact = models.CharField(max_length=REFERRAL_FIELD_MAX, blank=True)
    # Why this service, for this client: about the client, so encrypted.
    reason = EncryptedTextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["episode", "created_at"])]

    def __str__(self) -> str:
        return f"Referral {self.pk}"

    @property
    def practice_id(self) -> int:
        return self.client.practice_id


# --- Unplanned ending ------------------------------------------------------------------------


class UnplannedEnding(models.Model):
    """The reach-out letter and closing note of an episode that ends without a plan."""

    episode = models.OneToOneField(
        Episode, on_delete=models.CASCADE, related_name="unplanned_ending"
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    letter = EncryptedTextField(blank=True)
    closing_note = EncryptedTextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"Unplanned ending {self.pk}"

    @property
    def practice_id(self) -> int:
        return self.client.practice_id


# --- Relapse prevention ----------------------------------------------------------------------


class RelapsePreventionPlan(models.Model):
    """One version of a client's relapse-prevention plan, written with the client.

    It belongs to the client, not the episode: it stays (and stays visible in the portal)
    after the episode ends. Each save is a new version; the newest is the plan.
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="relapse_plans")
    # The episode it was written in, if any.
    episode = models.ForeignKey(
        Episode, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField()
    warning_signs = EncryptedTextField(blank=True)
    what_helps = EncryptedTextField(blank=True)
    contacts = EncryptedTextField(blank=True)
    booster_when = EncryptedTextField(blank=True)
    shared_with_client = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["client", "version"], name="relapse_plan_version"),
        ]

    def __str__(self) -> str:
        return f"Relapse-prevention plan v{self.version}"

    @property
    def practice_id(self) -> int:
        return self.client.practice_id

    @property
    def sections(self) -> list[tuple[str, str, str]]:
        """(key, heading, text) in the order the plan reads."""
        return [
            ("warning_signs", "Early warning signs", self.warning_signs),
            ("what_helps", "What helps", self.what_helps),
            ("contacts", "People and services to contact", self.contacts),
            ("booster_when", "When to reach out for a booster session", self.booster_when),
        ]
