"""Reflection pages: a client's list (filter, search), write, read, edit, mark addressed.

Every page is for the author alone: the lookup helpers in access.py answer 404 to anyone
else, before the method is looked at, so an outsider learns nothing from GET versus POST.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from continuum.accounts import once
from continuum.accounts.decorators import clinician_required
from continuum.accounts.http import READ_METHODS, actor_of, is_htmx, refuse, user_of
from continuum.audit import log as audit
from continuum.care.access import get_client_for
from continuum.care.models import Client
from continuum.reflections import services
from continuum.reflections.access import (
    former_reflections_for,
    get_readable_reflection_for,
    get_reflection_for,
    reflections_for,
)
from continuum.reflections.forms import (
    SHOW_ADDRESSED,
    SHOW_ALL,
    SHOW_TO_BRING,
    AddressForm,
    ReflectionFilterForm,
    ReflectionForm,
)
from continuum.reflections.models import Reflection
from continuum.reflections.queries import newest_first
from continuum.reflections.search import SEARCH_LIMIT, search_reflections

DEFAULT_PAGE_SIZE = 20


def _page_size() -> int:
    return int(getattr(settings, "REFLECTIONS_PAGE_SIZE", DEFAULT_PAGE_SIZE))


def _next_or(request: HttpRequest, default: str) -> str:
    """A same-site `next` (from the brief or the list) or the default page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _list_url(client_id: int) -> str:
    return reverse("reflections:client_reflections", kwargs={"client_id": client_id})


def _detail_url(reflection: Reflection) -> str:
    return reverse("reflections:reflection_detail", kwargs={"reflection_id": reflection.pk})


# --- The client's reflections ---------------------------------------------------------------


@clinician_required
def client_reflections(request: HttpRequest, client_id: int) -> HttpResponse:
    user = user_of(request)
    client = get_client_for(actor_of(request), client_id)
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    # Its own id prefix: the page also holds the "write a reflection" form (both have a kind).
    filters = ReflectionFilterForm(request.GET, auto_id="filter_%s")
    context: dict[str, Any] = {"nav": "caseload", "client": client, "filters": filters}
    if not filters.is_valid():
        # An unknown kind or "show" value is a bad request, answered with the reason.
        return render(request, "reflections/client_reflections.html", context, status=400)

    q, kind, show = (filters.cleaned_data[k] for k in ("q", "kind", "show"))
    reflections = newest_first(reflections_for(user).filter(client=client))
    if kind:
        reflections = reflections.filter(kind=kind)
    if show == SHOW_TO_BRING:
        reflections = reflections.filter(bring_to_next_session=True, addressed_at__isnull=True)
    elif show == SHOW_ADDRESSED:
        reflections = reflections.filter(addressed_at__isnull=False)

    truncated = False
    items: Any = reflections
    if q:
        # Encrypted text cannot be searched in SQL: decrypt this client's reflections (one
        # client's history, newest SEARCH_LIMIT) and match in memory. See search.py.
        candidates = list(reflections[: SEARCH_LIMIT + 1])
        truncated = len(candidates) > SEARCH_LIMIT
        items = search_reflections(candidates[:SEARCH_LIMIT], q)
    paginator = Paginator(items, _page_size())
    page_obj = paginator.get_page(request.GET.get("page"))
    shown = list(page_obj.object_list)
    # One row for the page; never the search words or the kind filter (ids and counts only).
    audit.record(
        actor_of(request),
        "reflection.search" if q else "reflection.list",
        client,
        page=page_obj.number,
        reflections=[r.pk for r in shown],
    )
    context.update(
        page_obj=page_obj,
        reflections=shown,
        total=paginator.count,
        filtered=bool(q or kind or show != SHOW_ALL),
        searched=bool(q),
        truncated=truncated,
        search_limit=SEARCH_LIMIT,
        form=ReflectionForm(client=client),
        form_action=reverse("reflections:reflection_create", kwargs={"client_id": client.pk}),
    )
    return render(request, "reflections/client_reflections.html", context)


@clinician_required
def reflection_create(request: HttpRequest, client_id: int) -> HttpResponse:
    user = user_of(request)
    client = get_client_for(actor_of(request), client_id)
    if (refused := refuse(request, "GET", "POST")) is not None:
        return refused
    if request.method == "POST":
        form = ReflectionForm(request.POST, client=client)
        if form.is_valid():
            target = _next_or(request, _list_url(client.pk))

            def create() -> str:
                services.create_reflection(
                    author=user,
                    client=client,
                    kind=form.cleaned_data["kind"],
                    text=form.cleaned_data["text"],
                    appointment=form.cleaned_data["appointment"],
                    bring_to_next_session=form.cleaned_data["bring_to_next_session"],
                    actor=actor_of(request),
                )
                return target

            try:
                done = once.submit(form, user, create, fallback=target)
            except services.ReflectionError as refused_error:
                form.add_error(None, str(refused_error))
            else:
                if done.first:
                    messages.success(request, "Reflection saved. Only you can read it.")
                if is_htmx(request):
                    return HttpResponseClientRedirect(done.url)
                return redirect(done.url)
    else:
        form = ReflectionForm(client=client)
    return _render_form(request, form, client=client, reflection=None)


def _render_form(
    request: HttpRequest, form: ReflectionForm, *, client: Client, reflection: Reflection | None
) -> HttpResponse:
    if reflection is None:
        action = reverse("reflections:reflection_create", kwargs={"client_id": client.pk})
        cancel = _list_url(client.pk)
    else:
        action = reverse("reflections:reflection_edit", kwargs={"reflection_id": reflection.pk})
        cancel = _detail_url(reflection)
    context = {
        "nav": "caseload",
        "client": client,
        "reflection": reflection,
        "form": form,
        "form_action": action,
        "cancel_url": cancel,
    }
    # htmx swaps just the form (with its errors) in place; 200 so that htmx swaps it.
    template = "reflections/reflection_form.html"
    if is_htmx(request):
        template += "#reflection-form"
    return render(request, template, context)


# --- One reflection -------------------------------------------------------------------------


@clinician_required
def reflection_detail(request: HttpRequest, reflection_id: int) -> HttpResponse:
    user = user_of(request)
    reflection = get_readable_reflection_for(user, reflection_id)
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    current = reflection.client.therapist_id == user.pk
    audit.record(actor_of(request), "reflection.view", reflection, client_id=reflection.client_id)
    return render(
        request,
        "reflections/reflection_detail.html",
        {
            "nav": "caseload",
            "reflection": reflection,
            "client": reflection.client,
            "current": current,
        },
    )


@clinician_required
def reflection_edit(request: HttpRequest, reflection_id: int) -> HttpResponse:
    user = user_of(request)
    reflection = get_reflection_for(user, reflection_id)
    if (refused := refuse(request, "GET", "POST")) is not None:
        return refused
    client = reflection.client
    if request.method == "POST":
        form = ReflectionForm(request.POST, client=client)
        if form.is_valid():
            try:
                services.update_reflection(
                    reflection,
                    kind=form.cleaned_data["kind"],
                    text=form.cleaned_data["text"],
                    appointment=form.cleaned_data["appointment"],
                    bring_to_next_session=form.cleaned_data["bring_to_next_session"],
                    actor=actor_of(request),
                )
            except services.ReflectionError as refused_error:
                form.add_error(None, str(refused_error))
            else:
                messages.success(request, "Reflection saved.")
                target = _detail_url(reflection)
                if is_htmx(request):
                    return HttpResponseClientRedirect(target)
                return redirect(target)
    else:
        form = ReflectionForm(
            client=client,
            initial={
                "kind": reflection.kind,
                "text": reflection.text,
                "appointment": reflection.appointment_id,
                "bring_to_next_session": reflection.bring_to_next_session,
            },
        )
        audit.record(
            actor_of(request), "reflection.view", reflection, client_id=client.pk, page="edit"
        )
    return _render_form(request, form, client=client, reflection=reflection)


@clinician_required
def reflection_address(request: HttpRequest, reflection_id: int) -> HttpResponse:
    """GET: the form; POST: mark addressed (without an `appointment` field at all, e.g. a
    one-click button, the latest attended session is used; an empty one means none)."""
    user = user_of(request)
    reflection = get_reflection_for(user, reflection_id)
    if (refused := refuse(request, "GET", "POST")) is not None:
        return refused
    client = reflection.client
    if request.method == "POST":
        data: QueryDict = request.POST.copy()
        if "appointment" not in data:
            default = services.default_addressed_in(client)
            data["appointment"] = str(default.pk) if default is not None else ""
        form = AddressForm(data, client=client)
        if form.is_valid():
            try:
                services.mark_addressed(
                    reflection,
                    appointment=form.cleaned_data["appointment"],
                    note=form.cleaned_data["note"],
                    actor=actor_of(request),
                )
            except services.ReflectionError as refused_error:
                form.add_error(None, str(refused_error))
            else:
                messages.success(request, "Marked as addressed.")
                return redirect(_next_or(request, _detail_url(reflection)))
        # The page shown again holds the reflection's text: that is a read, so it is recorded.
        audit.record(
            actor_of(request),
            "reflection.view",
            reflection,
            client_id=client.pk,
            page="address_error",
        )
    else:
        if reflection.is_addressed:
            initial = {
                "appointment": reflection.addressed_in_id,
                "note": reflection.addressed_note,
            }
        else:
            default = services.default_addressed_in(client)
            initial = {"appointment": default.pk if default is not None else None}
        form = AddressForm(client=client, initial=initial)
        audit.record(
            actor_of(request), "reflection.view", reflection, client_id=client.pk, page="address"
        )
    return render(
        request,
        "reflections/reflection_address.html",
        {
            "nav": "caseload",
            "reflection": reflection,
            "client": client,
            "form": form,
            "next": _next_or(request, ""),
        },
    )


@clinician_required
def reflection_unaddress(request: HttpRequest, reflection_id: int) -> HttpResponse:
    user = user_of(request)
    reflection = get_reflection_for(user, reflection_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    try:
        services.unmark_addressed(reflection, actor=actor_of(request))
    except services.NotAddressed as not_addressed:
        messages.info(request, str(not_addressed))
    else:
        messages.success(request, "No longer marked as addressed.")
    return redirect(_next_or(request, _detail_url(reflection)))


# --- Former clients -------------------------------------------------------------------------


@clinician_required
def former_clients(request: HttpRequest) -> HttpResponse:
    """What the user wrote about clients they no longer treat: theirs to read, not to change."""
    user = user_of(request)
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    reflections = (
        former_reflections_for(user).select_related("client").order_by("-created_at", "-pk")
    )
    paginator = Paginator(reflections, _page_size())
    page_obj = paginator.get_page(request.GET.get("page"))
    shown = list(page_obj.object_list)
    audit.record(
        actor_of(request),
        "reflection.list",
        former=True,
        page=page_obj.number,
        reflections=[r.pk for r in shown],
    )
    return render(
        request,
        "reflections/former_clients.html",
        {"nav": "caseload", "page_obj": page_obj, "reflections": shown},
    )
