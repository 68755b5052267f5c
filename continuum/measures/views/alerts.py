"""The therapist's alerts: the list (their clients only), one alert, acknowledge, resolve."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from continuum.accounts.decorators import clinician_required
from continuum.accounts.http import actor_of, refuse
from continuum.audit.log import record
from continuum.measures.access import alerts_for, get_alert_for
from continuum.measures.alerts import AlertError
from continuum.measures.forms import AlertFilterForm, ResolveForm
from continuum.measures.models import Alert
from continuum.measures.services import acknowledge, resolve
from continuum.measures.views.common import user_of

PAGE_SIZE = getattr(settings, "ALERTS_PAGE_SIZE", 50)


@clinician_required
def alert_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    status = AlertFilterForm(request.GET).status_value()
    rows = alerts_for(user).select_related("client", "acknowledged_by", "resolved_by")
    if status != "all":
        rows = rows.filter(status=status)
    # Most severe first, then newest (SEVERITY_RANK: 0 = high).
    rows = rows.order_by("severity_rank", "-created_at", "-pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = {
        row["status"]: row["n"]
        for row in alerts_for(user).order_by().values("status").annotate(n=Count("pk"))
    }
    tabs = [
        (value, label, counts.get(value, 0) if value != "all" else sum(counts.values()))
        for value, label in AlertFilterForm.STATUS_CHOICES
    ]
    return render(
        request,
        "measures/alerts.html",
        {
            "page_obj": page,
            "alerts": page.object_list,
            "status": status,
            "tabs": tabs,
            "querystring_prefix": f"status={status}&",
            "nav": "alerts",
        },
    )


def _alert_page(
    request: HttpRequest, alert: Alert, form: ResolveForm | None = None, *, status: int = 200
) -> HttpResponse:
    context: dict[str, Any] = {
        "alert": alert,
        "client": alert.client,
        "form": form or ResolveForm(safety=alert.needs_action),
        "nav": "alerts",
    }
    return render(request, "measures/alert_detail.html", context, status=status)


@clinician_required
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    user = user_of(request)
    alert = get_alert_for(user, alert_id)
    record(actor_of(request), "measures.alert_view", alert, kind=alert.kind)
    return _alert_page(request, alert)


@clinician_required
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    user = user_of(request)
    alert = get_alert_for(user, alert_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    try:
        acknowledge(alert, actor=actor_of(request))
    except AlertError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "The alert was acknowledged.")
    return redirect("measures:alert_detail", alert_id=alert.pk)


@clinician_required
def alert_resolve(request: HttpRequest, alert_id: int) -> HttpResponse:
    user = user_of(request)
    alert = get_alert_for(user, alert_id)
    if request.method != "POST":
        return _alert_page(request, alert)
    form = ResolveForm(request.POST, safety=alert.needs_action)
    if not form.is_valid():
        return _alert_page(request, alert, form, status=400)
    try:
        resolve(
            alert,
            action=form.cleaned_data.get("action") or "",
            action_note=form.cleaned_data.get("action_note") or "",
            actor=actor_of(request),
        )
    except AlertError as error:
        form.add_error(None, str(error))
        return _alert_page(request, alert, form, status=400)
    messages.success(request, "The alert was resolved.")
    return redirect("measures:alert_detail", alert_id=alert.pk)
