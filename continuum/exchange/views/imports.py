"""Moving a caseload in: upload a clients CSV (or a CSV of their past scores), see the
preview, confirm or discard."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from continuum.accounts import once
from continuum.accounts.actors import Actor
from continuum.accounts.http import READ_METHODS, actor_of, refuse, user_of
from continuum.accounts.models import User
from continuum.accounts.once import SubmissionKeyField
from continuum.audit import log as audit
from continuum.exchange import queries, services
from continuum.exchange.csv_out import csv_response
from continuum.exchange.importing import (
    COLUMNS,
    MAX_BYTES,
    ImportError_,
    ImportRow,
    RowStatus,
    parse_clients,
)
from continuum.exchange.importing_scores import ITEM_COLUMNS, SCORE_COLUMNS, parse_scores
from continuum.exchange.models import ImportBatch, ImportKind

PREVIEW_PROBLEMS_SHOWN = 500
PREVIEW_CREATES_SHOWN = 50


def member_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """An owner or an active clinician; anyone else gets a 404."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not queries.may_import(user_of(request)):
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return wrapped


class UploadForm(forms.Form):
    submission_key = SubmissionKeyField()  # sent twice, it takes effect once
    file = forms.FileField(label="CSV file", help_text=f"Up to {MAX_BYTES // 1024 // 1024} MB.")


@member_required
def import_template(request: HttpRequest) -> HttpResponse:
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    example = [
        "Sam",
        "Example",
        "Sammy",
        "they/them",
        "1990-04-30",
        "sam@example.net",
        "+44 20 7946 0000",
        "Europe/London",
        user_of(request).email,
        "2026-01-15",
        "Low mood",
    ]
    response = csv_response("clients-template.csv", [c[0] for c in COLUMNS], [example])
    return response  # type: ignore[return-value]


@dataclass(frozen=True)
class _Kind:
    """What differs between the clients import and the past-scores import."""

    kind: str
    columns: Sequence[tuple[object, ...]]  # the upload page's table of columns
    parse: Callable[[bytes, User], list[ImportRow]]
    confirm: Callable[[Actor, ImportBatch, str, User], int]
    noun: str  # "client", "past score"
    upload_url: str
    preview_url: str
    template: str  # "exchange/import" or "exchange/scores": its _upload.html


def _upload(request: HttpRequest, how: _Kind) -> HttpResponse:
    if (refused := refuse(request, *READ_METHODS, "POST")) is not None:
        return refused
    form = UploadForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "columns": how.columns, "nav": "caseload"}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > MAX_BYTES:
                raise ImportError_(
                    f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is "
                    f"{MAX_BYTES // 1024 // 1024} MB. Split it into smaller files."
                )
            rows = how.parse(upload.read(), user_of(request))
        except ImportError_ as error:
            form.add_error("file", str(error))
        else:

            def stage() -> str:
                batch = services.stage_import(actor_of(request), rows, how.kind)
                return reverse(how.preview_url, kwargs={"batch_id": batch.pk})

            upload_url = reverse(how.upload_url)
            return redirect(once.submit(form, user_of(request), stage, fallback=upload_url).url)
    status = 400 if form.errors else 200
    return render(request, f"{how.template}_upload.html", context, status=status)


def _preview(request: HttpRequest, batch_id: int, how: _Kind) -> HttpResponse:
    user = user_of(request)
    batch = queries.get_pending_batch_for(user, batch_id, how.kind)
    if (refused := refuse(request, *READ_METHODS, "POST")) is not None:
        return refused
    error = ""
    if request.method == "POST":
        actor = actor_of(request)
        if request.POST.get("action") == "discard":
            services.discard_import(actor, batch)
            messages.info(request, "The upload was discarded; nothing was imported.")
            return redirect(how.upload_url)
        try:
            count = how.confirm(actor, batch, request.POST.get("mode", ""), user)
        except services.ImportNotAllowed as problem:
            error = str(problem)
        else:
            messages.success(request, f"{count} {how.noun}{'s' if count != 1 else ''} imported.")
            return redirect(reverse("care:caseload"))
    rows = services.batch_rows(batch)
    problems = [r for r in rows if r.status != RowStatus.CREATE][:PREVIEW_PROBLEMS_SHOWN]
    creates = [r for r in rows if r.status == RowStatus.CREATE][:PREVIEW_CREATES_SHOWN]
    # The rows name clients (and, for scores, their answers): the page audits its read.
    audit.record(
        actor_of(request),
        "client_import.view" if how.kind == ImportKind.CLIENTS else "score_import.view",
        batch,
        rows=batch.total,
    )
    return render(
        request,
        "exchange/import_preview.html",
        {
            "batch": batch,
            "problems": problems,
            "creates": creates,
            "error": error,
            "modes": (services.VALID_ROWS, services.ALL_OR_NOTHING),
            "scores": how.kind == ImportKind.SCORES,
            "nav": "caseload",
        },
        status=400 if error else 200,
    )


CLIENTS = _Kind(
    kind=ImportKind.CLIENTS,
    columns=COLUMNS,
    parse=lambda raw, user: parse_clients(raw, queries.import_context(user)),
    confirm=lambda actor, batch, mode, user: services.confirm_import(
        actor, batch, mode=mode, therapists=queries.assignable_therapists(user)
    ),
    noun="client",
    upload_url="exchange:import_upload",
    preview_url="exchange:import_preview",
    template="exchange/import",
)
SCORES = _Kind(
    kind=ImportKind.SCORES,
    columns=SCORE_COLUMNS,
    parse=lambda raw, user: parse_scores(raw, queries.scores_context(user)),
    confirm=lambda actor, batch, mode, _user: services.confirm_scores_import(
        actor, batch, mode=mode
    ),
    noun="past score",
    upload_url="exchange:scores_upload",
    preview_url="exchange:scores_preview",
    template="exchange/scores",
)


@member_required
def import_upload(request: HttpRequest) -> HttpResponse:
    return _upload(request, CLIENTS)


@member_required
def import_preview(request: HttpRequest, batch_id: int) -> HttpResponse:
    return _preview(request, batch_id, CLIENTS)


# --- Past scores -----------------------------------------------------------------------------


@member_required
def scores_template(request: HttpRequest) -> HttpResponse:
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    header = ["client_id", "first_name", "last_name", "date_of_birth", "instrument", "date"]
    header += ["total", *ITEM_COLUMNS]
    items = [""] * len(ITEM_COLUMNS)
    by_items = ["", "Sam", "Example", "1990-04-30", "gad7", "2025-11-03", ""]
    by_items += ["2", "2", "1", "2", "1", "1", "0", *[""] * (len(ITEM_COLUMNS) - 7)]
    rows = [["", "Sam", "Example", "1990-04-30", "phq9", "2025-10-06", "16", *items], by_items]
    return csv_response("past-scores-template.csv", header, rows)  # type: ignore[return-value]


@member_required
def scores_upload(request: HttpRequest) -> HttpResponse:
    return _upload(request, SCORES)


@member_required
def scores_preview(request: HttpRequest, batch_id: int) -> HttpResponse:
    return _preview(request, batch_id, SCORES)
