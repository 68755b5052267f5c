"""Forms for writing, filtering and marking reflections addressed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from continuum.accounts.once import SubmissionKeyField
from continuum.care.models import Appointment, Client
from continuum.reflections.models import ADDRESSED_NOTE_MAX_LENGTH, TEXT_MAX_LENGTH, ReflectionKind
from continuum.reflections.services import ADDRESSABLE_STATUSES


def _too_long(limit: int) -> str:
    return f"Keep this to {limit:,} characters or fewer (it has %(show_value)d)."


class AppointmentChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """One of the client's appointments, labelled by its local date and status."""

    def label_from_instance(self, obj: Any) -> str:
        starts = timezone.localtime(obj.starts_at)
        return f"{starts:%a} {starts.day} {starts:%b %Y, %H:%M} ({obj.get_status_display()})"


def client_appointments(client: Client) -> Any:
    return Appointment.objects.filter(client=client).order_by("-starts_at", "-pk")


class ReflectionForm(forms.Form):
    submission_key = SubmissionKeyField()  # sent twice, it takes effect once
    kind = forms.ChoiceField(
        label="Kind",
        choices=[("", "Choose a kind…"), *ReflectionKind.choices],
        error_messages={
            "required": "Choose what kind of reflection this is.",
            "invalid_choice": "Choose one of the kinds in the list.",
        },
    )
    text = forms.CharField(
        label="Reflection",
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=(
            f"Up to {TEXT_MAX_LENGTH:,} characters. Only you can read this: not the client, "
            "not the practice owner, not a colleague."
        ),
        error_messages={
            "required": "Write the reflection before saving it.",
            "max_length": _too_long(TEXT_MAX_LENGTH),
        },
    )
    appointment = AppointmentChoiceField(
        label="About the session",
        queryset=Appointment.objects.none(),
        required=False,
        empty_label="Not about a particular session",
        error_messages={"invalid_choice": "Choose one of this client's sessions, or none."},
    )
    bring_to_next_session = forms.BooleanField(
        label="Bring this to the next session", required=False
    )

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["appointment"]
        assert isinstance(field, AppointmentChoiceField)
        field.queryset = client_appointments(client)


class AddressForm(forms.Form):
    appointment = AppointmentChoiceField(
        label="Addressed in the session",
        queryset=Appointment.objects.none(),
        required=False,
        empty_label="Not in a session",
        help_text="The latest attended session is chosen for you.",
        error_messages={
            "invalid_choice": "Choose one of this client's attended or scheduled sessions."
        },
    )
    note = forms.CharField(
        label="How it was addressed",
        required=False,
        max_length=ADDRESSED_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"Optional; up to {ADDRESSED_NOTE_MAX_LENGTH:,} characters. Private to you.",
        error_messages={"max_length": _too_long(ADDRESSED_NOTE_MAX_LENGTH)},
    )

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["appointment"]
        assert isinstance(field, AppointmentChoiceField)
        field.queryset = client_appointments(client).filter(status__in=ADDRESSABLE_STATUSES)


SHOW_ALL = "all"
SHOW_TO_BRING = "to_bring"
SHOW_ADDRESSED = "addressed"
SHOW_CHOICES = [
    (SHOW_ALL, "All reflections"),
    (SHOW_TO_BRING, "To bring to the next session"),
    (SHOW_ADDRESSED, "Addressed"),
]
QUERY_MAX_LENGTH = 200


class ReflectionFilterForm(forms.Form):
    """Query-string filters; anything outside these allow-lists is a 400, never a query."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=QUERY_MAX_LENGTH,
        widget=forms.TextInput(attrs={"type": "search"}),
        error_messages={"max_length": f"Search for {QUERY_MAX_LENGTH} characters or fewer."},
    )
    kind = forms.ChoiceField(
        label="Kind",
        required=False,
        choices=[("", "All kinds"), *ReflectionKind.choices],
        error_messages={"invalid_choice": "“%(value)s” is not a kind of reflection."},
    )
    show = forms.ChoiceField(
        label="Show",
        required=False,
        choices=SHOW_CHOICES,
        error_messages={"invalid_choice": "“%(value)s” is not one of the choices."},
    )

    def clean_show(self) -> str:
        return str(self.cleaned_data.get("show") or SHOW_ALL)
