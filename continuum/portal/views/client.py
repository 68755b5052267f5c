"""The client's own pages: home, check-in, progress, help, and questionnaires due.

Every view is behind `portal_client_required` and takes the client from the login, never
from the URL; ids in URLs are looked up within that client's own rows.
"""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from continuum.accounts.http import READ_METHODS, actor_of, refuse
from continuum.boundaries.services import contact_for
from continuum.care.access import portal_client_required
from continuum.care.models import Client
from continuum.lib.keys import new_idempotency_key
from continuum.measures import services as measures
from continuum.portal import queries
from continuum.portal.access import own_checkin, own_pending_administration
from continuum.portal.forms import CheckInForm
from continuum.portal.services import PortalError, record_checkin, settings_for


def _client(request: HttpRequest) -> Client:
    return cast(Client, request.portal_client)  # type: ignore[attr-defined]


@never_cache
@portal_client_required
def home(request: HttpRequest) -> HttpResponse:
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    client = _client(request)
    return render(
        request,
        "portal/home.html",
        {"home": queries.portal_home(client), "client": client, "nav": "home"},
    )


@never_cache
@portal_client_required
def checkin(request: HttpRequest) -> HttpResponse:
    client = _client(request)
    portal = settings_for(client)
    context: dict[str, object] = {"client": client, "nav": "checkin", "portal": portal}
    if portal.checkin_cadence == "none":
        # The therapist has not asked for check-ins; nothing is stored.
        return render(request, "portal/checkin_off.html", context)
    if request.method == "POST":
        form = CheckInForm(request.POST)
        if form.is_valid():
            try:
                saved = record_checkin(client, form.cleaned_data, actor=actor_of(request))
            except PortalError as error:
                form.add_error(None, str(error))
            else:
                return redirect("portal:checkin_done", checkin_id=saved.pk)
        if form.key_expired:
            # A fresh key, so the next send is accepted (nothing was stored with the old one).
            data = cast(QueryDict, form.data).copy()
            data["idempotency_key"] = new_idempotency_key()
            form.data = data
    else:
        form = CheckInForm(initial={"idempotency_key": new_idempotency_key()})
    context["form"] = form
    return render(request, "portal/checkin.html", context)


@never_cache
@portal_client_required
def checkin_done(request: HttpRequest, checkin_id: int) -> HttpResponse:
    client = _client(request)
    saved = own_checkin(client, checkin_id)
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    # From when it was sent, so the promise reads the same if the page is opened again later.
    # Working hours and crisis resources follow the therapist's contact policy (boundaries).
    contact = contact_for(client) if saved.urgent else None
    return render(
        request,
        "portal/checkin_done.html",
        {
            "client": client,
            "checkin": saved,
            "reads_by": contact.reads_by(saved.created_at) if contact else None,
            "resources": contact.crisis if contact else [],
            "nav": "checkin",
        },
    )


@never_cache
@portal_client_required
def progress(request: HttpRequest) -> HttpResponse:
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    client = _client(request)
    shared = list(settings_for(client).shared_measures)
    return render(
        request,
        "portal/progress.html",
        {
            "client": client,
            "measures": queries.client_progress(client, shared),
            "nav": "progress",
        },
    )


@portal_client_required
def crisis(request: HttpRequest) -> HttpResponse:
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    client = _client(request)
    contact = contact_for(client)
    return render(
        request,
        "portal/crisis.html",
        {
            "client": client,
            "resources": contact.crisis,
            "expectations": contact.expectations(),
            "nav": "help",
        },
    )


@never_cache
@portal_client_required
def questionnaire(request: HttpRequest, administration_id: int) -> HttpResponse:
    """A questionnaire due: GET says what it is; POST opens the one-time questionnaire page.

    The portal does not render questionnaires itself: it sends the logged-in client to the
    same page a one-time link opens (measures.views.public), using the link the therapist
    already issued while it works, or issuing a fresh one (audited, by the client).
    """
    client = _client(request)
    admin = own_pending_administration(client, administration_id)
    if request.method == "POST":
        path = measures.link_path(admin)
        if path is None:
            try:
                measures.issue_link(admin, actor=actor_of(request))
            except measures.MeasureError:
                return redirect("portal:home")
            path = measures.link_path(admin)
        if path is not None:
            return redirect(path)
        return redirect("portal:home")
    if (refused := refuse(request, *READ_METHODS, "POST")) is not None:
        return refused
    return render(
        request,
        "portal/questionnaire.html",
        {"client": client, "administration": admin, "nav": "home"},
    )
