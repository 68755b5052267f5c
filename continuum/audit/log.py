"""The one function that writes audit rows."""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.db import models, router
from django.http import HttpRequest
from django.utils import timezone

from continuum.audit import chain
from continuum.audit.models import AuditEvent

SYSTEM = "system"
_IP_FIELD = AuditEvent._meta.get_field("ip")


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
    The row carries the SHA-256 of its canonical content; it is linked into the audit hash
    chain after the surrounding transaction commits, so the business transaction never waits
    on the chain (see continuum/audit/chain.py).
    """
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    # A request served through a break-glass grant: its rows are flagged and name the grant.
    from continuum.accounts.break_glass import audit_flags

    if user is not None and (extra := audit_flags(user)) is not None:
        flagged = True
        detail = {**detail, **extra}
    if practice is None and user is not None:
        membership = getattr(user, "membership", None)
        practice = membership.practice_id if membership is not None else None
    practice_id = practice.pk if isinstance(practice, models.Model) else practice
    if practice_id is None and obj is not None:
        practice_id = getattr(obj, "practice_id", None)
    content: dict[str, Any] = {
        "at": timezone.now(),
        "actor_id": user.pk if user is not None else None,
        "actor_label": user.email if user is not None else SYSTEM,
        "practice_id": int(practice_id) if practice_id is not None else None,
        "action": action,
        "object_type": (obj._meta.model_name or "") if obj is not None else "",
        "object_id": str(obj.pk) if obj is not None else "",
        # Stored as the database will give it back (IPv6 is normalised on save).
        "ip": _IP_FIELD.get_prep_value(client_ip(request)),
        "flagged": bool(flagged),
        # Through JSON and back, so the hash covers exactly what is stored.
        "detail": json.loads(json.dumps(detail)),
        "nonce": secrets.token_hex(16),
    }
    # One INSERT, no lock: the chain link is added after commit (chain.seal_pending).
    event = AuditEvent.objects.create(**content, content_hash=chain.content_hash(content))
    chain.schedule_seal(router.db_for_write(AuditEvent))
    return event
