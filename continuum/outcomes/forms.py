"""The outcomes page's filter: a period by episode end date, an instrument set, a grouping."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms

from continuum.care.forms.clients import validate_calendar_date
from continuum.outcomes import rules
from continuum.outcomes.models import InstrumentSet
from continuum.outcomes.presenters import GROUP_LABELS

PERIODS = [
    ("month", "Month"),
    ("quarter", "Quarter"),
    ("year", "Year"),
    ("custom", "Custom range"),
]


def period_bounds(kind: str, on: date) -> tuple[date, date]:
    """The calendar month, quarter or year containing `on`."""
    if kind == "month":
        start = on.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
    elif kind == "quarter":
        start = on.replace(month=(on.month - 1) // 3 * 3 + 1, day=1)
        following = (start + timedelta(days=95)).replace(day=1)
    else:
        start = on.replace(month=1, day=1)
        following = start.replace(year=start.year + 1)
    return start, following - timedelta(days=1)


class OutcomesFilterForm(forms.Form):
    period = forms.ChoiceField(choices=PERIODS, initial="year", required=False)
    on = forms.DateField(
        label="Including the day",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_calendar_date],
    )
    start = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_calendar_date],
    )
    end = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_calendar_date],
    )
    instrument = forms.ChoiceField(
        choices=InstrumentSet.choices, initial=rules.DEFAULT_SET, required=False
    )
    by = forms.ChoiceField(
        label="Break down by",
        choices=list(GROUP_LABELS.items()),
        initial="therapist",
        required=False,
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("period") or "year"
        data["period"] = kind
        data["instrument"] = data.get("instrument") or rules.DEFAULT_SET
        data["by"] = data.get("by") or "therapist"
        if kind == "custom":
            start, end = data.get("start"), data.get("end")
            if start is None or end is None:
                raise forms.ValidationError("A custom range needs both a start and an end date.")
            if end < start:
                raise forms.ValidationError("The end date is before the start date.")
        else:
            data["start"], data["end"] = period_bounds(kind, data.get("on") or self.today)
        return data
