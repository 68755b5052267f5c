"""Forms: the therapist's contact policy (one per phase), messages both ways, and turning a
client's messages off or on."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator

from continuum.boundaries import policy
from continuum.boundaries.models import (
    AFTER_HOURS_REPLY_MAX,
    BODY_MAX,
    CRISIS_RESOURCES_MAX,
    REASON_MAX,
    ContactPolicy,
)
from continuum.lib.keys import KEY_PATTERN

EXPIRED = "This form has expired. Please write your message again and send it."
TIME_FORMAT = "%H:%M"


def _time_field(label: str) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        input_formats=[TIME_FORMAT],
        widget=forms.TimeInput(format=TIME_FORMAT, attrs={"type": "time"}),
        error_messages={"invalid": "Enter a time like 09:00.", "required": "Enter a time."},
    )


class ContactPolicyForm(forms.Form):
    portal_messages_enabled = forms.BooleanField(
        label="Clients can send me portal messages",
        required=False,
        help_text="When off, the portal tells them how to reach the practice instead.",
    )
    working_days = forms.TypedMultipleChoiceField(
        label="Working days",
        choices=[(str(n), name) for n, name in enumerate(policy.WEEKDAYS)],
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one working day.",
            "invalid_choice": "Choose days of the week.",
        },
    )
    working_hours_start = _time_field("Working day starts")
    working_hours_end = _time_field("Working day ends")
    response_time_hours = forms.IntegerField(
        label="I aim to reply within (hours)",
        min_value=policy.MIN_RESPONSE_HOURS,
        max_value=policy.MAX_RESPONSE_HOURS,
        help_text="Counted from when you are next at work. 48 hours is two days.",
        error_messages={
            "required": "Say how soon you aim to reply.",
            "invalid": "Enter a whole number of hours.",
            "min_value": f"At least {policy.MIN_RESPONSE_HOURS} hour.",
            "max_value": f"At most {policy.MAX_RESPONSE_HOURS} hours (two weeks).",
        },
    )
    after_hours_reply = forms.CharField(
        label="Reply shown at once outside your hours",
        max_length=AFTER_HOURS_REPLY_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Clients see it as soon as they send a message outside your working hours.",
        error_messages={
            "required": "Write the reply clients see outside your working hours.",
            "max_length": f"Please keep this to {AFTER_HOURS_REPLY_MAX:,} characters or fewer "
            "(it has %(show_value)d).",
        },
    )
    crisis_resources = forms.CharField(
        label="Crisis resources",
        required=False,
        max_length=CRISIS_RESOURCES_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One per line, for your area. Leave blank to use the practice's.",
        error_messages={
            "max_length": f"Please keep this to {CRISIS_RESOURCES_MAX:,} characters or fewer "
            "(it has %(show_value)d).",
        },
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("working_hours_start"), data.get("working_hours_end")
        if start is not None and end is not None and end <= start:
            self.add_error("working_hours_end", "The working day must end after it starts.")
        return data

    @classmethod
    def initial_for(cls, row: ContactPolicy) -> dict[str, Any]:
        return {
            "portal_messages_enabled": row.portal_messages_enabled,
            "working_days": [str(d) for d in sorted(row.days)],
            "working_hours_start": row.working_hours_start,
            "working_hours_end": row.working_hours_end,
            "response_time_hours": row.response_time_hours,
            "after_hours_reply": row.after_hours_reply,
            "crisis_resources": row.crisis_resources,
        }


class _KeyedForm(forms.Form):
    idempotency_key = forms.CharField(
        widget=forms.HiddenInput,
        max_length=64,
        validators=[RegexValidator(KEY_PATTERN, EXPIRED)],
        error_messages={"required": EXPIRED},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # A hidden field's error would be invisible beside it: say it at the top instead.
        if self.errors.pop("idempotency_key", None):
            self.add_error(None, EXPIRED)
        return data

    @property
    def key_expired(self) -> bool:
        return EXPIRED in self.non_field_errors()


def _body_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=BODY_MAX,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=help_text,
        error_messages={
            "required": "Write your message.",
            "max_length": f"Please keep your message to {BODY_MAX:,} characters or fewer "
            "(it has %(show_value)d).",
        },
    )


class MessageForm(_KeyedForm):
    """The client's message (in the portal)."""

    body = _body_field(
        "Your message", f"Up to {BODY_MAX:,} characters. Only your therapist reads it."
    )
    in_reply_to = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors.pop("in_reply_to", None):
            # Only a tampered form gets here: send it as a new message instead.
            data["in_reply_to"] = None
        return data


class ReplyForm(_KeyedForm):
    """The therapist's message to the client."""

    body = _body_field(
        "Your reply", f"Up to {BODY_MAX:,} characters. The client reads it in the portal."
    )


class MessagingSwitchForm(forms.Form):
    enabled = forms.TypedChoiceField(
        choices=[("off", "Turn off"), ("on", "Turn on")],
        coerce=lambda value: value == "on",
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(
        label="Reason for turning messages off",
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the client's record; the client does not see it.",
        error_messages={
            "max_length": f"Please keep this to {REASON_MAX:,} characters or fewer "
            "(it has %(show_value)d).",
        },
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors.pop("enabled", None):
            self.add_error(None, "Choose whether to turn messages off or on.")
            return data
        if data.get("enabled") is False and not (data.get("reason") or "").strip():
            self.add_error("reason", "Give the reason for turning messages off.")
        return data
