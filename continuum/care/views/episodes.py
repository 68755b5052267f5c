"""Episodes of care: open, read, edit, and move through their statuses."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from continuum.accounts import once
from continuum.accounts.confirm import confirmation_page, confirmed
from continuum.accounts.decorators import clinician_required
from continuum.accounts.http import actor_of, refuse, user_of
from continuum.audit.log import record
from continuum.care.access import get_client_for, get_episode_for
from continuum.care.episodes import LABELS, OPEN_STATUSES, TRANSITIONS, EpisodeStatus
from continuum.care.forms.episodes import EpisodeForm, TransitionForm
from continuum.care.models import Episode
from continuum.care.services.episodes import (
    InvalidEpisodeDates,
    InvalidTransition,
    OpenEpisodeExists,
    next_statuses,
    open_episode,
    transition_episode,
    update_episode,
)
from continuum.lib.contributions import panels


@clinician_required
def episode_create(request: HttpRequest, client_id: int) -> HttpResponse:
    user = user_of(request)
    client = get_client_for(actor_of(request), client_id)
    if request.method == "POST":
        form = EpisodeForm(request.POST)
        if form.is_valid():

            def create() -> str:
                episode = open_episode(client, by=user, **form.episode_details())
                messages.success(request, "The episode of care was opened as a referral.")
                return reverse("care:episode_detail", kwargs={"episode_id": episode.pk})

            fallback = reverse("care:client_detail", kwargs={"client_id": client.pk})
            try:
                return redirect(once.submit(form, user, create, fallback=fallback).url)
            except (OpenEpisodeExists, InvalidEpisodeDates) as error:
                form.add_error(None, str(error))
    else:
        form = EpisodeForm(initial={"start_date": timezone.localdate()})
    already_open = client.episodes.filter(status__in=[str(s) for s in OPEN_STATUSES]).first()
    return render(
        request,
        "care/episode_form.html",
        {
            "form": form,
            "client": client,
            "episode": None,
            "already_open": already_open,
            "nav": "caseload",
        },
    )


@clinician_required
def episode_edit(request: HttpRequest, episode_id: int) -> HttpResponse:
    user = user_of(request)
    episode = get_episode_for(actor_of(request), episode_id)
    if request.method == "POST":
        form = EpisodeForm(request.POST)
        if form.is_valid():
            try:
                update_episode(episode, by=user, **form.episode_details())
            except InvalidEpisodeDates as error:
                form.add_error("end_date", str(error))
            else:
                messages.success(request, "The episode was saved.")
                return redirect("care:episode_detail", episode_id=episode.pk)
    else:
        form = EpisodeForm(
            initial={
                "referral_reason": episode.referral_reason,
                "start_date": episode.start_date,
                "end_date": episode.end_date,
            }
        )
        record(actor_of(request), "episode.view", episode, client_id=episode.client_id, page="edit")
    return render(
        request,
        "care/episode_form.html",
        {"form": form, "client": episode.client, "episode": episode, "nav": "caseload"},
    )


def _episode_page(
    request: HttpRequest, episode: Episode, *, status: int = 200, **extra: Any
) -> HttpResponse:
    appointments = list(
        episode.appointments.order_by("-starts_at", "-pk").only(
            "pk", "starts_at", "status", "modality", "duration_minutes", "episode_id"
        )
    )
    episode_panels = panels("episode")
    context = {
        "episode": episode,
        "client": episode.client,
        "appointments": appointments,
        "next_steps": next_statuses(episode.status),
        # What other apps show here (the measures' outcome).
        **{p.name: p.build(request.user, episode) for p in episode_panels},
        "panel_templates": [p.template for p in episode_panels],
        "nav": "caseload",
        **extra,
    }
    return render(request, "care/episode_detail.html", context, status=status)


@clinician_required
def episode_detail(request: HttpRequest, episode_id: int) -> HttpResponse:
    episode = get_episode_for(actor_of(request), episode_id)
    # Checked after the lookup, so an outsider gets the same 404 whatever the method.
    if (refused := refuse(request, "GET", "HEAD")) is not None:
        return refused
    record(actor_of(request), "episode.view", episode, client_id=episode.client_id)
    return _episode_page(request, episode)


@clinician_required
def episode_transition(request: HttpRequest, episode_id: int) -> HttpResponse:
    user = user_of(request)
    # Look the episode up first: an outsider gets a 404 whatever the method.
    episode = get_episode_for(actor_of(request), episode_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    form = TransitionForm(request.POST, start_date=episode.start_date)
    if not form.is_valid():
        return _episode_page(request, episode, status=400, transition_form=form)
    data = form.cleaned_data
    # Asked only when the move is legal (else the service's refusal says why).
    if (
        data["status"] == EpisodeStatus.ENDED
        and EpisodeStatus.ENDED in TRANSITIONS[EpisodeStatus(episode.status)]
        and not confirmed(request)
    ):
        return _confirm_ending(request, episode, data)
    try:
        transition_episode(
            episode,
            data["status"],
            user,
            end_date=data["end_date"],
            unplanned=data["unplanned"],
        )
    except (InvalidTransition, InvalidEpisodeDates) as error:
        return _episode_page(request, episode, status=400, transition_error=str(error))
    messages.success(request, f"The episode is now {LABELS[EpisodeStatus(episode.status)]}.")
    if data["return_to"] == "client":
        return redirect("care:client_detail", client_id=episode.client_id)
    return redirect("care:episode_detail", episode_id=episode.pk)


def _confirm_ending(request: HttpRequest, episode: Episode, data: dict[str, Any]) -> HttpResponse:
    """Ending an episode cannot be undone: say what happens, and re-post with confirmed=yes."""
    end = data["end_date"] or timezone.localdate()
    unplanned = data["unplanned"] or episode.status == EpisodeStatus.ACTIVE
    consequences = [
        f"This episode of care ends on {date_format(end, 'j F Y')}.",
        "An ended episode cannot be made active again: after it, only follow-up or closing "
        "it remain. New work with this client starts a new episode.",
    ]
    if unplanned:
        consequences.append("The ending is recorded as unplanned.")
    fields = {"status": EpisodeStatus.ENDED, "return_to": data["return_to"] or "episode"}
    if data["end_date"]:
        fields["end_date"] = data["end_date"].isoformat()
    if data["unplanned"]:
        fields["unplanned"] = "on"
    back = (
        reverse("care:client_detail", kwargs={"client_id": episode.client_id})
        if data["return_to"] == "client"
        else reverse("care:episode_detail", kwargs={"episode_id": episode.pk})
    )
    return confirmation_page(
        request,
        title="Move this episode to Ended?",
        consequences=consequences,
        action=reverse("care:episode_transition", kwargs={"episode_id": episode.pk}),
        button="Move to Ended",
        cancel_url=back,
        fields=fields,
    )
