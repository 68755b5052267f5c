"""Forms for endings. Dates and times are the therapist's local wall-clock (the middleware
activates their zone); tapering dates become UTC instants through care.scheduling."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from continuum.accounts.once import SubmissionKeyField
from continuum.care.forms.appointments import FIRST_YEAR, LAST_YEAR
from continuum.care.forms.clients import validate_calendar_date
from continuum.care.models import Modality
from continuum.care.scheduling import LocalTimeProblem, local_time_problem, to_utc
from continuum.care.services.appointments import MAX_DURATION, MIN_DURATION
from continuum.endings import taper
from continuum.endings.models import (
    CLOSING_NOTE_MAX,
    LETTER_MAX,
    READINESS_MAX,
    READINESS_MIN,
    REASON_OTHER_MAX,
    REFERRAL_FIELD_MAX,
    REFERRAL_REASON_MAX,
    RELAPSE_FIELD_MAX,
    WORRIES_MAX,
    EndingReason,
)

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_ERRORS = {"invalid": "Enter a date like 2026-07-06."}
WEEKS_CHOICES = [(1, "Weekly"), (2, "Fortnightly"), (3, "Every 3 weeks"), (4, "Every 4 weeks")]
WEEKS_CHOICES += [(w, f"Every {w} weeks") for w in (6, 8, 12)]


def _check_year(day: dt.date) -> dt.date:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise forms.ValidationError(f"Choose a date between {FIRST_YEAR} and {LAST_YEAR}.")
    return day


# --- The client's readiness questions --------------------------------------------------------


class ReadinessAnswerForm(forms.Form):
    readiness = forms.TypedChoiceField(
        label="How ready do you feel to finish therapy?",
        help_text="0 means not ready at all, 10 means completely ready.",
        choices=[(n, str(n)) for n in range(READINESS_MIN, READINESS_MAX + 1)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a number from 0 to 10.",
            "invalid_choice": "Choose a number from 0 to 10.",
        },
    )
    worries = forms.CharField(
        label="What worries you about ending, if anything?",
        help_text="Optional. Only your therapist reads this.",
        required=False,
        max_length=WORRIES_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


# --- The termination plan --------------------------------------------------------------------


class TerminationPlanForm(forms.Form):
    """The agreed plan; with `booking`, also the tapering sessions to book (first agreement)."""

    submission_key = SubmissionKeyField()  # sent twice, it takes effect once

    reason = forms.ChoiceField(
        label="Reason for ending",
        choices=[("", "Choose…"), *EndingReason.choices],
        error_messages={"required": "Choose the reason for ending."},
    )
    reason_other = forms.CharField(
        label="Other reason",
        help_text="Only when the reason is “Other”.",
        required=False,
        max_length=REASON_OTHER_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    final_session_date = forms.DateField(
        label="Agreed final session date",
        widget=DATE_WIDGET,
        error_messages=DATE_ERRORS,
        validators=[validate_calendar_date],
    )
    ending_discussed = forms.BooleanField(label="We discussed ending together", required=False)
    feelings_explored = forms.BooleanField(
        label="We explored the client's feelings about ending", required=False
    )
    gains_reviewed = forms.BooleanField(label="We reviewed the gains made", required=False)
    referrals_offered = forms.BooleanField(
        label="Referrals offered where needed",
        help_text="Required for a therapist-initiated ending (APA Ethics Code 10.10).",
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        tz_name: str,
        booking: bool = True,
        session_days: frozenset[dt.date] = frozenset(),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.tz_name = tz_name
        self.booking = booking
        # Days that already hold one of the client's sessions (endings.queries.session_days):
        # a final session agreed on one of them is that session, and is not booked again.
        self.session_days = session_days
        if booking:
            self._add_tapering_fields()

    def _add_tapering_fields(self) -> None:
        self.fields["first_date"] = forms.DateField(
            label="First tapering session",
            required=False,
            widget=DATE_WIDGET,
            error_messages=DATE_ERRORS,
            validators=[validate_calendar_date],
        )
        self.fields["time"] = forms.TimeField(
            label="Start time",
            required=False,
            widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            error_messages={"invalid": "Enter a time like 09:00."},
            help_text="Every session booked here, tapering and final, starts at this time on "
            "your clock.",
        )
        self.fields["duration_minutes"] = forms.IntegerField(
            label="Duration (minutes)",
            min_value=MIN_DURATION,
            max_value=MAX_DURATION,
            initial=50,
            required=False,
        )
        self.fields["modality"] = forms.ChoiceField(
            label="Modality", choices=Modality.choices, initial=Modality.IN_PERSON, required=False
        )
        for n in range(1, taper.MAX_STAGES + 1):
            self.fields[f"stage_{n}_weeks"] = forms.TypedChoiceField(
                label=f"Step {n}: how often",
                choices=WEEKS_CHOICES,
                coerce=int,
                initial=min(2 ** (n - 1), 4),
                required=False,
                error_messages={"invalid_choice": "Choose how often the sessions are."},
            )
            self.fields[f"stage_{n}_count"] = forms.IntegerField(
                label=f"Step {n}: sessions",
                min_value=0,
                max_value=12,
                required=False,
                initial=0,
            )
        self.fields["book_anyway"] = forms.BooleanField(
            label="Book anyway, although some sessions overlap the times listed above",
            required=False,
        )

    def stage_rows(self) -> list[tuple[Any, Any]]:
        """(how often, sessions) bound fields, one pair per step, for the template."""
        if not self.booking:
            return []
        return [
            (self[f"stage_{n}_weeks"], self[f"stage_{n}_count"])
            for n in range(1, taper.MAX_STAGES + 1)
        ]

    def clean_final_session_date(self) -> dt.date:
        day = _check_year(self.cleaned_data["final_session_date"])
        if self.booking and day < timezone.localdate():
            raise forms.ValidationError("The final session date cannot be in the past.")
        return day

    def clean_first_date(self) -> dt.date | None:
        day: dt.date | None = self.cleaned_data.get("first_date")
        if day is None:
            return None
        _check_year(day)
        if day < timezone.localdate():
            raise forms.ValidationError("The first tapering session cannot be in the past.")
        return day

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        reason = cleaned.get("reason")
        if reason == EndingReason.OTHER and not cleaned.get("reason_other", "").strip():
            self.add_error("reason_other", "Say what the other reason is.")
        if not cleaned.get("ending_discussed"):
            self.add_error(
                "ending_discussed",
                "A plan is agreed with the client: tick this once you have discussed ending.",
            )
        if reason == EndingReason.THERAPIST_REFERRAL and not cleaned.get("referrals_offered"):
            self.add_error(
                "referrals_offered",
                "A therapist-initiated ending offers referrals to other providers: "
                "tick this once you have.",
            )
        cleaned["starts"], cleaned["rows"] = [], []
        if self.booking:
            cleaned["duration_minutes"] = cleaned.get("duration_minutes") or 50
            cleaned["modality"] = cleaned.get("modality") or Modality.IN_PERSON
        if self.booking:
            self._clean_tapering(cleaned)
        return cleaned

    def _clean_tapering(self, cleaned: dict[str, Any]) -> None:
        stages = [
            taper.Stage(
                int(cleaned.get(f"stage_{n}_weeks") or 1),
                int(cleaned.get(f"stage_{n}_count") or 0),
            )
            for n in range(1, taper.MAX_STAGES + 1)
        ]
        tapering = any(s.count for s in stages)
        first, wall = cleaned.get("first_date"), cleaned.get("time")
        final = cleaned.get("final_session_date")
        # A session already booked that day is the final one: nothing to book for it.
        book_final = final is not None and final not in self.session_days
        if not tapering:
            # No tapering: the agreed final session is still booked (issue 14), at the time
            # given; without one, it is asked for.
            if final is None or not book_final:
                return
            if wall is None:
                if "time" not in self.errors:
                    self.add_error("time", "Choose the time of the final session.")
                return
            self._book(cleaned, [final], wall.replace(second=0, microsecond=0), [])
            return
        if first is None and "first_date" not in self.errors:
            self.add_error("first_date", "Choose the date of the first tapering session.")
        if wall is None and "time" not in self.errors:
            self.add_error("time", "Choose the time of the tapering sessions.")
        if first is None or wall is None:
            return
        try:
            days = taper.taper_dates(first, stages)
        except taper.TaperError as error:
            self.add_error("stage_1_count", str(error))
            return
        wall = wall.replace(second=0, microsecond=0)
        if final is not None and book_final and days[-1] < final:
            # The agreed final session is booked with the tapering ones, at the same time
            # (issue 14: it was left for the therapist to remember).
            days = [*days, final]
        if final is not None and days[-1] > final:
            self.add_error(
                "final_session_date",
                f"The last tapering session is on {days[-1]:%-d %b %Y}, after this date. "
                "Move the final session date or book fewer sessions.",
            )
            return
        self._book(cleaned, days, wall, taper.as_rows(stages))

    def _book(
        self,
        cleaned: dict[str, Any],
        days: list[dt.date],
        wall: dt.time,
        rows: list[dict[str, int]],
    ) -> None:
        """The sessions to book on `days` at `wall` (local), unless the clocks change then."""
        for day in days:
            problem = local_time_problem(day, wall, self.tz_name)
            if problem is not None:
                what = "does not exist" if problem == LocalTimeProblem.MISSING else "happens twice"
                self.add_error(
                    "time",
                    f"The clocks change on {day:%-d %b %Y} in {self.tz_name}: {wall:%H:%M} "
                    f"{what} that day. Choose another time.",
                )
                return
        cleaned["starts"] = [to_utc(day, wall, self.tz_name) for day in days]
        cleaned["rows"] = rows


class ReferralForm(forms.Form):
    submission_key = SubmissionKeyField()  # sent twice, it takes effect once
    name = forms.CharField(
        label="Name",
        max_length=REFERRAL_FIELD_MAX,
        help_text="The person or organisation.",
        error_messages={"required": "Enter who the client is referred to."},
    )
    service = forms.CharField(label="Service", max_length=REFERRAL_FIELD_MAX, required=False)
    contact = forms.CharField(
        label="Contact details", max_length=REFERRAL_FIELD_MAX, required=False
    )
    reason = forms.CharField(
        label="Reason for the referral",
        max_length=REFERRAL_REASON_MAX,
        required=False,
        help_text="For the record; not shown to the client.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# --- Unplanned ending ------------------------------------------------------------------------


class UnplannedForm(forms.Form):
    letter = forms.CharField(
        label="Reach-out letter",
        max_length=LETTER_MAX,
        widget=forms.Textarea(attrs={"rows": 16}),
        error_messages={"required": "Write the letter (or keep the suggested text)."},
    )
    closing_note = forms.CharField(
        label="Closing note",
        help_text="For the record: why the episode ends, and what was offered. Needed to end.",
        max_length=CLOSING_NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    end_date = forms.DateField(
        label="End date",
        required=False,
        widget=DATE_WIDGET,
        error_messages=DATE_ERRORS,
        validators=[validate_calendar_date],
        help_text="Today if left empty.",
    )

    def clean_end_date(self) -> dt.date | None:
        day: dt.date | None = self.cleaned_data.get("end_date")
        return _check_year(day) if day is not None else None


# --- Relapse prevention ----------------------------------------------------------------------


def _plan_text(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=False,
        max_length=RELAPSE_FIELD_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class RelapsePlanForm(forms.Form):
    submission_key = SubmissionKeyField()  # sent twice, it takes effect once
    warning_signs = _plan_text(
        "Early warning signs", "What the client notices first when things start to slip."
    )
    what_helps = _plan_text("What helps", "What the client can do, in their own words.")
    contacts = _plan_text(
        "People and services to contact", "Who to talk to, and how to reach them."
    )
    booster_when = _plan_text(
        "When to reach out for a booster session", "The signs that mean: get back in touch."
    )
    shared_with_client = forms.BooleanField(
        label="Show this plan in the client's portal", required=False, initial=True
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        texts = [cleaned.get(name, "") for name in ("warning_signs", "what_helps")]
        texts += [cleaned.get(name, "") for name in ("contacts", "booster_when")]
        if not self.errors and not any(t.strip() for t in texts):
            raise forms.ValidationError("Write at least one part of the plan.")
        return cleaned
