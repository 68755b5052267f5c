"""The one function that writes audit rows."""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.db import models, router
from django.utils import timezone

from continuum.audit import chain
from continuum.audit.models import AuditEvent
from continuum.lib.actor import Actor, Person

SYSTEM = "system"
_IP_FIELD = AuditEvent._meta.get_field("ip")


def record(
    actor: Actor[Person],
    action: str,
    obj: models.Model | None = None,
    *,
    practice: models.Model | int | None = None,
    flagged: bool = False,
    **detail: Any,
) -> AuditEvent:
    """Write one audit row for what `actor` did (its user, or the system; its IP; its practice
    unless `practice` names another).

    `detail` must hold structural facts only (ids, statuses, field names), never PHI.
    The row carries the SHA-256 of its canonical content; it is linked into the audit hash
    chain after the surrounding transaction commits, so the business transaction never waits
    on the chain (see continuum/audit/chain.py).
    """
    user = actor.user if actor.user is not None and actor.user.is_authenticated else None
    # An actor reading through a break-glass grant: its rows are flagged and name the grant.
    if actor.grant_id is not None:
        flagged = True
        detail = {**detail, "break_glass": actor.grant_id}
        actor.break_glass.audited = True
    if practice is None:
        practice = actor.practice_id
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
        "ip": _IP_FIELD.get_prep_value(actor.ip),
        "flagged": bool(flagged),
        # Through JSON and back, so the hash covers exactly what is stored.
        "detail": json.loads(json.dumps(detail)),
        "nonce": secrets.token_hex(16),
    }
    # One INSERT, no lock: the chain link is added after commit (chain.seal_pending).
    event = AuditEvent.objects.create(**content, content_hash=chain.content_hash(content))
    chain.schedule_seal(router.db_for_write(AuditEvent))
    return event
