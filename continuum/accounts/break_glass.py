"""Break-glass: an owner's emergency, read-only, time-limited access to one client's record
(SECURITY.md promise 5).

- `open_grant()` needs a reason and a time limit (at most BREAK_GLASS_MAX_HOURS), writes one
  flagged "breakglass.open" audit row and emails the treating therapist (no clinical content,
  no client name, no reason: "log in to see").
- While a grant is active, the care access helpers (continuum/care/access.py) also find that
  client's records for the owner, on GET and HEAD only: every write stays 404.
- Every request served through a grant is audited flagged: the view's own audit row is
  flagged and names the grant (audit/log.py asks `audit_flags()`); a page that writes no
  audit row of its own gets one flagged "breakglass.read" row from `BreakGlassMiddleware`.
- After expiry (or revocation) the owner gets 404 again. Reflections stay author-only: their
  views filter on the author, whoever can open the client.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from continuum.accounts.http import READ_METHODS
from continuum.accounts.models import BreakGlassGrant, User
from continuum.audit.log import record

logger = logging.getLogger(__name__)


@dataclass
class _RequestState:
    reading: bool
    grant_id: int | None = None
    client_id: int | None = None
    audited: bool = False


_state: ContextVar[_RequestState | None] = ContextVar("continuum_break_glass", default=None)


def max_hours() -> int:
    return int(getattr(settings, "BREAK_GLASS_MAX_HOURS", 4))


def active_grants(owner: Any) -> QuerySet[BreakGlassGrant]:
    return BreakGlassGrant.objects.filter(
        owner_id=owner.pk, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def _is_active_owner(user: Any) -> bool:
    membership = getattr(user, "membership", None)
    return bool(membership is not None and membership.is_active and membership.is_owner)


def readable_through_grant(user: Any) -> QuerySet[BreakGlassGrant] | None:
    """The owner's active grants when this request may read through them (a GET or HEAD in a
    request the middleware watches), else None."""
    state = _state.get()
    if state is None or not state.reading or not _is_active_owner(user):
        return None
    return active_grants(user)


def note_grant_use(user: Any, client: Any) -> None:
    """Called by the access helpers when `user` reached `client` only through a grant."""
    state = _state.get()
    if state is None or state.grant_id is not None:
        return
    grant = active_grants(user).filter(client_id=client.pk).order_by("-expires_at").first()
    if grant is not None:
        state.grant_id = grant.pk
        state.client_id = client.pk


def audit_flags(actor: Any) -> dict[str, Any] | None:
    """For audit/log.py: when this request reads through a grant, its rows are flagged."""
    state = _state.get()
    if state is None or state.grant_id is None:
        return None
    state.audited = True
    return {"break_glass": state.grant_id}


class BreakGlassMiddleware:
    """Marks each request as reading (GET/HEAD) or not, and makes sure a request served
    through a grant leaves a flagged audit row."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        state = _RequestState(reading=request.method in READ_METHODS)
        token = _state.set(state)
        try:
            response = self.get_response(request)
            if state.grant_id is not None and not state.audited:
                match = getattr(request, "resolver_match", None)
                record(
                    request.user,
                    "breakglass.read",
                    BreakGlassGrant.objects.get(pk=state.grant_id),
                    request=request,
                    flagged=True,
                    route=match.view_name if match is not None else "",
                    client_id=state.client_id,
                    status=response.status_code,
                )
            return response
        finally:
            _state.reset(token)


@transaction.atomic
def open_grant(
    owner: User, client: Any, *, reason: str, hours: int, request: HttpRequest | None = None
) -> BreakGlassGrant:
    if not 1 <= hours <= max_hours():
        raise ValueError("hours out of range")
    grant = BreakGlassGrant.objects.create(
        owner=owner,
        client=client,
        reason=reason.strip(),
        expires_at=timezone.now() + timedelta(hours=hours),
    )
    record(
        owner,
        "breakglass.open",
        client,
        request=request,
        flagged=True,
        grant=grant.pk,
        hours=hours,
        therapist_id=client.therapist_id,
    )
    therapist = client.therapist
    transaction.on_commit(lambda: notify_therapist(therapist, grant))
    return grant


def notify_therapist(therapist: User, grant: BreakGlassGrant) -> None:
    """No client name, no reason, nothing clinical: the therapist logs in to see."""
    until = timezone.localtime(grant.expires_at, timezone.get_fixed_timezone(0))
    try:
        send_mail(
            "Continuum: emergency access to a client record",
            (
                "An owner of your practice opened emergency (break-glass) access to the record "
                "of one of your clients, because you could not be reached. The access is "
                f"read-only and ends at {until:%Y-%m-%d %H:%M} UTC.\n\n"
                "Every page they open is recorded in the practice's audit log. Log in to "
                f"Continuum to see which client: {settings.SITE_URL}/\n"
            ),
            None,
            [therapist.email],
        )
    except Exception:  # the emergency access must not fail because email did
        logger.exception("break-glass notice could not be sent (grant %s)", grant.pk)
