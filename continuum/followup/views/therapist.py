"""The therapist's side of follow-up: the client's follow-up page, agreeing follow-up,
reading answers, deciding booster requests, and re-opening care."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from continuum.accounts import once
from continuum.accounts.decorators import clinician_required
from continuum.accounts.http import READ_METHODS, actor_of, refuse, user_of
from continuum.audit.log import record
from continuum.care.access import get_client_for, get_episode_for
from continuum.care.forms.appointments import AppointmentForm
from continuum.care.services.appointments import AppointmentClash, AppointmentError
from continuum.followup import queries, services
from continuum.followup.access import get_booster_for, get_checkin_for, get_consent_for
from continuum.followup.forms import ConsentForm, DeclineForm, ReopenForm
from continuum.followup.models import BoosterRequest


@clinician_required
def client_followup(request: HttpRequest, client_id: int) -> HttpResponse:
    """Everything after therapy for one client: consents, check-ins, booster requests."""
    client = get_client_for(actor_of(request), client_id)
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    page = queries.client_followup(client)
    record(actor_of(request), "followup.view", client, client_id=client.pk)
    return render(request, "followup/client_followup.html", {"page": page, "client": client})


@clinician_required
def consent_create(request: HttpRequest, episode_id: int) -> HttpResponse:
    episode = get_episode_for(actor_of(request), episode_id)
    client = episode.client
    end = episode.end_date or timezone.localdate()
    status = 200
    if request.method == "POST":
        form = ConsentForm(request.POST, end_of_therapy=end)
        if form.is_valid():
            url = reverse("followup:client_followup", kwargs={"client_id": client.pk})

            def create() -> str:
                if form.cleaned_data["how"] == ConsentForm.OFFER:
                    services.offer_follow_up(episode, form.terms(), actor=actor_of(request))
                    messages.success(request, "Follow-up was offered in the client's portal.")
                else:
                    services.record_consent(episode, form.terms(), actor=actor_of(request))
                    messages.success(
                        request, "The client's consent was recorded: follow-up has started."
                    )
                return url

            try:
                return redirect(once.submit(form, user_of(request), create, fallback=url).url)
            except services.FollowUpError as error:
                form.add_error(None, str(error))
        status = 400
    else:
        terms = services.default_terms(episode)
        form = ConsentForm(
            initial={
                "months": ", ".join(str(m) for m in terms.months),
                "scope": terms.scope,
                "ends_on": terms.ends_on,
            },
            end_of_therapy=end,
        )
    return render(
        request,
        "followup/consent_form.html",
        {
            "form": form,
            "episode": episode,
            "client": client,
            "nav": "caseload",
            # Said before anything is typed (issue 14), not after the form is sent.
            "needs_invite": not services.has_portal_access(client),
        },
        status=status,
    )


@clinician_required
def consent_withdraw(request: HttpRequest, consent_id: int) -> HttpResponse:
    """The therapist records that the client withdrew (by phone, in person)."""
    user = user_of(request)
    consent = get_consent_for(user, consent_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    try:
        services.withdraw(consent, actor=actor_of(request))
    except services.FollowUpError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "The withdrawal was recorded; follow-up has ended.")
    return redirect("followup:client_followup", client_id=consent.client_id)


@clinician_required
def checkin_detail(request: HttpRequest, checkin_id: int) -> HttpResponse:
    """A follow-up answer (audited read); POST marks it seen."""
    user = user_of(request)
    checkin = get_checkin_for(user, checkin_id)
    if request.method == "POST":
        try:
            services.mark_seen(checkin, actor=actor_of(request))
        except services.FollowUpError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Marked seen.")
        return redirect("followup:checkin_detail", checkin_id=checkin.pk)
    if (refused := refuse(request, *READ_METHODS, "POST")) is not None:
        return refused
    detail = queries.checkin_detail(checkin)
    record(actor_of(request), "followup.checkin_view", checkin, client_id=checkin.client_id)
    return render(
        request,
        "followup/checkin_detail.html",
        {"detail": detail, "checkin": checkin, "client": checkin.client, "nav": "caseload"},
    )


def _booster_page(
    request: HttpRequest,
    booster: BoosterRequest,
    *,
    accept_form: AppointmentForm | None = None,
    decline_form: DeclineForm | None = None,
    clashes: list[object] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = user_of(request)
    if accept_form is None:
        accept_form = AppointmentForm(tz_name=user.time_zone, initial={"duration_minutes": 50})
    return render(
        request,
        "followup/booster_detail.html",
        {
            "booster": booster,
            "client": booster.client,
            "accept_form": accept_form,
            "decline_form": decline_form or DeclineForm(),
            "clashes": clashes or [],
            "nav": "caseload",
        },
        status=status,
    )


@clinician_required
def booster_detail(request: HttpRequest, booster_id: int) -> HttpResponse:
    user = user_of(request)
    booster = get_booster_for(user, booster_id)
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    record(actor_of(request), "followup.booster_view", booster, client_id=booster.client_id)
    return _booster_page(request, booster)


@clinician_required
def booster_accept(request: HttpRequest, booster_id: int) -> HttpResponse:
    user = user_of(request)
    booster = get_booster_for(user, booster_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    form = AppointmentForm(request.POST, tz_name=user.time_zone)
    if form.is_valid():
        try:
            services.accept_booster(
                booster,
                starts_at=form.cleaned_data["starts_at"],
                duration_minutes=form.cleaned_data["duration_minutes"],
                modality=form.cleaned_data["modality"],
                allow_overlap=bool(form.cleaned_data.get("book_anyway")),
                actor=actor_of(request),
            )
        except AppointmentClash as clash:
            form.add_error(None, "This time overlaps other appointments (listed below).")
            return _booster_page(
                request, booster, accept_form=form, clashes=list(clash.clashes), status=400
            )
        except (services.FollowUpError, AppointmentError) as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "The booster session was booked; the client sees it.")
            return redirect("followup:booster_detail", booster_id=booster.pk)
    return _booster_page(request, booster, accept_form=form, status=400)


@clinician_required
def booster_decline(request: HttpRequest, booster_id: int) -> HttpResponse:
    user = user_of(request)
    booster = get_booster_for(user, booster_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            services.decline_booster(
                booster, referral=form.cleaned_data["referral"], actor=actor_of(request)
            )
        except services.FollowUpError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "The request was declined with your referral.")
            return redirect("followup:booster_detail", booster_id=booster.pk)
    return _booster_page(request, booster, decline_form=form, status=400)


@clinician_required
def reopen(request: HttpRequest, client_id: int) -> HttpResponse:
    """Start a new episode linked to the last one (closing its follow-up first)."""
    client = get_client_for(actor_of(request), client_id)
    previous = services.latest_episode(client)
    status = 200
    if request.method == "POST":
        form = ReopenForm(request.POST)
        if form.is_valid():
            try:
                episode = services.reopen_care(
                    client,
                    referral_reason=form.cleaned_data["referral_reason"],
                    start_date=form.cleaned_data["start_date"],
                    actor=actor_of(request),
                )
            except services.FollowUpError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request, "A new episode was opened as a referral, linked to the last one."
                )
                return redirect("care:episode_detail", episode_id=episode.pk)
        status = 400
    else:
        form = ReopenForm(initial={"start_date": timezone.localdate()})
    return render(
        request,
        "followup/reopen_form.html",
        {"form": form, "client": client, "previous": previous, "nav": "caseload"},
        status=status,
    )
