"""The day's attention table: every client's reasons to be on the day, kept up to date.

Building the day from the contributions asks every app (a dozen queries over the whole
caseload on every visit). The day instead reads `models.Attention`, one row per reason, in
one query (`day_items_from_table`), joined to the clients' names. The rows are the same
`DayItem`s the contributions make (`DayContribution.for_clients`), written:

- by `refresh(client_ids, sources)`, which the domain apps' actions reach through
  `lib.hooks.client_changed(client_id, *sources)` inside their own transaction (registered
  in `ContinuityConfig.ready()`), so a committed change is on the day at once, and a failed
  one leaves the rows as they were;
- by `rebuild(now)`, from scratch for every client: the scheduler's hourly job
  `continuity.attention` (the reasons that come with time: drifting, an unplanned ending,
  overdue homework and questionnaires, plan reviews, drafts 24 h old, stale alerts, and the
  day counts in their words), `manage.py rebuild_attention` (after a migration or a restore)
  and the demo and bench seeds.

The therapist's own prompts ("For you", contributions without `for_clients`) are not kept
here: they are asked live.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from continuum import sql
from continuum.accounts.models import User
from continuum.care.models import Client, treated_by_sql
from continuum.continuity.models import Attention
from continuum.lib.contributions import DayContribution, DayItem, Rank, day_contributions

# A rebuild writes this many clients per transaction, so the writer is not held for long.
REBUILD_BATCH = 1000


def _kept() -> list[DayContribution]:
    return [c for c in day_contributions() if c.for_clients is not None]


# --- facts: plain values, dates kept as dates --------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _encode(v) for k, v in value.items()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1:
            if "$dt" in value:
                return datetime.fromisoformat(value["$dt"])
            if "$d" in value:
                return date.fromisoformat(value["$d"])
        # Scalars (most facts: ids, counts, codes) are kept without a call each: the day
        # decodes every row's facts on every visit.
        return {k: _decode(v) if isinstance(v, (dict, list)) else v for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) if isinstance(v, (dict, list)) else v for v in value]
    return value


def _rows(source: str, items: Iterable[DayItem]) -> list[Attention]:
    return [
        Attention(
            client_id=item.client_id,
            source=source,
            kind=item.kind,
            rank=int(item.rank),
            at=item.at,
            ref=item.ref,
            facts=_encode(dict(item.facts)),
        )
        for item in items
        if item.client_id is not None
    ]


# --- writing ---------------------------------------------------------------------------------


def refresh(
    client_ids: Iterable[int], sources: Iterable[str] = (), now: datetime | None = None
) -> int:
    """Rewrite the rows of `client_ids` from `sources` (all kept contributions when empty), in
    the caller's transaction. Returns how many rows the clients now have from them."""
    ids = sorted(set(client_ids))
    wanted = set(sources)
    contributions = [c for c in _kept() if not wanted or c.name in wanted]
    if not ids or not contributions:
        return 0
    now = now or timezone.now()
    clients = Client.objects.filter(pk__in=ids)
    rows: list[Attention] = []
    for contribution in contributions:
        assert contribution.for_clients is not None
        rows.extend(_rows(contribution.name, contribution.for_clients(clients, now)))
    # No savepoint: a failure here fails the caller's whole transaction (its action), which is
    # what a hook promises; a savepoint would cost two statements on every action.
    with transaction.atomic(savepoint=False):
        old = Attention.objects.filter(client_id__in=ids)
        if wanted:
            old = old.filter(source__in=[c.name for c in contributions])
        old.delete()
        Attention.objects.bulk_create(rows)
    return len(rows)


def client_changed(client_id: int, sources: tuple[str, ...], cleared: tuple[str, ...]) -> None:
    """The `lib.hooks.client_changed` callback: refresh one client's rows now, from `sources`
    and from those of `cleared` the client has a row of (a change that can only take a
    reason away cannot give one to a client who has none)."""
    if cleared:
        present = (
            Attention.objects.filter(client_id=client_id, source__in=cleared)
            .values_list("source", flat=True)
            .distinct()
        )
        sources = (*sources, *present)
        if not sources:
            return
    refresh([client_id], sources)


def rebuild(now: datetime | None = None, clients: QuerySet[Client] | None = None) -> int:
    """Every client's rows from scratch (`clients`: only these), in batches of
    REBUILD_BATCH clients, each its own transaction. Returns the number of rows."""
    now = now or timezone.now()
    every = clients if clients is not None else Client.objects.all()
    ids = list(every.order_by("pk").values_list("pk", flat=True))
    total = 0
    with transaction.atomic():
        if clients is None:
            # Rows of clients that no longer exist go with them (CASCADE); none stay behind.
            Attention.objects.exclude(client_id__in=Client.objects.values("pk")).delete()
    for start in range(0, len(ids), REBUILD_BATCH):
        with transaction.atomic():
            total += refresh(ids[start : start + REBUILD_BATCH], (), now)
    return total


def run_job(now: datetime) -> str:
    """The scheduler's job: reasons that come with time, and the words that count days."""
    return f"{rebuild(now)} reasons kept"


# --- reading ---------------------------------------------------------------------------------


class Facts(Mapping[str, Any]):
    """A kept row's facts, decoded when first read.

    The day reads every kept reason of the caseload (it must, to order the clients), but puts
    in words only the entries its list shows (`settings.DAY_LIST_LIMIT`, and every safety
    entry); the rest only count towards "Show all N clients". Decoding the facts of those
    was a tenth of the day's time on a large caseload (issue 13)."""

    __slots__ = ("_text", "_value")

    def __init__(self, text: str) -> None:
        self._text = text
        self._value: dict[str, Any] | None = None

    def _decoded(self) -> dict[str, Any]:
        if self._value is None:
            value = json.loads(self._text)
            self._value = _decode(value) if value else {}
        return self._value

    def __getitem__(self, key: str) -> Any:
        return self._decoded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._decoded())

    def __len__(self) -> int:
        return len(self._decoded())

    def __repr__(self) -> str:
        return repr(self._decoded())


_RANKS = {int(rank): rank for rank in Rank}

# The kept reasons of one therapist's clients, with the clients' names: `day_rows`. The
# facts come as the JSON text the database holds (decoded later, see `Facts`).
_DAY_ROWS = """
    SELECT a.client_id, a.kind, a.rank, a.at, a.ref, CAST(a.facts AS TEXT),
           c.first_name, c.preferred_name, c.last_name
    FROM continuity_attention a JOIN care_client c ON c.id = a.client_id
    WHERE {treated}
    ORDER BY a.rank, a.at, a.id
"""


def day_rows(user: User) -> list[tuple[DayItem, tuple[int, str, str, str]]]:
    """The kept reasons of the clients `user` treats (`care.models.treated_by_sql`), each with its
    client's name parts (pk, first, preferred, last): one query, written by hand (continuum.sql:
    the day reads it on every visit). The facts are decoded when a presenter reads them."""
    treated, params = treated_by_sql(user, "c")
    return [
        (
            DayItem(
                kind=kind,
                client_id=client_id,
                rank=_RANKS[rank],
                at=sql.aware(at),
                ref=ref,
                facts=Facts(facts),
            ),
            (client_id, first, preferred, last),
        )
        for client_id, kind, rank, at, ref, facts, first, preferred, last in sql.rows(
            _DAY_ROWS.format(treated=treated), params
        )
    ]
