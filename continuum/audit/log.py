"""The one function that writes audit rows."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from continuum.audit.models import AuditEvent

SYSTEM = "system"


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    # REMOTE_ADDR only: X-Forwarded-For is set by whoever sends the request. Deployments
    # behind a proxy set it right in the proxy (see docs/deployment.md).
    return request.META.get("REMOTE_ADDR") or None


def record(
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    *,
    request: HttpRequest | None = None,
    practice: Any = None,
    flagged: bool = False,
    **detail: Any,
) -> AuditEvent:
    """Write one audit row. `actor` is a User, or None for the system.

    `detail` must hold structural facts only (ids, statuses, field names), never PHI.
    """
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    if practice is None and user is not None:
        membership = getattr(user, "membership", None)
        practice = membership.practice_id if membership is not None else None
    practice_id = practice.pk if isinstance(practice, models.Model) else practice
    if practice_id is None and obj is not None:
        practice_id = getattr(obj, "practice_id", None)
    return AuditEvent.objects.create(
        actor=user,
        actor_label=user.email if user is not None else SYSTEM,
        practice_id=practice_id,
        action=action,
        object_type=(obj._meta.model_name or "") if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip=client_ip(request),
        flagged=flagged,
        detail=detail,
    )
