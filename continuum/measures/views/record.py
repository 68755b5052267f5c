"""A client's measures page, an episode's measures and outcome, assigning and stopping."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from continuum.accounts import once
from continuum.accounts.decorators import clinician_required
from continuum.accounts.http import actor_of, refuse
from continuum.audit.log import record
from continuum.care.access import get_client_for, get_episode_for
from continuum.care.episodes import OPEN_STATUSES
from continuum.lib.contributions import goal_statements
from continuum.measures.access import get_assignment_for
from continuum.measures.forms import AssignForm
from continuum.measures.models import Administration, AdministrationStatus, Cadence
from continuum.measures.queries import episode_outcome, measures_summary_for_client
from continuum.measures.services import (
    MeasureError,
    assign_measure,
    instrument_for,
    stop_assignment,
)
from continuum.measures.views.common import user_of


@clinician_required
def client_measures(request: HttpRequest, client_id: int) -> HttpResponse:
    client = get_client_for(actor_of(request), client_id)
    summary = measures_summary_for_client(client, recent=None)
    open_episode = (
        client.episodes.filter(status__in=[str(s) for s in OPEN_STATUSES])
        .order_by("-start_date", "-pk")
        .first()
    )
    record(actor_of(request), "measures.client_view", client)
    return render(
        request,
        "measures/client_measures.html",
        {"client": client, "summary": summary, "open_episode": open_episode, "nav": "caseload"},
    )


@clinician_required
def episode_measures(request: HttpRequest, episode_id: int) -> HttpResponse:
    episode = get_episode_for(actor_of(request), episode_id)
    outcome = episode_outcome(episode)
    assignments = list(episode.measure_assignments.order_by("-active", "-created_at", "-pk"))
    administrations = list(
        Administration.objects.filter(episode=episode)
        .select_related("entered_by")
        .order_by("due_at", "pk")
    )
    record(actor_of(request), "measures.episode_view", episode, client_id=episode.client_id)
    return render(
        request,
        "measures/episode_measures.html",
        {
            "episode": episode,
            "client": episode.client,
            "outcome": outcome,
            "assignments": assignments,
            "administrations": administrations,
            "statuses": AdministrationStatus,
            "nav": "caseload",
        },
    )


@clinician_required
def assign(request: HttpRequest, episode_id: int) -> HttpResponse:
    episode = get_episode_for(actor_of(request), episode_id)
    # The goal rating asks about the current plan's goals unless the therapist edits them.
    plan_goals = goal_statements(episode)
    status = 200
    if request.method == "POST":
        form = AssignForm(request.POST, plan_goals=plan_goals)
        if form.is_valid():
            data = form.cleaned_data
            measures_url = reverse("measures:episode_measures", kwargs={"episode_id": episode.pk})

            def create() -> str:
                assignment = assign_measure(
                    episode,
                    instrument=data["instrument"],
                    cadence=data["cadence"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    goal_labels=data["goal_labels"],
                    actor=actor_of(request),
                )
                name = instrument_for(assignment.instrument, assignment.goal_labels).name
                messages.success(request, f"{name} was assigned.")
                first = assignment.administrations.order_by("due_at", "pk").first()
                if request.POST.get("enter_now") and first is not None:
                    return reverse(
                        "measures:administration_enter", kwargs={"administration_id": first.pk}
                    )
                if first is not None and assignment.cadence == Cadence.ONCE:
                    return reverse(
                        "measures:administration_detail", kwargs={"administration_id": first.pk}
                    )
                return measures_url

            try:
                done = once.submit(form, user_of(request), create, fallback=measures_url)
            except MeasureError as error:
                form.add_error(None, str(error))
            else:
                return redirect(done.url)
        status = 400
    else:
        form = AssignForm(
            initial={"starts_on": timezone.localdate(), "cadence": Cadence.ONCE},
            plan_goals=plan_goals,
        )
    return render(
        request,
        "measures/assign.html",
        {
            "form": form,
            "episode": episode,
            "client": episode.client,
            "plan_goals": plan_goals,
            "nav": "caseload",
        },
        status=status,
    )


@clinician_required
def assignment_stop(request: HttpRequest, assignment_id: int) -> HttpResponse:
    user = user_of(request)
    assignment = get_assignment_for(user, assignment_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    try:
        withdrawn = stop_assignment(assignment, actor=actor_of(request))
    except MeasureError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"The measure was stopped; {withdrawn} questionnaire"
            f"{'s' if withdrawn != 1 else ''} still to answer "
            f"{'were' if withdrawn != 1 else 'was'} withdrawn.",
        )
    return redirect("measures:episode_measures", episode_id=assignment.episode_id)
