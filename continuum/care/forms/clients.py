"""Forms for the caseload filters and for adding and editing clients."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from continuum.accounts.once import SubmissionKeyField
from continuum.care.models import Client
from continuum.care.queries import (
    CASELOAD_SORTS,
    CASELOAD_STATUS_FILTERS,
    DEFAULT_SORT,
    STATUS_ALL,
)
from continuum.lib.timezones import all_time_zones

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)
PHONE_CHARACTERS = re.compile(r"[0-9 +\-()]+")
PHONE_MIN_DIGITS = 6
PHONE_MAX_DIGITS = 20
REFERRAL_REASON_MAX_LENGTH = 2000

# The fields a therapist edits; the service accepts exactly these.
CLIENT_FIELDS = (
    "first_name",
    "last_name",
    "preferred_name",
    "pronouns",
    "date_of_birth",
    "email",
    "phone",
    "time_zone",
    "emergency_contact_name",
    "emergency_contact_phone",
)

if TYPE_CHECKING:
    ClientModelForm = forms.ModelForm[Client]
else:  # Django's ModelForm is not subscriptable at run time.
    ClientModelForm = forms.ModelForm

SORT_LABELS = {
    "name": "Name (A to Z)",
    "-name": "Name (Z to A)",
    "last": "Last session (longest ago first)",
    "-last": "Last session (most recent first)",
    "next": "Next appointment (soonest first)",
    "-next": "Next appointment (latest first)",
}


def validate_phone(value: str) -> None:
    if not PHONE_CHARACTERS.fullmatch(value):
        raise ValidationError(
            "Use only digits, spaces and the characters + - ( ) in a phone number.",
            code="phone_characters",
        )
    digits = sum(ch.isdigit() for ch in value)
    if not PHONE_MIN_DIGITS <= digits <= PHONE_MAX_DIGITS:
        raise ValidationError(
            "A phone number has between %(low)d and %(high)d digits.",
            code="phone_length",
            params={"low": PHONE_MIN_DIGITS, "high": PHONE_MAX_DIGITS},
        )


def validate_calendar_date(value: date) -> None:
    """Every form's date fields take days from 1900 to 2999 (issue 18, finding 6): a day at the
    edge of Python's calendar overflows when a service turns it into an instant or adds to it."""
    if value < EARLIEST_DATE:
        raise ValidationError("The date cannot be before 1 January 1900.", code="too_early")
    if value > LATEST_DATE:
        raise ValidationError("The date cannot be after 31 December 2999.", code="too_late")


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(all_time_zones())]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class CaseloadFilterForm(forms.Form):
    """The caseload's query string. Unknown values are errors (the view answers 400)."""

    q = forms.CharField(
        label="Search by name",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    status = forms.ChoiceField(
        label="Episode status",
        required=False,
        choices=list(CASELOAD_STATUS_FILTERS.items()),
        error_messages={
            "invalid_choice": "“%(value)s” is not an episode status filter; choose one from "
            "the list."
        },
    )
    sort = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=[(key, SORT_LABELS[key]) for key in CASELOAD_SORTS],
        error_messages={
            "invalid_choice": "“%(value)s” is not a way to sort the caseload; use one of: "
            + ", ".join(CASELOAD_SORTS)
            + "."
        },
    )

    def clean_status(self) -> str:
        return self.cleaned_data.get("status") or STATUS_ALL

    def clean_sort(self) -> str:
        return self.cleaned_data.get("sort") or DEFAULT_SORT


class ClientForm(ClientModelForm):
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=time_zone_choices,
        help_text="Appointment times are shown to the client in this zone.",
        error_messages={
            "invalid_choice": "“%(value)s” is not a known time zone; choose one from the list."
        },
    )

    date_of_birth = forms.DateField(
        label="Date of birth",
        required=False,
        widget=DateInput(),
        validators=[validate_calendar_date],
    )

    class Meta:
        model = Client
        fields = CLIENT_FIELDS
        labels = {
            "preferred_name": "Preferred name",
            "date_of_birth": "Date of birth",
            "emergency_contact_name": "Emergency contact name",
            "emergency_contact_phone": "Emergency contact phone",
        }
        help_texts = {
            "preferred_name": "The name the client likes to be called, if different.",
            "pronouns": "For example she/her, he/him, they/them.",
        }
        widgets = {
            "date_of_birth": DateInput(),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "emergency_contact_phone": forms.TextInput(
                attrs={"type": "tel", "autocomplete": "off"}
            ),
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name", "preferred_name", "emergency_contact_name"):
            self.fields[name].widget.attrs.setdefault("autocomplete", "off")

    def clean_date_of_birth(self) -> date | None:
        born: date | None = self.cleaned_data.get("date_of_birth")
        if born is None:
            return None
        validate_calendar_date(born)
        if born > timezone.localdate():
            raise ValidationError(
                "The date of birth cannot be in the future.", code="future_birth_date"
            )
        return born

    def clean_phone(self) -> str:
        phone: str = self.cleaned_data.get("phone", "")
        if phone:
            validate_phone(phone)
        return phone

    def clean_emergency_contact_phone(self) -> str:
        phone: str = self.cleaned_data.get("emergency_contact_phone", "")
        if phone:
            validate_phone(phone)
        return phone

    def client_details(self) -> dict[str, Any]:
        """The validated client fields, for the service."""
        return {name: self.cleaned_data[name] for name in CLIENT_FIELDS}


class ClientCreateForm(ClientForm):
    """Adding a client may also open their first episode of care (as a referral)."""

    submission_key = SubmissionKeyField()

    open_episode = forms.BooleanField(
        label="Open a first episode of care (referral)",
        required=False,
    )
    referral_reason = forms.CharField(
        label="Referral reason",
        required=False,
        max_length=REFERRAL_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Why the client was referred or got in touch. Needed to open an episode.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        missing_reason = cleaned.get("open_episode") and not cleaned.get("referral_reason")
        if missing_reason and "referral_reason" not in self.errors:
            self.add_error("referral_reason", "Give a referral reason to open the first episode.")
        return cleaned

    def first_episode_reason(self) -> str | None:
        """The referral reason when a first episode should be opened, else None."""
        if self.cleaned_data.get("open_episode"):
            reason: str = self.cleaned_data["referral_reason"]
            return reason
        return None
