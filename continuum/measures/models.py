"""Measurement-based care in the practice: assignments, administrations, alerts, curves.

Scoring, reliable change and trajectories are plain Python in scoring.py / trajectories.py;
these models store what happened (who answered what, when, and the engine's verdict) and the
alerts it raised. Status changes live in one table per model below and go through
services.py / alerts.py, which write the audit rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from continuum.accounts.models import Practice
from continuum.care.models import Appointment, Client, Episode
from continuum.measures.instruments import UnknownInstrument, get_instrument


class InvalidStatusChange(ValueError):
    """A status change that the current status does not allow (message is safe to show)."""


def instrument_name(code: str) -> str:
    """ "PHQ-9" for "phq9"; the code itself for an instrument no longer in the catalogue."""
    try:
        return get_instrument(code).name
    except UnknownInstrument:
        return code


class Cadence(models.TextChoices):
    ONCE = "once", "Once"
    EVERY_SESSION = "every_session", "Every session"
    WEEKLY = "weekly", "Weekly"
    FORTNIGHTLY = "fortnightly", "Fortnightly"
    MONTHLY = "monthly", "Monthly"


class MeasureAssignment(models.Model):
    """A therapist's request that a client complete a measure, once or on a schedule."""

    episode = models.ForeignKey(
        Episode, on_delete=models.CASCADE, related_name="measure_assignments"
    )
    instrument = models.CharField(max_length=32)
    cadence = models.CharField(max_length=16, choices=Cadence.choices, default=Cadence.ONCE)
    starts_on = models.DateField()
    # Required for scheduled measures (a schedule always has an end); empty for "once".
    ends_on = models.DateField(null=True, blank=True)
    # goal_rating only: the goals to rate (the assign form offers the current plan's goals).
    goal_labels = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["episode", "active"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(cadence="once") | models.Q(ends_on__isnull=False),
                name="assignment_schedule_has_end",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="assignment_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.get_cadence_display().lower()}"

    @property
    def instrument_name(self) -> str:
        return instrument_name(self.instrument)


class AdministrationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    COMPLETED = "completed", "Completed"
    SUPERSEDED = "superseded", "Superseded"
    EXPIRED = "expired", "Expired"


A = AdministrationStatus

# The one table of administration status changes.
#   pending → completed    answered (by link or in session)
#   pending → expired      its assignment stopped, or a later one of the schedule was completed
#   completed → superseded a correction replaced it (answers are never edited)
ADMINISTRATION_TRANSITIONS: dict[str, tuple[str, ...]] = {
    A.PENDING: (A.COMPLETED, A.EXPIRED),
    A.COMPLETED: (A.SUPERSEDED,),
    A.SUPERSEDED: (),
    A.EXPIRED: (),
}


def check_administration_transition(current: str, target: str) -> str:
    if target not in ADMINISTRATION_TRANSITIONS.get(current, ()):
        raise InvalidStatusChange(
            f"A {A(current).label.lower()} questionnaire cannot become {A(target).label.lower()}."
        )
    return target


class Administration(models.Model):
    """One completion (or pending request) of one instrument by one client."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="administrations")
    # Denormalised from the episode: access checks and the client page filter on it.
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="administrations")
    assignment = models.ForeignKey(
        MeasureAssignment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="administrations",
    )
    # "every_session" schedules: the appointment this one belongs to.
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    instrument = models.CharField(max_length=32)
    instrument_version = models.CharField(max_length=32)
    # goal_rating only: the goals as they were worded when this was asked.
    goal_labels = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=16, choices=AdministrationStatus.choices, default=AdministrationStatus.PENDING
    )
    due_at = models.DateTimeField()
    # Overdue once this passes without a completion.
    window_ends_at = models.DateTimeField()
    # {item key: answer score or None}, exactly as given; never edited after completion.
    answers = models.JSONField(default=dict, blank=True)
    total = models.FloatField(null=True, blank=True)
    band = models.CharField(max_length=32, blank=True)
    caseness = models.BooleanField(null=True, blank=True)
    safety = models.BooleanField(default=False)
    # A safety item (PHQ-9 item 9, CORE-10 item 6) left blank: the therapist is asked to ask
    # it at the next contact until a later answer or a dismissal with a reason settles it.
    safety_unanswered = models.BooleanField(default=False)
    safety_prompt_dismissed_at = models.DateTimeField(null=True, blank=True)
    safety_prompt_dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    safety_prompt_dismiss_reason = models.TextField(max_length=500, blank=True)
    prorated = models.BooleanField(default=False)
    # Why there is no total (too many missing answers), from the scoring engine.
    reason = models.CharField(max_length=200, blank=True)
    # Attended appointments of the episode up to the completion (for expected curves).
    session_number = models.PositiveSmallIntegerField(null=True, blank=True)
    # The therapist who entered it in session; null when the client completed it by link.
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    # Brought in from a CSV of past scores (exchange's scores import), not answered here: no
    # alerts were raised for it, but it counts as a baseline for reliable change (CLINICAL.md).
    imported = models.BooleanField(default=False)
    supersedes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    correction_reason = models.TextField(max_length=500, blank=True)
    # One-time link: a random nonce (rotated when a new link is issued, which voids the old
    # one) and the instant the link was issued (the token's timestamp, so the page can show
    # the same link again until it expires).
    token_nonce = models.CharField(max_length=64, blank=True)
    link_issued_at = models.DateTimeField(null=True, blank=True)
    token_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # The client page: every administration of a client, by instrument and time.
            models.Index(fields=["client", "instrument", "completed_at"]),
            # Baselines and outcomes: completed administrations of an episode.
            models.Index(fields=["episode", "instrument", "status"]),
            # raise_overdue_alerts: pending administrations whose window has passed.
            models.Index(fields=["status", "window_ends_at"]),
            # A client's completed scores in time order (FHIR search and the bulk export, one
            # query for many clients): without it SQLite walked every completed score of the
            # practice through the index above (3 s a therapist's export, docs/performance.md).
            models.Index(
                fields=["client", "status", "completed_at"], name="administration_client_done"
            ),
            # recompute_curves (trajectories.episode_series): one instrument's completed
            # scores; without it each instrument's query walked every completed score, even
            # for instruments nobody used (docs/performance.md).
            models.Index(fields=["instrument", "status", "episode"]),
            # The day's tier 2 (unanswered_safety_items): only the few scores whose safety
            # item is blank and still waiting; without it the day walked every completed score
            # of the practice (about 450 ms a request with 1,000 clients, docs/performance.md).
            models.Index(
                fields=["client"],
                name="administration_safety_blank",
                condition=models.Q(safety_unanswered=True, safety_prompt_dismissed_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_ends_at__gte=models.F("due_at")),
                name="administration_window_after_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} ({self.get_status_display()})"

    @property
    def practice_id(self) -> int:
        return self.client.practice_id

    @property
    def is_pending(self) -> bool:
        return self.status == AdministrationStatus.PENDING

    @property
    def is_overdue(self) -> bool:
        return self.is_pending and self.window_ends_at < timezone.now()

    @property
    def instrument_name(self) -> str:
        return instrument_name(self.instrument)

    @property
    def total_display(self) -> str:
        """The total as a person reads it ("18", "48%"), or "" without one."""
        if self.total is None:
            return ""
        try:
            return get_instrument(self.instrument).display(self.total)
        except UnknownInstrument:
            return f"{self.total:g}"

    @property
    def by_link(self) -> bool:
        return self.completed_at is not None and self.entered_by_id is None


class AlertKind(models.TextChoices):
    SAFETY = "safety", "Safety"
    DETERIORATION = "deterioration", "Reliable deterioration"
    NOT_ON_TRACK = "not_on_track", "Not on track"
    OVERDUE = "overdue", "Overdue"


class Severity(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


# Lower sorts first: the alerts list shows the most severe first.
SEVERITY_RANK = {Severity.HIGH: 0, Severity.MEDIUM: 1, Severity.LOW: 2}


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class AlertResolution(models.TextChoices):
    """How a resolved alert came to be resolved (empty while it is open or acknowledged, and
    on alerts resolved before this was recorded)."""

    BY_THERAPIST = "by_therapist", "Resolved by the therapist"
    COMPLETED = "completed", "The questionnaire was completed"
    NO_LONGER_CURRENT = "no_longer_current", "No longer current"
    NOT_RELEVANT = "not_relevant", "Closed as no longer relevant"


# The one table of alert status changes. A resolved alert stays resolved; a new cause raises
# a new alert.
ALERT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    AlertStatus.OPEN: (AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED),
    AlertStatus.ACKNOWLEDGED: (AlertStatus.RESOLVED,),
    AlertStatus.RESOLVED: (),
}


def check_alert_transition(current: str, target: str) -> str:
    if target not in ALERT_TRANSITIONS.get(current, ()):
        raise InvalidStatusChange(
            f"An alert that is {AlertStatus(current).label.lower()} cannot become "
            f"{AlertStatus(target).label.lower()}."
        )
    return target


class SafetyAction(models.TextChoices):
    CONTACTED_CLIENT = "contacted_client", "Contacted the client"
    SAFETY_PLAN_REVIEWED = "safety_plan_reviewed", "Reviewed the safety plan"
    EMERGENCY_SERVICES = "emergency_services", "Contacted emergency services"
    OTHER = "other", "Other (describe)"


class Alert(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="measure_alerts")
    episode = models.ForeignKey(
        Episode, null=True, blank=True, on_delete=models.CASCADE, related_name="measure_alerts"
    )
    administration = models.ForeignKey(
        Administration, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    # Denormalised SEVERITY_RANK so the list sorts in the database (0 = high).
    severity_rank = models.PositiveSmallIntegerField(default=2)
    status = models.CharField(max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    # What raised it ("safety:admin:12", "overdue:admin:40"): one alert per cause, ever.
    cause = models.CharField(max_length=120)
    # One sentence with the numbers, built from instrument data (never the client's words).
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    action = models.CharField(max_length=24, choices=SafetyAction.choices, blank=True)
    action_note = models.TextField(max_length=1000, blank=True)
    resolution = models.CharField(max_length=24, choices=AlertResolution.choices, blank=True)
    # "No longer current": the newer score that no longer met the alert's condition.
    closed_by_administration = models.ForeignKey(
        Administration, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The latest evidence for it: a newer score that still met its condition, or the
    # therapist keeping it ("still relevant"). Null: its own score (created_at). An alert with
    # no evidence for settings.CONTINUUM_ALERT_STALE_AFTER is shown as stale.
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The alerts list: a therapist's clients' alerts by status, most severe, newest.
            models.Index(fields=["client", "status", "severity_rank", "-created_at"]),
            models.Index(fields=["status", "severity_rank", "-created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["client", "kind", "cause"], name="alert_one_per_cause"),
            models.CheckConstraint(
                condition=~models.Q(kind="safety", status="resolved") | ~models.Q(action=""),
                name="safety_alert_resolved_with_action",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} alert ({self.get_status_display()})"

    @property
    def practice_id(self) -> int:
        return self.client.practice_id

    @property
    def needs_action(self) -> bool:
        return self.kind == AlertKind.SAFETY


class ExpectedCurves(models.Model):
    """Expected recovery curves for one instrument, recomputed from a practice's episodes.

    A practice without a row uses the engine's shipped defaults
    (continuum/measures/data/default_curves.json); `practice` null is a defaults override for
    the whole installation.
    """

    practice = models.ForeignKey(
        Practice, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    instrument = models.CharField(max_length=32)
    curves = models.JSONField()
    n_episodes = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["practice", "instrument", "-computed_at"])]

    def __str__(self) -> str:
        return f"Expected curves for {self.instrument} ({self.n_episodes} episodes)"
