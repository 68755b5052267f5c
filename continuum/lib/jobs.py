"""What the apps contribute to the one scheduler: periodic jobs and reminder kinds.

Plain Python (no Django, no app imports), so every layer can use it. Each app registers what
it contributes in its `AppConfig.ready()`; the scheduler (continuum/notify/scheduler.py) and
the reminder worker (continuum/notify/delivery.py) only iterate these registries, so they
import no domain app, and a new job or a new kind of reminder touches one app.

- A **periodic job** runs once per period of `every` (periods count from the Unix epoch in
  UTC: each minute, each hour, each day from 00:00 UTC). `manage.py run_scheduler` claims each
  job's period in the database before running it, so two schedulers run it once.
- A **reminder kind** says what is due (its providers, asked every minute by the reminders job)
  and, when the worker sends one, what it says (its handler). Rows, preferences, quiet hours,
  addresses and sending at most once are the scheduler's business, not the kind's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --- Periodic jobs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodicJob:
    # "<app>.<what>": unique, and the key its runs are claimed under (keep it stable).
    name: str
    every: timedelta
    # Called with the pass's `now`; what it returns is printed by `run_scheduler` (a short
    # summary: counts and codes, never names). Must be safe to run again (a failed run is
    # retried at the next pass).
    run: Callable[[datetime], object]
    # Lower runs first within a pass: the reminders job runs last, so it sees what the other
    # jobs changed in the same pass (a consent expired, a questionnaire added).
    order: int = 0

    def __post_init__(self) -> None:
        if self.every <= timedelta(0):
            raise ValueError(f"job {self.name}: `every` must be positive")

    def period_start(self, now: datetime) -> datetime:
        """The start of the period `now` falls in (aware, UTC)."""
        return now - (now - EPOCH) % self.every


# --- Reminder kinds --------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """One reminder due now: what, about which row, for which occasion, not before when."""

    kind: str
    target_type: str
    target_id: int
    occasion: str
    send_after: datetime
    # A row that records the occasion without sending anything (nothing to say).
    skip: str = ""


@dataclass(frozen=True)
class ClientDue:
    """A reminder due to a client: the scheduler finds when from the client's own preferences
    and quiet hours (from the morning hour for `morning` ones), and drops it when they turned
    that kind off."""

    kind: str
    target_type: str
    target_id: int
    occasion: str
    client: Any  # a care Client (this module imports no app)
    morning: bool = False


@dataclass(frozen=True)
class ClientNotice:
    """What a handler returns for an email to a client: the scheduler checks the client's
    preferences and quiet hours, finds their address and renders `template` with the
    absolute URL of `route` as `link`. No clinical content (see notify/email.py)."""

    client: Any  # a care Client
    subject: str
    template: str
    route: str
    morning: bool = False
    # The link needs a portal login: no email to a record's address alone.
    portal_only: bool = True


class Skip(Exception):
    """Nothing to send any more; `code` says why (structural, e.g. "appointment_cancelled")."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Defer(Exception):
    """Not now: send after `until` (quiet hours began after the row was written)."""

    def __init__(self, until: datetime) -> None:
        super().__init__(until.isoformat())
        self.until = until


class ReminderRow(Protocol):
    """The stored reminder a handler is given (notify's Reminder row)."""

    kind: str
    target_type: str
    target_id: int
    occasion: str


class Ledger(Protocol):
    """What providers may ask about the reminders already recorded."""

    def recorded_ids(self, kind: str, target_type: str) -> Any:
        """A subquery of the target ids with a reminder of this kind recorded, for
        `.exclude(pk__in=...)`: leaving them out in the query keeps a provider's batch full
        of new ones."""
        ...

    def has(self, kind: str, target_type: str, target_id: int, occasion: str) -> bool:
        """Whether this reminder is already recorded."""
        ...


Provider = Callable[[datetime, Ledger], Iterable[Due | ClientDue]]
# Returns a ClientNotice, an email of notify's own, or an action (a callable the worker runs);
# raises Skip when there is nothing to send any more, Defer when it must wait.
Handler = Callable[[ReminderRow, datetime], object]


@dataclass(frozen=True)
class ReminderKind:
    name: str  # what the reminder rows store as their kind
    providers: tuple[Provider, ...]
    handler: Handler


# --- Registries ------------------------------------------------------------------------------


class _Named(Protocol):
    @property
    def name(self) -> str: ...


T = TypeVar("T", bound=_Named)


class Registry(Generic[T]):
    """Contributions by name, in the order they were registered."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._items: dict[str, T] = {}

    def register(self, item: T) -> T:
        known = self._items.get(item.name)
        if known is not None:
            # The same contribution again (ready() run twice) is harmless; another is a clash.
            if known != item:
                raise ValueError(f"{self.what} {item.name!r} is already registered")
            return known
        self._items[item.name] = item
        return item

    def all(self) -> list[T]:
        return list(self._items.values())

    def get(self, name: str) -> T | None:
        return self._items.get(name)


periodic_jobs: Registry[PeriodicJob] = Registry("periodic job")
reminder_kinds: Registry[ReminderKind] = Registry("reminder kind")
