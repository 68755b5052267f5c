"""Forms for booking, editing and changing the status of appointments.

Dates and times are entered as the therapist's local wall-clock time (their zone, which the
middleware activates); `clean()` turns them into UTC instants with care/scheduling.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from continuum.accounts.once import SubmissionKeyField
from continuum.care.models import AppointmentStatus, CancelledBy, Modality
from continuum.care.scheduling import (
    MAX_SERIES_LENGTH,
    MIN_SERIES_LENGTH,
    REPEAT_LABELS,
    LocalTimeProblem,
    Repeat,
    local_time_problem,
    series_starts,
    to_utc,
)
from continuum.care.services.appointments import MAX_DURATION, MIN_DURATION

# Far enough for any real practice, near enough that date arithmetic never overflows.
FIRST_YEAR, LAST_YEAR = 2000, 2099


def _within_booking_years(day: dt.date) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise forms.ValidationError(f"Choose a date between {FIRST_YEAR} and {LAST_YEAR}.")


class AppointmentForm(forms.Form):
    """Time, length and modality of one appointment (used on its own to edit)."""

    date = forms.DateField(
        label="Date",
        validators=[_within_booking_years],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date like 2026-07-06."},
    )
    time = forms.TimeField(
        label="Start time",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Enter a time like 09:00."},
    )
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)",
        min_value=MIN_DURATION,
        max_value=MAX_DURATION,
        initial=50,
        help_text=f"Between {MIN_DURATION} and {MAX_DURATION} minutes.",
    )
    modality = forms.ChoiceField(
        label="Modality", choices=Modality.choices, initial=Modality.IN_PERSON
    )
    book_anyway = forms.BooleanField(
        label="Book anyway, although it overlaps the times listed above", required=False
    )
    outside_episode_anyway = forms.BooleanField(
        label="Book anyway, although it falls outside the episode of care", required=False
    )

    def __init__(self, *args: Any, tz_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tz_name = tz_name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        day, wall = cleaned.get("date"), cleaned.get("time")
        if day is None or wall is None:
            return cleaned
        wall = wall.replace(second=0, microsecond=0)
        cleaned["time"] = wall
        problem = local_time_problem(day, wall, self.tz_name)
        if problem == LocalTimeProblem.MISSING:
            self.add_error(
                "time",
                f"The clocks change that day in {self.tz_name}: {wall:%H:%M} does not exist. "
                "Choose another time.",
            )
        elif problem == LocalTimeProblem.AMBIGUOUS:
            self.add_error(
                "time",
                f"The clocks go back that day in {self.tz_name}: {wall:%H:%M} happens twice. "
                "Choose another time.",
            )
        else:
            cleaned["starts_at"] = to_utc(day, wall, self.tz_name)
        return cleaned

    @classmethod
    def initial_for(cls, starts_at: dt.datetime, tz_name: str, **extra: Any) -> dict[str, Any]:
        local = starts_at.astimezone(ZoneInfo(tz_name))
        return {"date": local.date(), "time": local.time().replace(second=0), **extra}


class NewAppointmentForm(AppointmentForm):
    """Book one appointment, or a weekly/fortnightly series of them."""

    submission_key = SubmissionKeyField()

    repeat = forms.ChoiceField(
        label="Repeat",
        choices=[("", "Does not repeat"), *((r.value, REPEAT_LABELS[r]) for r in Repeat)],
        required=False,
    )
    sessions = forms.IntegerField(
        label="Number of sessions",
        min_value=MIN_SERIES_LENGTH,
        max_value=MAX_SERIES_LENGTH,
        required=False,
        help_text=(
            f"For a repeating series: {MIN_SERIES_LENGTH} to {MAX_SERIES_LENGTH} sessions, "
            "including the first."
        ),
    )

    field_order = ["date", "time", "duration_minutes", "modality", "repeat", "sessions"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        repeat = Repeat(cleaned["repeat"]) if cleaned.get("repeat") else None
        sessions = cleaned.get("sessions")
        if repeat is not None and sessions is None and "sessions" not in self.errors:
            self.add_error("sessions", "Say how many sessions the series has (2 to 52).")
        if repeat is None and sessions is not None:
            self.add_error("repeat", "Choose how often the sessions repeat, or clear the number.")
        if "starts_at" in cleaned and not self.errors:
            count = sessions if repeat is not None and sessions is not None else 1
            cleaned["starts"] = series_starts(
                cleaned["date"], cleaned["time"], self.tz_name, repeat, count
            )
            cleaned["repeat_choice"] = repeat
        return cleaned


class AppointmentStatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (s.value, s.label)
            for s in (
                AppointmentStatus.ATTENDED,
                AppointmentStatus.NO_SHOW,
                AppointmentStatus.CANCELLED,
            )
        ],
        error_messages={
            "required": "Choose the new status: attended, no-show or cancelled.",
            "invalid_choice": "Choose the new status: attended, no-show or cancelled.",
        },
    )
    cancelled_by = forms.ChoiceField(
        label="Cancelled by",
        choices=[("", "Choose…"), *CancelledBy.choices],
        required=False,
        error_messages={
            "invalid_choice": "Say who cancelled: the client, the therapist or the practice."
        },
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("status") == AppointmentStatus.CANCELLED and not cleaned.get("cancelled_by"):
            self.add_error(
                "cancelled_by", "Say who cancelled: the client, the therapist or the practice."
            )
        return cleaned
