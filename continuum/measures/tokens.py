"""One-time links to a questionnaire: signed, expiring, for one administration, used once.

The token is `django.core.signing` with its own salt over {"a": administration id,
"n": nonce}. The nonce is random and stored on the administration: issuing a new link
replaces it, which voids the old link. The token's timestamp is the instant the link was
issued (stored too), so the therapist's page can show the same link again until it expires
rather than minting a fresh, later-expiring one on every view.

Verification answers *why* a token does not work (expired, used, void) but never whose it
is: the public page shows no data for anything but a valid, pending administration.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core import signing

SALT = "continuum.measures.questionnaire-link"
DEFAULT_LINK_DAYS = 7


def link_lifetime() -> timedelta:
    """How long a link works: settings.MEASURE_LINK_DAYS (default 7 days)."""
    return timedelta(days=int(getattr(settings, "MEASURE_LINK_DAYS", DEFAULT_LINK_DAYS)))


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


class _IssuedAtSigner(signing.TimestampSigner):
    """A TimestampSigner whose timestamp is a given instant (the link's issue time)."""

    def __init__(self, issued_at: datetime) -> None:
        super().__init__(salt=SALT)
        self._issued = int(issued_at.timestamp())

    def timestamp(self) -> str:
        return signing.b62_encode(self._issued)


def make_token(administration_id: int, nonce: str, issued_at: datetime) -> str:
    return _IssuedAtSigner(issued_at).sign_object(
        {"a": administration_id, "n": nonce}, compress=False
    )


class LinkProblem(StrEnum):
    INVALID = "invalid"  # tampered, malformed, or not a link we made
    EXPIRED = "expired"  # older than the link lifetime
    VOID = "void"  # replaced by a newer link, or the questionnaire was withdrawn
    USED = "used"  # already answered


@dataclass(frozen=True)
class TokenPayload:
    administration_id: int
    nonce: str


class LinkError(Exception):
    def __init__(self, problem: LinkProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def read_token(token: str) -> TokenPayload:
    """The payload of a well-signed, unexpired token; LinkError(INVALID/EXPIRED) otherwise."""
    try:
        data: Any = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=link_lifetime())
    except signing.SignatureExpired:
        raise LinkError(LinkProblem.EXPIRED) from None
    except (signing.BadSignature, ValueError, TypeError):
        raise LinkError(LinkProblem.INVALID) from None
    if not isinstance(data, dict):
        raise LinkError(LinkProblem.INVALID)
    admin_id, nonce = data.get("a"), data.get("n")
    if not isinstance(admin_id, int) or not isinstance(nonce, str) or not nonce:
        raise LinkError(LinkProblem.INVALID)
    return TokenPayload(admin_id, nonce)


def nonce_matches(stored: str, given: str) -> bool:
    return bool(stored) and secrets.compare_digest(stored, given)
