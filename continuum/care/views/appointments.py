"""Appointments: book (one or a series), view, edit while scheduled, change status."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from continuum.accounts import once
from continuum.accounts.decorators import clinician_required
from continuum.accounts.http import actor_of, refuse, user_of
from continuum.accounts.models import User
from continuum.audit import log as audit
from continuum.care.access import get_appointment_for, get_client_for
from continuum.care.forms.appointments import (
    AppointmentForm,
    AppointmentStatusForm,
    NewAppointmentForm,
)
from continuum.care.models import Appointment, AppointmentStatus, ProgressNote
from continuum.care.scheduling import REPEAT_LABELS, Clash
from continuum.care.services import appointments as services


def _problem(
    request: HttpRequest, appointment: Appointment, title: str, message: str
) -> HttpResponse:
    """A 400 page explaining why nothing changed, with the way back."""
    return render(
        request,
        "care/appointment_problem.html",
        {"nav": "schedule", "appointment": appointment, "title": title, "message": message},
        status=400,
    )


@clinician_required
def appointment_create(request: HttpRequest, client_id: int) -> HttpResponse:
    user = user_of(request)
    client = get_client_for(actor_of(request), client_id)
    if (refused := refuse(request, "GET", "POST")) is not None:
        return refused
    clashes: list[Clash] = []
    outside = ""
    if request.method == "POST":
        form = NewAppointmentForm(request.POST, tz_name=user.time_zone)
        if form.is_valid():
            data = form.cleaned_data
            key = data["submission_key"]
            try:
                with transaction.atomic():
                    if not once.claim(key, user):  # the same form sent again: nothing new
                        fallback = reverse("care:client_detail", kwargs={"client_id": client.pk})
                        return redirect(once.result_url(key, user, fallback))
                    booked = services.book_appointments(
                        client,
                        starts=data["starts"],
                        duration_minutes=data["duration_minutes"],
                        modality=data["modality"],
                        allow_overlap=data["book_anyway"],
                        allow_outside_episode=data["outside_episode_anyway"],
                        actor=actor_of(request),
                    )
                    once.remember(
                        key,
                        reverse("care:appointment_detail", kwargs={"appointment_id": booked[0].pk}),
                    )
            except services.AppointmentClash as clash:
                clashes = clash.clashes
            except services.OutsideEpisode as problem:
                outside = str(problem)
            else:
                first = timezone.localtime(booked[0].starts_at)
                if len(booked) > 1:
                    repeat = REPEAT_LABELS[data["repeat_choice"]].lower()
                    text = (
                        f"Booked {len(booked)} sessions, {repeat}, from {first:%a %d %b %Y, %H:%M}."
                    )
                else:
                    text = f"Booked the appointment on {first:%a %d %b %Y, %H:%M}."
                messages.success(request, text)
                return redirect("care:appointment_detail", appointment_id=booked[0].pk)
    else:
        form = NewAppointmentForm(
            tz_name=user.time_zone,
            initial={"date": timezone.localdate(), "submission_key": once.new_key()},
        )
    return render(
        request,
        "care/appointment_form.html",
        {
            "nav": "caseload",
            "form": form,
            "client": client,
            "clashes": clashes,
            "outside": outside,
            "creating": True,
            "cancel_url": reverse("care:client_detail", kwargs={"client_id": client.pk}),
        },
    )


def _note_of(appointment: Appointment) -> ProgressNote | None:
    return ProgressNote.objects.filter(appointment=appointment).first()


@clinician_required
def appointment_detail(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = get_appointment_for(actor_of(request), appointment_id)
    if (refused := refuse(request, "GET", "HEAD")) is not None:
        return refused
    note = _note_of(appointment)
    options = services.possible_changes(
        appointment.status,
        starts_at=appointment.starts_at,
        now=timezone.now(),
        has_note=note is not None,
    )
    audit.record(actor_of(request), "appointment.view", appointment)
    return render(
        request,
        "care/appointment_detail.html",
        {
            "nav": "schedule",
            "appointment": appointment,
            "client": appointment.client,
            "note": note,
            "options": [o.value for o in options],
            "status_form": _cancel_form(),
            "can_edit": appointment.status == AppointmentStatus.SCHEDULED,
            "can_write_note": appointment.status == AppointmentStatus.ATTENDED and note is None,
            "cancelled_by_user": _cancelled_by_user(appointment),
        },
    )


def _cancel_form() -> AppointmentStatusForm:
    """The status form as the cancel button shows it: the browser asks who cancelled."""
    form = AppointmentStatusForm()
    form.fields["cancelled_by"].widget.attrs["required"] = True
    return form


def _cancelled_by_user(appointment: Appointment) -> Any:
    if appointment.cancelled_by_user_id is None:
        return None
    return User.objects.filter(pk=appointment.cancelled_by_user_id).first()


@clinician_required
def appointment_edit(request: HttpRequest, appointment_id: int) -> HttpResponse:
    user = user_of(request)
    appointment = get_appointment_for(actor_of(request), appointment_id)
    if (refused := refuse(request, "GET", "POST")) is not None:
        return refused
    if appointment.status != AppointmentStatus.SCHEDULED:
        return _problem(
            request,
            appointment,
            "This appointment can no longer be edited",
            f"Only scheduled appointments can be edited; this one is "
            f"{appointment.get_status_display().lower()}.",
        )
    clashes: list[Clash] = []
    outside = ""
    if request.method == "POST":
        form = AppointmentForm(request.POST, tz_name=user.time_zone)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.update_appointment(
                    appointment,
                    starts_at=data["starts_at"],
                    duration_minutes=data["duration_minutes"],
                    modality=data["modality"],
                    allow_overlap=data["book_anyway"],
                    allow_outside_episode=data["outside_episode_anyway"],
                    actor=actor_of(request),
                )
            except services.AppointmentClash as clash:
                clashes = clash.clashes
            except services.OutsideEpisode as problem:
                outside = str(problem)
            except services.AppointmentLocked as locked:
                return _problem(request, appointment, "Nothing was changed", str(locked))
            else:
                messages.success(request, "Appointment updated.")
                return redirect("care:appointment_detail", appointment_id=appointment.pk)
    else:
        form = AppointmentForm(
            tz_name=user.time_zone,
            initial=AppointmentForm.initial_for(
                appointment.starts_at,
                user.time_zone,
                duration_minutes=appointment.duration_minutes,
                modality=appointment.modality,
            ),
        )
        audit.record(actor_of(request), "appointment.view", appointment, page="edit")
    return render(
        request,
        "care/appointment_form.html",
        {
            "nav": "schedule",
            "form": form,
            "client": appointment.client,
            "appointment": appointment,
            "clashes": clashes,
            "outside": outside,
            "creating": False,
            "cancel_url": reverse(
                "care:appointment_detail", kwargs={"appointment_id": appointment.pk}
            ),
        },
    )


@clinician_required
def appointment_status(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = get_appointment_for(actor_of(request), appointment_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    form = AppointmentStatusForm(request.POST)
    if not form.is_valid():
        reasons = " ".join(str(e) for errors in form.errors.values() for e in errors)
        options = services.possible_changes(
            appointment.status,
            starts_at=appointment.starts_at,
            now=timezone.now(),
            has_note=_note_of(appointment) is not None,
        )
        listed = ", ".join(o.label for o in options) or "none"
        return _problem(
            request,
            appointment,
            "The status was not changed",
            f"{reasons} Possible changes: {listed}.",
        )
    try:
        services.change_status(
            appointment,
            target=form.cleaned_data["status"],
            cancelled_by=form.cleaned_data["cancelled_by"],
            actor=actor_of(request),
        )
    except services.InvalidStatusChange as problem:
        return _problem(request, appointment, "The status was not changed", str(problem))
    messages.success(request, f"Appointment marked {appointment.get_status_display().lower()}.")
    return redirect("care:appointment_detail", appointment_id=appointment.pk)
