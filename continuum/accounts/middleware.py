from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from continuum.accounts.http import built_actor
from continuum.accounts.models import BreakGlassGrant
from continuum.accounts.refusals import count_refusal
from continuum.audit.log import record


class UserTimeZoneMiddleware:
    """Show and parse dates in the logged-in person's own time zone (storage stays UTC)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(user.time_zone)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class ActorMiddleware:
    """Each web request acts through one `Actor` (`actor_of(request)`, built on first use).

    Break-glass: a read served through a grant leaves a flagged audit row. The view's own rows
    are flagged already (audit.record reads the actor's grant); a page that writes none gets
    one "breakglass.read" row here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        actor = built_actor(request)
        if actor is not None and actor.grant_id is not None and not actor.break_glass.audited:
            match = getattr(request, "resolver_match", None)
            record(
                actor,
                "breakglass.read",
                BreakGlassGrant.objects.get(pk=actor.grant_id),
                flagged=True,
                route=match.view_name if match is not None else "",
                client_id=actor.break_glass.client_id,
                status=response.status_code,
            )
        return response


class RefusalAuditMiddleware:
    """A logged-in person refused an object (a 404 on a route with ids in its path) is counted
    per minute (`accounts.refusals`); the scheduler writes each minute as one "access.refused"
    audit row (issue 18, SECURITY.md promise 26). The route name only, never the query.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 404:
            return response
        user = getattr(request, "user", None)
        match = getattr(request, "resolver_match", None)
        if user is None or not user.is_authenticated or match is None:
            return response
        if any(isinstance(v, int) for v in match.kwargs.values()):
            count_refusal(request, user, match.view_name, timezone.now())
        return response
