from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from continuum.accounts.decorators import clinician_required
from continuum.accounts.http import READ_METHODS, AuthenticatedRequest, actor_of, refuse
from continuum.audit.log import record
from continuum.care.access import get_appointment_for
from continuum.continuity import services
from continuum.continuity.brief import build_brief
from continuum.continuity.day import build_day
from continuum.continuity.presenters import brief_sections, day_page, score_lines


@clinician_required
def day(request: AuthenticatedRequest) -> HttpResponse:
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    actor, now = actor_of(request), timezone.now()
    # The marks are made against the previous visit, then this visit becomes the last.
    last = services.last_looked(actor)
    everything = request.GET.get("all") == "1"
    the_day = day_page(build_day(request.user, now, last_looked=last), now, everything=everything)
    services.day_opened(
        actor=actor,
        at=now,
        clients=len(the_day.on_my_mind),
        saw_everything_new=the_day.hidden_new == 0,
    )
    return render(request, "continuity/day.html", {"day": the_day, "nav": "day"})


@clinician_required
def brief(request: AuthenticatedRequest, appointment_id: int) -> HttpResponse:
    appointment = get_appointment_for(actor_of(request), appointment_id)
    # Checked after the lookup, so an outsider gets the same 404 whatever the method.
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    the_brief = build_brief(appointment, request.user)
    record(actor_of(request), "brief.view", appointment)
    return render(
        request,
        "continuity/brief.html",
        {
            "brief": the_brief,
            "sections": brief_sections(the_brief.extra_sections),
            "score_lines": score_lines(the_brief.scores_since),
            "appointment": appointment,
            "client": appointment.client,
        },
    )
