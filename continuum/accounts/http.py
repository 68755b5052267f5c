"""Request types and small helpers shared by the views behind the login decorators."""

from __future__ import annotations

import ipaddress
from typing import cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed

from continuum.accounts.actors import Actor, Channel, practice_of
from continuum.accounts.models import User

# The methods a read-only page answers; a view adds "POST" where it takes a form.
READ_METHODS = ("GET", "HEAD")


class AuthenticatedRequest(HttpRequest):
    """A request to a view behind `login_required`, `clinician_required` or `owner_required`."""

    user: User


def user_of(request: HttpRequest) -> User:
    """`request.user` typed as a User, for views whose login decorator has already run
    (so the user is logged in, never AnonymousUser)."""
    return cast(User, request.user)


def refuse(request: HttpRequest, *allowed: str) -> HttpResponse | None:
    """A 405 naming the allowed methods unless the request's method is one of them, else None.

    Views call it AFTER the object lookup, so that someone who may not see the object gets
    the same 404 whatever the method.
    """
    if request.method in allowed:
        return None
    return HttpResponseNotAllowed(allowed)


def is_htmx(request: HttpRequest) -> bool:
    """Whether django-htmx's middleware marked the request as sent by htmx (False without it)."""
    return bool(getattr(request, "htmx", False))


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR, or the one header the operator says their proxy sets and overwrites
    # (TRUSTED_CLIENT_IP_HEADER, the same one allauth's rate limits read). Never
    # X-Forwarded-For as such: whoever sends the request can write it (docs/deployment.md).
    header = settings.TRUSTED_CLIENT_IP_HEADER
    if header:
        value = request.headers.get(header, "").strip()
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            return None
    return request.META.get("REMOTE_ADDR") or None


def web_actor(request: HttpRequest, user: User | None = None) -> Actor:
    """The actor of a web request: `user` (default: the request's user; None when nobody is
    logged in), the request's IP, and whether it only reads (GET/HEAD: the one kind of
    request a break-glass grant serves)."""
    if user is None:
        who = request.user
        user = who if who.is_authenticated else None
    return Actor(
        user=user,
        practice_id=practice_of(user),
        channel=Channel.WEB,
        ip=client_ip(request),
        reading=request.method in READ_METHODS,
    )


def actor_of(request: HttpRequest) -> Actor:
    """Who is acting in this request: built once per request and user (`ActorMiddleware`
    reads it back after the response, for break-glass reads that wrote no audit row)."""
    actor: Actor | None = getattr(request, "_continuum_actor", None)
    who = request.user if request.user.is_authenticated else None
    if actor is None or actor.user is not who:
        actor = web_actor(request)
        request._continuum_actor = actor  # type: ignore[attr-defined]
    return actor


def built_actor(request: HttpRequest) -> Actor | None:
    """The actor `actor_of` built for this request, if any view or helper asked for it."""
    return getattr(request, "_continuum_actor", None)


def anonymous_actor(request: HttpRequest | None) -> Actor:
    """Nobody logged in, or someone acting through a one-time link rather than their login
    (whoever is logged in in this browser), or a failed login: no user, the request's IP."""
    ip = client_ip(request) if request is not None else None
    return Actor(user=None, practice_id=None, channel=Channel.WEB, ip=ip)
