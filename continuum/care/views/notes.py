"""Progress notes: write a draft (SOAP/DAP/BIRP), edit it, sign it, add addenda, print."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from continuum.accounts import once
from continuum.accounts.confirm import confirmation_page, confirmed
from continuum.accounts.decorators import clinician_required
from continuum.accounts.http import actor_of, refuse, user_of
from continuum.audit import log as audit
from continuum.care.access import (
    get_appointment_for,
    get_note_for,
    get_note_or_own_draft_for,
    is_own_draft_elsewhere,
)
from continuum.care.forms.notes import AddendumForm, NoteForm
from continuum.care.models import Appointment, AppointmentStatus, ProgressNote
from continuum.care.note_formats import FORMATS
from continuum.care.services import notes as services

DEFAULT_FORMAT = "soap"


def _problem(
    request: HttpRequest,
    title: str,
    message: str,
    *,
    note: ProgressNote | None = None,
    appointment: Appointment | None = None,
) -> HttpResponse:
    """A 400 page explaining why nothing changed, with the way back."""
    return render(
        request,
        "care/note_problem.html",
        {
            "nav": "caseload",
            "title": title,
            "message": message,
            "note": note,
            "appointment": appointment,
        },
        status=400,
    )


def _not_author(request: HttpRequest, note: ProgressNote) -> HttpResponse | None:
    """The refusal page when someone other than a draft's author would change it."""
    user = request.user
    if note.is_signed or note.author_id == user.pk:
        return None
    return _problem(
        request,
        "This draft is not yours",
        f"This draft belongs to {note.author.display_name}, who wrote it: only they can "
        "change or sign it. Write your own note for the sessions you hold.",
        note=note,
    )


@clinician_required
def note_create(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = get_appointment_for(actor_of(request), appointment_id)
    if (refused := refuse(request, "GET", "POST")) is not None:
        return refused
    existing = ProgressNote.objects.filter(appointment=appointment).first()
    if existing is not None:
        messages.info(request, "This appointment already has a progress note.")
        return redirect("care:note_detail", note_id=existing.pk)
    if appointment.status != AppointmentStatus.ATTENDED:
        return _problem(
            request,
            "No note for this appointment yet",
            "Progress notes can be written for attended appointments only; this one is "
            f"{appointment.get_status_display().lower()}.",
            appointment=appointment,
        )
    source = request.POST if request.method == "POST" else request.GET
    fmt = source.get("format") or DEFAULT_FORMAT
    if fmt not in FORMATS:
        return _problem(
            request,
            "Unknown note format",
            "Choose one of the note formats: " + ", ".join(f.name for f in FORMATS.values()) + ".",
            appointment=appointment,
        )
    if request.method == "POST":
        form = NoteForm(request.POST, fmt=fmt)
        if form.is_valid():
            try:
                note = services.create_note(
                    appointment,
                    fmt=fmt,
                    sections=form.sections(),
                    next_session_plan=form.cleaned_data["next_session_plan"],
                    actor=actor_of(request),
                )
            except services.NoteExists as exists:
                messages.info(request, str(exists))
                return redirect("care:note_detail", note_id=exists.note.pk)
            except services.NoteNotAllowed as refused:
                return _problem(
                    request, "The note was not saved", str(refused), appointment=appointment
                )
            messages.success(request, "Draft saved. Sign the note when it is complete.")
            return redirect("care:note_detail", note_id=note.pk)
    else:
        form = NoteForm(fmt=fmt)
    return render(
        request,
        "care/note_form.html",
        {
            "nav": "caseload",
            "form": form,
            "creating": True,
            "appointment": appointment,
            "client": appointment.client,
            "format": FORMATS[fmt],
            "formats": list(FORMATS.values()),
            "cancel_url": reverse(
                "care:appointment_detail", kwargs={"appointment_id": appointment.pk}
            ),
        },
    )


def _render_detail(
    request: HttpRequest, note: ProgressNote, addendum_form: AddendumForm, **detail: Any
) -> HttpResponse:
    addenda = list(note.addenda.select_related("author"))
    audit.record(actor_of(request), "note.view", note, **detail)
    return render(
        request,
        "care/note_detail.html",
        {
            "nav": "caseload",
            "note": note,
            "client": note.client,
            "appointment": note.appointment,
            "addenda": addenda,
            "addendum_form": addendum_form,
            "elsewhere": is_own_draft_elsewhere(actor_of(request), note),
        },
    )


@clinician_required
def note_detail(request: HttpRequest, note_id: int) -> HttpResponse:
    note = get_note_or_own_draft_for(actor_of(request), note_id)
    if (refused := refuse(request, "GET", "HEAD")) is not None:
        return refused
    return _render_detail(request, note, AddendumForm(initial={"submission_key": once.new_key()}))


@clinician_required
def note_edit(request: HttpRequest, note_id: int) -> HttpResponse:
    note = get_note_or_own_draft_for(actor_of(request), note_id)
    if (refused := refuse(request, "GET", "POST")) is not None:
        return refused
    if note.is_signed:
        return _problem(request, "This note is signed", services.LOCKED_MESSAGE, note=note)
    if (not_author := _not_author(request, note)) is not None:
        return not_author
    if request.method == "POST":
        form = NoteForm(request.POST, fmt=note.format)
        if form.is_valid():
            try:
                services.update_note(
                    note,
                    sections=form.sections(),
                    next_session_plan=form.cleaned_data["next_session_plan"],
                    actor=actor_of(request),
                )
            except services.NoteLocked as locked:
                return _problem(request, "This note is signed", str(locked), note=note)
            messages.success(request, "Draft saved.")
            return redirect("care:note_detail", note_id=note.pk)
    else:
        form = NoteForm(
            fmt=note.format,
            initial=NoteForm.initial_from(note.sections, note.next_session_plan),
        )
        audit.record(actor_of(request), "note.view", note, page="edit")
    return render(
        request,
        "care/note_form.html",
        {
            "nav": "caseload",
            "form": form,
            "creating": False,
            "note": note,
            "appointment": note.appointment,
            "client": note.client,
            "format": FORMATS[note.format],
            "cancel_url": reverse("care:note_detail", kwargs={"note_id": note.pk}),
            "elsewhere": is_own_draft_elsewhere(actor_of(request), note),
        },
    )


@clinician_required
def note_sign(request: HttpRequest, note_id: int) -> HttpResponse:
    note = get_note_or_own_draft_for(actor_of(request), note_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    if (not_author := _not_author(request, note)) is not None:
        return not_author
    # Asked only when signing can go ahead (a draft with something written).
    if not note.is_signed and services.has_content(note) and not confirmed(request):
        return confirmation_page(
            request,
            title="Sign and lock this note?",
            consequences=[
                "The note is signed in your name with today's date and time.",
                "It is then locked: it can no longer be edited or deleted.",
                "Anything you add later is kept as a dated addendum below it.",
            ],
            action=reverse("care:note_sign", kwargs={"note_id": note.pk}),
            button="Sign and lock",
            cancel_url=reverse("care:note_detail", kwargs={"note_id": note.pk}),
            danger=False,
        )
    elsewhere = is_own_draft_elsewhere(actor_of(request), note)
    try:
        services.sign_note(note, actor=actor_of(request))
    except services.NoteLocked:
        return _problem(request, "This note is already signed", services.LOCKED_MESSAGE, note=note)
    except services.EmptyNote as empty:
        return _problem(request, "The note was not signed", str(empty), note=note)
    if elsewhere:
        # Signed, the note is part of a record that is no longer theirs to read.
        messages.success(
            request,
            "Note signed and locked. It is now in the record of the client's current "
            "therapist, who reads it there.",
        )
        return redirect("continuity:day")
    messages.success(request, "Note signed. It is now locked; changes are made by addendum.")
    return redirect("care:note_detail", note_id=note.pk)


@clinician_required
def addendum_create(request: HttpRequest, note_id: int) -> HttpResponse:
    note = get_note_for(actor_of(request), note_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    if not note.is_signed:
        return _problem(
            request,
            "This note is a draft",
            "Addenda are added to signed notes; edit the draft instead.",
            note=note,
        )
    form = AddendumForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, note, form, page="addendum_error")
    user = user_of(request)
    done = reverse("care:note_detail", kwargs={"note_id": note.pk}) + "#addenda"
    key = form.cleaned_data["submission_key"]
    try:
        with transaction.atomic():
            if not once.claim(key, user):  # the same form sent again: nothing new
                return redirect(once.result_url(key, user, done))
            services.add_addendum(note, text=form.cleaned_data["text"], actor=actor_of(request))
            once.remember(key, done)
    except services.NoteError as refused:
        return _problem(request, "The addendum was not added", str(refused), note=note)
    messages.success(request, "Addendum added.")
    return redirect(done)


@clinician_required
def note_print(request: HttpRequest, note_id: int) -> HttpResponse:
    note = get_note_for(actor_of(request), note_id)
    if (refused := refuse(request, "GET", "HEAD")) is not None:
        return refused
    addenda = list(note.addenda.select_related("author"))
    audit.record(actor_of(request), "note.print", note)
    return render(
        request,
        "care/note_print.html",
        {
            "nav": "caseload",
            "note": note,
            "client": note.client,
            "appointment": note.appointment,
            "addenda": addenda,
        },
    )
