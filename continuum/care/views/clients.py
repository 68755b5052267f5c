"""The caseload, and adding, editing and reading a client's record."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from continuum.accounts import once
from continuum.accounts.decorators import clinician_required
from continuum.accounts.http import READ_METHODS, actor_of, refuse, user_of
from continuum.audit.log import record
from continuum.care import queries
from continuum.care.access import get_client_for
from continuum.care.forms.clients import CaseloadFilterForm, ClientCreateForm, ClientForm
from continuum.care.models import Client
from continuum.care.services.clients import create_client, update_client
from continuum.care.services.episodes import next_statuses
from continuum.lib.contributions import panels

# How many of a client's latest timeline items the first page shows before "show more".
TIMELINE_RECENT = 5


@clinician_required
def caseload(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    form = CaseloadFilterForm(request.GET)
    context: dict[str, object] = {"form": form, "nav": "caseload"}
    if not form.is_valid():
        # An unknown sort or status is a bad request, answered with the reason, never a 500.
        return render(request, "care/caseload.html", context, status=400)

    status, q, sort = form.cleaned_data["status"], form.cleaned_data["q"], form.cleaned_data["sort"]
    clients = queries.caseload(user, now=timezone.now(), status=status, q=q, sort=sort)
    paginator = Paginator(clients, settings.CASELOAD_PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    rows = queries.caseload_rows(page_obj.object_list)
    # One row for the page, not one per client; the search text is not recorded (it may be
    # a name).
    record(
        actor_of(request),
        "caseload.view",
        page=page_obj.number,
        status=status,
        sort=sort,
        searched=bool(q),
        shown=len(rows),
    )
    context.update(
        page_obj=page_obj,
        clients=rows,
        total=paginator.count,
        filtered=bool(q) or status != queries.STATUS_ALL,
    )
    return render(request, "care/caseload.html", context)


@clinician_required
def client_create(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if request.method == "POST":
        form = ClientCreateForm(request.POST)
        if form.is_valid():
            key = form.cleaned_data["submission_key"]
            with transaction.atomic():
                if not once.claim(key, user):  # the same form sent again: nothing new
                    return redirect(once.result_url(key, user, reverse("care:caseload")))
                client = create_client(
                    by=user,
                    details=form.client_details(),
                    referral_reason=form.first_episode_reason(),
                )
                url = reverse("care:client_detail", kwargs={"client_id": client.pk})
                once.remember(key, url)
            messages.success(request, "The client was added to your caseload.")
            return redirect(url)
    else:
        form = ClientCreateForm(
            initial={"time_zone": user.time_zone, "submission_key": once.new_key()}
        )
    return render(
        request, "care/client_form.html", {"form": form, "client": None, "nav": "caseload"}
    )


@clinician_required
def client_edit(request: HttpRequest, client_id: int) -> HttpResponse:
    user = user_of(request)
    client = get_client_for(actor_of(request), client_id)
    if request.method == "POST":
        # The form works on a copy so a rejected edit leaves nothing half-applied in memory.
        form = ClientForm(request.POST, instance=Client.objects.get(pk=client.pk))
        if form.is_valid():
            update_client(client, by=user, details=form.client_details())
            messages.success(request, "The client's details were saved.")
            return redirect("care:client_detail", client_id=client.pk)
    else:
        form = ClientForm(instance=client)
        record(actor_of(request), "client.view", client, page="edit")
    return render(
        request, "care/client_form.html", {"form": form, "client": client, "nav": "caseload"}
    )


@clinician_required
def client_detail(request: HttpRequest, client_id: int) -> HttpResponse:
    user = user_of(request)
    client = get_client_for(actor_of(request), client_id)
    # Checked after the lookup, so an outsider gets the same 404 whatever the method.
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    current = queries.current_episode_first(client.episodes.all()).first()
    timeline = queries.ClientTimeline(client, timezone.get_current_timezone())
    paginator: Paginator[queries.TimelineItem] = Paginator(timeline, settings.TIMELINE_PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    record(actor_of(request), "client.view", client, page=page_obj.number)
    client_panels = panels("client")
    items = list(page_obj.object_list)
    # The first page leads with the recent items; the rest of the page is one click away
    # (a <details>, no script). An older page, asked for, shows all of its items.
    recent = TIMELINE_RECENT if page_obj.number == 1 else len(items)
    return render(
        request,
        "care/client_detail.html",
        {
            "client": client,
            "episode": current,
            "has_open_episode": current is not None and current.is_open,
            "next_steps": next_statuses(current.status) if current is not None else [],
            "page_obj": page_obj,
            "timeline": items[:recent],
            "timeline_more": items[recent:],
            # What other apps show here (measures, homework, the author's reflections).
            **{p.name: p.build(user, client) for p in client_panels},
            "panel_templates": [p.template for p in client_panels],
            "nav": "caseload",
        },
    )
