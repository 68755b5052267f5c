"""Treatment plans (versioned), their goals and interventions, intervention reviews, homework.

Status changes follow one table per model below; services.py applies them and writes the
audit rows. A plan version, once published, is never edited: editing starts a new draft that
copies the goals and interventions into new rows linked to their predecessors (`previous`),
so every earlier version stays as it was.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from continuum.care.models import Client, Episode
from continuum.encryption import EncryptedTextField
from continuum.measures.instruments import UnknownInstrument, get_instrument
from continuum.plans.catalogue import plain_description, technique_name

FOCUS_MAX_LENGTH = 2000
GOAL_STATEMENT_MAX_LENGTH = 500
RATIONALE_MAX_LENGTH = 2000
CUSTOM_TECHNIQUE_MAX_LENGTH = 200
REVIEW_TEXT_MAX_LENGTH = 2000
HOMEWORK_TITLE_MAX_LENGTH = 200
HOMEWORK_WHY_MAX_LENGTH = 500
HOMEWORK_NOTE_MAX_LENGTH = 2000

RATING_MIN = 0
RATING_MAX = 10


class PlanError(ValueError):
    """A change the current state does not allow. The message is safe to show (no PHI)."""


def _check(table: dict[str, tuple[str, ...]], what: str, current: str, target: str) -> str:
    if target not in table.get(current, ()):
        raise PlanError(f"A {what} that is {current.replace('_', ' ')} cannot become {target}.")
    return target


# --- Plans ----------------------------------------------------------------------------------


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    CURRENT = "current", "Current"
    SUPERSEDED = "superseded", "Superseded"


# The one table of plan status changes: a draft is published (becomes current); publishing
# the next version supersedes the current one. A superseded version never changes again.
PLAN_TRANSITIONS: dict[str, tuple[str, ...]] = {
    PlanStatus.DRAFT: (PlanStatus.CURRENT,),
    PlanStatus.CURRENT: (PlanStatus.SUPERSEDED,),
    PlanStatus.SUPERSEDED: (),
}


def check_plan_transition(current: str, target: str) -> str:
    return _check(PLAN_TRANSITIONS, "plan", current, target)


class TreatmentPlan(models.Model):
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="treatment_plans")
    # Denormalised from the episode: access checks, the portal and the day filter on it.
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="treatment_plans")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    focus = models.TextField(max_length=FOCUS_MAX_LENGTH)
    review_date = models.DateField(null=True, blank=True)
    # The version this draft was copied from (None for the first version).
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    client_acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["client", "status"]),
            # plan_reviews_due: current plans by review date.
            models.Index(fields=["status", "review_date"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["episode", "version"], name="plan_version_unique"),
            models.UniqueConstraint(
                fields=["episode"],
                condition=models.Q(status="current"),
                name="plan_one_current_per_episode",
            ),
            models.UniqueConstraint(
                fields=["episode"],
                condition=models.Q(status="draft"),
                name="plan_one_draft_per_episode",
            ),
        ]

    def __str__(self) -> str:
        return f"Treatment plan v{self.version} ({self.get_status_display()})"

    @property
    def practice_id(self) -> int:
        return self.client.practice_id

    @property
    def is_draft(self) -> bool:
        return self.status == PlanStatus.DRAFT

    @property
    def is_current(self) -> bool:
        return self.status == PlanStatus.CURRENT


# --- Goals ----------------------------------------------------------------------------------


class TargetKind(models.TextChoices):
    INSTRUMENT = "instrument", "A score on a questionnaire"
    RATING = "rating", "A 0-10 goal rating"


class Comparison(models.TextChoices):
    BELOW = "below", "below"
    AT_OR_ABOVE = "at_or_above", "at or above"


class GoalStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ACHIEVED = "achieved", "Achieved"
    DROPPED = "dropped", "Dropped"


def _number(value: float) -> str:
    return f"{value:g}"


class Goal(models.Model):
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="goals")
    # In the client's own words.
    statement = models.CharField(max_length=GOAL_STATEMENT_MAX_LENGTH)
    target_kind = models.CharField(max_length=16, choices=TargetKind.choices)
    # Instrument targets: a code of continuum.measures.instruments.INSTRUMENTS, a comparison
    # and a number on the scale as people read it (WHO-5 in %). Rating targets: the comparison
    # is "at or above" and the number is 0-10.
    instrument = models.CharField(max_length=32, blank=True)
    comparison = models.CharField(max_length=16, choices=Comparison.choices)
    target_value = models.FloatField()
    target_date = models.DateField()
    status = models.CharField(max_length=16, choices=GoalStatus.choices, default=GoalStatus.ACTIVE)
    # The same goal in the plan version this one was copied from.
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(target_kind="instrument") | ~models.Q(instrument=""),
                name="goal_instrument_target_names_instrument",
            ),
        ]

    def __str__(self) -> str:
        return f"Goal ({self.get_status_display()})"

    @property
    def practice_id(self) -> int:
        return self.plan.practice_id

    @property
    def instrument_name(self) -> str:
        try:
            return get_instrument(self.instrument).name
        except UnknownInstrument:
            return self.instrument

    def _unit(self) -> str:
        try:
            return get_instrument(self.instrument).display_unit
        except UnknownInstrument:
            return ""

    @property
    def target_text(self) -> str:
        """ "PHQ-9 below 10", "WHO-5 at or above 52%", "a goal rating of 7 or more"."""
        if self.target_kind == TargetKind.RATING:
            return f"a goal rating of {_number(self.target_value)} or more (out of 10)"
        unit = self._unit()
        words = Comparison(self.comparison).label
        return f"{self.instrument_name} {words} {_number(self.target_value)}{unit}"

    @property
    def plain_target(self) -> str:
        """The target as the client reads it in the portal."""
        if self.target_kind == TargetKind.RATING:
            return f"You rate this goal {_number(self.target_value)} or more out of 10"
        unit = self._unit()
        words = "under" if self.comparison == Comparison.BELOW else "at least"
        return (
            f"Your score on the {self.instrument_name} questionnaire is {words} "
            f"{_number(self.target_value)}{unit}"
        )

    def is_met_by(self, value: float) -> bool:
        """Whether a score (on the displayed scale) meets this goal's target."""
        if self.comparison == Comparison.BELOW:
            return value < self.target_value
        return value >= self.target_value


# --- Interventions and their reviews --------------------------------------------------------


class InterventionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ADAPTED = "adapted", "Adapted"
    STOPPED = "stopped", "Stopped"


# An active intervention is adapted (a new version replaces it) or stopped; both are final.
INTERVENTION_TRANSITIONS: dict[str, tuple[str, ...]] = {
    InterventionStatus.ACTIVE: (InterventionStatus.ADAPTED, InterventionStatus.STOPPED),
    InterventionStatus.ADAPTED: (),
    InterventionStatus.STOPPED: (),
}


def check_intervention_transition(current: str, target: str) -> str:
    return _check(INTERVENTION_TRANSITIONS, "intervention", current, target)


class Intervention(models.Model):
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="interventions")
    # A key of plans.catalogue.CATALOGUE, or "other" with `custom_technique` filled in.
    technique = models.CharField(max_length=40)
    custom_technique = models.CharField(max_length=CUSTOM_TECHNIQUE_MAX_LENGTH, blank=True)
    rationale = models.TextField(max_length=RATIONALE_MAX_LENGTH)
    start_date = models.DateField()
    status = models.CharField(
        max_length=16, choices=InterventionStatus.choices, default=InterventionStatus.ACTIVE
    )
    # The intervention this one evolved from (a review decided to adapt it).
    adapted_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="adaptations"
    )
    # The same intervention in the plan version this one was copied from.
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    goals = models.ManyToManyField(Goal, blank=True, related_name="interventions")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"Intervention ({self.get_status_display()})"

    @property
    def practice_id(self) -> int:
        return self.plan.practice_id

    @property
    def name(self) -> str:
        return technique_name(self.technique, self.custom_technique)

    @property
    def plain(self) -> str:
        return plain_description(self.technique)

    @property
    def is_active(self) -> bool:
        return self.status == InterventionStatus.ACTIVE


class Decision(models.TextChoices):
    KEEP = "keep", "Keep"
    ADAPT = "adapt", "Adapt"
    STOP = "stop", "Stop"


class InterventionReview(models.Model):
    intervention = models.ForeignKey(Intervention, on_delete=models.CASCADE, related_name="reviews")
    reviewed_on = models.DateField()
    what_happened = models.TextField(max_length=REVIEW_TEXT_MAX_LENGTH)
    client_response = models.TextField(max_length=REVIEW_TEXT_MAX_LENGTH)
    decision = models.CharField(max_length=8, choices=Decision.choices)
    reason = models.TextField(max_length=REVIEW_TEXT_MAX_LENGTH)
    # "adapt": the new version this review created.
    result = models.OneToOneField(
        Intervention,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="caused_by",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The scores the decision was made against (measures.queries.ScoresSince.as_stored, one
    # per measure since the intervention started): ids, dates, totals, change, reliable change.
    scores = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["reviewed_on", "pk"]
        constraints = [
            models.CheckConstraint(
                # Only an "adapt" review creates a new version (the service always sets it).
                condition=models.Q(decision="adapt") | models.Q(result__isnull=True),
                name="review_result_only_when_adapted",
            ),
        ]

    def __str__(self) -> str:
        return f"Review {self.reviewed_on:%Y-%m-%d} ({self.get_decision_display()})"

    @property
    def practice_id(self) -> int:
        return self.intervention.practice_id


# --- Homework -------------------------------------------------------------------------------


class HomeworkStatus(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    DONE = "done", "Done"
    PARTLY = "partly", "Partly done"
    NOT_DONE = "not_done", "Not done"
    CANCELLED = "cancelled", "Cancelled"


REPORTED = (HomeworkStatus.DONE, HomeworkStatus.PARTLY, HomeworkStatus.NOT_DONE)

# The client reports an assigned task (and may correct the report); the therapist may cancel a
# task nobody has reported on yet.
HOMEWORK_TRANSITIONS: dict[str, tuple[str, ...]] = {
    HomeworkStatus.ASSIGNED: (*REPORTED, HomeworkStatus.CANCELLED),
    HomeworkStatus.DONE: REPORTED,
    HomeworkStatus.PARTLY: REPORTED,
    HomeworkStatus.NOT_DONE: REPORTED,
    HomeworkStatus.CANCELLED: (),
}


def check_homework_transition(current: str, target: str) -> str:
    return _check(HOMEWORK_TRANSITIONS, "task", current, target)


class Homework(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="homework")
    episode = models.ForeignKey(
        Episode, null=True, blank=True, on_delete=models.SET_NULL, related_name="homework"
    )
    title = models.CharField(max_length=HOMEWORK_TITLE_MAX_LENGTH)
    # Why: a goal or an intervention of the plan, and/or a sentence.
    goal = models.ForeignKey(
        Goal, null=True, blank=True, on_delete=models.SET_NULL, related_name="homework"
    )
    intervention = models.ForeignKey(
        Intervention, null=True, blank=True, on_delete=models.SET_NULL, related_name="homework"
    )
    why = models.CharField(max_length=HOMEWORK_WHY_MAX_LENGTH, blank=True)
    due_date = models.DateField()
    status = models.CharField(
        max_length=16, choices=HomeworkStatus.choices, default=HomeworkStatus.ASSIGNED
    )
    # The client's own words: encrypted at rest.
    client_note = EncryptedTextField(max_length=HOMEWORK_NOTE_MAX_LENGTH, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["client", "-due_date"]),
            # overdue_homework: open tasks by due date.
            models.Index(fields=["status", "due_date"]),
        ]

    def __str__(self) -> str:
        return f"Homework due {self.due_date:%Y-%m-%d} ({self.get_status_display()})"

    @property
    def practice_id(self) -> int:
        return self.client.practice_id

    @property
    def is_open(self) -> bool:
        return self.status == HomeworkStatus.ASSIGNED

    @property
    def is_reported(self) -> bool:
        return self.status in REPORTED

    @property
    def why_text(self) -> str:
        """Why the task was set, in one line: the linked goal or intervention, then the text."""
        parts = []
        if self.goal_id is not None and self.goal is not None:
            parts.append(f"Goal: {self.goal.statement}")
        if self.intervention_id is not None and self.intervention is not None:
            parts.append(f"Part of: {self.intervention.name}")
        if self.why:
            parts.append(self.why)
        return " · ".join(parts)
