"""A client's own record: requested and downloaded in the portal, released by the therapist."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.cache import never_cache

from continuum.accounts.decorators import clinician_required
from continuum.accounts.http import READ_METHODS, actor_of, refuse
from continuum.audit import log as audit
from continuum.care.access import get_client_for, portal_client_required
from continuum.care.models import Client
from continuum.endings.pdf import html_to_pdf
from continuum.exchange import record_services as services
from continuum.exchange.models import RecordRequest, RecordRequestStatus
from continuum.exchange.record import client_record, record_json
from continuum.lib import contributions


def _client(request: HttpRequest) -> Client:
    return cast(Client, request.portal_client)  # type: ignore[attr-defined]


@never_cache
@portal_client_required
def portal_record(request: HttpRequest) -> HttpResponse:
    if (refused := refuse(request, *READ_METHODS, "POST")) is not None:
        return refused
    client = _client(request)
    if request.method == "POST":
        services.request_record(actor_of(request), client)
        messages.success(request, "Your request was sent to your therapist.")
        return redirect("exchange:portal_record")
    return render(
        request,
        "exchange/portal_record.html",
        {
            "client": client,
            "latest": services.latest_request(client),
            "days": services.release_days(),
            "machine_formats": contributions.record_formats(),
            "nav": "record",
        },
    )


def _released(client: Client) -> RecordRequest:
    latest = services.latest_request(client)
    if latest is None or latest.status != RecordRequestStatus.RELEASED:
        raise Http404("No released record")
    return latest


@never_cache
@portal_client_required
def portal_record_download(request: HttpRequest, fmt: str) -> HttpResponse:
    client = _client(request)
    released = _released(client)
    machine = {f.name: f for f in contributions.record_formats()}
    if fmt not in ("pdf", "json", *machine):
        raise Http404("No such format")
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    stamp = timezone.localdate().isoformat()
    if fmt in machine:
        # A shape a higher app contributes (the FHIR $everything Bundle): no reflections.
        shape = machine[fmt]
        services.record_download(actor_of(request), released, fmt)
        response = HttpResponse(shape.build(client), content_type=shape.content_type)
        response["Content-Disposition"] = (
            f'attachment; filename="my-record-{stamp}.{shape.extension}"'
        )
        response["Cache-Control"] = "no-store"
        return response
    data = client_record(client)
    services.record_download(actor_of(request), released, fmt)
    if fmt == "json":
        response = HttpResponse(record_json(data), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="my-record-{stamp}.json"'
    else:
        html = render_to_string("exchange/record_pdf.html", {"record": data, "for_pdf": True})
        response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="my-record-{stamp}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@clinician_required
def record_requests(request: HttpRequest, client_id: int) -> HttpResponse:
    """The therapist's view of a client's record requests: review what goes out, release."""
    actor = actor_of(request)
    client = get_client_for(actor, client_id)
    if (refused := refuse(request, *READ_METHODS, "POST")) is not None:
        return refused
    requests = list(RecordRequest.objects.filter(client=client).order_by("-requested_at", "-pk"))
    open_request = next((r for r in requests if r.status == RecordRequestStatus.REQUESTED), None)
    if request.method == "POST":
        if open_request is not None:
            services.release_record(actor, open_request)
            messages.success(request, "The record was released; the client can download it.")
        return redirect("exchange:record_requests", client_id=client.pk)
    audit.record(actor, "record.review", client, requests=len(requests))
    return render(
        request,
        "exchange/record_requests.html",
        {
            "client": client,
            "requests": requests,
            "open_request": open_request,
            "record": client_record(client) if open_request is not None else None,
            "nav": "caseload",
        },
    )
