"""The acting context (continuum/lib/actor.py) with our own User: what actions take.

- `actor_of(request)` (continuum/accounts/http.py): the web actor of a request, built by
  `ActorMiddleware` (continuum/accounts/middleware.py).
- `actor_for(user)`: a task, command or test acting for a user.
- `Actor.system()`: the system itself.
"""

from __future__ import annotations

from typing import TypeAlias

from continuum.accounts.models import User
from continuum.lib import actor as _actor

Actor: TypeAlias = _actor.Actor[User]
Channel = _actor.Channel


def practice_of(user: User | None) -> int | None:
    """The practice `user` is a member of (None for the system, clients and strangers)."""
    membership = getattr(user, "membership", None) if user is not None else None
    return membership.practice_id if membership is not None else None


def actor_for(
    user: User | None, *, channel: Channel = Channel.TASK, grant_id: int | None = None
) -> Actor:
    """`user` acting outside a web request: a task, a command, a test."""
    actor = Actor.for_task(user, practice_id=practice_of(user), grant_id=grant_id)
    if channel is Channel.TASK:
        return actor
    return Actor(
        user=user,
        practice_id=actor.practice_id,
        channel=channel,
        reading=actor.reading,
        break_glass=actor.break_glass,
    )
