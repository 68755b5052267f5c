"""Follow-up after therapy: the client's consent, the check-ins it schedules, booster requests.

Free text written by the client ("How are you doing?", the reason for a booster) and the
therapist's referral are encrypted at rest. Status fields change only in services.py, along
the tables below.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from continuum.care.models import Appointment, Client, Episode
from continuum.encryption import EncryptedTextField
from continuum.measures.models import Administration

TEXT_MAX = 2000


class Scope(models.TextChoices):
    QUESTIONNAIRES = "questionnaires", "Check-ins with a short questionnaire (PHQ-9 and GAD-7)"
    CHECKINS_ONLY = "checkins_only", "Check-ins only (“How are you doing?”)"


class ConsentStatus(models.TextChoices):
    OFFERED = "offered", "Offered"
    DECLINED = "declined", "Declined"
    ACTIVE = "active", "Active"
    WITHDRAWN = "withdrawn", "Withdrawn"
    EXPIRED = "expired", "Ended"
    # Care was re-opened: the follow-up gave way to a new episode.
    SUPERSEDED = "superseded", "Ended (care re-opened)"


CS = ConsentStatus

# The one table of consent status changes.
CONSENT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    CS.OFFERED: (CS.ACTIVE, CS.DECLINED),
    CS.ACTIVE: (CS.WITHDRAWN, CS.EXPIRED, CS.SUPERSEDED),
    CS.DECLINED: (),
    CS.WITHDRAWN: (),
    CS.EXPIRED: (),
    CS.SUPERSEDED: (),
}
ENDED_STATUSES = (CS.WITHDRAWN, CS.EXPIRED, CS.SUPERSEDED)


class FollowUpConsent(models.Model):
    """The client's consent to follow-up check-ins after an episode ended.

    Recorded by the therapist with the client, or offered by the therapist and accepted by
    the client in the portal. `months` is the schedule (months after the episode's end date);
    `starts_on`..`ends_on` is the stated period; nothing is asked or received outside it.
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="followup_consents")
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="followup_consents")
    status = models.CharField(max_length=16, choices=ConsentStatus.choices)
    months = models.JSONField(default=list)
    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.QUESTIONNAIRES)
    starts_on = models.DateField()
    ends_on = models.DateField()
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    offered_at = models.DateTimeField(null=True, blank=True)
    # The therapist who recorded it with the client; empty when the client opted in online.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    consented_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["client", "-created_at"]),
            models.Index(fields=["status", "ends_on"]),
        ]
        constraints = [
            # At most one offer or active consent per episode at a time.
            models.UniqueConstraint(
                fields=["episode"],
                condition=models.Q(status__in=["offered", "active"]),
                name="followup_one_live_consent_per_episode",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="followup_consent_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"Follow-up consent ({self.get_status_display()})"

    @property
    def practice_id(self) -> int:
        return self.client.practice_id

    @property
    def is_active(self) -> bool:
        return self.status == CS.ACTIVE

    @property
    def has_questionnaires(self) -> bool:
        return self.scope == Scope.QUESTIONNAIRES

    @property
    def months_display(self) -> str:
        return ", ".join(str(m) for m in self.months)


class CheckInStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    ANSWERED = "answered", "Answered"
    MISSED = "missed", "Missed"
    CANCELLED = "cancelled", "Cancelled"


CIS = CheckInStatus

# scheduled → answered (the client answered), missed (a later one came due first),
# cancelled (the consent ended before it was answered).
CHECKIN_TRANSITIONS: dict[str, tuple[str, ...]] = {
    CIS.SCHEDULED: (CIS.ANSWERED, CIS.MISSED, CIS.CANCELLED),
    CIS.ANSWERED: (),
    CIS.MISSED: (),
    CIS.CANCELLED: (),
}


class FollowUpCheckIn(models.Model):
    """One scheduled follow-up occasion (e.g. 3 months after the end) and its answer."""

    consent = models.ForeignKey(FollowUpConsent, on_delete=models.CASCADE, related_name="checkins")
    # Denormalised from the consent: access checks and the therapist's day filter on them.
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="followup_checkins")
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="followup_checkins")
    number = models.PositiveSmallIntegerField()
    months = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    status = models.CharField(max_length=16, choices=CheckInStatus.choices, default=CIS.SCHEDULED)
    how_are_you = EncryptedTextField(blank=True)
    administrations = models.ManyToManyField(Administration, blank=True, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    # Why this answer needs the therapist's attention: structural codes such as
    # "deterioration:phq9", "caseness:gad7", "safety:phq9" (never the client's words).
    flags = models.JSONField(default=list, blank=True)
    seen_at = models.DateTimeField(null=True, blank=True)
    seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "number"]
        indexes = [
            models.Index(fields=["status", "due_on"]),
            models.Index(fields=["client", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["consent", "number"], name="followup_checkin_number"),
        ]

    def __str__(self) -> str:
        return f"Follow-up check-in at {self.months} months ({self.get_status_display()})"

    @property
    def practice_id(self) -> int:
        return self.client.practice_id

    @property
    def is_answered(self) -> bool:
        return self.status == CIS.ANSWERED

    @property
    def flagged(self) -> bool:
        return bool(self.flags)

    @property
    def flag_descriptions(self) -> list[str]:
        return [describe_flag(code) for code in self.flags]

    @property
    def label(self) -> str:
        return f"{self.months}-month follow-up"


def describe_flag(code: str) -> str:
    """ "deterioration:phq9" → "PHQ-9 reliably worse than at the end of therapy"."""
    from continuum.measures.models import instrument_name

    kind, _, instrument = code.partition(":")
    name = instrument_name(instrument) if instrument else "a questionnaire"
    return {
        "deterioration": f"{name} reliably worse than at the end of therapy",
        "caseness": f"{name} at caseness again",
        "safety": f"a safety answer on {name}",
    }.get(kind, code)


class BoosterStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    BOOKED = "booked", "Booked"
    DECLINED = "declined", "Declined with a referral"


BOOSTER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    BoosterStatus.REQUESTED: (BoosterStatus.BOOKED, BoosterStatus.DECLINED),
    BoosterStatus.BOOKED: (),
    BoosterStatus.DECLINED: (),
}


class BoosterRequest(models.Model):
    """A client's request for a booster session during follow-up, and the therapist's answer."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="booster_requests")
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="booster_requests")
    # The follow-up answer that offered it, when it came from one.
    checkin = models.ForeignKey(
        FollowUpCheckIn,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="booster_requests",
    )
    reason = EncryptedTextField(blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=16, choices=BoosterStatus.choices, default=BoosterStatus.REQUESTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    referral = EncryptedTextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["client", "status"])]
        constraints = [
            # One open request at a time: a second tap finds the first.
            models.UniqueConstraint(
                fields=["client"],
                condition=models.Q(status="requested"),
                name="followup_one_open_booster_request",
            ),
        ]

    def __str__(self) -> str:
        return f"Booster request ({self.get_status_display()})"

    @property
    def practice_id(self) -> int:
        return self.client.practice_id

    @property
    def is_open(self) -> bool:
        return self.status == BoosterStatus.REQUESTED
