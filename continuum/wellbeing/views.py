"""The therapist's own pages: my load, session weights, self-reflections, consultations, the
digest, my settings; and the owner's anonymous practice aggregate.

Every page but the last is for the therapist alone: lookups go through access.py and answer
404 to anyone else, before the method is looked at, so an outsider learns nothing from GET
versus POST.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from continuum.accounts import once
from continuum.accounts.decorators import clinician_required, owner_required
from continuum.accounts.http import READ_METHODS, actor_of, is_htmx, refuse, user_of
from continuum.accounts.models import User
from continuum.audit import log as audit
from continuum.care.access import get_client_for
from continuum.care.models import AppointmentStatus, Client
from continuum.wellbeing import queries, services
from continuum.wellbeing.access import (
    consultations_for,
    get_consultation_for,
    get_own_appointment_for,
    get_self_reflection_for,
    self_reflections_for,
)
from continuum.wellbeing.forms import (
    ConsultationForm,
    SelfReflectionForm,
    SettingsForm,
    WeightForm,
)
from continuum.wellbeing.models import WEIGHT_LABELS, ConsultationEntry, SessionWeight

PAGE_SIZE = 20
NAV = "load"


def _next_or(request: HttpRequest, default: str) -> str:
    """A same-site `next` (from the day view or the note) or the default page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# --- My load ------------------------------------------------------------------------------------


@clinician_required
def my_load(request: HttpRequest) -> HttpResponse:
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    page = queries.build_load_page(user_of(request))
    return render(request, "wellbeing/load.html", {"nav": NAV, "page": page})


@clinician_required
def load_settings(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if (refused := refuse(request, "GET", "POST")) is not None:
        return refused
    current = queries.settings_for(user)
    if request.method == "POST":
        form = SettingsForm(request.POST)
        if form.is_valid():
            services.update_settings(user, form.cleaned_data, actor=actor_of(request))
            messages.success(request, "Your settings are saved.")
            return redirect("wellbeing:load")
        status = 400
    else:
        form = SettingsForm(
            initial={name: getattr(current, name) for name in services.SETTINGS_FIELDS}
        )
        status = 200
    return render(request, "wellbeing/settings.html", {"nav": NAV, "form": form}, status=status)


@clinician_required
def snooze(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    row = services.snooze_prompts(user, actor=actor_of(request))
    until = timezone.localtime(row.snooze_until) if row.snooze_until else None
    when = f" until {until:%A} {until.day} {until:%B}" if until else ""
    messages.success(request, f"Suggestions are snoozed{when}. Take care.")
    return redirect(_next_or(request, reverse("continuity:day")))


@clinician_required
def digest(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    now = timezone.now()
    s = queries.settings_for(user)
    monday = queries.last_complete_week(user, now)
    the_digest = queries.digest_for(user, monday, s)
    return render(
        request,
        "wellbeing/digest.html",
        {"nav": NAV, "digest": the_digest, "week": the_digest.week, "settings": s},
    )


# --- Session weights ----------------------------------------------------------------------------


@clinician_required
def session_weight(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """GET: the full form (weight and private line); POST: save, from here or the one-tap
    forms on the note and the day view (those send no private line: the current one stays)."""
    user = user_of(request)
    appointment = get_own_appointment_for(actor_of(request), appointment_id)
    if (refused := refuse(request, "GET", "POST")) is not None:
        return refused
    existing = SessionWeight.objects.filter(therapist=user, appointment=appointment).first()
    context: dict[str, Any] = {
        "nav": NAV,
        "appointment": appointment,
        "client": appointment.client,
        "existing": existing,
        "next": _next_or(request, ""),
    }
    if appointment.status != AppointmentStatus.ATTENDED:
        context["not_attended"] = True
        return render(
            request,
            "wellbeing/session_weight.html",
            context,
            status=400 if request.method == "POST" else 200,
        )
    if request.method == "POST":
        form = WeightForm(request.POST)
        if form.is_valid():
            line = form.cleaned_data["private_line"] if "private_line" in request.POST else None
            try:
                row, _ = services.rate_session(
                    appointment,
                    weight=form.cleaned_data["weight"],
                    private_line=line,
                    actor=actor_of(request),
                )
            except services.WellbeingError as refused_error:
                form.add_error(None, str(refused_error))
            else:
                saved = f"Saved: {row.weight} of 5, {WEIGHT_LABELS[row.weight].lower()}."
                if is_htmx(request):
                    return render(
                        request,
                        "wellbeing/_weight_form.html",
                        {
                            "show": True,
                            "appointment": appointment,
                            "weight": row,
                            "saved": saved,
                            "next": context["next"],
                        },
                    )
                messages.success(request, f"{saved} Only you can see this.")
                return redirect(
                    _next_or(
                        request,
                        reverse("wellbeing:load"),
                    )
                )
        if is_htmx(request):
            return render(
                request,
                "wellbeing/_weight_form.html",
                {
                    "show": True,
                    "appointment": appointment,
                    "weight": existing,
                    "next": context["next"],
                },
                status=400,
            )
        context["form"] = form
        return render(request, "wellbeing/session_weight.html", context, status=400)
    if existing is not None:
        audit.record(actor_of(request), "wellbeing.weight.view", existing)
        form = WeightForm(
            initial={"weight": existing.weight, "private_line": existing.private_line}
        )
    else:
        form = WeightForm()
    context["form"] = form
    return render(request, "wellbeing/session_weight.html", context)


# --- Self-reflections ---------------------------------------------------------------------------


@clinician_required
def self_reflections(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    items = self_reflections_for(user).select_related("client").order_by("-created_at", "-pk")
    page_obj = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page_obj.object_list)
    audit.record(
        actor_of(request),
        "wellbeing.self_reflection.list",
        page=page_obj.number,
        self_reflections=[r.pk for r in shown],
    )
    return render(
        request,
        "wellbeing/self_reflections.html",
        {"nav": NAV, "page_obj": page_obj, "reflections": shown},
    )


@clinician_required
def self_reflection_create(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if (refused := refuse(request, "GET", "POST")) is not None:
        return refused
    if request.method == "POST":
        form = SelfReflectionForm(request.POST, user=user)
        if form.is_valid():

            def create() -> str:
                reflection = services.create_self_reflection(
                    author=user,
                    text=form.cleaned_data["text"],
                    client=form.cleaned_data["client"],
                    actor=actor_of(request),
                )
                return reverse(
                    "wellbeing:self_reflection_detail",
                    kwargs={"self_reflection_id": reflection.pk},
                )

            try:
                done = once.submit(
                    form, user, create, fallback=reverse("wellbeing:self_reflections")
                )
            except services.WellbeingError as refused_error:
                form.add_error(None, str(refused_error))
            else:
                if done.first:
                    messages.success(request, "Saved. Only you can read it.")
                return redirect(done.url)
        status = 400
    else:
        initial = {}
        client_id = request.GET.get("client")
        if client_id and client_id.isdigit():
            initial["client"] = client_id
        form = SelfReflectionForm(user=user, initial=initial)
        status = 200
    return render(
        request,
        "wellbeing/self_reflection_form.html",
        {"nav": NAV, "form": form, "reflection": None},
        status=status,
    )


@clinician_required
def self_reflection_detail(request: HttpRequest, self_reflection_id: int) -> HttpResponse:
    user = user_of(request)
    reflection = get_self_reflection_for(user, self_reflection_id)
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    audit.record(actor_of(request), "wellbeing.self_reflection.view", reflection)
    return render(
        request,
        "wellbeing/self_reflection_detail.html",
        {"nav": NAV, "reflection": reflection, "client": _linked(user, reflection.client)},
    )


def _linked(user: User, client: Client | None) -> Client | None:
    """The linked client, while they are still the user's own (else no name is shown)."""
    return client if client is not None and client.therapist_id == user.pk else None


@clinician_required
def self_reflection_edit(request: HttpRequest, self_reflection_id: int) -> HttpResponse:
    user = user_of(request)
    reflection = get_self_reflection_for(user, self_reflection_id)
    if (refused := refuse(request, "GET", "POST")) is not None:
        return refused
    current = reflection.client
    if request.method == "POST":
        form = SelfReflectionForm(request.POST, user=user, current=current)
        if form.is_valid():
            try:
                services.update_self_reflection(
                    reflection,
                    text=form.cleaned_data["text"],
                    client=form.cleaned_data["client"],
                    actor=actor_of(request),
                )
            except services.WellbeingError as refused_error:
                form.add_error(None, str(refused_error))
            else:
                messages.success(request, "Saved.")
                return redirect(
                    "wellbeing:self_reflection_detail", self_reflection_id=reflection.pk
                )
        status = 400
    else:
        form = SelfReflectionForm(
            user=user,
            current=current,
            initial={"text": reflection.text, "client": reflection.client_id},
        )
        audit.record(actor_of(request), "wellbeing.self_reflection.view", reflection, page="edit")
        status = 200
    return render(
        request,
        "wellbeing/self_reflection_form.html",
        {"nav": NAV, "form": form, "reflection": reflection},
        status=status,
    )


@clinician_required
def self_reflection_delete(request: HttpRequest, self_reflection_id: int) -> HttpResponse:
    user = user_of(request)
    reflection = get_self_reflection_for(user, self_reflection_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    services.delete_self_reflection(reflection, actor=actor_of(request))
    messages.success(request, "Deleted.")
    return redirect("wellbeing:self_reflections")


# --- Consultation log ---------------------------------------------------------------------------


def _consultation_form(request: HttpRequest, user: User, client: Client | None) -> ConsultationForm:
    if request.method == "POST":
        form = ConsultationForm(request.POST, user=user)
    else:
        form = ConsultationForm(user=user, initial={"date": timezone.localdate()})
    if client is not None:
        # One client's page: the client is fixed, not chosen.
        del form.fields["client"]
    return form


def _consultation_page(request: HttpRequest, user: User, *, client: Client | None) -> HttpResponse:
    """The log (all of it, or one client's) with the form to add an entry."""
    status = 200
    form = _consultation_form(request, user, client)
    if request.method == "POST":
        if form.is_valid():
            chosen = form.cleaned_data["client"] if client is None else client

            def create() -> str:
                services.create_consultation(
                    therapist=user,
                    client=chosen,
                    date=form.cleaned_data["date"],
                    kind=form.cleaned_data["kind"],
                    with_whom=form.cleaned_data["with_whom"],
                    decided=form.cleaned_data["decided"],
                    actor=actor_of(request),
                )
                return request.path

            try:
                done = once.submit(form, user, create, fallback=request.path)
            except services.WellbeingError as refused_error:
                form.add_error(None, str(refused_error))
            else:
                if done.first:
                    messages.success(request, "Consultation logged.")
                return redirect(done.url)
        status = 400
    entries = consultations_for(user).select_related("client").order_by("-date", "-pk")
    if client is not None:
        entries = entries.filter(client=client)
    page_obj = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    shown: list[ConsultationEntry] = list(page_obj.object_list)
    if request.method != "POST":
        audit.record(
            actor_of(request),
            "wellbeing.consultation.list",
            client,
            page=page_obj.number,
            consultations=[e.pk for e in shown],
        )
    return render(
        request,
        "wellbeing/consultations.html",
        {
            "nav": "caseload" if client is not None else NAV,
            "form": form,
            "client": client,
            "page_obj": page_obj,
            "entries": shown,
        },
        status=status,
    )


@clinician_required
def consultations(request: HttpRequest) -> HttpResponse:
    if (refused := refuse(request, "GET", "POST")) is not None:
        return refused
    return _consultation_page(request, user_of(request), client=None)


@clinician_required
def client_consultations(request: HttpRequest, client_id: int) -> HttpResponse:
    user = user_of(request)
    client = get_client_for(actor_of(request), client_id)
    if (refused := refuse(request, "GET", "POST")) is not None:
        return refused
    return _consultation_page(request, user, client=client)


@clinician_required
def consultation_edit(request: HttpRequest, consultation_id: int) -> HttpResponse:
    user = user_of(request)
    entry = get_consultation_for(user, consultation_id)
    if (refused := refuse(request, "GET", "POST")) is not None:
        return refused
    current = entry.client
    if request.method == "POST":
        form = ConsultationForm(request.POST, user=user, current=current)
        if form.is_valid():
            try:
                services.update_consultation(
                    entry,
                    client=form.cleaned_data["client"],
                    date=form.cleaned_data["date"],
                    kind=form.cleaned_data["kind"],
                    with_whom=form.cleaned_data["with_whom"],
                    decided=form.cleaned_data["decided"],
                    actor=actor_of(request),
                )
            except services.WellbeingError as refused_error:
                form.add_error(None, str(refused_error))
            else:
                messages.success(request, "Saved.")
                return redirect("wellbeing:consultations")
        status = 400
    else:
        form = ConsultationForm(
            user=user,
            current=current,
            initial={
                "date": entry.date,
                "kind": entry.kind,
                "with_whom": entry.with_whom,
                "decided": entry.decided,
                "client": entry.client_id,
            },
        )
        audit.record(actor_of(request), "wellbeing.consultation.view", entry, page="edit")
        status = 200
    return render(
        request,
        "wellbeing/consultation_form.html",
        {"nav": NAV, "form": form, "entry": entry},
        status=status,
    )


# --- The owner's view ---------------------------------------------------------------------------


@owner_required
def practice_wellbeing(request: HttpRequest) -> HttpResponse:
    """Anonymous practice-wide averages, only once enough therapists chose to share."""
    if (refused := refuse(request, *READ_METHODS)) is not None:
        return refused
    practice = user_of(request).membership.practice
    aggregate = queries.practice_aggregate(practice)
    return render(
        request,
        "wellbeing/practice.html",
        {"nav": "practice", "aggregate": aggregate, "practice": practice},
    )
