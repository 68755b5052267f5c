"""Forms: agreeing follow-up, the client's check-in, booster requests and decisions,
re-opening care. Forms parse and check; services.py decides and writes."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from continuum.accounts.once import SubmissionKeyField
from continuum.care.forms.clients import REFERRAL_REASON_MAX_LENGTH, validate_calendar_date
from continuum.followup import schedule
from continuum.followup.models import TEXT_MAX, Scope
from continuum.followup.services import Terms


class ConsentForm(forms.Form):
    submission_key = SubmissionKeyField()  # sent twice, it takes effect once
    RECORD = "record"
    OFFER = "offer"

    how = forms.ChoiceField(
        label="How the client agrees",
        choices=[
            (RECORD, "The client agreed with me: record their consent now"),
            (OFFER, "Offer it in the portal: the client opts in there"),
        ],
        initial=RECORD,
        widget=forms.RadioSelect,
        error_messages={"required": "Say how the client agrees."},
    )
    months = forms.CharField(
        label="Check-ins, in months after the end of therapy",
        max_length=60,
        help_text="Separated by commas, like 1, 3, 6, 12.",
    )
    scope = forms.ChoiceField(
        label="Each check-in includes",
        choices=Scope.choices,
        initial=Scope.QUESTIONNAIRES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what each check-in includes."},
    )
    ends_on = forms.DateField(
        label="Follow-up ends on",
        validators=[validate_calendar_date],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="After this day nothing more is asked or received.",
        error_messages={"invalid": "Enter a date like 2027-03-01."},
    )

    def __init__(self, *args: Any, end_of_therapy: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.end_of_therapy = end_of_therapy

    def clean_months(self) -> list[int]:
        try:
            return schedule.parse_months(self.cleaned_data["months"])
        except schedule.ScheduleError as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        months, ends_on = data.get("months"), data.get("ends_on")
        if months and ends_on:
            try:
                schedule.check_period(self.end_of_therapy, months, ends_on)
            except schedule.ScheduleError as error:
                self.add_error("ends_on", str(error))
        return data

    def terms(self) -> Terms:
        return Terms(
            self.cleaned_data["months"], self.cleaned_data["scope"], self.cleaned_data["ends_on"]
        )


class HowAreYouForm(forms.Form):
    how_are_you = forms.CharField(
        label="How are you doing?",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="In your own words: what has gone well, what has been hard. Only your "
        "therapist reads it.",
    )
    # The check-in this form answers: a second send of the same form finds the first answer.
    checkin = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class BoosterRequestForm(forms.Form):
    submission_key = SubmissionKeyField()  # sent twice, it takes effect once
    reason = forms.CharField(
        label="What would you like to talk about? (optional)",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="A few words help your therapist plan. Only they read it.",
    )
    checkin = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class DeclineForm(forms.Form):
    referral = forms.CharField(
        label="Referral: where the client can get help instead",
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The client sees this. Name a service and how to reach it.",
        error_messages={"required": "Write the referral: where the client can get help instead."},
    )

    def clean_referral(self) -> str:
        text = str(self.cleaned_data.get("referral", "")).strip()
        if not text:
            raise forms.ValidationError(
                "Write the referral: where the client can get help instead."
            )
        return text


class ReopenForm(forms.Form):
    referral_reason = forms.CharField(
        label="Why care is re-opened",
        max_length=REFERRAL_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What brings the client back now.",
    )
    start_date = forms.DateField(
        label="Start date",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[validate_calendar_date],
    )
