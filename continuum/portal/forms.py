"""Forms: the client's check-in, and the therapist's portal settings for a client."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator

from continuum.lib.keys import KEY_PATTERN
from continuum.measures.models import instrument_name
from continuum.portal.models import (
    NOTE_MAX,
    SCALE_MAX,
    SCALE_MIN,
    CheckinCadence,
    HomeworkStatus,
)

SCALE_ERROR = f"Choose a number from {SCALE_MIN} to {SCALE_MAX}."
EXPIRED = "This form has expired. Please fill it in again and send it."


def _scale_field(label: str, help_text: str, *, required: bool) -> forms.TypedChoiceField:
    choices: list[tuple[Any, str]] = [(n, str(n)) for n in range(SCALE_MIN, SCALE_MAX + 1)]
    if not required:
        choices = [("", "Skip"), *choices]
    return forms.TypedChoiceField(
        label=label,
        help_text=help_text,
        choices=choices,
        coerce=int,
        empty_value=None,
        required=required,
        widget=forms.RadioSelect(attrs={"class": "scale"}),
        error_messages={"invalid_choice": SCALE_ERROR, "required": SCALE_ERROR},
    )


class CheckInForm(forms.Form):
    mood = _scale_field(
        "How has your mood been?", "0 is the lowest it gets, 10 is very good.", required=True
    )
    sleep = _scale_field(
        "How have you been sleeping?", "0 is very badly, 10 is very well.", required=False
    )
    energy = _scale_field("How is your energy?", "0 is none at all, 10 is plenty.", required=False)
    homework_status = forms.ChoiceField(
        label="Your homework",
        required=False,
        choices=[("", "Skip"), *HomeworkStatus.choices],
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose one of the answers."},
    )
    note = forms.CharField(
        label="Anything you want me to know before next time",
        required=False,
        max_length=NOTE_MAX,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=f"Optional, up to {NOTE_MAX:,} characters. Only your therapist reads this.",
        error_messages={
            "max_length": f"Please keep this to {NOTE_MAX:,} characters or fewer "
            "(it has %(show_value)d).",
        },
    )
    urgent = forms.BooleanField(
        label="This is urgent",
        required=False,
        help_text="Tick this if you need your therapist to see this soon.",
    )
    idempotency_key = forms.CharField(
        widget=forms.HiddenInput,
        max_length=64,
        validators=[RegexValidator(KEY_PATTERN, EXPIRED)],
        error_messages={"required": EXPIRED},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # A hidden field's error would be invisible beside it: say it at the top instead.
        key_errors = self.errors.pop("idempotency_key", None)
        if key_errors:
            self.add_error(None, EXPIRED)
        return data

    @property
    def key_expired(self) -> bool:
        return EXPIRED in self.non_field_errors()


class PortalSettingsForm(forms.Form):
    checkin_cadence = forms.ChoiceField(
        label="Check-ins",
        choices=CheckinCadence.choices,
        help_text="How often the portal asks the client to check in.",
    )
    shared_measures = forms.MultipleChoiceField(
        label="Progress the client can see",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The client sees their scores and bands for these measures, nothing else.",
        error_messages={"invalid_choice": "Share only measures this client has completed."},
    )

    def __init__(self, *args: Any, shareable: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["shared_measures"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(code, instrument_name(code)) for code in shareable]
