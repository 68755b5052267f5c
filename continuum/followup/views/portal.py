"""The client's follow-up pages in the portal: the offer or the agreement, the check-in, the
booster request, and one-tap withdrawal. After follow-up ends, only their documents.

Every view takes the client from the login (`portal_client_required`), never from the URL.
"""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from continuum.accounts import once
from continuum.accounts.http import READ_METHODS, actor_of, refuse, user_of
from continuum.care.access import portal_client_required
from continuum.care.models import Client
from continuum.followup import queries, services
from continuum.followup.access import own_answered_checkin, portal_consent
from continuum.followup.documents import portal_documents
from continuum.followup.forms import BoosterRequestForm, HowAreYouForm
from continuum.followup.models import ConsentStatus, FollowUpCheckIn
from continuum.measures.crisis import crisis_resources_for
from continuum.measures.forms import QuestionnaireForm
from continuum.measures.instruments import get_instrument


def _client(request: HttpRequest) -> Client:
    return cast(Client, request.portal_client)  # type: ignore[attr-defined]


def _ended_page(request: HttpRequest, client: Client, *, status: int = 200) -> HttpResponse:
    """Follow-up has ended: what stays is the client's documents (and help, always)."""
    return render(
        request,
        "portal/followup/ended.html",
        {
            "client": client,
            "consent": portal_consent(client),
            "documents": portal_documents(),
            "nav": "followup",
        },
        status=status,
    )


@never_cache
@portal_client_required
def portal_home(request: HttpRequest) -> HttpResponse:
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    client = _client(request)
    consent = portal_consent(client)
    if services.followup_phase(client) == services.Phase.ENDED:
        return _ended_page(request, client)
    page = queries.portal_followup(client, consent)
    return render(
        request,
        "portal/followup/home.html",
        {
            "client": client,
            "page": page,
            "consent": consent,
            "documents": portal_documents(),
            "nav": "followup",
        },
    )


def _offer(client: Client) -> Any:
    consent = portal_consent(client)
    if consent is None or consent.status != ConsentStatus.OFFERED:
        return None
    return consent


@portal_client_required
def portal_accept(request: HttpRequest) -> HttpResponse:
    if (refused := refuse(request, "POST")) is not None:
        return refused
    client = _client(request)
    consent = _offer(client)
    if consent is None:
        messages.info(request, "There is no follow-up offer to answer.")
        return redirect("followup:portal_home")
    try:
        services.accept_offer(consent, actor=actor_of(request))
    except services.FollowUpError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Thank you: your follow-up check-ins are agreed.")
    return redirect("followup:portal_home")


@portal_client_required
def portal_decline(request: HttpRequest) -> HttpResponse:
    if (refused := refuse(request, "POST")) is not None:
        return refused
    client = _client(request)
    consent = _offer(client)
    if consent is None:
        messages.info(request, "There is no follow-up offer to answer.")
        return redirect("followup:portal_home")
    services.decline_offer(consent, actor=actor_of(request))
    messages.success(request, "You said no to follow-up check-ins. Nothing more will be asked.")
    return redirect("followup:portal_home")


@portal_client_required
def portal_withdraw(request: HttpRequest) -> HttpResponse:
    """One tap: follow-up ends now, nothing more is asked or received."""
    if (refused := refuse(request, "POST")) is not None:
        return refused
    client = _client(request)
    consent = portal_consent(client)
    if consent is None or consent.status not in (ConsentStatus.ACTIVE, ConsentStatus.WITHDRAWN):
        messages.info(request, "You have no follow-up to stop.")
        return redirect("followup:portal_home")
    services.withdraw(consent, actor=actor_of(request))
    messages.success(
        request, "Your follow-up has stopped. Your therapist will not receive anything more."
    )
    return redirect("followup:portal_home")


def _questionnaire_forms(data: Any = None) -> list[QuestionnaireForm]:
    return [
        QuestionnaireForm(get_instrument(code), data, prefix=code)
        for code in settings.FOLLOWUP_INSTRUMENTS
    ]


@never_cache
@portal_client_required
def portal_checkin(request: HttpRequest) -> HttpResponse:
    """The check-in due now: the short questionnaire (if agreed) and "How are you doing?"."""
    client = _client(request)
    if services.followup_phase(client) == services.Phase.ENDED:
        if request.method == "POST":
            # The therapist stops receiving data when consent ends: nothing is stored.
            return _ended_page(request, client, status=403)
        return redirect("followup:portal_home")
    consent = portal_consent(client)
    if consent is None or consent.status != ConsentStatus.ACTIVE:
        return redirect("followup:portal_home")
    today = services.client_today(client)
    status = 200
    if request.method == "POST":
        form = HowAreYouForm(request.POST)
        questionnaires = _questionnaire_forms(request.POST) if consent.has_questionnaires else []
        checkin = None
        if form.is_valid():
            checkin = FollowUpCheckIn.objects.filter(
                consent=consent, pk=form.cleaned_data["checkin"]
            ).first()
            if checkin is None:
                form.add_error(None, "This check-in is no longer open. Please start again.")
        if form.is_valid() and checkin is not None and all(q.is_valid() for q in questionnaires):
            answers = {q.prefix or "": q.cleaned_data["answers"] for q in questionnaires}
            try:
                saved = services.submit_checkin(
                    checkin,
                    answers=answers,
                    how_are_you=form.cleaned_data["how_are_you"],
                    actor=actor_of(request),
                )
            except services.FollowUpEnded:
                return _ended_page(request, client, status=403)
            except services.FollowUpError as error:
                form.add_error(None, str(error))
            else:
                return redirect("followup:portal_checkin_done", checkin_id=saved.pk)
        status = 400
        due = checkin
    else:
        due = services.due_checkin(consent, today)
        if due is None:
            return redirect("followup:portal_home")
        form = HowAreYouForm(initial={"checkin": due.pk})
        questionnaires = _questionnaire_forms() if consent.has_questionnaires else []
    return render(
        request,
        "portal/followup/checkin.html",
        {
            "client": client,
            "consent": consent,
            "checkin": due,
            "form": form,
            "questionnaires": questionnaires,
            "nav": "followup",
        },
        status=status,
    )


@never_cache
@portal_client_required
def portal_checkin_done(request: HttpRequest, checkin_id: int) -> HttpResponse:
    """Thank you; and when the answers call for it, the offer of a booster session."""
    client = _client(request)
    checkin = own_answered_checkin(client, checkin_id)
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    open_booster = services.open_booster(client)
    safety = any(code.startswith("safety:") for code in checkin.flags)
    return render(
        request,
        "portal/followup/checkin_done.html",
        {
            "client": client,
            "checkin": checkin,
            "offer_booster": checkin.flagged,
            "open_booster": open_booster,
            "booster_form": BoosterRequestForm(initial={"checkin": checkin.pk}),
            "resources": crisis_resources_for(client) if safety else [],
            "can_request": checkin.consent.status == ConsentStatus.ACTIVE,
            "nav": "followup",
        },
    )


@never_cache
@portal_client_required
def portal_booster(request: HttpRequest) -> HttpResponse:
    """Ask for a booster session (any time during follow-up)."""
    client = _client(request)
    if services.followup_phase(client) != services.Phase.ACTIVE:
        if request.method == "POST":
            return _ended_page(request, client, status=403)
        return redirect("followup:portal_home")
    status = 200
    if request.method == "POST":
        form = BoosterRequestForm(request.POST)
        if form.is_valid():
            checkin_id = form.cleaned_data.get("checkin")
            checkin = (
                FollowUpCheckIn.objects.filter(client=client, pk=checkin_id).first()
                if checkin_id
                else None
            )
            home = reverse("followup:portal_home")

            def create() -> str:
                services.request_booster(
                    client,
                    reason=form.cleaned_data["reason"],
                    checkin=checkin,
                    actor=actor_of(request),
                )
                messages.success(
                    request,
                    "Your request was sent. Your therapist will book a session or suggest "
                    "where else to get help; you will see it here.",
                )
                return home

            try:
                return redirect(once.submit(form, user_of(request), create, fallback=home).url)
            except services.FollowUpEnded:
                return _ended_page(request, client, status=403)
            except services.FollowUpError as error:
                form.add_error(None, str(error))
        status = 400
    else:
        form = BoosterRequestForm()
    return render(
        request,
        "portal/followup/booster.html",
        {
            "client": client,
            "form": form,
            "open_booster": services.open_booster(client),
            "nav": "followup",
        },
        status=status,
    )
