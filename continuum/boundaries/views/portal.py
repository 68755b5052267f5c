"""The client's side: the inbox, writing a message, and a message's own page.

Behind `portal_client_required`: the client comes from the login, never the URL, and a
message id is looked up within that client's own messages (anything else is a 404). Every
page where the client can write shows the contact policy and the crisis resources.
"""

from __future__ import annotations

from typing import Any, cast

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from continuum.accounts.http import actor_of, refuse
from continuum.audit.log import record
from continuum.boundaries import services
from continuum.boundaries.access import own_message
from continuum.boundaries.forms import MessageForm
from continuum.boundaries.models import Direction, Message
from continuum.care.access import portal_client_required
from continuum.care.models import Client

READ = ("GET", "HEAD")
INBOX_PAGE_SIZE = 20


def _client(request: HttpRequest) -> Client:
    return cast(Client, request.portal_client)  # type: ignore[attr-defined]


@never_cache
@portal_client_required
def inbox(request: HttpRequest) -> HttpResponse:
    if (refused := refuse(request, *READ)) is not None:
        return refused
    client = _client(request)
    contact = services.contact_for(client)
    rows = (
        Message.objects.filter(client=client)
        .select_related("sender")
        .order_by("-created_at", "-pk")
    )
    paginator: Paginator[Message] = Paginator(rows, INBOX_PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    shown = list(page_obj.object_list)
    # Marked "New" on this page once, then no longer new on the portal home.
    new_ids = services.mark_seen_by_client(client, shown, actor=actor_of(request))
    record(
        actor_of(request),
        "message.portal_list",
        client,
        practice=client.practice_id,
        page=page_obj.number,
        shown=len(page_obj.object_list),
    )
    return render(
        request,
        "portal/boundaries/inbox.html",
        {
            "client": client,
            "contact": contact,
            "page_obj": page_obj,
            "inbox": shown,
            "new_ids": new_ids,
            "total": paginator.count,
            "nav": "messages",
        },
    )


def _reply_target(client: Client, value: Any) -> Message | None:
    """The therapist's message named by ?reply_to=, or None (anything else is ignored)."""
    try:
        target_id = int(str(value))
    except (TypeError, ValueError):
        return None
    return Message.objects.filter(
        client=client, direction=Direction.TO_CLIENT, pk=target_id
    ).first()


def _off(request: HttpRequest, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    return render(request, "portal/boundaries/compose_off.html", context, status=status)


@never_cache
@portal_client_required
def compose(request: HttpRequest) -> HttpResponse:
    """GET: the form, with the contact policy and crisis resources. POST: send it.

    When messages are off (the policy for the client's phase, or the therapist's choice),
    the page says how to reach the practice instead, and a POST is refused (400) with
    nothing stored.
    """
    if (refused := refuse(request, *READ, "POST")) is not None:
        return refused
    client = _client(request)
    contact = services.contact_for(client)
    now = timezone.now()
    context: dict[str, Any] = {
        "client": client,
        "contact": contact,
        "in_hours": contact.in_hours(now),
        "next_reading": contact.next_reading(now),
        "nav": "messages",
    }
    if not contact.messages_enabled:
        return _off(request, context, status=400 if request.method == "POST" else 200)
    reply_to: Message | None = None
    if request.method == "POST":
        form = MessageForm(request.POST)
        if form.is_valid():
            try:
                saved = services.send_client_message(
                    client, form.cleaned_data, contact=contact, now=now, actor=actor_of(request)
                )
            except services.MessagingOff:
                return _off(request, context, status=400)
            except services.BoundaryError as error:
                form.add_error(None, str(error))
            else:
                return redirect("boundaries:portal_message", message_id=saved.pk)
        if form.key_expired:
            # A fresh key, so the next send is accepted (nothing was stored with the old one).
            data = cast(QueryDict, form.data).copy()
            data["idempotency_key"] = services.new_idempotency_key()
            form.data = data
        reply_to = _reply_target(client, form.data.get("in_reply_to"))
    else:
        reply_to = _reply_target(client, request.GET.get("reply_to"))
        form = MessageForm(
            initial={
                "idempotency_key": services.new_idempotency_key(),
                "in_reply_to": reply_to.pk if reply_to else None,
            }
        )
    context.update({"form": form, "reply_to": reply_to})
    return render(request, "portal/boundaries/compose.html", context)


@never_cache
@portal_client_required
def message(request: HttpRequest, message_id: int) -> HttpResponse:
    """One message. For the client's own, the confirmation: when the therapist will read it,
    the after-hours reply if it was sent outside hours, and the crisis resources."""
    client = _client(request)
    shown = own_message(client, message_id)
    if (refused := refuse(request, *READ)) is not None:
        return refused
    contact = services.contact_for(client)
    services.mark_seen_by_client(client, [shown], actor=actor_of(request))
    record(
        actor_of(request),
        "message.portal_view",
        shown,
        practice=client.practice_id,
        client_id=client.pk,
    )
    # From when it was sent, so the page reads the same when it is opened again later.
    return render(
        request,
        "portal/boundaries/message.html",
        {
            "client": client,
            "contact": contact,
            "message": shown,
            "next_reading": contact.next_reading(shown.created_at),
            "reply_by": contact.reply_by(shown.created_at),
            "nav": "messages",
        },
    )
