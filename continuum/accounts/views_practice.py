"""The owner's pages: members, invitations, the client roster and reassignment."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from continuum.accounts.decorators import owner_required


@owner_required
def members(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError  # filled in by the accounts work
