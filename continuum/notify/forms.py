"""The client's reminder preferences form (portal)."""

from __future__ import annotations

from typing import Any

from django import forms

from continuum.lib.timezones import all_time_zones


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(all_time_zones())]


class PreferencesForm(forms.Form):
    appointments = forms.BooleanField(label="Appointment reminders (a day before)", required=False)
    questionnaires = forms.BooleanField(label="Questionnaires to answer", required=False)
    checkins = forms.BooleanField(label="Check-ins due", required=False)
    followup = forms.BooleanField(label="Follow-up check-ins after therapy", required=False)
    messages = forms.BooleanField(label="Messages from your therapist", required=False)
    quiet_start = forms.TimeField(
        label="Quiet from",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Enter a time like 21:00."},
        help_text="No reminder emails from this time…",
    )
    quiet_end = forms.TimeField(
        label="Quiet until",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Enter a time like 08:00."},
        help_text="…until this time. Leave both empty for no quiet hours.",
    )
    time_zone = forms.ChoiceField(
        label="Your time zone",
        choices=time_zone_choices,
        help_text="Reminders and the times on your portal follow it.",
        error_messages={"invalid_choice": "Choose a time zone from the list."},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("quiet_start"), data.get("quiet_end")
        if "quiet_start" in self.errors or "quiet_end" in self.errors:
            return data
        if (start is None) != (end is None):
            self.add_error(
                "quiet_end" if end is None else "quiet_start",
                "Give both the start and the end of your quiet hours, or neither.",
            )
        elif start is not None and start == end:
            self.add_error("quiet_end", "The quiet hours must end at a different time.")
        return data

    def switches(self) -> dict[str, bool]:
        return {
            name: bool(self.cleaned_data.get(name))
            for name in ("appointments", "questionnaires", "checkins", "followup", "messages")
        }
