"""The public, phone-first questionnaire page reached by a one-time link (no login).

A link that does not work gets a page saying why (400 for a link we did not make, 410 for
one that expired, was used or was replaced) and nothing else: no name, no practice, no
measure. A working link shows the questionnaire only (no client name: links get forwarded).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from continuum.accounts.http import anonymous_actor
from continuum.measures.crisis import crisis_resources_for
from continuum.measures.forms import QuestionnaireForm
from continuum.measures.services import (
    administration_for_token,
    administration_instrument,
    submit_by_link,
)
from continuum.measures.tokens import LinkError, LinkProblem

PROBLEMS = {
    LinkProblem.INVALID: (
        400,
        "This link does not work",
        "Please check that the whole link was copied, or ask your therapist for a new one.",
    ),
    LinkProblem.EXPIRED: (
        410,
        "This link has expired",
        "Links work for a limited time. Please ask your therapist for a new one.",
    ),
    LinkProblem.USED: (
        410,
        "This questionnaire has already been answered",
        "Each link works once. Thank you: your answers have reached your therapist.",
    ),
    LinkProblem.VOID: (
        410,
        "This link is no longer in use",
        "It was replaced by a newer link or the questionnaire was withdrawn. Please ask your "
        "therapist if you are unsure.",
    ),
}


def _problem(request: HttpRequest, problem: LinkProblem) -> HttpResponse:
    status, title, text = PROBLEMS[problem]
    return render(
        request,
        "measures/public/problem.html",
        {"title": title, "text": text, "problem": problem.value},
        status=status,
    )


@never_cache
def questionnaire(request: HttpRequest, token: str) -> HttpResponse:
    try:
        admin = administration_for_token(token)
    except LinkError as error:
        return _problem(request, error.problem)
    inst = administration_instrument(admin)
    status = 200
    if request.method == "POST":
        form = QuestionnaireForm(inst, request.POST)
        if form.is_valid():
            try:
                done = submit_by_link(
                    token, form.cleaned_data["answers"], actor=anonymous_actor(request)
                )
            except LinkError as error:
                return _problem(request, error.problem)
            return render(
                request,
                "measures/public/done.html",
                {
                    "safety": done.safety,
                    "resources": crisis_resources_for(done.client) if done.safety else [],
                },
            )
        status = 400
    else:
        form = QuestionnaireForm(inst)
    return render(
        request,
        "measures/public/questionnaire.html",
        {"form": form, "instrument": inst},
        status=status,
    )
