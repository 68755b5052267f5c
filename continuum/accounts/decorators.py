"""View decorators: who may reach a route at all (objects are checked by access helpers)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

View = Callable[..., HttpResponse]


def _membership(request: HttpRequest) -> Any:
    return getattr(request.user, "membership", None)


def clinician_required(view: View) -> View:
    """Logged in, with an active clinical membership; anyone else gets a 404."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership = _membership(request)
        if membership is None or not membership.is_active or not membership.is_clinical:
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return wrapped


def owner_required(view: View) -> View:
    """Logged in as an active owner of a practice; anyone else gets a 404."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership = _membership(request)
        if membership is None or not membership.is_active or not membership.is_owner:
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return wrapped
