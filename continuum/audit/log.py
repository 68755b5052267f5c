"""The one function that writes audit rows."""

from __future__ import annotations

import json
import logging
import re
import secrets
from typing import Any

from django.conf import settings
from django.db import models, router
from django.utils import timezone

from continuum.audit import chain
from continuum.audit.models import AuditEvent
from continuum.lib.actor import Actor, Person

SYSTEM = "system"
logger = logging.getLogger(__name__)

# What an audit detail may hold: structural facts (ids, counts, codes, field names, dates),
# never a clinical value or words a person wrote (docs/security.md). Two checks: keys that name
# a clinical value or text, and values that cannot be a code (spaces, long strings).
CLINICAL_KEYS = frozenset(
    {
        "answer",
        "answers",
        "band",
        "body",
        "comment",
        "how_are_you",
        "message",
        "mood",
        "note",
        "private_line",
        "rating",
        "score",
        "scores",
        "severity",
        "text",
        "total",
        "weight",
    }
)
_CODE = re.compile(r"^[\w.:/+@-]{0,100}$")


class ClinicalDetail(ValueError):
    """An audit detail that holds a clinical value or free text."""


def structural_value(value: Any) -> bool:
    """Whether `value` can be a structural fact (a number, a code, lists and maps of them)."""
    if value is None or isinstance(value, bool | int | float):
        return True
    if isinstance(value, str):
        return bool(_CODE.match(value))
    if isinstance(value, list | tuple | set | frozenset):
        return all(structural_value(v) for v in value)
    if isinstance(value, dict):
        return all(
            isinstance(k, str) and k not in CLINICAL_KEYS and structural_value(v)
            for k, v in value.items()
        )
    return False


def structural_detail(action: str, detail: dict[str, Any]) -> dict[str, Any]:
    """`detail` with every non-structural entry refused (strict) or removed and logged."""
    bad = [k for k, v in detail.items() if k in CLINICAL_KEYS or not structural_value(v)]
    if not bad:
        return detail
    if settings.AUDIT_DETAIL_STRICT:
        raise ClinicalDetail(f"audit detail of {action} holds non-structural keys: {bad}")
    logger.error("audit detail of %s: non-structural keys removed: %s", action, bad)
    return {k: v for k, v in detail.items() if k not in bad}


_IP_FIELD = AuditEvent._meta.get_field("ip")

# The one detail key that names the client a row is about (the owner's log filters on it).
# Rows written before it was derived here may hold "client" instead (read by the filter too).
CLIENT_KEY = "client_id"
# Objects that reach their client through one of these, when it is already loaded.
_CLIENT_VIA = ("appointment", "episode")


def client_of(obj: models.Model | None) -> int | None:
    """The client `obj` belongs to, read without a query: an object with a `client_id`, or one
    whose loaded appointment or episode has one. A client itself is not repeated: the row
    names it as its object (the log's filter reads both)."""
    if obj is None:
        return None
    client_id = getattr(obj, "client_id", None)
    if isinstance(client_id, int):
        return client_id
    cached = obj._state.fields_cache
    for name in _CLIENT_VIA:
        related = cached.get(name)
        if isinstance(related, models.Model):
            found = client_of(related)
            if found is not None:
                return found
    return None


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
    detail = structural_detail(action, detail)
    # The client the row is about, one key for every row: named by the caller or read from
    # the object. The caller's wins (an object may belong to nobody's record).
    if detail.get(CLIENT_KEY) is None and (client := client_of(obj)) is not None:
        detail = {**detail, CLIENT_KEY: client}
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
