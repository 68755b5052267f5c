"""The client's side: "My plan" (read and acknowledge) and homework (report how it went).

Behind `portal_client_required`: the client comes from the login, never from the URL, and a
homework id is looked up within that client's own tasks (anything else is a 404).
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from continuum.accounts.http import actor_of, refuse
from continuum.audit.log import record
from continuum.care.access import portal_client_required
from continuum.care.models import Client
from continuum.plans import queries, services
from continuum.plans.access import get_portal_homework
from continuum.plans.forms import HomeworkReportForm
from continuum.plans.models import GoalStatus, InterventionStatus, PlanError

READ = ("GET", "HEAD")


def _client(request: HttpRequest) -> Client:
    return cast(Client, request.portal_client)  # type: ignore[attr-defined]


@never_cache
@portal_client_required
def plan(request: HttpRequest) -> HttpResponse:
    if (refused := refuse(request, *READ)) is not None:
        return refused
    client = _client(request)
    current = queries.current_plan(client)
    goals: list[Any] = []
    interventions: list[Any] = []
    if current is not None:
        goals = [g for g in current.goals.all() if g.status != GoalStatus.DROPPED]
        interventions = list(
            current.interventions.filter(status=InterventionStatus.ACTIVE).prefetch_related("goals")
        )
    record(
        actor_of(request),
        "plan.portal_view",
        current,
        practice=client.practice_id,
        client_id=client.pk,
    )
    return render(
        request,
        "portal/plans/plan.html",
        {
            "client": client,
            "plan": current,
            "goals": goals,
            "interventions": interventions,
            "nav": "plan",
        },
    )


@never_cache
@portal_client_required
def plan_acknowledge(request: HttpRequest) -> HttpResponse:
    if (refused := refuse(request, "POST")) is not None:
        return refused
    client = _client(request)
    current = queries.current_plan(client)
    if current is None:
        raise Http404("No plan to acknowledge")
    # The version the client read: a plan published while the page was open is not
    # acknowledged unread.
    if request.POST.get("version") != str(current.version):
        messages.warning(
            request, "Your plan was updated while you were reading it. Please read this version."
        )
        return redirect("plans:portal_plan")
    try:
        services.acknowledge_plan(current, by=request.user)
    except PlanError as error:
        messages.warning(request, str(error))
    else:
        messages.success(request, "Thank you. Your therapist will see that you have read it.")
    return redirect("plans:portal_plan")


def _homework_page(
    request: HttpRequest,
    client: Client,
    *,
    failed: tuple[int, HomeworkReportForm] | None = None,
) -> HttpResponse:
    tasks = queries.portal_homework(client)
    items = []
    for task in tasks:
        if failed is not None and failed[0] == task.pk:
            form = failed[1]
        else:
            initial = {"status": task.status, "note": task.client_note} if task.is_reported else {}
            form = HomeworkReportForm(initial=initial, prefix=f"hw{task.pk}")
        items.append((task, form))
    record(
        actor_of(request),
        "homework.portal_view",
        None,
        practice=client.practice_id,
        client_id=client.pk,
    )
    return render(
        request,
        "portal/plans/homework.html",
        {
            "client": client,
            "open_items": [(t, f) for t, f in items if t.is_open],
            "reported_items": [(t, f) for t, f in items if not t.is_open],
            "nav": "homework",
        },
        status=400 if failed is not None else 200,
    )


@never_cache
@portal_client_required
def homework(request: HttpRequest) -> HttpResponse:
    if (refused := refuse(request, *READ)) is not None:
        return refused
    return _homework_page(request, _client(request))


@never_cache
@portal_client_required
def homework_report(request: HttpRequest, homework_id: int) -> HttpResponse:
    client = _client(request)
    task = get_portal_homework(client, homework_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    form = HomeworkReportForm(request.POST, prefix=f"hw{task.pk}")
    if not form.is_valid():
        return _homework_page(request, client, failed=(task.pk, form))
    try:
        services.report_homework(
            task,
            by=request.user,
            status=form.cleaned_data["status"],
            note=form.cleaned_data["note"],
        )
    except PlanError as error:
        form.add_error(None, str(error))
        return _homework_page(request, client, failed=(task.pk, form))
    messages.success(request, "Thank you, your therapist will see how it went.")
    return redirect("plans:portal_homework")
