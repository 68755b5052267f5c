"""Creating, revoking and checking personal access tokens (SECURITY.md promise 23).

- Only an active member of a practice makes tokens (portal clients have no membership).
- A token works while it is unrevoked, unexpired, and its owner is an active user with an
  active membership: deactivating a member stops their tokens at the next request.
- Each check counts against the token's rate limit, kept in the shared (database) cache so
  every process and app server sees the same count.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from continuum.accounts.actors import Actor
from continuum.accounts.models import User
from continuum.api.models import SCOPES, ApiToken
from continuum.audit.log import record

TOKEN_PREFIX = "ctm_"  # noqa: S105 (a public marker that tells tokens apart, no secret)
MAX_DAYS = 366
# last_used_at is written at most this often per token (one UPDATE, not one per request).
LAST_USED_GRANULARITY = timedelta(minutes=1)


class TokenError(ValueError):
    """A token request that cannot be granted (the message is safe to show)."""


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def may_hold_tokens(user: User) -> bool:
    membership = getattr(user, "membership", None)
    return bool(user.is_active and membership is not None and membership.is_active)


def rate_limit_per_minute() -> int:
    return int(getattr(settings, "API_RATE_LIMIT_PER_MINUTE", 120))


@transaction.atomic
def create_token(actor: Actor, *, name: str, scopes: Iterable[str], days: int) -> NewToken:
    user = actor.acting_user()
    if not may_hold_tokens(user):
        raise TokenError("Only active members of a practice can make API tokens.")
    name = name.strip()
    if not name:
        raise TokenError("Give the token a name.")
    chosen = sorted(set(scopes))
    if not chosen or set(chosen) - set(SCOPES):
        raise TokenError("Choose at least one of the listed scopes.")
    if not 1 <= days <= MAX_DAYS:
        raise TokenError(f"A token expires within {MAX_DAYS} days.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:80],
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        token_hash=digest(secret),
        scopes=chosen,
        expires_at=timezone.now() + timedelta(days=days),
    )
    record(actor, "api.token_create", token, scopes=chosen, days=days)
    return NewToken(token, secret)


@transaction.atomic
def revoke_token(actor: Actor, token: ApiToken) -> ApiToken:
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        record(actor, "api.token_revoke", locked)
    return locked


def tokens_of(user: User) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user).order_by("-created_at", "-pk"))


def get_token_for(user: User, token_id: int) -> ApiToken | None:
    return ApiToken.objects.filter(user=user, pk=token_id).first()


def find_live_token(secret: str) -> ApiToken | None:
    """The live token with this secret, its owner still an active member; None otherwise."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user", "user__membership")
        .filter(token_hash=digest(secret), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not may_hold_tokens(token.user):
        return None
    return token


def touch(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def over_rate_limit(token: ApiToken, now: float | None = None) -> bool:
    """Count this request in the token's current minute; True once past the limit.

    A fixed one-minute window in the shared cache: `add` starts the window (atomic on the
    database cache), `incr` counts within it.
    """
    window = int((time.time() if now is None else now) // 60)
    key = f"api-rate:{token.pk}:{window}"
    if cache.add(key, 1, timeout=120):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=120)
            count = 1
    return count > rate_limit_per_minute()


def practice_of_user(user: User) -> int | None:
    membership = getattr(user, "membership", None)
    return membership.practice_id if membership is not None else None
