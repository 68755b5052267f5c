"""Finding 6 of issue 18: a date far in the future (or past) is a form error, never a 500.

`starts_on=9999-12-25` on assigning a measure answered 500 (OverflowError turning the day into
an instant). Every form's date fields take days from 1900 to 2999 only: hypothesis sends any
date of the calendar (0001 to 9999) and any text to every date field of every form class in
the project; each either refuses it with a ValidationError or returns a day in that range.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.test import SimpleTestCase
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

import continuum
from continuum.care.forms.clients import EARLIEST_DATE, LATEST_DATE
from continuum.testing.base import BaseTestCase, make_episode


def _form_modules() -> list[Any]:
    found = []
    for info in pkgutil.walk_packages(continuum.__path__, "continuum."):
        name = info.name
        if ".tests" in name or ".migrations" in name or name.startswith("continuum.demo"):
            continue
        if name.rsplit(".", 1)[-1] in {"forms", "views", "audit_views"} or ".forms." in name:
            found.append(importlib.import_module(name))
    return found


def date_fields() -> list[tuple[str, forms.DateField]]:
    """(form.field, field) for every DateField of every Form class in the project, including
    fields a form adds in __init__ that we know of (the termination plan's tapering start)."""
    fields: dict[str, forms.DateField] = {}
    for module in _form_modules():
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, forms.BaseForm) or not cls.__module__.startswith("continuum"):
                continue
            for field_name, field in getattr(cls, "base_fields", {}).items():
                if isinstance(field, forms.DateField):
                    fields[f"{cls.__module__}.{cls_name}.{field_name}"] = field
    from continuum.endings.forms import TerminationPlanForm

    plan = TerminationPlanForm(tz_name="UTC")
    fields["TerminationPlanForm.first_date"] = plan.fields["first_date"]  # type: ignore[assignment]
    return sorted(fields.items())


DATE_FIELDS = date_fields()


class EveryDateFieldTests(SimpleTestCase):
    def test_the_project_has_the_date_fields_we_expect(self) -> None:
        self.assertGreaterEqual(len(DATE_FIELDS), 20, [n for n, _ in DATE_FIELDS])

    def test_the_edges_of_the_calendar_are_refused(self) -> None:
        for name, field in DATE_FIELDS:
            for value in ("9999-12-25", "9999-12-31", "3000-01-01", "0001-01-01", "1899-12-31"):
                with self.subTest(field=name, value=value), self.assertRaises(ValidationError):
                    field.clean(value)

    @settings(max_examples=300, deadline=None)
    @given(
        index=st.integers(min_value=0, max_value=len(DATE_FIELDS) - 1),
        value=st.one_of(st.dates().map(date.isoformat), st.text(max_size=30)),
    )
    def test_any_value_is_a_day_in_range_or_a_validation_error(
        self, index: int, value: str
    ) -> None:
        _name, field = DATE_FIELDS[index]
        try:
            day = field.clean(value)
        except ValidationError:
            return
        if day is not None:
            self.assertTrue(EARLIEST_DATE <= day <= LATEST_DATE, (value, day))


class FarFutureMeasureTests(BaseTestCase):
    def test_assigning_a_measure_far_in_the_future_is_a_form_error(self) -> None:
        episode = make_episode(self.dana)
        self.login(self.alice)
        url = reverse("measures:assign", kwargs={"episode_id": episode.pk})
        for cadence in ("once", "weekly"):
            response = self.client.post(
                url,
                {
                    "instrument": "phq9",
                    "cadence": cadence,
                    "starts_on": "9999-12-25",
                    "ends_on": "9999-12-31",
                },
            )
            self.assertContains(response, "cannot be after 31 December 2999", status_code=400)


# The two date fields with a narrower range of their own (booking years, audit log years).
NARROWER_RANGES = {"_within_booking_years", "_within_log_years"}


class DateInputsMatchThePagesTests(BaseTestCase):
    """Issue 14: date inputs showed mm/dd/yyyy while pages show UK dates ("3 Dec 2025").
    Every page says it is in British English (`lang="en-GB"`), the locale of its dates; every
    date field is a browser date input (its value an ISO day on the wire) that keeps its range
    check. Chromium draws the input in the browser's own locale whatever `lang` says, so a
    browser set to US English still shows mm/dd/yyyy (docs/architecture.md, "Dates")."""

    def test_every_date_field_is_a_date_input_with_its_range_check(self) -> None:
        for name, field in DATE_FIELDS:
            with self.subTest(field=name):
                self.assertEqual(field.widget.input_type, "date")
                checks = {getattr(v, "__name__", "") for v in field.validators}
                self.assertTrue(
                    "validate_calendar_date" in checks or checks & NARROWER_RANGES, checks
                )

    def test_pages_with_date_inputs_say_they_are_in_british_english(self) -> None:
        episode = make_episode(self.dana)
        self.login(self.alice)
        for url in (
            reverse("care:appointment_create", kwargs={"client_id": self.dana.pk}),
            reverse("measures:assign", kwargs={"episode_id": episode.pk}),
        ):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertContains(response, '<html lang="en-GB">')
                self.assertContains(response, 'type="date"')
