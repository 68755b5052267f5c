from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from continuum.accounts.decorators import owner_required


@owner_required
def audit_log(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError  # filled in by the accounts work
