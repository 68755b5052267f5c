"""Who is acting: the one context that actions, access helpers and the audit log take.

A web request, an API call, a background task and the system itself each build an `Actor`
(the web one is built by continuum/accounts/middleware.py, reachable as `actor_of(request)`),
so an action behaves the same whoever calls it. Pure Python: the user is anything shaped like
`Person` (continuum.accounts.models.User is), and `Actor` is generic in it so actions keep
the precise user type.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar


class Channel(enum.StrEnum):
    WEB = "web"
    API = "api"
    TASK = "task"
    SYSTEM = "system"


class Person(Protocol):
    """What the audit log and the access rules need to know of a user."""

    @property
    def pk(self) -> int: ...

    @property
    def email(self) -> str: ...

    @property
    def is_authenticated(self) -> bool: ...


# Unbounded: what the audit log needs is asked where it is needed (`record` takes an
# Actor[Person]); a bound would be checked before django-stubs has typed the model fields.
P = TypeVar("P", covariant=True)


@dataclass(eq=False)
class GrantUse:
    """The break-glass grant an actor reads through, if any.

    Given up front when a caller acts through a known grant (`Actor.for_task(grant_id=...)`);
    found by the care access helpers on a web read, the first time the owner reaches a client
    only through one of their grants. `audited` says whether a flagged audit row already names
    it (the web middleware writes a "breakglass.read" row otherwise).
    """

    grant_id: int | None = None
    client_id: int | None = None
    audited: bool = False


@dataclass(frozen=True)
class Actor(Generic[P]):
    """`user` is None for the system and for someone not logged in (a portal token link).

    `reading`: this actor only reads (a GET or HEAD, or a caller acting through a grant), so
    it may read through its break-glass grant; a break-glass grant never opens a write.
    """

    user: P | None
    practice_id: int | None
    channel: Channel
    ip: str | None = None
    reading: bool = False
    break_glass: GrantUse = field(default_factory=GrantUse, compare=False, repr=False)

    @property
    def grant_id(self) -> int | None:
        return self.break_glass.grant_id

    def acting_user(self) -> P:
        """The user an action is done by; an action that needs one refuses the system."""
        if self.user is None:
            raise PermissionError(f"a {self.channel} actor with no user cannot do this")
        return self.user

    @classmethod
    def system(cls, *, practice_id: int | None = None) -> Actor[P]:
        return cls(user=None, practice_id=practice_id, channel=Channel.SYSTEM)

    @classmethod
    def for_task(
        cls, user: P | None, *, practice_id: int | None, grant_id: int | None = None
    ) -> Actor[P]:
        """A background task or command acting for `user`. With `grant_id` it reads through
        that break-glass grant, exactly as the owner's web reads do (so it is reading-only)."""
        return cls(
            user=user,
            practice_id=practice_id,
            channel=Channel.TASK,
            reading=grant_id is not None,
            break_glass=GrantUse(grant_id=grant_id),
        )
