"""Forms: assigning a measure, answering a questionnaire, correcting, filtering and resolving
alerts. Forms parse and check; services.py and alerts.py do the writing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from continuum.accounts.once import SubmissionKeyField
from continuum.care.forms.clients import validate_calendar_date
from continuum.measures import scoring
from continuum.measures.instruments import INSTRUMENTS, Instrument
from continuum.measures.models import AlertStatus, Cadence, SafetyAction
from continuum.measures.services import (
    MAX_GOALS,
    MAX_REASON_LENGTH,
    MAX_SCHEDULE_DAYS,
    MeasureError,
    clean_goal_labels,
)

ITEM_PREFIX = "item_"
GOAL_RATING = "goal_rating"
NO_PLAN_GOALS = (
    "This episode's treatment plan has no goals yet. Add goals to the treatment plan first, "
    "or type the goals here, one per line."
)


class AssignForm(forms.Form):
    submission_key = SubmissionKeyField()  # sent twice, it takes effect once
    instrument = forms.ChoiceField(
        label="Measure",
        choices=[(code, inst.title) for code, inst in INSTRUMENTS.items()],
    )
    cadence = forms.ChoiceField(label="How often", choices=Cadence.choices, initial=Cadence.ONCE)
    starts_on = forms.DateField(
        label="First due on",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_calendar_date],
    )
    ends_on = forms.DateField(
        label="Last due on",
        required=False,
        validators=[validate_calendar_date],
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=f"Needed for a schedule; at most {MAX_SCHEDULE_DAYS} days after the first.",
    )
    goals = forms.CharField(
        label="Goals to rate",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"For the goal rating only: one goal per line, 1 to {MAX_GOALS}.",
    )

    def __init__(self, *args: Any, plan_goals: Sequence[str] = (), **kwargs: Any) -> None:
        """`plan_goals`: the statements of the episode's current plan's active goals
        (plans.queries.active_goal_statements), offered as the goals to rate."""
        super().__init__(*args, **kwargs)
        self.plan_goals = list(plan_goals)
        goals = self.fields["goals"]
        if self.plan_goals:
            goals.initial = "\n".join(self.plan_goals)
            goals.help_text = (
                "For the goal rating only: the treatment plan's goals, in the client's words. "
                f"Edit them if needed; one goal per line, 1 to {MAX_GOALS}."
            )
        else:
            goals.help_text = f"For the goal rating only. {NO_PLAN_GOALS}"

    def clean_starts_on(self) -> date:
        starts_on: date = self.cleaned_data["starts_on"]
        if starts_on < timezone.localdate():
            raise forms.ValidationError("Choose today or a later date.")
        return starts_on

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        cadence, starts_on, ends_on = (
            data.get("cadence"),
            data.get("starts_on"),
            data.get("ends_on"),
        )
        if cadence == Cadence.ONCE:
            data["ends_on"] = None
        elif cadence and starts_on:
            if ends_on is None:
                self.add_error("ends_on", "A schedule needs the date of its last questionnaire.")
            elif ends_on < starts_on:
                self.add_error("ends_on", "The last date cannot be before the first.")
            elif ends_on - starts_on > timedelta(days=MAX_SCHEDULE_DAYS):
                self.add_error("ends_on", f"At most {MAX_SCHEDULE_DAYS} days after the first.")
        if data.get("instrument") == GOAL_RATING:
            typed = str(data.get("goals") or "")
            if not typed.strip() and not self.plan_goals:
                self.add_error("goals", NO_PLAN_GOALS)
                return data
            try:
                data["goal_labels"] = clean_goal_labels(typed)
            except MeasureError as error:
                self.add_error("goals", str(error))
        else:
            data["goal_labels"] = []
        return data


def _choice_label(option_value: int, label: str) -> str:
    return f"{option_value} \N{EN DASH} {label}" if label else str(option_value)


class QuestionnaireForm(forms.Form):
    """One radio group per item of `instrument`; unanswered items are allowed up to the
    instrument's missing-item rule (beyond it the answers are stored without a total)."""

    def __init__(self, instrument: Instrument, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for item in instrument.items:
            # Scales with unlabelled points (0-10, WSAS) show the number with any label.
            numeric = any(not o.label for o in item.options)
            self.fields[f"{ITEM_PREFIX}{item.key}"] = forms.TypedChoiceField(
                label=item.wording,
                choices=[
                    (o.value, _choice_label(o.value, o.label) if numeric else o.label)
                    for o in item.options
                ],
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
                help_text=item.help_text,
            )

    def item_fields(self) -> list[tuple[Any, Any]]:
        """(item, bound field) pairs for the template."""
        return [(item, self[f"{ITEM_PREFIX}{item.key}"]) for item in self.instrument.items]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        known = set(self.fields)
        unknown = [k for k in (self.data or {}) if k.startswith(ITEM_PREFIX) and k not in known]
        if unknown:
            raise forms.ValidationError(
                "The answers included a question that is not on this form; reload the page "
                "and try again."
            )
        if self.errors:
            return data
        answers = self.answers_from(data)
        try:
            self.score = scoring.score(self.instrument, answers)
        except scoring.ScoringError as error:
            raise forms.ValidationError(f"These answers cannot be scored: {error}.") from None
        data["answers"] = answers
        return data

    def answers_from(self, data: dict[str, Any]) -> dict[str, int | None]:
        return {item.key: data.get(f"{ITEM_PREFIX}{item.key}") for item in self.instrument.items}


class CorrectionForm(QuestionnaireForm):
    def __init__(self, instrument: Instrument, *args: Any, **kwargs: Any) -> None:
        super().__init__(instrument, *args, **kwargs)
        self.fields["reason"] = forms.CharField(
            label="Reason for the correction",
            max_length=MAX_REASON_LENGTH,
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text="Kept with the record; the original answers stay visible as superseded.",
            error_messages={"required": "Say why the answers are being corrected."},
        )

    def clean_reason(self) -> str:
        reason = str(self.cleaned_data.get("reason", "")).strip()
        if not reason:
            raise forms.ValidationError("Say why the answers are being corrected.")
        return reason


class DismissSafetyPromptForm(forms.Form):
    reason = forms.CharField(
        label="Why it does not need asking",
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example: asked by phone, the answer was 0; the risk is already "
        "being managed.",
        error_messages={"required": "Say why the safety question does not need asking."},
    )

    def clean_reason(self) -> str:
        reason = str(self.cleaned_data.get("reason", "")).strip()
        if not reason:
            raise forms.ValidationError("Say why the safety question does not need asking.")
        return reason


class StaleReviewForm(forms.Form):
    choice = forms.ChoiceField(
        choices=(("keep", "Keep it"), ("close", "Close it")),
        error_messages={
            "required": "Choose to keep or to close the alert.",
            "invalid_choice": "Choose to keep or to close the alert.",
        },
    )


class AlertFilterForm(forms.Form):
    """?status=open|acknowledged|resolved|all; anything else falls back to the default.

    "open" is what still needs the therapist, acknowledged ones included
    (queries.open_alerts); "acknowledged" narrows it to those already seen.
    """

    STATUS_CHOICES = (*AlertStatus.choices, ("all", "All"))
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)

    def status_value(self) -> str:
        if self.is_valid() and self.cleaned_data.get("status"):
            return str(self.cleaned_data["status"])
        return AlertStatus.OPEN


class ResolveForm(forms.Form):
    action = forms.ChoiceField(
        label="What was done",
        choices=SafetyAction.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    action_note = forms.CharField(
        label="Details",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed when the action is “Other”.",
    )

    def __init__(self, *args: Any, safety: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.safety = safety
        self.fields["action"].required = safety
        if safety:
            self.fields["action"].error_messages["required"] = (
                "Record what was done before resolving a safety alert."
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("action") == SafetyAction.OTHER
            and not str(data.get("action_note", "")).strip()
        ):
            self.add_error("action_note", "Describe what was done.")
        return data
