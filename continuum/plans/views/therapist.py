"""The therapist's side: an episode's treatment plan and its versions, goals, interventions
and their reviews, and a client's homework.

Every object comes through plans.access / care.access (outsiders get a 404 whatever the
method); the method is checked after the lookup for the same reason.
"""

from __future__ import annotations

from typing import Any

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
from continuum.care.episodes import OPEN_STATUSES
from continuum.care.models import Client
from continuum.measures.queries import scores_since
from continuum.plans import presenters, queries, services
from continuum.plans.access import (
    get_goal_for,
    get_homework_for,
    get_intervention_for,
    get_plan_for,
)
from continuum.plans.catalogue import TECHNIQUES
from continuum.plans.forms import (
    GoalForm,
    HomeworkForm,
    InterventionForm,
    PlanForm,
    ReviewForm,
)
from continuum.plans.models import (
    Goal,
    GoalStatus,
    Homework,
    Intervention,
    InterventionStatus,
    PlanError,
    TreatmentPlan,
)

FORM = ("GET", "HEAD", "POST")
HOMEWORK_PANEL_LIMIT = 10
REVIEWED = {
    "keep": "The review was saved; the intervention continues.",
    "adapt": "The review was saved and the new version added to the plan.",
    "stop": "The review was saved; the intervention is stopped.",
}


def _episode_plan_url(episode_id: int) -> str:
    return reverse("plans:episode_plan", kwargs={"episode_id": episode_id})


def _problem(
    request: HttpRequest, message: str, *, plan: TreatmentPlan | None = None, **extra: Any
) -> HttpResponse:
    """A 400 page saying why nothing changed, with the way back."""
    context = {"message": message, "plan": plan, "nav": "caseload", **extra}
    return render(request, "plans/problem.html", context, status=400)


# --- Plans ----------------------------------------------------------------------------------


@clinician_required
def episode_plan(request: HttpRequest, episode_id: int) -> HttpResponse:
    episode = get_episode_for(actor_of(request), episode_id)
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    plans = queries.episode_plans(episode)
    view = queries.plan_view(plans.current) if plans.current is not None else None
    record(
        actor_of(request),
        "plan.view",
        plans.current or episode,
        client_id=episode.client_id,
        episode_id=episode.pk,
    )
    return render(
        request,
        "plans/episode_plan.html",
        {
            "episode": episode,
            "client": episode.client,
            "plans": plans,
            "view": view,
            "nav": "caseload",
        },
    )


@clinician_required
def plan_create(request: HttpRequest, episode_id: int) -> HttpResponse:
    """Start a plan, or the next version of the current one (a draft copying it)."""
    user = user_of(request)
    episode = get_episode_for(actor_of(request), episode_id)
    if (refused := refuse(request, *FORM)) is not None:
        return refused
    plans = queries.episode_plans(episode)
    if plans.draft is not None:
        messages.info(request, "This episode already has a draft plan; here it is.")
        return redirect("plans:plan_detail", plan_id=plans.draft.pk)
    today = timezone.localdate()
    if request.method == "POST":
        form = PlanForm(request.POST, today=today)
        if form.is_valid():

            def create() -> str:
                draft = services.create_draft(episode, by=user, **once.fields(form))
                messages.success(request, f"Draft version {draft.version} was started.")
                return reverse("plans:plan_detail", kwargs={"plan_id": draft.pk})

            try:
                done = once.submit(form, user, create, fallback=_episode_plan_url(episode.pk))
            except PlanError as error:
                form.add_error(None, str(error))
            else:
                return redirect(done.url)
    else:
        current = plans.current
        initial: dict[str, Any] = {}
        if current is not None:
            initial["focus"] = current.focus
            if current.review_date is not None and current.review_date >= today:
                initial["review_date"] = current.review_date
        form = PlanForm(initial=initial, today=today)
    return render(
        request,
        "plans/plan_form.html",
        {
            "form": form,
            "episode": episode,
            "client": episode.client,
            "plan": None,
            "current": plans.current,
            "nav": "caseload",
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@clinician_required
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    """One plan version, any status (older versions stay viewable as they were)."""
    user = user_of(request)
    plan = get_plan_for(user, plan_id)
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    view = queries.plan_view(plan)
    record(
        actor_of(request),
        "plan.view",
        plan,
        client_id=plan.client_id,
        version=plan.version,
    )
    current = None
    if not plan.is_current:
        current = TreatmentPlan.objects.filter(episode=plan.episode, status="current").first()
    return render(
        request,
        "plans/plan_detail.html",
        {
            "plan": plan,
            "view": view,
            "episode": plan.episode,
            "client": plan.client,
            "current": current,
            "nav": "caseload",
        },
    )


@clinician_required
def plan_edit(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = user_of(request)
    plan = get_plan_for(user, plan_id)
    if (refused := refuse(request, *FORM)) is not None:
        return refused
    if not plan.is_draft:
        return _problem(request, "Only a draft plan can be changed.", plan=plan)
    today = timezone.localdate()
    if request.method == "POST":
        form = PlanForm(request.POST, today=today)
        if form.is_valid():
            try:
                services.update_plan(plan, by=user, **once.fields(form))
            except PlanError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "The draft was saved.")
                return redirect("plans:plan_detail", plan_id=plan.pk)
    else:
        form = PlanForm(initial={"focus": plan.focus, "review_date": plan.review_date}, today=today)
        record(
            actor_of(request),
            "plan.view",
            plan,
            client_id=plan.client_id,
            version=plan.version,
            page="edit",
        )
    return render(
        request,
        "plans/plan_form.html",
        {
            "form": form,
            "episode": plan.episode,
            "client": plan.client,
            "plan": plan,
            "nav": "caseload",
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@clinician_required
def plan_publish(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = user_of(request)
    plan = get_plan_for(user, plan_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    try:
        services.publish_plan(plan, by=user)
    except PlanError as error:
        return _problem(request, str(error), plan=plan)
    messages.success(
        request, f"Version {plan.version} is now the current plan. The client can read it."
    )
    return redirect("plans:episode_plan", episode_id=plan.episode_id)


# --- Goals ----------------------------------------------------------------------------------


def _goal_page(
    request: HttpRequest, plan: TreatmentPlan, form: GoalForm, goal: Goal | None
) -> HttpResponse:
    return render(
        request,
        "plans/goal_form.html",
        {
            "form": form,
            "plan": plan,
            "goal": goal,
            "client": plan.client,
            "nav": "caseload",
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@clinician_required
def goal_create(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = user_of(request)
    plan = get_plan_for(user, plan_id)
    if (refused := refuse(request, *FORM)) is not None:
        return refused
    if not plan.is_draft:
        return _problem(request, "Goals are added to a draft plan.", plan=plan)
    start = plan.episode.start_date
    if request.method == "POST":
        form = GoalForm(request.POST, episode_start=start)
        if form.is_valid():
            url = reverse("plans:plan_detail", kwargs={"plan_id": plan.pk})

            def create() -> str:
                services.add_goal(plan, by=user, **form.goal_fields())
                messages.success(request, "The goal was added.")
                return url

            try:
                return redirect(once.submit(form, user, create, fallback=url).url)
            except PlanError as error:
                form.add_error(None, str(error))
    else:
        form = GoalForm(episode_start=start)
    return _goal_page(request, plan, form, None)


@clinician_required
def goal_edit(request: HttpRequest, goal_id: int) -> HttpResponse:
    user = user_of(request)
    goal = get_goal_for(user, goal_id)
    plan = goal.plan
    if (refused := refuse(request, *FORM)) is not None:
        return refused
    if not plan.is_draft:
        return _problem(
            request,
            "Goals of a published plan stay as they were: start a new version to change them.",
            plan=plan,
        )
    start = plan.episode.start_date
    if request.method == "POST":
        form = GoalForm(request.POST, episode_start=start)
        if form.is_valid():
            try:
                services.update_goal(goal, by=user, **form.goal_fields())
            except PlanError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "The goal was saved.")
                return redirect("plans:plan_detail", plan_id=plan.pk)
    else:
        form = GoalForm(initial=GoalForm.initial_for(goal), episode_start=start)
        record(actor_of(request), "goal.view", goal, client_id=plan.client_id, page="edit")
    return _goal_page(request, plan, form, goal)


# --- Interventions --------------------------------------------------------------------------


def _intervention_page(
    request: HttpRequest,
    plan: TreatmentPlan,
    form: InterventionForm,
    intervention: Intervention | None,
) -> HttpResponse:
    return render(
        request,
        "plans/intervention_form.html",
        {
            "form": form,
            "plan": plan,
            "intervention": intervention,
            "client": plan.client,
            "techniques": TECHNIQUES,
            "nav": "caseload",
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@clinician_required
def intervention_create(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = user_of(request)
    plan = get_plan_for(user, plan_id)
    if (refused := refuse(request, *FORM)) is not None:
        return refused
    if not plan.is_draft:
        return _problem(request, "Interventions are added to a draft plan.", plan=plan)
    if request.method == "POST":
        form = InterventionForm(request.POST, plan=plan)
        if form.is_valid():
            url = reverse("plans:plan_detail", kwargs={"plan_id": plan.pk})

            def create() -> str:
                services.add_intervention(plan, by=user, **form.intervention_fields())
                messages.success(request, "The intervention was added.")
                return url

            try:
                return redirect(once.submit(form, user, create, fallback=url).url)
            except PlanError as error:
                form.add_error(None, str(error))
    else:
        form = InterventionForm(plan=plan, initial={"start_date": timezone.localdate()})
        # The form offers the plan's goals (their statements) to link: a read of the plan.
        record(
            actor_of(request),
            "plan.view",
            plan,
            client_id=plan.client_id,
            version=plan.version,
            page="intervention_create",
        )
    return _intervention_page(request, plan, form, None)


@clinician_required
def intervention_edit(request: HttpRequest, intervention_id: int) -> HttpResponse:
    user = user_of(request)
    intervention = get_intervention_for(user, intervention_id)
    plan = intervention.plan
    if (refused := refuse(request, *FORM)) is not None:
        return refused
    if not plan.is_draft:
        return _problem(
            request,
            "A published intervention changes through a review (adapt or stop), or in a new "
            "plan version.",
            plan=plan,
        )
    if request.method == "POST":
        form = InterventionForm(request.POST, plan=plan)
        if form.is_valid():
            try:
                services.update_intervention(intervention, by=user, **form.intervention_fields())
            except PlanError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "The intervention was saved.")
                return redirect("plans:plan_detail", plan_id=plan.pk)
    else:
        form = InterventionForm(plan=plan, initial=InterventionForm.initial_for(intervention))
        record(
            actor_of(request),
            "intervention.view",
            intervention,
            client_id=plan.client_id,
            page="edit",
        )
    return _intervention_page(request, plan, form, intervention)


@clinician_required
def intervention_review(request: HttpRequest, intervention_id: int) -> HttpResponse:
    user = user_of(request)
    intervention = get_intervention_for(user, intervention_id)
    plan = intervention.plan
    if (refused := refuse(request, *FORM)) is not None:
        return refused
    if not plan.is_current or intervention.status != InterventionStatus.ACTIVE:
        return _problem(
            request,
            "Only active interventions of the current plan are reviewed.",
            plan=plan,
        )
    today = timezone.localdate()
    if request.method == "POST":
        form = ReviewForm(request.POST, intervention=intervention, today=today)
        if form.is_valid():
            url = _episode_plan_url(plan.episode_id)

            def create() -> str:
                review = services.review_intervention(intervention, by=user, **form.review_fields())
                messages.success(request, REVIEWED[review.decision])
                return url

            try:
                return redirect(once.submit(form, user, create, fallback=url).url)
            except PlanError as error:
                form.add_error(None, str(error))
    else:
        form = ReviewForm(intervention=intervention, today=today, initial={"reviewed_on": today})
        record(
            actor_of(request),
            "intervention.view",
            intervention,
            client_id=plan.client_id,
            page="review",
        )
    return render(
        request,
        "plans/review_form.html",
        {
            "form": form,
            "plan": plan,
            "intervention": intervention,
            "client": plan.client,
            "nav": "caseload",
            # The scores since the intervention started, so the decision is made with the
            # data in view (the review stores them: services.review_intervention).
            "scores": presenters.scores_since_rows(
                scores_since(plan.episode, intervention.start_date)
            ),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


# --- Homework -------------------------------------------------------------------------------


def _homework_form(
    client: Client, data: Any = None, *, homework: Homework | None = None
) -> tuple[HomeworkForm, TreatmentPlan | None]:
    """The assign/edit form; its links are the current plan's active goals and interventions."""
    plan = queries.current_plan(client)
    goals: list[Goal] = []
    interventions: list[Intervention] = []
    if plan is not None:
        goals = list(plan.goals.filter(status=GoalStatus.ACTIVE))
        interventions = list(plan.interventions.filter(status=InterventionStatus.ACTIVE))
    today = timezone.localdate()
    if homework is not None:
        # A task set under an earlier plan version keeps its link while it is edited.
        if homework.goal is not None and homework.goal not in goals:
            goals.append(homework.goal)
        if homework.intervention is not None and homework.intervention not in interventions:
            interventions.append(homework.intervention)
        earliest = min(today, timezone.localtime(homework.created_at).date())
        initial = HomeworkForm.initial_for(homework)
    else:
        earliest = today
        initial = {}
    form = HomeworkForm(
        data,
        initial=initial,
        goals=goals,
        interventions=interventions,
        earliest_due=earliest,
    )
    return form, plan


@clinician_required
def homework_list(request: HttpRequest, client_id: int) -> HttpResponse:
    """A client's homework history, and the form to set a new task (POST)."""
    user = user_of(request)
    client = get_client_for(actor_of(request), client_id)
    if (refused := refuse(request, *FORM)) is not None:
        return refused
    status = 200
    if request.method == "POST":
        form, plan = _homework_form(client, request.POST)
        if form.is_valid():
            episode = plan.episode if plan is not None else None
            if episode is None:
                episode = client.episodes.filter(status__in=[str(s) for s in OPEN_STATUSES]).first()
            url = reverse("plans:homework_list", kwargs={"client_id": client.pk})

            def create() -> str:
                services.assign_homework(client, by=user, episode=episode, **form.homework_fields())
                messages.success(request, "The task was set. The client sees it in the portal.")
                return url

            try:
                return redirect(once.submit(form, user, create, fallback=url).url)
            except PlanError as error:
                form.add_error(None, str(error))
        status = 400
    else:
        form, plan = _homework_form(client)
    history = queries.homework_for_client(client)
    record(actor_of(request), "homework.list", client, client_id=client.pk)
    return render(
        request,
        "plans/homework_list.html",
        {
            "client": client,
            "homework": history,
            "form": form,
            "plan": plan,
            "nav": "caseload",
        },
        status=status,
    )


@clinician_required
def homework_edit(request: HttpRequest, homework_id: int) -> HttpResponse:
    user = user_of(request)
    homework = get_homework_for(user, homework_id)
    client = homework.client
    if (refused := refuse(request, *FORM)) is not None:
        return refused
    if not homework.is_open:
        return _problem(
            request,
            f"This task is {homework.get_status_display().lower()}; only open tasks can be edited.",
            client=client,
        )
    if request.method == "POST":
        form, _ = _homework_form(client, request.POST, homework=homework)
        if form.is_valid():
            try:
                services.update_homework(homework, by=user, **form.homework_fields())
            except PlanError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "The task was saved.")
                return redirect("plans:homework_list", client_id=client.pk)
    else:
        form, _ = _homework_form(client, homework=homework)
        record(actor_of(request), "homework.view", homework, client_id=client.pk, page="edit")
    return render(
        request,
        "plans/homework_form.html",
        {"form": form, "client": client, "homework": homework, "nav": "caseload"},
        status=400 if form.is_bound and form.errors else 200,
    )


@clinician_required
def homework_cancel(request: HttpRequest, homework_id: int) -> HttpResponse:
    user = user_of(request)
    homework = get_homework_for(user, homework_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    try:
        services.cancel_homework(homework, by=user)
    except PlanError as error:
        return _problem(request, str(error), client=homework.client)
    messages.success(request, "The task was cancelled; the client no longer sees it.")
    return redirect("plans:homework_list", client_id=homework.client_id)
