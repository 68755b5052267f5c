"""The therapist's week: Monday to Sunday in their own time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from continuum.accounts.decorators import clinician_required
from continuum.accounts.http import actor_of, refuse
from continuum.accounts.models import User
from continuum.audit.log import record
from continuum.care.access import clients_for
from continuum.care.models import Appointment, AppointmentStatus, ProgressNote
from continuum.lib.timezones import local_day_bounds, week_start

WEEK_PARAM = re.compile(r"\d{4}-\d{2}-\d{2}")
# Weeks outside these years are refused: nothing real is scheduled there, and the bounds keep
# date arithmetic (previous/next week, local midnight in any zone) clear of overflow.
FIRST_YEAR, LAST_YEAR = 1900, 2999


@dataclass
class Entry:
    appointment: Appointment
    note: ProgressNote | None

    @property
    def needs_note(self) -> bool:
        return self.note is None and self.appointment.status == AppointmentStatus.ATTENDED


@dataclass
class Day:
    date: date
    is_today: bool
    entries: list[Entry] = field(default_factory=list)


def parse_week(value: str | None) -> date | None:
    """The date named by `?week=`, or None when absent; ValueError when malformed."""
    if value is None or value == "":
        return None
    if not WEEK_PARAM.fullmatch(value):
        raise ValueError("not YYYY-MM-DD")
    day = date.fromisoformat(value)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError("out of range")
    return day


@clinician_required
def week(request: HttpRequest) -> HttpResponse:
    if (refused := refuse(request, "GET")) is not None:
        return refused
    user = cast(User, request.user)
    today = timezone.localdate()
    try:
        chosen = parse_week(request.GET.get("week"))
    except ValueError:
        return render(
            request,
            "care/schedule.html",
            {
                "nav": "schedule",
                "error": "That week could not be read. Use a date like 2026-07-06 "
                f"(any day of the week, between {FIRST_YEAR} and {LAST_YEAR}).",
                "this_week": week_start(today),
            },
            status=400,
        )
    monday = week_start(chosen or today)
    days = [
        Day(date=monday + timedelta(days=i), is_today=monday + timedelta(days=i) == today)
        for i in range(7)
    ]
    start, _ = local_day_bounds(monday, user.time_zone)
    _, end = local_day_bounds(days[-1].date, user.time_zone)
    appointments = (
        Appointment.objects.filter(
            therapist=user,
            client__in=clients_for(user),
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .select_related("client", "note")
        .order_by("starts_at", "pk")
    )
    by_date = {d.date: d for d in days}
    week_rows = list(appointments)
    record(actor_of(request), "schedule.view", week=monday.isoformat(), count=len(week_rows))
    for appointment in week_rows:
        # The note came with the appointment (select_related): no query per row.
        note = getattr(appointment, "note", None)
        day = by_date[timezone.localtime(appointment.starts_at).date()]
        day.entries.append(Entry(appointment, note))
    return render(
        request,
        "care/schedule.html",
        {
            "nav": "schedule",
            "days": days,
            "monday": monday,
            "sunday": days[-1].date,
            "previous_week": monday - timedelta(days=7),
            "next_week": monday + timedelta(days=7),
            "this_week": week_start(today),
            "is_this_week": monday == week_start(today),
            "count": sum(len(d.entries) for d in days),
        },
    )
