"""Every lookup of a clinical object goes through here: outsiders get a 404, never a 403.

Only the client's assigned therapist reads their record (owners manage the roster, not the
clinical content). The one exception is break-glass (continuum/accounts/break_glass.py): an
owner with an active grant for a client may READ that client's record (GET and HEAD only),
and every such request is audited flagged.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone

from continuum.accounts import break_glass
from continuum.accounts.access import owned_practice_id
from continuum.accounts.actors import Actor
from continuum.accounts.models import User
from continuum.care.models import (
    Appointment,
    Client,
    ClientQuerySet,
    Episode,
    NoteStatus,
    ProgressNote,
)

M = TypeVar("M", bound=Model)


def clients_for(user: User) -> ClientQuerySet:
    return Client.objects.for_therapist(user)


def _readable_clients(actor: Actor) -> QuerySet[Client]:
    """The actor's clients, plus, when it reads with an active break-glass grant, that
    client (the same for a web read and for a task acting through a grant)."""
    user = actor.acting_user()
    grants = break_glass.readable_through_grant(actor)
    if grants is None:
        return clients_for(user)
    return clients_for(user) | Client.objects.filter(
        pk__in=grants.values("client_id"), practice_id=actor.practice_id
    )


def _checked(actor: Actor, obj: M, client: Client) -> M:
    if actor.user is None or client.therapist_id != actor.user.pk:
        break_glass.note_grant_use(actor, client)
    return obj


def get_client_for(actor: Actor, client_id: int) -> Client:
    client = get_object_or_404(_readable_clients(actor), pk=client_id)
    return _checked(actor, client, client)


def get_episode_for(actor: Actor, episode_id: int) -> Episode:
    episode = get_object_or_404(
        Episode.objects.select_related("client").filter(client__in=_readable_clients(actor)),
        pk=episode_id,
    )
    return _checked(actor, episode, episode.client)


def get_appointment_for(actor: Actor, appointment_id: int) -> Appointment:
    appointment = get_object_or_404(
        Appointment.objects.select_related("client", "episode").filter(
            client__in=_readable_clients(actor)
        ),
        pk=appointment_id,
    )
    return _checked(actor, appointment, appointment.client)


def get_note_for(actor: Actor, note_id: int) -> ProgressNote:
    note = get_object_or_404(
        ProgressNote.objects.select_related("client", "appointment", "signed_by").filter(
            client__in=_readable_clients(actor)
        ),
        pk=note_id,
    )
    return _checked(actor, note, note.client)


def _own_draft(actor: Actor) -> Q:
    """A draft the actor wrote, in their practice, while they are still an active member."""
    user = actor.user
    if user is None or actor.practice_id is None:
        return Q(pk__in=[])
    return Q(
        author=user,
        status=NoteStatus.DRAFT,
        client__practice_id=actor.practice_id,
        author__is_active=True,
        author__membership__practice_id=actor.practice_id,
        author__membership__is_active=True,
    )


def get_note_or_own_draft_for(actor: Actor, note_id: int) -> ProgressNote:
    """`get_note_for`, and also a draft the actor wrote for a client who has since moved to
    another therapist (issue 18, finding 2): the clinician who led the session writes and
    signs its note. This reaches THAT draft only (read, edit, sign, print), never the rest of
    the client's record: the client's pages stay a 404 for them. Once signed, the note is
    the current therapist's to read, as every other note."""
    note = get_object_or_404(
        ProgressNote.objects.select_related("client", "appointment", "signed_by").filter(
            Q(client__in=_readable_clients(actor)) | _own_draft(actor)
        ),
        pk=note_id,
    )
    if is_own_draft_elsewhere(actor, note):
        return note  # reached as its author, not through a break-glass grant
    return _checked(actor, note, note.client)


def is_own_draft_elsewhere(actor: Actor, note: ProgressNote) -> bool:
    """The actor reaches `note` only as the author of its draft: the client is not theirs."""
    user = actor.user
    return (
        user is not None
        and not note.is_signed
        and note.author_id == user.pk
        and note.client.therapist_id != user.pk
    )


# --- The client portal: a logged-in client sees only their own record --------------------------

PortalView = Callable[..., HttpResponse]


def portal_client(user: User | AnonymousUser) -> Client | None:
    """The Client record behind a portal login, or None for staff and strangers."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    try:
        client: Client = Client.objects.select_related(
            "practice", "therapist", "portal_settings"
        ).get(user=user)
    except Client.DoesNotExist:
        return None
    return client


def portal_client_required(view: PortalView) -> PortalView:
    """Logged in as a client with portal access; sets `request.portal_client`. Others: 404.

    Dates on portal pages are the client's own (their record's time zone, which may have
    changed since the login was made).
    """

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        client = portal_client(request.user)
        if client is None:
            raise Http404("No such page")
        request.portal_client = client  # type: ignore[attr-defined]
        # The time-zone middleware deactivates it again after the response.
        timezone.activate(client.time_zone)
        return view(request, *args, **kwargs)

    return wrapped


# --- The owner's roster: who treats whom, nothing clinical -----------------------------------


def roster_for(owner: User) -> QuerySet[Client]:
    """The practice's clients with their therapist and latest episode status (nothing clinical)."""
    practice_id = owned_practice_id(owner)
    if practice_id is None:
        return Client.objects.none()
    latest_status = (
        Episode.objects.filter(client=OuterRef("pk"))
        .order_by("-start_date", "-pk")
        .values("status")[:1]
    )
    return (
        Client.objects.filter(practice_id=practice_id)
        .select_related("therapist")
        .annotate(latest_episode_status=Subquery(latest_status))
    )


def get_roster_client_for(owner: User, client_id: int) -> Client:
    return get_object_or_404(roster_for(owner), pk=client_id)
