"""Request types for views behind the login decorators, so mypy knows who `request.user` is."""

from __future__ import annotations

from django.http import HttpRequest

from continuum.accounts.models import User


class AuthenticatedRequest(HttpRequest):
    """A request to a view behind `login_required`, `clinician_required` or `owner_required`."""

    user: User  # type: ignore[assignment]
