"""Moving a caseload in: upload a clients CSV, see the preview, confirm or discard."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from continuum.accounts.http import READ_METHODS, actor_of, refuse, user_of
from continuum.exchange import queries, services
from continuum.exchange.csv_out import csv_response
from continuum.exchange.importing import COLUMNS, MAX_BYTES, ImportError_, RowStatus, parse_clients

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


@member_required
def import_upload(request: HttpRequest) -> HttpResponse:
    if (refused := refuse(request, *READ_METHODS, "POST")) is not None:
        return refused
    form = UploadForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "columns": COLUMNS, "nav": "caseload"}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        user = user_of(request)
        try:
            if upload.size > MAX_BYTES:
                raise ImportError_(
                    f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is "
                    f"{MAX_BYTES // 1024 // 1024} MB. Split it into smaller files."
                )
            rows = parse_clients(upload.read(), queries.import_context(user))
        except ImportError_ as error:
            form.add_error("file", str(error))
        else:
            batch = services.stage_import(actor_of(request), rows)
            return redirect("exchange:import_preview", batch_id=batch.pk)
    status = 400 if form.errors else 200
    return render(request, "exchange/import_upload.html", context, status=status)


@member_required
def import_preview(request: HttpRequest, batch_id: int) -> HttpResponse:
    user = user_of(request)
    batch = queries.get_pending_batch_for(user, batch_id)
    if (refused := refuse(request, *READ_METHODS, "POST")) is not None:
        return refused
    error = ""
    if request.method == "POST":
        actor = actor_of(request)
        if request.POST.get("action") == "discard":
            services.discard_import(actor, batch)
            messages.info(request, "The upload was discarded; nothing was imported.")
            return redirect("exchange:import_upload")
        try:
            count = services.confirm_import(
                actor,
                batch,
                mode=request.POST.get("mode", ""),
                therapists=queries.assignable_therapists(user),
            )
        except services.ImportNotAllowed as problem:
            error = str(problem)
        else:
            messages.success(request, f"{count} client{'s' if count != 1 else ''} imported.")
            return redirect(reverse("care:caseload"))
    rows = services.batch_rows(batch)
    problems = [r for r in rows if r.status != RowStatus.CREATE][:PREVIEW_PROBLEMS_SHOWN]
    creates = [r for r in rows if r.status == RowStatus.CREATE][:PREVIEW_CREATES_SHOWN]
    return render(
        request,
        "exchange/import_preview.html",
        {
            "batch": batch,
            "problems": problems,
            "creates": creates,
            "error": error,
            "modes": (services.VALID_ROWS, services.ALL_OR_NOTHING),
            "nav": "caseload",
        },
        status=400 if error else 200,
    )
