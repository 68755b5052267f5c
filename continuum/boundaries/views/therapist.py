"""The therapist's side: their own contact policy, and the message thread of each client."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render

from continuum.accounts.decorators import clinician_required
from continuum.accounts.http import READ_METHODS, actor_of, refuse, user_of
from continuum.accounts.models import User
from continuum.audit.log import record
from continuum.boundaries import queries, services
from continuum.boundaries.access import get_message_for
from continuum.boundaries.forms import ContactPolicyForm, MessagingSwitchForm, ReplyForm
from continuum.boundaries.models import Message, Phase
from continuum.care.access import clients_for
from continuum.care.models import Client

THREAD_PAGE_SIZE = 50


# --- /me/boundaries/ --------------------------------------------------------------------------


@clinician_required
def policy_edit(request: HttpRequest) -> HttpResponse:
    """Both of the therapist's own policies (in therapy, after therapy) on one page."""
    user = user_of(request)
    if (refused := refuse(request, *READ_METHODS, "POST")) is not None:
        return refused
    current = services.policies_for(user)
    if request.method == "POST":
        forms = {phase: ContactPolicyForm(request.POST, prefix=phase) for phase in Phase.values}
        if all(form.is_valid() for form in forms.values()):
            try:
                services.update_policies(
                    user,
                    {phase: form.cleaned_data for phase, form in forms.items()},
                    actor=actor_of(request),
                )
            except services.BoundaryError as error:
                forms[Phase.IN_THERAPY].add_error(None, str(error))
            else:
                messages.success(request, "Your contact policy was saved.")
                return redirect("boundaries:policy_edit")
    else:
        forms = {
            phase: ContactPolicyForm(
                initial=ContactPolicyForm.initial_for(current[phase]),
                prefix=phase,
            )
            for phase in Phase.values
        }
    sections = [
        {"phase": phase, "label": Phase(phase).label, "form": forms[phase], "row": current[phase]}
        for phase in Phase.values
    ]
    return render(
        request,
        "boundaries/policy_form.html",
        {"sections": sections, "time_zone": user.time_zone, "nav": "boundaries"},
    )


# --- A client's messages ----------------------------------------------------------------------


def _client(user: User, client_id: int) -> Client:
    """get_client_for, with the practice and therapist the contact rules need."""
    return get_object_or_404(
        clients_for(user).select_related("practice", "therapist"), pk=client_id
    )


def _thread(
    request: HttpRequest,
    client: Client,
    *,
    reply_form: ReplyForm | None = None,
    switch_form: MessagingSwitchForm | None = None,
    status: int = 200,
) -> HttpResponse:
    contact = services.contact_for(client)
    rows = (
        Message.objects.filter(client=client)
        .select_related("sender")
        .order_by("-created_at", "-pk")
    )
    paginator: Paginator[Message] = Paginator(rows, THREAD_PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    unread = queries.unread_count(client)
    record(
        actor_of(request),
        "message.list",
        client,
        practice=client.practice_id,
        page=page_obj.number,
        shown=len(page_obj.object_list),
    )
    if reply_form is None:
        reply_form = ReplyForm(initial={"idempotency_key": services.new_idempotency_key()})
    if switch_form is None:
        switch_form = MessagingSwitchForm(
            initial={"enabled": "on" if contact.turned_off else "off"}
        )
    context: dict[str, Any] = {
        "client": client,
        "contact": contact,
        "page_obj": page_obj,
        "thread": page_obj.object_list,
        "total": paginator.count,
        "unread": unread,
        "reply_form": reply_form,
        "switch_form": switch_form,
        "nav": "caseload",
    }
    return render(request, "boundaries/thread.html", context, status=status)


@clinician_required
def client_messages(request: HttpRequest, client_id: int) -> HttpResponse:
    """GET: the thread with the reply form. POST: send a reply."""
    user = user_of(request)
    client = _client(user, client_id)
    if request.method == "POST":
        form = ReplyForm(request.POST)
        if form.is_valid():
            try:
                services.send_therapist_message(client, form.cleaned_data, actor=actor_of(request))
            except services.BoundaryError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Your reply was sent. The client reads it in the portal.")
                return redirect("boundaries:client_messages", client_id=client.pk)
        if form.key_expired:
            data = cast(QueryDict, form.data).copy()
            data["idempotency_key"] = services.new_idempotency_key()
            form.data = data
        return _thread(request, client, reply_form=form)
    if (refused := refuse(request, *READ_METHODS, "POST")) is not None:
        return refused
    return _thread(request, client)


@clinician_required
def client_messages_read(request: HttpRequest, client_id: int) -> HttpResponse:
    user = user_of(request)
    client = _client(user, client_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    ids = services.mark_all_read(client, actor=actor_of(request))
    messages.success(
        request,
        f"{len(ids)} message{'' if len(ids) == 1 else 's'} marked read."
        if ids
        else "There were no unread messages.",
    )
    return redirect("boundaries:client_messages", client_id=client.pk)


@clinician_required
def message_read(request: HttpRequest, message_id: int) -> HttpResponse:
    user = user_of(request)
    message = get_message_for(user, message_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    services.mark_read(message, actor=actor_of(request))
    messages.success(request, "The message was marked read.")
    return redirect("boundaries:client_messages", client_id=message.client_id)


@clinician_required
def client_messaging(request: HttpRequest, client_id: int) -> HttpResponse:
    """POST: turn portal messages off for this client (with a reason), or back on."""
    user = user_of(request)
    client = _client(user, client_id)
    if (refused := refuse(request, "POST")) is not None:
        return refused
    form = MessagingSwitchForm(request.POST)
    if form.is_valid():
        enabled = bool(form.cleaned_data["enabled"])
        try:
            services.set_client_messaging(
                client,
                enabled=enabled,
                reason=form.cleaned_data["reason"],
                actor=actor_of(request),
            )
        except services.BoundaryError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                "Portal messages are on again for this client (as your contact policy says)."
                if enabled
                else "Portal messages are off for this client. The portal tells them how to "
                "reach the practice instead.",
            )
            return redirect("boundaries:client_messages", client_id=client.pk)
    return _thread(request, client, switch_form=form)
