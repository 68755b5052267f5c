from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each person to where their work starts."""
    membership = getattr(request.user, "membership", None)
    if membership is not None and membership.is_active:
        if membership.is_clinical:
            return redirect("care:caseload")
        if membership.is_owner:
            return redirect("accounts:members")
    return render(request, "accounts/no_access.html", status=200)


def set_password(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    raise NotImplementedError  # filled in by the accounts work
