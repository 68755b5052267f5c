"""The therapist's side: readiness review, termination plan, referrals, unplanned ending,
relapse-prevention plan and the termination summary (HTML and PDF).

Every view looks its object up through endings.access / care.access first (an outsider gets
a 404 whatever the method), then checks the method, parses with a form, calls a service.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from continuum.accounts import once
from continuum.accounts.confirm import confirmation_page, confirmed
from continuum.accounts.decorators import clinician_required
from continuum.accounts.http import READ_METHODS, actor_of, refuse, user_of
from continuum.audit.log import record
from continuum.care.access import get_client_for
from continuum.care.episodes import EpisodeStatus
from continuum.care.models import Episode
from continuum.care.scheduling import Clash
from continuum.care.services.appointments import AppointmentClash, open_episode_for
from continuum.care.services.episodes import InvalidEpisodeDates, next_statuses
from continuum.endings import queries, services
from continuum.endings.access import get_episode_for, get_referral_for
from continuum.endings.forms import (
    ReferralForm,
    RelapsePlanForm,
    TerminationPlanForm,
    UnplannedForm,
)
from continuum.endings.pdf import pdf_response, render_pdf
from continuum.endings.summary import Version, build_summary

PLANNING = (EpisodeStatus.ACTIVE, EpisodeStatus.ENDING)
# Where the referral forms come back to (an allow-list, never a URL from the request).
RETURN_PAGES = {"ending": "endings:ending", "unplanned": "endings:unplanned"}
FORMATS = {"", "html", "pdf"}


# --- Readiness review ------------------------------------------------------------------------


def _readiness_page(
    request: HttpRequest, episode: Episode, *, error: str = "", status: int = 200
) -> HttpResponse:
    review = queries.readiness_review(episode)
    return render(
        request,
        "endings/readiness.html",
        {
            "nav": "caseload",
            "episode": episode,
            "client": episode.client,
            "review": review,
            "error": error,
            "can_plan": episode.status in PLANNING,
        },
        status=status,
    )


@clinician_required
def readiness(request: HttpRequest, episode_id: int) -> HttpResponse:
    user = user_of(request)
    episode = get_episode_for(user, episode_id)
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    record(actor_of(request), "ending.readiness_view", episode, client_id=episode.client_id)
    return _readiness_page(request, episode)


@clinician_required
def readiness_request(request: HttpRequest, episode_id: int) -> HttpResponse:
    user = user_of(request)
    episode = get_episode_for(user, episode_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    try:
        _, created = services.request_readiness(episode, actor=actor_of(request))
    except services.EndingError as error:
        return _readiness_page(request, episode, error=str(error), status=400)
    if created:
        messages.success(request, "The readiness questions are in the client's portal.")
    else:
        messages.info(request, "The client has not answered the questions sent earlier yet.")
    return redirect("endings:readiness", episode_id=episode.pk)


# --- Termination plan ------------------------------------------------------------------------


def _ending_page(
    request: HttpRequest,
    episode: Episode,
    *,
    form: TerminationPlanForm | None = None,
    referral_form: ReferralForm | None = None,
    clashes: list[Clash] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = user_of(request)
    plan = queries.termination_plan_for(episode)
    if form is None and episode.status in PLANNING:
        initial: dict[str, Any] = {}
        if plan is not None:
            initial = {
                name: getattr(plan, name)
                for name in (
                    "reason",
                    "reason_other",
                    "final_session_date",
                    "ending_discussed",
                    "feelings_explored",
                    "gains_reviewed",
                    "referrals_offered",
                )
            }
        form = TerminationPlanForm(tz_name=user.time_zone, booking=plan is None, initial=initial)
    return render(
        request,
        "endings/ending.html",
        {
            "nav": "caseload",
            "episode": episode,
            "client": episode.client,
            "plan": plan,
            "sessions": queries.tapering_sessions(plan) if plan is not None else [],
            "referrals": queries.referrals_for(episode),
            "form": form,
            "referral_form": referral_form or ReferralForm(),
            "clashes": clashes or [],
            "return_to": "ending",
            "next_steps": [s for s in next_statuses(episode.status) if s[0] == "ended"],
            "can_plan": episode.status in PLANNING,
        },
        status=status,
    )


@clinician_required
def ending(request: HttpRequest, episode_id: int) -> HttpResponse:
    user = user_of(request)
    episode = get_episode_for(user, episode_id)
    if (refused := refuse(request, *READ_METHODS, "POST")) is not None:
        return refused
    if request.method != "POST":
        record(actor_of(request), "ending.plan_view", episode, client_id=episode.client_id)
        return _ending_page(request, episode)
    if episode.status not in PLANNING:
        messages.error(
            request,
            f"This episode is {episode.get_status_display().lower()}: its ending plan can no "
            "longer change.",
        )
        return _ending_page(request, episode, status=400)
    existing = queries.termination_plan_for(episode)
    form = TerminationPlanForm(
        request.POST,
        tz_name=user.time_zone,
        booking=existing is None,
        session_days=queries.session_days(episode.client, user.time_zone)
        if existing is None
        else frozenset(),
    )
    if not form.is_valid():
        return _ending_page(request, episode, form=form, status=400)
    data = form.cleaned_data
    terms = services.PlanTerms(
        reason=data["reason"],
        reason_other=data["reason_other"].strip(),
        final_session_date=data["final_session_date"],
        ending_discussed=data["ending_discussed"],
        feelings_explored=data["feelings_explored"],
        gains_reviewed=data["gains_reviewed"],
        referrals_offered=data["referrals_offered"],
    )
    taper = None
    if data["starts"]:
        taper = services.Tapering(
            starts=data["starts"],
            rows=data["rows"],
            duration_minutes=data["duration_minutes"],
            modality=data["modality"],
            allow_overlap=data["book_anyway"],
        )
    was_active = episode.status == EpisodeStatus.ACTIVE
    url = reverse("endings:ending", kwargs={"episode_id": episode.pk})

    def agree() -> str:
        plan = services.agree_termination_plan(
            episode, terms=terms, taper=taper, actor=actor_of(request)
        )
        booked = len(data["starts"])
        text = "The ending plan is agreed" if was_active else "The ending plan was changed"
        if booked:
            text += f", and {booked} tapering session{'s were' if booked > 1 else ' was'} booked"
        text += ". The client can read it in the portal."
        if plan.version > 1:
            text += " They will be asked to accept this version."
        messages.success(request, text)
        return url

    try:
        # Sent twice, the plan is agreed once: no second version, no second tapering booking.
        return redirect(once.submit(form, user, agree, fallback=url).url)
    except AppointmentClash as clash:
        return _ending_page(request, episode, form=form, clashes=clash.clashes, status=400)
    except services.EndingError as error:
        form.add_error(None, str(error))
        return _ending_page(request, episode, form=form, status=400)


# --- Referrals -------------------------------------------------------------------------------


def _back_to(return_to: str, episode: Episode) -> str:
    name = RETURN_PAGES.get(return_to, RETURN_PAGES["ending"])
    return reverse(name, kwargs={"episode_id": episode.pk})


@clinician_required
def referral_add(request: HttpRequest, episode_id: int) -> HttpResponse:
    user = user_of(request)
    episode = get_episode_for(user, episode_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    return_to = request.POST.get("return_to", "ending")
    if return_to not in RETURN_PAGES:
        return HttpResponseBadRequest("Unknown page to return to.")
    form = ReferralForm(request.POST)
    if form.is_valid():
        url = _back_to(return_to, episode)

        def create() -> str:
            services.add_referral(episode, **once.fields(form), actor=actor_of(request))
            messages.success(request, "Referral added.")
            return url

        try:
            return redirect(once.submit(form, user, create, fallback=url).url)
        except services.EndingError as error:
            form.add_error(None, str(error))
    if return_to == "unplanned":
        return _unplanned_page(request, episode, referral_form=form, status=400)
    return _ending_page(request, episode, referral_form=form, status=400)


@clinician_required
def referral_remove(request: HttpRequest, referral_id: int) -> HttpResponse:
    user = user_of(request)
    referral = get_referral_for(user, referral_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    return_to = request.POST.get("return_to", "ending")
    if return_to not in RETURN_PAGES:
        return HttpResponseBadRequest("Unknown page to return to.")
    episode = referral.episode
    try:
        services.remove_referral(referral, actor=actor_of(request))
    except services.EndingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Referral removed.")
    return redirect(_back_to(return_to, episode))


# --- Unplanned ending ------------------------------------------------------------------------


def _unplanned_page(
    request: HttpRequest,
    episode: Episode,
    *,
    form: UnplannedForm | None = None,
    referral_form: ReferralForm | None = None,
    status: int = 200,
) -> HttpResponse:
    saved = queries.unplanned_for(episode)
    referrals = queries.referrals_for(episode)
    if form is None:
        letter = (
            saved.letter
            if saved is not None and saved.letter
            else services.default_letter(
                episode.client, episode.therapist, episode.client.practice, referrals
            )
        )
        form = UnplannedForm(
            initial={"letter": letter, "closing_note": saved.closing_note if saved else ""}
        )
    return render(
        request,
        "endings/unplanned.html",
        {
            "nav": "caseload",
            "episode": episode,
            "client": episode.client,
            "saved": saved,
            "form": form,
            "referrals": referrals,
            "referral_form": referral_form or ReferralForm(),
            "return_to": "unplanned",
            "quiet_days": queries.unplanned_ending_days(),
            "can_end": episode.status in PLANNING,
        },
        status=status,
    )


def _needs_confirmation(request: HttpRequest, episode: Episode, data: dict[str, Any]) -> bool:
    # An episode that cannot end, or an end date the service refuses, is explained at once.
    end = data["end_date"]
    if episode.status not in PLANNING or (end is not None and end < episode.start_date):
        return False
    return not confirmed(request)


def _confirm_unplanned(
    request: HttpRequest, episode: Episode, data: dict[str, Any]
) -> HttpResponse:
    """Ending cannot be undone: say what happens, and re-post the letter with confirmed=yes."""
    end = data["end_date"] or timezone.localdate()
    fields = {"action": "end", "letter": data["letter"], "closing_note": data["closing_note"]}
    if data["end_date"]:
        fields["end_date"] = data["end_date"].isoformat()
    page = reverse("endings:unplanned", kwargs={"episode_id": episode.pk})
    return confirmation_page(
        request,
        title="End this episode as unplanned?",
        consequences=[
            f"This episode of care ends on {date_format(end, 'j F Y')}, recorded as unplanned.",
            "An ended episode cannot be made active again: new work with this client starts a "
            "new episode.",
            "The letter and the closing note are saved with the ending.",
        ],
        action=page,
        button="End as unplanned",
        cancel_url=page,
        fields=fields,
    )


@clinician_required
def unplanned(request: HttpRequest, episode_id: int) -> HttpResponse:
    user = user_of(request)
    episode = get_episode_for(user, episode_id)
    if (refused := refuse(request, *READ_METHODS, "POST")) is not None:
        return refused
    if request.method != "POST":
        record(actor_of(request), "ending.unplanned_view", episode, client_id=episode.client_id)
        return _unplanned_page(request, episode)
    action = request.POST.get("action", "")
    if action not in ("save", "end"):
        return HttpResponseBadRequest("Choose to save the letter or to end the episode.")
    form = UnplannedForm(request.POST)
    if not form.is_valid():
        return _unplanned_page(request, episode, form=form, status=400)
    data = form.cleaned_data
    try:
        if action == "save":
            services.save_unplanned(
                episode,
                letter=data["letter"],
                closing_note=data["closing_note"],
                actor=actor_of(request),
            )
        else:
            if not data["closing_note"].strip():
                form.add_error("closing_note", "Write a closing note before ending the episode.")
                return _unplanned_page(request, episode, form=form, status=400)
            if _needs_confirmation(request, episode, data):
                return _confirm_unplanned(request, episode, data)
            services.end_unplanned(
                episode,
                letter=data["letter"],
                closing_note=data["closing_note"],
                end_date=data["end_date"],
                actor=actor_of(request),
            )
    except InvalidEpisodeDates as error:
        form.add_error("end_date", str(error))
        return _unplanned_page(request, episode, form=form, status=400)
    except services.EndingError as error:
        form.add_error(None, str(error))
        return _unplanned_page(request, episode, form=form, status=400)
    if action == "save":
        messages.success(request, "The letter and the closing note are saved.")
        return redirect("endings:unplanned", episode_id=episode.pk)
    messages.success(request, "The episode has ended as unplanned.")
    return redirect("care:episode_detail", episode_id=episode.pk)


@clinician_required
def unplanned_letter(request: HttpRequest, episode_id: int) -> HttpResponse:
    """The reach-out letter as a PDF (the saved text, or the suggested one)."""
    user = user_of(request)
    episode = get_episode_for(user, episode_id)
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    saved = queries.unplanned_for(episode)
    letter = saved.letter if saved is not None and saved.letter else ""
    if not letter:
        letter = services.default_letter(
            episode.client,
            episode.therapist,
            episode.client.practice,
            queries.referrals_for(episode),
        )
    record(actor_of(request), "ending.letter_export", episode, client_id=episode.client_id)
    pdf = render_pdf(
        "endings/letter_pdf.html",
        {"letter": letter, "practice": episode.client.practice, "today": timezone.localdate()},
        request,
    )
    return pdf_response(pdf, f"letter-episode-{episode.pk}.pdf")


# --- Relapse prevention ----------------------------------------------------------------------


@clinician_required
def relapse_plan(request: HttpRequest, client_id: int) -> HttpResponse:
    client = get_client_for(actor_of(request), client_id)
    if (refused := refuse(request, *READ_METHODS, "POST")) is not None:
        return refused
    versions = queries.relapse_versions(client)
    current = versions[0] if versions else None
    status = 200
    if request.method == "POST":
        form = RelapsePlanForm(request.POST)
        if form.is_valid():
            url = reverse("endings:relapse_plan", kwargs={"client_id": client.pk})

            def save() -> str:
                services.save_relapse_plan(
                    client,
                    episode=open_episode_for(client),
                    **once.fields(form),
                    actor=actor_of(request),
                )
                messages.success(request, "The relapse-prevention plan is saved.")
                return url

            try:
                return redirect(once.submit(form, user_of(request), save, fallback=url).url)
            except services.EndingError as error:
                form.add_error(None, str(error))
        status = 400
    else:
        initial: dict[str, Any] = {"shared_with_client": True}
        if current is not None:
            initial = {name: getattr(current, name) for name in services.RELAPSE_FIELDS}
            initial["shared_with_client"] = current.shared_with_client
        form = RelapsePlanForm(initial=initial)
        record(actor_of(request), "relapse_plan.view", client, client_id=client.pk)
    return render(
        request,
        "endings/relapse_plan.html",
        {
            "nav": "caseload",
            "client": client,
            "current": current,
            "versions": versions,
            "form": form,
        },
        status=status,
    )


# --- Termination summary ---------------------------------------------------------------------


def summary_response(
    request: HttpRequest, episode: Episode, version: Version, *, pdf: bool
) -> HttpResponse:
    """The summary page or its PDF (the same template body either way), audited."""
    summary = build_summary(episode, version)
    action = "ending.summary_export" if pdf else "ending.summary_view"
    record(
        actor_of(request),
        action,
        episode,
        practice=episode.client.practice_id,
        client_id=episode.client_id,
        version=str(version),
    )
    context = {"summary": summary, "episode": episode, "client": episode.client}
    if pdf:
        name = "summary" if version == Version.CLINICAL else "summary-client"
        return pdf_response(
            render_pdf("endings/summary_pdf.html", context, request),
            f"{name}-episode-{episode.pk}.pdf",
        )
    if version == Version.CLIENT and getattr(request, "portal_client", None) is not None:
        return render(request, "portal/endings/summary.html", {**context, "nav": "ending"})
    return render(request, "endings/summary.html", {**context, "nav": "caseload"})


def _summary(request: HttpRequest, episode_id: int, version: Version, pdf: bool) -> HttpResponse:
    user = user_of(request)
    episode = get_episode_for(user, episode_id)
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    fmt = request.GET.get("format", "")
    if fmt not in FORMATS:
        return HttpResponseBadRequest("Unknown format: choose html or pdf.")
    return summary_response(request, episode, version, pdf=pdf or fmt == "pdf")


@clinician_required
def summary(request: HttpRequest, episode_id: int) -> HttpResponse:
    return _summary(request, episode_id, Version.CLINICAL, pdf=False)


@clinician_required
def summary_pdf(request: HttpRequest, episode_id: int) -> HttpResponse:
    return _summary(request, episode_id, Version.CLINICAL, pdf=True)


@clinician_required
def summary_client(request: HttpRequest, episode_id: int) -> HttpResponse:
    return _summary(request, episode_id, Version.CLIENT, pdf=False)


@clinician_required
def summary_client_pdf(request: HttpRequest, episode_id: int) -> HttpResponse:
    return _summary(request, episode_id, Version.CLIENT, pdf=True)
