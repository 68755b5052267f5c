"""The practice settings form (the owner's): name, country, time zone, crisis resources and
the default contact policy."""

from __future__ import annotations

from typing import Any

from django import forms

from continuum.accounts.models import Country, Practice
from continuum.boundaries import policy
from continuum.care.forms.clients import time_zone_choices
from continuum.lib import crisis

NAME_MAX = 200
CRISIS_TEXT_MAX = 2000


class PracticeSettingsForm(forms.Form):
    name = forms.CharField(label="Practice name", max_length=NAME_MAX)
    country = forms.ChoiceField(
        label="Country",
        choices=[("", "Not said (international crisis numbers)"), *Country.choices],
        required=False,
        help_text="While you list no crisis resources below, clients see the built-in ones "
        "for this country.",
    )
    time_zone = forms.ChoiceField(label="Time zone", choices=time_zone_choices)
    crisis_resources = forms.CharField(
        label="Crisis resources, in the order clients see them",
        required=False,
        max_length=CRISIS_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="One a line: a name, the phone number or text, and if you like the hours or a "
        "web address, separated by “|”. For example: Samaritans | 116 123 | any time. "
        "Leave blank for the built-in ones. A therapist's own list (their contact policy) "
        "comes first for their clients.",
    )
    default_messages_in_therapy = forms.BooleanField(
        label="Clients in therapy can send portal messages", required=False
    )
    default_messages_after_therapy = forms.BooleanField(
        label="Clients after therapy can send portal messages", required=False
    )
    default_hours_start = forms.TimeField(
        label="Working day starts",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Enter a time like 09:00."},
    )
    default_hours_end = forms.TimeField(
        label="Working day ends",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Enter a time like 17:00."},
    )
    default_response_time_hours = forms.IntegerField(
        label="Reply within (hours)",
        min_value=policy.MIN_RESPONSE_HOURS,
        max_value=policy.MAX_RESPONSE_HOURS,
        error_messages={
            "min_value": f"At least {policy.MIN_RESPONSE_HOURS} hour.",
            "max_value": f"At most {policy.MAX_RESPONSE_HOURS} hours (two weeks).",
        },
    )

    def clean_name(self) -> str:
        name = str(self.cleaned_data["name"]).strip()
        if not name:
            raise forms.ValidationError("Give the practice a name.")
        return name

    def clean_crisis_resources(self) -> str:
        """Strict: every line a resource, stored in one form ("name | contact | detail")."""
        try:
            found = crisis.parse_resources(str(self.cleaned_data.get("crisis_resources") or ""))
        except crisis.CrisisResourceError as error:
            raise forms.ValidationError(str(error)) from None
        text = "\n".join(resource.line for resource in found)
        if len(text) > CRISIS_TEXT_MAX:
            raise forms.ValidationError(
                f"Please keep the list to {CRISIS_TEXT_MAX:,} characters or fewer."
            )
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("default_hours_start"), data.get("default_hours_end")
        if start is not None and end is not None and end <= start:
            self.add_error("default_hours_end", "The working day must end after it starts.")
        return data

    @classmethod
    def initial_for(cls, practice: Practice) -> dict[str, Any]:
        return {name: getattr(practice, name) for name in cls.base_fields}
