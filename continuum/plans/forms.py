"""Forms for plans, goals, interventions, reviews and homework (therapist and portal)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from continuum.accounts.once import SubmissionKeyField
from continuum.care.forms.clients import DateInput, validate_calendar_date
from continuum.measures.instruments import INSTRUMENTS, get_instrument
from continuum.plans.catalogue import OTHER, technique_choices
from continuum.plans.models import (
    CUSTOM_TECHNIQUE_MAX_LENGTH,
    FOCUS_MAX_LENGTH,
    GOAL_STATEMENT_MAX_LENGTH,
    HOMEWORK_NOTE_MAX_LENGTH,
    HOMEWORK_TITLE_MAX_LENGTH,
    HOMEWORK_WHY_MAX_LENGTH,
    RATING_MAX,
    RATING_MIN,
    RATIONALE_MAX_LENGTH,
    REVIEW_TEXT_MAX_LENGTH,
    Comparison,
    Decision,
    Goal,
    GoalStatus,
    Homework,
    HomeworkStatus,
    Intervention,
    TargetKind,
    TreatmentPlan,
)


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _textarea(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def instrument_choices() -> list[tuple[str, str]]:
    """Questionnaires a goal can target: the fixed instruments (goal ratings have their own)."""
    return [("", "Choose a questionnaire")] + [
        (code, inst.name) for code, inst in INSTRUMENTS.items() if not inst.dynamic
    ]


class PlanForm(forms.Form):
    submission_key = SubmissionKeyField()  # sent twice, it takes effect once
    focus = forms.CharField(
        label="Problems and focus areas",
        max_length=FOCUS_MAX_LENGTH,
        widget=_textarea(5),
        help_text="What the work is about, as you and the client agreed it.",
    )
    review_date = forms.DateField(
        label="Review the plan by",
        widget=DateInput(),
        validators=[validate_calendar_date],
        help_text="A reminder appears on your day from this date.",
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_review_date(self) -> date:
        value: date = self.cleaned_data["review_date"]
        if value < self.today:
            raise ValidationError("The review date cannot be in the past.", code="past")
        return value


class GoalForm(forms.Form):
    submission_key = SubmissionKeyField()  # sent twice, it takes effect once
    statement = forms.CharField(
        label="Goal, in the client's own words",
        max_length=GOAL_STATEMENT_MAX_LENGTH,
        widget=_textarea(2),
    )
    target_kind = forms.ChoiceField(
        label="How we will know", choices=TargetKind.choices, initial=TargetKind.INSTRUMENT
    )
    instrument = forms.ChoiceField(
        label="Questionnaire", choices=instrument_choices, required=False
    )
    comparison = forms.ChoiceField(
        label="Score should be", choices=Comparison.choices, required=False
    )
    target_value = forms.FloatField(
        label="Target score",
        required=False,
        help_text="On the scale as it is shown (WHO-5 in %).",
    )
    target_rating = forms.IntegerField(
        label="Target goal rating (0 to 10)",
        required=False,
        min_value=RATING_MIN,
        max_value=RATING_MAX,
        help_text="Met when the client rates the goal this high or higher.",
    )
    target_date = forms.DateField(
        label="Target date", widget=DateInput(), validators=[validate_calendar_date]
    )
    status = forms.ChoiceField(label="Status", choices=GoalStatus.choices, initial="active")

    def __init__(self, *args: Any, episode_start: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.episode_start = episode_start

    def clean_target_date(self) -> date:
        value: date = self.cleaned_data["target_date"]
        if value < self.episode_start:
            raise ValidationError(
                "The target date cannot be before the episode started (%(start)s).",
                code="before_episode",
                params={"start": _day(self.episode_start)},
            )
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("target_kind")
        if kind == TargetKind.INSTRUMENT:
            self._clean_instrument_target(cleaned)
        elif (
            kind == TargetKind.RATING
            and cleaned.get("target_rating") is None
            and "target_rating" not in self.errors
        ):
            self.add_error("target_rating", "Enter the rating (0 to 10) that meets the goal.")
        return cleaned

    def _clean_instrument_target(self, cleaned: dict[str, Any]) -> None:
        code = cleaned.get("instrument")
        if not code:
            if "instrument" not in self.errors:
                self.add_error("instrument", "Choose the questionnaire the target is on.")
            return
        if not cleaned.get("comparison"):
            self.add_error("comparison", "Say whether the score should be below or at or above.")
        value = cleaned.get("target_value")
        if value is None:
            if "target_value" not in self.errors:
                self.add_error("target_value", "Enter the target score.")
            return
        inst = get_instrument(code)
        low, high = inst.min_total * inst.factor, inst.max_total * inst.factor
        unit = inst.display_unit
        if not low <= value <= high:
            self.add_error(
                "target_value",
                ValidationError(
                    "%(name)s scores run from %(low)s to %(high)s.",
                    code="out_of_range",
                    params={
                        "name": inst.name,
                        "low": f"{low:g}{unit}",
                        "high": f"{high:g}{unit}",
                    },
                ),
            )
        elif cleaned.get("comparison") == Comparison.BELOW and value <= low:
            self.add_error(
                "target_value",
                ValidationError(
                    "No %(name)s score is below %(low)s.",
                    code="unreachable",
                    params={"name": inst.name, "low": f"{low:g}{unit}"},
                ),
            )

    def goal_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        if data["target_kind"] == TargetKind.RATING:
            target: dict[str, Any] = {
                "instrument": "",
                "comparison": Comparison.AT_OR_ABOVE,
                "target_value": float(data["target_rating"]),
            }
        else:
            target = {
                "instrument": data["instrument"],
                "comparison": data["comparison"],
                "target_value": float(data["target_value"]),
            }
        return {
            "statement": data["statement"],
            "target_kind": data["target_kind"],
            "target_date": data["target_date"],
            "status": data["status"],
            **target,
        }

    @staticmethod
    def initial_for(goal: Goal) -> dict[str, Any]:
        rating = goal.target_kind == TargetKind.RATING
        return {
            "statement": goal.statement,
            "target_kind": goal.target_kind,
            "instrument": goal.instrument,
            "comparison": goal.comparison,
            "target_value": None if rating else goal.target_value,
            "target_rating": int(goal.target_value) if rating else None,
            "target_date": goal.target_date,
            "status": goal.status,
        }


class GoalChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.statement)


class _TechniqueMixin:
    """Clean a (technique, free-text technique) pair of fields named `<prefix>technique`."""

    def _clean_technique(
        self, cleaned: dict[str, Any], technique: str, custom: str, *, required: bool
    ) -> None:
        chosen = cleaned.get(technique)
        form: Any = self
        if not chosen:
            if required and technique not in form.errors:
                form.add_error(technique, "Choose a technique from the catalogue, or “Other”.")
            return
        if chosen == OTHER and not (cleaned.get(custom) or "").strip():
            form.add_error(custom, "Describe the technique when it is not in the catalogue.")


class InterventionForm(_TechniqueMixin, forms.Form):
    submission_key = SubmissionKeyField()  # sent twice, it takes effect once
    technique = forms.ChoiceField(label="Technique", choices=technique_choices)
    custom_technique = forms.CharField(
        label="Technique, if not in the catalogue",
        max_length=CUSTOM_TECHNIQUE_MAX_LENGTH,
        required=False,
    )
    rationale = forms.CharField(
        label="Rationale", max_length=RATIONALE_MAX_LENGTH, widget=_textarea(4)
    )
    start_date = forms.DateField(
        label="Start date", widget=DateInput(), validators=[validate_calendar_date]
    )
    goals = GoalChoiceField(
        label="Goals it serves",
        queryset=Goal.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, plan: TreatmentPlan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.episode_start = plan.episode.start_date
        goals_field: Any = self.fields["goals"]
        goals_field.queryset = Goal.objects.filter(plan=plan).order_by("pk")

    def clean_start_date(self) -> date:
        value: date = self.cleaned_data["start_date"]
        if value < self.episode_start:
            raise ValidationError(
                "The start date cannot be before the episode started (%(start)s).",
                code="before_episode",
                params={"start": _day(self.episode_start)},
            )
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._clean_technique(cleaned, "technique", "custom_technique", required=True)
        return cleaned

    def intervention_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "technique": data["technique"],
            "custom_technique": data["custom_technique"].strip(),
            "rationale": data["rationale"],
            "start_date": data["start_date"],
            "goals": list(data["goals"]),
        }

    @staticmethod
    def initial_for(intervention: Intervention) -> dict[str, Any]:
        return {
            "technique": intervention.technique,
            "custom_technique": intervention.custom_technique,
            "rationale": intervention.rationale,
            "start_date": intervention.start_date,
            "goals": list(intervention.goals.all()),
        }


class ReviewForm(_TechniqueMixin, forms.Form):
    submission_key = SubmissionKeyField()  # sent twice, it takes effect once
    reviewed_on = forms.DateField(
        label="Date of the review", widget=DateInput(), validators=[validate_calendar_date]
    )
    what_happened = forms.CharField(
        label="What happened", max_length=REVIEW_TEXT_MAX_LENGTH, widget=_textarea(3)
    )
    client_response = forms.CharField(
        label="How the client responded", max_length=REVIEW_TEXT_MAX_LENGTH, widget=_textarea(3)
    )
    decision = forms.ChoiceField(
        label="Decision", choices=[("", "Choose keep, adapt or stop"), *Decision.choices]
    )
    reason = forms.CharField(label="Why", max_length=REVIEW_TEXT_MAX_LENGTH, widget=_textarea(3))
    new_technique = forms.ChoiceField(
        label="New version: technique",
        choices=lambda: [("", "Only when adapting"), *technique_choices()],
        required=False,
    )
    new_custom_technique = forms.CharField(
        label="New version: technique, if not in the catalogue",
        max_length=CUSTOM_TECHNIQUE_MAX_LENGTH,
        required=False,
    )
    new_rationale = forms.CharField(
        label="New version: what changes and why",
        max_length=RATIONALE_MAX_LENGTH,
        widget=_textarea(3),
        required=False,
    )

    def __init__(self, *args: Any, intervention: Intervention, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.started = intervention.start_date
        self.today = today

    def clean_reviewed_on(self) -> date:
        value: date = self.cleaned_data["reviewed_on"]
        if value > self.today:
            raise ValidationError("A review cannot be dated in the future.", code="future")
        if value < self.started:
            raise ValidationError(
                "A review cannot be dated before the intervention started (%(start)s).",
                code="before_start",
                params={"start": _day(self.started)},
            )
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("decision") == Decision.ADAPT:
            self._clean_technique(cleaned, "new_technique", "new_custom_technique", required=True)
            if not (cleaned.get("new_rationale") or "").strip() and (
                "new_rationale" not in self.errors
            ):
                self.add_error("new_rationale", "Describe the new version: what changes and why.")
        return cleaned

    def review_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        adapt = data["decision"] == Decision.ADAPT
        return {
            "reviewed_on": data["reviewed_on"],
            "what_happened": data["what_happened"],
            "client_response": data["client_response"],
            "decision": data["decision"],
            "reason": data["reason"],
            "new_technique": data["new_technique"] if adapt else "",
            "new_custom_technique": data["new_custom_technique"].strip() if adapt else "",
            "new_rationale": data["new_rationale"] if adapt else "",
        }


class HomeworkForm(forms.Form):
    submission_key = SubmissionKeyField()  # sent twice, it takes effect once
    title = forms.CharField(
        label="What",
        max_length=HOMEWORK_TITLE_MAX_LENGTH,
        help_text="The task, as the client sees it.",
    )
    link = forms.ChoiceField(label="Linked to", required=False)
    why = forms.CharField(
        label="Why",
        max_length=HOMEWORK_WHY_MAX_LENGTH,
        required=False,
        widget=_textarea(2),
        help_text="Link a goal or an intervention, write a reason, or both.",
    )
    due_date = forms.DateField(
        label="Due date", widget=DateInput(), validators=[validate_calendar_date]
    )

    def __init__(
        self,
        *args: Any,
        goals: list[Goal],
        interventions: list[Intervention],
        earliest_due: date,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.earliest_due = earliest_due
        self.targets: dict[str, Goal | Intervention] = {}
        for goal in goals:
            self.targets[f"goal:{goal.pk}"] = goal
        for intervention in interventions:
            self.targets[f"intervention:{intervention.pk}"] = intervention
        link: Any = self.fields["link"]
        link.choices = [
            ("", "Nothing (say why below)"),
            *((f"goal:{g.pk}", f"Goal: {g.statement[:80]}") for g in goals),
            *((f"intervention:{i.pk}", f"Intervention: {i.name[:80]}") for i in interventions),
        ]

    def clean_due_date(self) -> date:
        value: date = self.cleaned_data["due_date"]
        if value < self.earliest_due:
            raise ValidationError(
                "The due date cannot be before %(day)s.",
                code="too_early_due",
                params={"day": _day(self.earliest_due)},
            )
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        unexplained = not cleaned.get("link") and not (cleaned.get("why") or "").strip()
        if unexplained and "why" not in self.errors and "link" not in self.errors:
            self.add_error("why", "Link a goal or an intervention, or say why.")
        return cleaned

    def homework_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        target = self.targets.get(data["link"] or "")
        return {
            "title": data["title"],
            "due_date": data["due_date"],
            "why": data["why"].strip(),
            "goal": target if isinstance(target, Goal) else None,
            "intervention": target if isinstance(target, Intervention) else None,
        }

    @staticmethod
    def initial_for(homework: Homework) -> dict[str, Any]:
        link = ""
        if homework.goal_id is not None:
            link = f"goal:{homework.goal_id}"
        elif homework.intervention_id is not None:
            link = f"intervention:{homework.intervention_id}"
        return {
            "title": homework.title,
            "due_date": homework.due_date,
            "why": homework.why,
            "link": link,
        }


REPORT_CHOICES = [
    (HomeworkStatus.DONE.value, "Done"),
    (HomeworkStatus.PARTLY.value, "Partly done"),
    (HomeworkStatus.NOT_DONE.value, "Not done"),
]


class HomeworkReportForm(forms.Form):
    status = forms.ChoiceField(
        label="How did it go?",
        choices=REPORT_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose done, partly done or not done."},
    )
    note = forms.CharField(
        label="Anything you want to add (optional)",
        max_length=HOMEWORK_NOTE_MAX_LENGTH,
        required=False,
        widget=_textarea(3),
    )
