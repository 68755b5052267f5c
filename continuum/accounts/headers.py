"""Response headers Django has no setting for (SECURITY.md promise 10)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


class PermissionsPolicyMiddleware:
    """Turn off browser features no page uses (camera, microphone, location, payment, USB).

    A page that wanted one would have to be allowed here on purpose; a script injected into
    a page cannot switch them back on.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = settings.PERMISSIONS_POLICY

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault("Permissions-Policy", self.policy)
        return response


class NoStoreMiddleware:
    """`Cache-Control: no-store` (with Django's never-cache set) on every answer to a logged-in
    person (SECURITY.md promise 25): nothing a browser or a proxy keeps outlives the session.

    One place for every page, staff and portal alike (the portal's views also carry Django's
    `never_cache`, which sets the same headers). Static files are answered by WhiteNoise
    before this runs and stay cacheable.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
