from __future__ import annotations

from typing import cast

from django.http import HttpRequest

from continuum.accounts.models import User


def user_of(request: HttpRequest) -> User:
    # clinician_required has run: the user is logged in with an active clinical membership.
    return cast(User, request.user)
