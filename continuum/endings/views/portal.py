"""The client's side: the ending plan (read and accept), the readiness questions, the
relapse-prevention plan (read-only) and the client summary once therapy has ended.

Behind `portal_client_required`: the client comes from the login, never from the URL.
"""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.db import models
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
)
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from continuum.accounts.http import actor_of, refuse
from continuum.audit.log import record
from continuum.care.access import portal_client_required
from continuum.care.models import Client
from continuum.endings import queries, services
from continuum.endings.forms import ReadinessAnswerForm
from continuum.endings.summary import Version
from continuum.endings.views.therapist import FORMATS, summary_response

READ = ("GET", "HEAD")


def _client(request: HttpRequest) -> Client:
    return cast(Client, request.portal_client)  # type: ignore[attr-defined]


def _viewed(
    request: HttpRequest, client: Client, action: str, obj: models.Model | None = None
) -> None:
    record(
        actor_of(request),
        action,
        obj,
        practice=client.practice_id,
        client_id=client.pk,
    )


@never_cache
@portal_client_required
def ending(request: HttpRequest) -> HttpResponse:
    if (refused := refuse(request, *READ)) is not None:
        return refused
    client = _client(request)
    plan = queries.portal_termination_plan(client)
    _viewed(request, client, "ending.portal_view", plan)
    return render(
        request,
        "portal/endings/ending.html",
        {
            "client": client,
            "plan": plan,
            "sessions": queries.tapering_sessions(plan) if plan is not None else [],
            "referrals": queries.referrals_for(plan.episode) if plan is not None else [],
            "open_request": queries.open_readiness_request(client),
            "relapse": queries.current_relapse_plan(client, shared_only=True),
            "ended": queries.latest_ended_episode(client),
            "nav": "ending",
        },
    )


@never_cache
@portal_client_required
def ending_accept(request: HttpRequest) -> HttpResponse:
    if (refused := refuse(request, "POST")) is not None:
        return refused
    client = _client(request)
    plan = queries.portal_termination_plan(client)
    if plan is None:
        raise Http404("No ending plan to accept")
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        return HttpResponseBadRequest("Which version of the plan did you read?")
    try:
        services.accept_termination_plan(plan, version=version, actor=actor_of(request))
    except services.PlanChanged as error:
        messages.warning(request, str(error))
    else:
        messages.success(request, "Thank you. Your therapist will see that you agreed the plan.")
    return redirect("endings:portal_ending")


@never_cache
@portal_client_required
def readiness(request: HttpRequest) -> HttpResponse:
    client = _client(request)
    asked = queries.open_readiness_request(client)
    if (refused := refuse(request, *READ, "POST")) is not None:
        return refused
    status = 200
    if request.method == "POST":
        if asked is None:
            messages.info(request, "There are no questions waiting for you. Thank you.")
            return redirect("endings:portal_ending")
        form = ReadinessAnswerForm(request.POST)
        if form.is_valid():
            try:
                services.answer_readiness(
                    asked,
                    readiness=form.cleaned_data["readiness"],
                    worries=form.cleaned_data["worries"],
                    actor=actor_of(request),
                )
            except services.EndingError as error:
                messages.info(request, str(error))
            else:
                messages.success(
                    request, "Thank you. Your therapist will talk it through with you."
                )
            return redirect("endings:portal_ending")
        status = 400
    else:
        form = ReadinessAnswerForm()
        _viewed(request, client, "ending.readiness_portal_view", asked)
    return render(
        request,
        "portal/endings/readiness.html",
        {"client": client, "asked": asked, "form": form, "nav": "ending"},
        status=status,
    )


@never_cache
@portal_client_required
def relapse_plan(request: HttpRequest) -> HttpResponse:
    if (refused := refuse(request, *READ)) is not None:
        return refused
    client = _client(request)
    plan = queries.current_relapse_plan(client, shared_only=True)
    _viewed(request, client, "relapse_plan.portal_view", plan)
    return render(
        request,
        "portal/endings/relapse_plan.html",
        {"client": client, "plan": plan, "nav": "ending"},
    )


def _portal_summary(request: HttpRequest, *, pdf: bool) -> HttpResponse:
    if (refused := refuse(request, *READ)) is not None:
        return refused
    fmt = request.GET.get("format", "")
    if fmt not in FORMATS:
        return HttpResponseBadRequest("Unknown format: choose html or pdf.")
    client = _client(request)
    episode = queries.latest_ended_episode(client)
    if episode is None:
        # Nothing has ended yet: the summary is written when therapy ends.
        return render(
            request,
            "portal/endings/no_summary.html",
            {"client": client, "nav": "ending"},
        )
    return summary_response(request, episode, Version.CLIENT, pdf=pdf or fmt == "pdf")


@never_cache
@portal_client_required
def summary(request: HttpRequest) -> HttpResponse:
    return _portal_summary(request, pdf=False)


@never_cache
@portal_client_required
def summary_pdf(request: HttpRequest) -> HttpResponse:
    return _portal_summary(request, pdf=True)
