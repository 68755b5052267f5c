"""CSV downloads of what four pages show: the caseload (with its filters), a client's scores,
the alerts list (with its status tab) and, for the owner, the audit log (with its filters).

Each is one audit row ("export.<what>") naming the filters and the row count, never names.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, cast

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from continuum.accounts.access import members_for
from continuum.accounts.decorators import clinician_required, owner_required
from continuum.accounts.http import READ_METHODS, actor_of, refuse, user_of
from continuum.audit.log import record
from continuum.audit.models import AuditEvent
from continuum.audit.presenters import shown_detail
from continuum.care import queries as care_queries
from continuum.care.access import get_client_for
from continuum.care.episodes import LABELS, EpisodeStatus
from continuum.care.forms.clients import CaseloadFilterForm
from continuum.care.models import Client
from continuum.exchange.csv_out import csv_response
from continuum.exchange.presenters import band_label, instrument_name
from continuum.measures.access import alerts_for
from continuum.measures.forms import AlertFilterForm
from continuum.measures.models import Administration, AdministrationStatus, Alert
from continuum.practice.audit_views import PRIVATE_ACTION_PREFIX, AuditFilterForm, _filtered

CHUNK = 2000


def _download(filename: str, header: list[str], rows: Iterator[list[Any]]) -> HttpResponse:
    # The login decorators type views as returning HttpResponse; a streamed file is the
    # other HttpResponseBase, which Django serves the same way.
    return cast(HttpResponse, csv_response(filename, header, rows))


def _stamp() -> str:
    return timezone.localdate().isoformat()


@clinician_required
def caseload_csv(request: HttpRequest) -> HttpResponse:
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    form = CaseloadFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "care/caseload.html", {"form": form, "nav": "caseload"}, status=400)
    status, q, sort = form.cleaned_data["status"], form.cleaned_data["q"], form.cleaned_data["sort"]
    clients = care_queries.caseload(
        user_of(request), now=timezone.now(), status=status, q=q, sort=sort
    )
    count = clients.count()
    record(
        actor_of(request),
        "export.caseload",
        status=status,
        sort=sort,
        searched=bool(q),
        rows=count,
    )

    def rows() -> Iterator[list[Any]]:
        for client in clients.iterator(chunk_size=CHUNK):
            c: Any = client
            status_value = c.episode_status
            label = LABELS[EpisodeStatus(status_value)] if status_value else "No episode"
            yield [c.display_name, c.pronouns, label, c.last_at, c.next_at]

    header = ["Client", "Pronouns", "Episode", "Last session", "Next appointment"]
    return _download(f"caseload-{_stamp()}.csv", header, rows())


SCORE_STATUSES = (AdministrationStatus.COMPLETED, AdministrationStatus.SUPERSEDED)


def score_rows(client: Client) -> QuerySet[Administration]:
    return (
        Administration.objects.filter(client=client, status__in=SCORE_STATUSES)
        .order_by("completed_at", "pk")
        .only(
            "instrument",
            "completed_at",
            "total",
            "band",
            "status",
            "prorated",
            "episode_id",
            "imported",
        )
    )


@clinician_required
def client_scores_csv(request: HttpRequest, client_id: int) -> HttpResponse:
    client = get_client_for(actor_of(request), client_id)
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    scores = score_rows(client)
    record(actor_of(request), "export.client_scores", client, rows=scores.count())

    def rows() -> Iterator[list[Any]]:
        for a in scores.iterator(chunk_size=CHUNK):
            yield [
                a.completed_at,
                instrument_name(a.instrument),
                a.total,
                band_label(a.instrument, a.band),
                "corrected later"
                if a.status == AdministrationStatus.SUPERSEDED
                else "imported"
                if a.imported
                else "",
                a.prorated,
                a.episode_id,
            ]

    header = ["Completed", "Measure", "Total", "Band", "Note", "Prorated", "Episode"]
    return _download(f"scores-{client.pk}-{_stamp()}.csv", header, rows())


@clinician_required
def alerts_csv(request: HttpRequest) -> HttpResponse:
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    status = AlertFilterForm(request.GET).status_value()
    alerts: QuerySet[Alert] = alerts_for(user_of(request)).select_related(
        "client", "acknowledged_by", "resolved_by"
    )
    if status != "all":
        alerts = alerts.filter(status=status)
    alerts = alerts.order_by("severity_rank", "-created_at", "-pk")
    record(actor_of(request), "export.alerts", status=status, rows=alerts.count())

    def rows() -> Iterator[list[Any]]:
        for a in alerts.iterator(chunk_size=CHUNK):
            yield [
                a.get_severity_display(),
                a.get_kind_display(),
                a.message,
                a.client.display_name,
                a.created_at,
                a.get_status_display(),
                a.acknowledged_at,
                a.resolved_at,
            ]

    header = [
        "Severity",
        "Alert",
        "Message",
        "Client",
        "Raised",
        "Status",
        "Acknowledged",
        "Resolved",
    ]
    return _download(f"alerts-{status}-{_stamp()}.csv", header, rows())


@owner_required
def audit_csv(request: HttpRequest) -> HttpResponse:
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    owner = user_of(request)
    events: QuerySet[AuditEvent] = AuditEvent.objects.filter(
        practice_id=owner.membership.practice_id
    ).exclude(action__startswith=PRIVATE_ACTION_PREFIX)
    members = list(members_for(owner).order_by("user__full_name", "user__email"))
    actions = events.order_by("action").values_list("action", flat=True).distinct()
    form = AuditFilterForm(request.GET or None, members=members, actions=actions)
    if form.is_bound and not form.is_valid():
        context = {"nav": "audit", "form": form, "page_obj": None}
        return render(request, "audit/log.html", context, status=400)
    data = form.cleaned_data if form.is_bound else {}
    events = _filtered(events, data, members).order_by("-at", "-pk")
    count = events.count()
    # Recorded before the rows are read, so the file shows the log as it was before.
    record(
        actor_of(request),
        "export.audit",
        rows=count,
        filtered=sorted(k for k, v in data.items() if v),
    )

    def rows() -> Iterator[list[Any]]:
        for e in events.iterator(chunk_size=CHUNK):
            yield [
                e.at,
                e.actor_label,
                e.action,
                e.object_type,
                e.object_id,
                e.ip,
                e.flagged,
                # Structural keys only (old rows may hold values record() now refuses).
                json.dumps(shown_detail(e.detail), sort_keys=True),
            ]

    header = ["When", "Who", "Action", "Object", "Object id", "IP", "Flagged", "Detail"]
    return _download(f"audit-{_stamp()}.csv", header, rows())
