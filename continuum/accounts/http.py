"""Request types and small helpers shared by the views behind the login decorators."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed

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
