"""Forms for episodes of care: their details and status changes."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from continuum.accounts.once import SubmissionKeyField
from continuum.care.forms.clients import (
    REFERRAL_REASON_MAX_LENGTH,
    DateInput,
    validate_calendar_date,
)

END_BEFORE_START = "The end date cannot be before the start date."


class EpisodeForm(forms.Form):
    """Referral reason and dates. The status changes only through a transition."""

    submission_key = SubmissionKeyField()  # sent twice, it takes effect once

    referral_reason = forms.CharField(
        label="Referral reason",
        max_length=REFERRAL_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Why the client was referred or got in touch.",
    )
    start_date = forms.DateField(
        label="Start date", widget=DateInput(), validators=[validate_calendar_date]
    )
    end_date = forms.DateField(
        label="End date",
        required=False,
        widget=DateInput(),
        validators=[validate_calendar_date],
        help_text="Leave empty while the episode continues; ending it fills this in.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start is not None and end is not None and end < start:
            self.add_error("end_date", ValidationError(END_BEFORE_START, code="end_before_start"))
        return cleaned

    def episode_details(self) -> dict[str, Any]:
        return {
            "referral_reason": self.cleaned_data["referral_reason"],
            "start_date": self.cleaned_data["start_date"],
            "end_date": self.cleaned_data.get("end_date"),
        }


class TransitionForm(forms.Form):
    """A status change. Whether the change is legal is the service's decision."""

    status = forms.CharField(
        max_length=32, error_messages={"required": "Choose the episode's next status."}
    )
    end_date = forms.DateField(
        label="End date",
        required=False,
        widget=DateInput(),
        validators=[validate_calendar_date],
    )
    unplanned = forms.BooleanField(label="The ending was unplanned", required=False)
    # Where to go afterwards: the episode page (default) or the client page.
    return_to = forms.ChoiceField(
        required=False, choices=[("episode", "episode"), ("client", "client")]
    )

    def __init__(self, *args: Any, start_date: date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start_date = start_date

    def clean_end_date(self) -> date | None:
        end: date | None = self.cleaned_data.get("end_date")
        if end is not None and self.start_date is not None and end < self.start_date:
            raise ValidationError(END_BEFORE_START, code="end_before_start")
        return end
