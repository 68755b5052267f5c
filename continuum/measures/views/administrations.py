"""One administration: its answers and score, its link, entry in session, correction."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from continuum.accounts import once
from continuum.accounts.decorators import clinician_required
from continuum.accounts.http import actor_of, refuse
from continuum.audit.log import record
from continuum.measures.access import get_administration_for
from continuum.measures.alerts import is_latest_score
from continuum.measures.forms import CorrectionForm, DismissSafetyPromptForm, QuestionnaireForm
from continuum.measures.link_email import LinkEmailError, address_kind, email_link
from continuum.measures.models import Administration
from continuum.measures.presenters import safety_prompt_words
from continuum.measures.services import (
    LinkNotAvailable,
    MeasureError,
    administration_instrument,
    correct_administration,
    dismiss_safety_prompt,
    enter_in_session,
    issue_link,
    link_expires_at,
    link_url,
)
from continuum.measures.views.common import user_of


def answer_rows(admin: Administration) -> list[dict[str, Any]]:
    """(item, the answer's label, its score) for every item, answered or not."""
    inst = administration_instrument(admin)
    rows = []
    for item in inst.items:
        value = admin.answers.get(item.key)
        option = item.option(value) if isinstance(value, int) else None
        rows.append(
            {
                "item": item,
                "value": value,
                "label": option.label if option else "",
                "score": option.score if option and item.scored else None,
            }
        )
    return rows


def safety_prompt(admin: Administration) -> str:
    """ "Ask PHQ-9 item 9 at the next contact…" while these answers left a safety item blank
    and no later score answered it nor was the prompt dismissed; "" otherwise."""
    if (
        admin.status != "completed"
        or not admin.safety_unanswered
        or admin.safety_prompt_dismissed_at is not None
        or not is_latest_score(admin)
    ):
        return ""
    inst = administration_instrument(admin)
    return safety_prompt_words(admin.instrument, [i.key for i in inst.safety_items])


def _detail_page(
    request: HttpRequest,
    admin: Administration,
    dismiss_form: DismissSafetyPromptForm | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    inst = administration_instrument(admin)
    superseded_by = Administration.objects.filter(supersedes=admin).only("pk").first()
    link = link_url(admin)
    return render(
        request,
        "measures/administration_detail.html",
        {
            "admin": admin,
            "instrument": inst,
            "client": admin.client,
            "episode": admin.episode,
            "rows": answer_rows(admin),
            "total": inst.display(admin.total) if admin.total is not None else None,
            "band": inst.band(admin.band) if admin.band else None,
            "superseded_by": superseded_by,
            "link": link,
            # Where "Send by email" writes (asked only while a link works).
            "email_to": address_kind(admin.client) if link else "",
            "link_expires_at": link_expires_at(admin),
            "alerts": list(admin.alerts.order_by("severity_rank", "-created_at")),
            "safety_prompt": safety_prompt(admin),
            "dismiss_form": dismiss_form or DismissSafetyPromptForm(),
            # One key per button: each form takes effect once, independently of the other.
            "link_form": once.KeyForm(),
            "email_form": once.KeyForm(),
            "nav": "caseload",
        },
        status=status,
    )


@clinician_required
def administration_detail(request: HttpRequest, administration_id: int) -> HttpResponse:
    user = user_of(request)
    admin = get_administration_for(user, administration_id)
    record(actor_of(request), "measures.administration_view", admin)
    return _detail_page(request, admin)


@clinician_required
def safety_prompt_dismiss(request: HttpRequest, administration_id: int) -> HttpResponse:
    """Take "ask the safety question" off the day, with a reason (POST)."""
    user = user_of(request)
    admin = get_administration_for(user, administration_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    form = DismissSafetyPromptForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, admin, form, status=400)
    try:
        dismiss_safety_prompt(admin, actor=actor_of(request), reason=form.cleaned_data["reason"])
    except MeasureError as error:
        form.add_error(None, str(error))
        return _detail_page(request, admin, form, status=400)
    messages.success(request, "The prompt to ask the safety question was dismissed.")
    return redirect("measures:administration_detail", administration_id=admin.pk)


@clinician_required
def administration_link(request: HttpRequest, administration_id: int) -> HttpResponse:
    user = user_of(request)
    admin = get_administration_for(user, administration_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    here = reverse("measures:administration_detail", kwargs={"administration_id": admin.pk})

    def make_link() -> str:
        issue_link(admin, actor=actor_of(request))
        return here

    # A double click makes one link (a second would void the first the moment it is shown).
    done = once.button(request, user, make_link, here, LinkNotAvailable)
    if done is not None and done.first:
        messages.success(
            request, "A new one-time link is ready to send; any earlier link no longer works."
        )
    return redirect(here)


@clinician_required
def administration_link_email(request: HttpRequest, administration_id: int) -> HttpResponse:
    """Email the live link to the client (POST): queued, sent by the worker."""
    user = user_of(request)
    admin = get_administration_for(user, administration_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    here = reverse("measures:administration_detail", kwargs={"administration_id": admin.pk})

    def send() -> str:
        email_link(admin, actor=actor_of(request))
        return here

    # A double click sends one email.
    done = once.button(request, user, send, here, LinkEmailError)
    if done is not None and done.first:
        messages.success(request, "The link is on its way to the client by email.")
    return redirect(here)


@clinician_required
def administration_enter(request: HttpRequest, administration_id: int) -> HttpResponse:
    user = user_of(request)
    admin = get_administration_for(user, administration_id)
    inst = administration_instrument(admin)
    if not admin.is_pending:
        messages.error(request, "This questionnaire has already been answered or withdrawn.")
        return redirect("measures:administration_detail", administration_id=admin.pk)
    status = 200
    if request.method == "POST":
        form = QuestionnaireForm(inst, request.POST)
        if form.is_valid():
            try:
                enter_in_session(admin, form.cleaned_data["answers"], actor=actor_of(request))
            except MeasureError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, f"The {inst.name} answers were saved.")
                return redirect("measures:administration_detail", administration_id=admin.pk)
        status = 400
    else:
        form = QuestionnaireForm(inst)
        record(actor_of(request), "measures.administration_view", admin, page="enter")
    return render(
        request,
        "measures/entry.html",
        {
            "form": form,
            "admin": admin,
            "instrument": inst,
            "client": admin.client,
            "correcting": False,
            "nav": "caseload",
        },
        status=status,
    )


@clinician_required
def administration_correct(request: HttpRequest, administration_id: int) -> HttpResponse:
    user = user_of(request)
    admin = get_administration_for(user, administration_id)
    inst = administration_instrument(admin)
    if admin.status != "completed":
        messages.error(
            request, "Only the current answers of a completed questionnaire can be corrected."
        )
        return redirect("measures:administration_detail", administration_id=admin.pk)
    status = 200
    if request.method == "POST":
        form = CorrectionForm(inst, request.POST)
        if form.is_valid():
            try:
                new = correct_administration(
                    admin,
                    form.cleaned_data["answers"],
                    reason=form.cleaned_data["reason"],
                    actor=actor_of(request),
                )
            except MeasureError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "The correction was saved; the original is kept.")
                return redirect("measures:administration_detail", administration_id=new.pk)
        status = 400
    else:
        initial = {f"item_{k}": v for k, v in admin.answers.items() if v is not None}
        form = CorrectionForm(inst, initial=initial)
        record(actor_of(request), "measures.administration_view", admin, page="correct")
    return render(
        request,
        "measures/entry.html",
        {
            "form": form,
            "admin": admin,
            "instrument": inst,
            "client": admin.client,
            "correcting": True,
            "nav": "caseload",
        },
        status=status,
    )
