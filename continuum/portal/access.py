"""The client portal's access rule: a logged-in client sees only their own record.

Views take the client from the logged-in user, never from a URL id, so there is nothing to
guess. Objects with ids (homework, check-ins, administrations) are looked up *within* that
client's rows; anything else is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone

from continuum.care.access import clients_for
from continuum.care.models import Client
from continuum.measures.models import Administration, AdministrationStatus
from continuum.portal.models import CheckIn

View = Callable[..., HttpResponse]


def portal_client(user: Any) -> Client | None:
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


def portal_client_required(view: View) -> View:
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


def own_checkin(client: Client, checkin_id: int) -> CheckIn:
    """One of the logged-in client's own check-ins; 404 for anyone else's."""
    return get_object_or_404(CheckIn.objects.filter(client=client), pk=checkin_id)


def own_pending_administration(client: Client, administration_id: int) -> Administration:
    """One of the client's own questionnaires still to answer; 404 otherwise."""
    return get_object_or_404(
        Administration.objects.select_related("episode").filter(
            client=client, status=AdministrationStatus.PENDING
        ),
        pk=administration_id,
    )


def get_checkin_for(user: Any, checkin_id: int) -> CheckIn:
    """A check-in of one of `user`'s clients (the therapist side); 404 otherwise."""
    return get_object_or_404(
        CheckIn.objects.select_related("client").filter(client__in=clients_for(user)),
        pk=checkin_id,
    )
