"""Appointments: list, book, cancel (scope `appointments`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.params.functions import Header, Query

from continuum.api.core import ERRORS, TokenAuth, actor, bad_request, conflict, once, page, user
from continuum.api.schemas import AppointmentOut, AppointmentPage, BookIn, CancelIn
from continuum.care.access import clients_for, get_appointment_for, get_client_for
from continuum.care.models import Appointment, AppointmentStatus, CancelledBy, Modality
from continuum.care.services.appointments import (
    AppointmentError,
    book_appointments,
    change_status,
)

router = Router(auth=TokenAuth("appointments"), tags=["appointments"])

SORTS = ("starts_at", "-starts_at", "id", "-id")


@router.get("/appointments", response={200: AppointmentPage, **ERRORS}, url_name="appointments")
def list_appointments(
    request: HttpRequest,
    client_id: int | None = None,
    status: str | None = Query(None, description=", ".join(AppointmentStatus.values)),
    starts_after: datetime | None = None,
    starts_before: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
    sort: str = Query("starts_at", description=", ".join(SORTS)),
) -> Any:
    rows = Appointment.objects.filter(client__in=clients_for(user(request)))
    if client_id is not None:
        rows = rows.filter(client_id=client_id)
    if status is not None:
        if status not in AppointmentStatus.values:
            raise bad_request("Unknown status.", {"status": ", ".join(AppointmentStatus.values)})
        rows = rows.filter(status=status)
    if starts_after is not None:
        rows = rows.filter(starts_at__gte=starts_after)
    if starts_before is not None:
        rows = rows.filter(starts_at__lt=starts_before)
    items, next_cursor = page(rows, sort=sort, allowed=SORTS, cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.get(
    "/appointments/{appointment_id}",
    response={200: AppointmentOut, **ERRORS},
    url_name="appointment",
)
def read(request: HttpRequest, appointment_id: int) -> Any:
    return get_appointment_for(actor(request), appointment_id)


@router.post(
    "/clients/{client_id}/appointments",
    response={201: AppointmentOut, **ERRORS},
    url_name="appointments_book",
)
def book(
    request: HttpRequest,
    client_id: int,
    data: BookIn,
    idempotency_key: str = Header(..., alias="Idempotency-Key"),
) -> Any:
    client = get_client_for(actor(request), client_id)
    if data.modality not in Modality.values:
        raise bad_request("Unknown modality.", {"modality": ", ".join(Modality.values)})
    if data.starts_at.tzinfo is None:
        raise bad_request("Give a time zone.", {"starts_at": "Include an offset, e.g. Z."})
    if not 2000 <= data.starts_at.year <= 2100:
        raise bad_request("Out of range.", {"starts_at": "Between the years 2000 and 2100."})

    def work() -> tuple[int, AppointmentOut]:
        try:
            booked = book_appointments(
                client,
                actor=actor(request),
                starts=[data.starts_at],
                duration_minutes=data.duration_minutes,
                modality=data.modality,
                allow_overlap=data.allow_overlap,
                allow_outside_episode=data.allow_outside_episode,
            )
        except AppointmentError as error:
            raise conflict(str(error)) from None
        return 201, AppointmentOut.model_validate(booked[0], from_attributes=True)

    return once(request, idempotency_key, work)


@router.post(
    "/appointments/{appointment_id}/cancel",
    response={200: AppointmentOut, **ERRORS},
    url_name="appointment_cancel",
)
def cancel(
    request: HttpRequest,
    appointment_id: int,
    data: CancelIn,
    idempotency_key: str = Header(..., alias="Idempotency-Key"),
) -> Any:
    appointment = get_appointment_for(actor(request), appointment_id)
    if data.cancelled_by not in CancelledBy.values:
        raise bad_request("Say who cancelled.", {"cancelled_by": ", ".join(CancelledBy.values)})

    def work() -> tuple[int, AppointmentOut]:
        try:
            changed = change_status(
                appointment,
                target=AppointmentStatus.CANCELLED,
                actor=actor(request),
                cancelled_by=data.cancelled_by,
            )
        except AppointmentError as error:
            raise conflict(str(error)) from None
        return 200, AppointmentOut.model_validate(changed, from_attributes=True)

    return once(request, idempotency_key, work)
