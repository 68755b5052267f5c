"""The therapist's alerts: the list (their clients only), one alert, acknowledge, resolve,
and "still relevant? keep / close" for a stale one."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from continuum.accounts.confirm import confirmation_page, confirmed
from continuum.accounts.decorators import clinician_required
from continuum.accounts.http import actor_of, refuse
from continuum.audit.log import record
from continuum.measures.access import alerts_for, get_alert_for
from continuum.measures.alerts import ACTIVE, AlertError
from continuum.measures.forms import AlertFilterForm, ResolveForm, StaleReviewForm
from continuum.measures.models import Alert, AlertResolution, AlertStatus, SafetyAction
from continuum.measures.presenters import age_words, closed_alert_words, resolve_safety_words
from continuum.measures.queries import alert_evidence_at, alert_tier, evidence_of, stale_days
from continuum.measures.services import acknowledge, resolve, review_stale_alert
from continuum.measures.views.common import user_of

PAGE_SIZE = getattr(settings, "ALERTS_PAGE_SIZE", 50)


@clinician_required
def alert_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    status = AlertFilterForm(request.GET).status_value()
    rows = alerts_for(user).select_related("client", "acknowledged_by", "resolved_by")
    if status == AlertStatus.OPEN:
        rows = rows.filter(status__in=ACTIVE)  # queries.open_alerts: acknowledged ones too
    elif status != "all":
        rows = rows.filter(status=status)
    # The clinical tiers (queries.ALERT_TIERS), the oldest first within a tier.
    rows = rows.annotate(tier=alert_tier(), evidence_at=alert_evidence_at()).order_by(
        "tier", "created_at", "pk"
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    by_status = {
        row["status"]: row["n"]
        for row in alerts_for(user).order_by().values("status").annotate(n=Count("pk"))
    }
    counts = {
        **by_status,
        # queries.count_open_alerts: open and acknowledged, the number the day shows
        AlertStatus.OPEN: sum(by_status.get(s, 0) for s in ACTIVE),
        "all": sum(by_status.values()),
    }
    tabs = [(value, label, counts.get(value, 0)) for value, label in AlertFilterForm.STATUS_CHOICES]
    now = timezone.now()
    listed = []
    for alert in page.object_list:
        days = (
            stale_days(alert.kind, getattr(alert, "evidence_at", None), now)
            if alert.status in ACTIVE
            else None
        )
        listed.append((alert, age_words(days) if days is not None else ""))
    record(
        actor_of(request), "measures.alert_list", status=status, page=page.number, count=len(listed)
    )
    return render(
        request,
        "measures/alerts.html",
        {
            "page_obj": page,
            "alerts": page.object_list,
            "rows": listed,
            "status": status,
            "tabs": tabs,
            "querystring_prefix": f"status={status}&",
            "nav": "alerts",
        },
    )


def _alert_page(
    request: HttpRequest, alert: Alert, form: ResolveForm | None = None, *, status: int = 200
) -> HttpResponse:
    days = stale_days(alert.kind, evidence_of(alert), timezone.now())
    context: dict[str, Any] = {
        "alert": alert,
        "client": alert.client,
        "form": form or ResolveForm(safety=alert.needs_action),
        "stale_age": age_words(days) if days is not None and alert.status in ACTIVE else "",
        "closed_words": closed_alert_words(alert)
        if alert.resolution == AlertResolution.NO_LONGER_CURRENT
        else "",
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
        record(actor_of(request), "measures.alert_view", alert, kind=alert.kind, page="resolve")
        return _alert_page(request, alert)
    form = ResolveForm(request.POST, safety=alert.needs_action)
    if not form.is_valid():
        return _alert_page(request, alert, form, status=400)
    action = form.cleaned_data.get("action") or ""
    action_note = form.cleaned_data.get("action_note") or ""
    if alert.needs_action and alert.status in ACTIVE and not confirmed(request):
        # A resolved safety alert cannot be reopened: say what will happen first (issue 14).
        url = reverse("measures:alert_detail", kwargs={"alert_id": alert.pk})
        return confirmation_page(
            request,
            title="Resolve this safety alert?",
            consequences=resolve_safety_words(alert, SafetyAction(action).label),
            action=reverse("measures:alert_resolve", kwargs={"alert_id": alert.pk}),
            button="Resolve the safety alert",
            cancel_url=url,
            fields={"action": action, "action_note": action_note},
        )
    try:
        resolve(alert, action=action, action_note=action_note, actor=actor_of(request))
    except AlertError as error:
        form.add_error(None, str(error))
        return _alert_page(request, alert, form, status=400)
    messages.success(request, "The alert was resolved.")
    return redirect("measures:alert_detail", alert_id=alert.pk)


def _stale_page(
    request: HttpRequest, alert: Alert, form: StaleReviewForm | None = None, *, status: int = 200
) -> HttpResponse:
    evidence = evidence_of(alert)
    days = stale_days(alert.kind, evidence, timezone.now())
    context: dict[str, Any] = {
        "alert": alert,
        "client": alert.client,
        "form": form or StaleReviewForm(),
        "evidence_at": evidence,
        "age": age_words(days) if days is not None else "",
        "nav": "alerts",
    }
    return render(request, "measures/alert_stale.html", context, status=status)


@clinician_required
def alert_stale(request: HttpRequest, alert_id: int) -> HttpResponse:
    """ "Still relevant?": GET asks (the confirmation), POST keeps or closes the alert."""
    user = user_of(request)
    alert = get_alert_for(user, alert_id)
    if request.method != "POST":
        record(actor_of(request), "measures.alert_view", alert, kind=alert.kind, page="stale")
        return _stale_page(request, alert)
    form = StaleReviewForm(request.POST)
    if not form.is_valid():
        return _stale_page(request, alert, form, status=400)
    keep = form.cleaned_data["choice"] == "keep"
    try:
        review_stale_alert(alert, actor=actor_of(request), keep=keep)
    except AlertError as error:
        form.add_error(None, str(error))
        return _stale_page(request, alert, form, status=400)
    messages.success(
        request,
        "The alert stays open." if keep else "The alert was closed as no longer relevant.",
    )
    return redirect("measures:alert_detail", alert_id=alert.pk)
