"""Forms for the therapist's wellbeing pages. Bad input re-renders with the reason beside the
field and writes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from continuum.accounts.models import User
from continuum.accounts.once import SubmissionKeyField
from continuum.care.access import clients_for
from continuum.care.forms.clients import validate_calendar_date
from continuum.care.models import Client
from continuum.wellbeing.models import (
    DECIDED_MAX_LENGTH,
    MAX_WEIGHT,
    MIN_WEIGHT,
    PRIVATE_LINE_MAX_LENGTH,
    SELF_REFLECTION_MAX_LENGTH,
    WEIGHT_LABELS,
    WITH_WHOM_MAX_LENGTH,
    ConsultationKind,
)

WEIGHT_CHOICES = [(n, f"{n}: {WEIGHT_LABELS[n]}") for n in range(MIN_WEIGHT, MAX_WEIGHT + 1)]


def _too_long(limit: int) -> str:
    return f"Keep this to {limit:,} characters or fewer (it has %(show_value)d)."


class ClientChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


def own_clients(user: User, current: Client | None = None) -> QuerySet[Client]:
    """The user's clients, and the client already linked (kept even if no longer theirs)."""
    condition = Q(pk__in=clients_for(user).values("pk"))
    if current is not None:
        condition |= Q(pk=current.pk)
    return Client.objects.filter(condition).order_by("last_name", "first_name", "pk")


class WeightForm(forms.Form):
    weight = forms.TypedChoiceField(
        label="How heavy did this session feel?",
        choices=WEIGHT_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose how heavy the session felt, from 1 (light) to 5 (very heavy).",
            "invalid_choice": "Choose a number from 1 (light) to 5 (very heavy).",
        },
    )
    private_line = forms.CharField(
        label="A private line (optional)",
        required=False,
        max_length=PRIVATE_LINE_MAX_LENGTH,
        help_text=f"Up to {PRIVATE_LINE_MAX_LENGTH} characters, for you alone.",
        error_messages={"max_length": _too_long(PRIVATE_LINE_MAX_LENGTH)},
    )


class SelfReflectionForm(forms.Form):
    submission_key = SubmissionKeyField()  # sent twice, it takes effect once
    text = forms.CharField(
        label="Your reflection",
        max_length=SELF_REFLECTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=(
            f"Up to {SELF_REFLECTION_MAX_LENGTH:,} characters. Your own reactions and needs. "
            "Only you can read this: not the practice owner, not a colleague, not a client."
        ),
        error_messages={
            "required": "Write something before saving.",
            "max_length": _too_long(SELF_REFLECTION_MAX_LENGTH),
        },
    )
    client = ClientChoiceField(
        label="About a client (optional)",
        queryset=Client.objects.none(),
        required=False,
        empty_label="Not about a particular client",
        error_messages={"invalid_choice": "Choose one of your own clients, or none."},
    )

    def __init__(self, *args: Any, user: User, current: Client | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["client"]
        assert isinstance(field, ClientChoiceField)
        field.queryset = own_clients(user, current)


class ConsultationForm(forms.Form):
    submission_key = SubmissionKeyField()  # sent twice, it takes effect once
    date = forms.DateField(
        label="Date",
        validators=[validate_calendar_date],
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Give the date of the consultation.",
            "invalid": "Enter a date like 2026-11-18.",
        },
    )
    kind = forms.ChoiceField(
        label="Kind",
        choices=[("", "Choose…"), *ConsultationKind.choices],
        error_messages={
            "required": "Choose supervision or peer consultation.",
            "invalid_choice": "Choose supervision or peer consultation.",
        },
    )
    with_whom = forms.CharField(
        label="With whom",
        max_length=WITH_WHOM_MAX_LENGTH,
        help_text="A name or a group, e.g. “Monday peer group”.",
        error_messages={
            "required": "Say whom you consulted.",
            "max_length": _too_long(WITH_WHOM_MAX_LENGTH),
        },
    )
    decided = forms.CharField(
        label="What was decided",
        required=False,
        max_length=DECIDED_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=(
            f"Up to {DECIDED_MAX_LENGTH:,} characters: the decision, not your reflections "
            "(those belong in a self-reflection)."
        ),
        error_messages={"max_length": _too_long(DECIDED_MAX_LENGTH)},
    )
    client = ClientChoiceField(
        label="Client discussed (optional)",
        queryset=Client.objects.none(),
        required=False,
        empty_label="No particular client",
        error_messages={"invalid_choice": "Choose one of your own clients, or none."},
    )

    def __init__(self, *args: Any, user: User, current: Client | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["client"]
        assert isinstance(field, ClientChoiceField)
        field.queryset = own_clients(user, current)

    def clean_date(self) -> Any:
        value = self.cleaned_data["date"]
        if value > timezone.localdate():
            raise forms.ValidationError(
                "A consultation that has not happened yet cannot be logged."
            )
        return value


class SettingsForm(forms.Form):
    weekly_hours_limit = forms.IntegerField(
        label="My weekly limit, in hours of sessions",
        min_value=1,
        max_value=80,
        error_messages={
            "required": "Give a weekly limit in hours.",
            "min_value": "The limit is at least 1 hour.",
            "max_value": "The limit is at most 80 hours.",
            "invalid": "Give a whole number of hours.",
        },
    )
    weight_threshold = forms.DecimalField(
        label="Suggest a pause when my average session weight is at least",
        min_value=Decimal("1"),
        max_value=Decimal("5"),
        max_digits=2,
        decimal_places=1,
        help_text="From 1 (light) to 5 (very heavy), e.g. 3.5.",
        error_messages={
            "required": "Give a weight from 1 to 5.",
            "min_value": "The weight is at least 1.",
            "max_value": "The weight is at most 5.",
            "invalid": "Give a number like 3.5.",
            "max_decimal_places": "Use at most one decimal place, like 3.5.",
            "max_digits": "Use at most one decimal place, like 3.5.",
        },
    )
    weeks_running = forms.IntegerField(
        label="… or I am over my limit, for this many weeks running",
        min_value=1,
        max_value=8,
        error_messages={
            "required": "Give a number of weeks.",
            "min_value": "At least 1 week.",
            "max_value": "At most 8 weeks.",
            "invalid": "Give a whole number of weeks.",
        },
    )
    heavy_sessions_per_week = forms.IntegerField(
        label="… or I have this many heavy sessions (4 or 5) in one week",
        min_value=1,
        max_value=40,
        error_messages={
            "required": "Give a number of sessions.",
            "min_value": "At least 1 session.",
            "max_value": "At most 40 sessions.",
            "invalid": "Give a whole number of sessions.",
        },
    )
    prompts_enabled = forms.BooleanField(
        label="Show a suggestion on my day when my load stays high", required=False
    )
    digest_opt_in = forms.BooleanField(
        label="Email me a private weekly digest (numbers only, no client names)",
        required=False,
    )
    share_anonymous_aggregates = forms.BooleanField(
        label="Include my numbers in the practice's anonymous averages",
        required=False,
        help_text=(
            "The practice owner sees averages only, never yours alone, and only once at least "
            "five therapists have chosen to share."
        ),
    )
