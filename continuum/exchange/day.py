"""What the exchange app contributes to the therapist's day: a client's open request for a
copy of their record (data here; words at the edge in `record_request_lines`)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from continuum.accounts.models import User
from continuum.accounts.paths import path_for_ids
from continuum.care.access import clients_for
from continuum.care.models import Client
from continuum.exchange.models import RecordRequest, RecordRequestStatus
from continuum.lib.contributions import DayItem, DayLine, Rank

RECORD_REQUEST = "exchange.record_request"


def record_request_day_items(user: User, now: datetime) -> list[DayItem]:
    """The user's clients' open record requests (1 query)."""
    return record_request_items_for(clients_for(user), now)


def record_request_items_for(clients: QuerySet[Client], now: datetime) -> list[DayItem]:
    """`record_request_day_items` of `clients`, for the day's attention table."""
    rows = RecordRequest.objects.filter(
        status=RecordRequestStatus.REQUESTED, client__in=clients
    ).values_list("pk", "client_id", "requested_at", "release_due_at")
    return [
        DayItem(
            kind=RECORD_REQUEST,
            client_id=client_id,
            rank=Rank.ROUTINE,
            at=requested_at,
            ref=pk,
            facts={"days_left": max(0, (due - now).days)},
        )
        for pk, client_id, requested_at, due in rows
    ]


def record_request_lines(items: list[DayItem]) -> list[DayLine]:
    page = path_for_ids("exchange:record_requests", "client_id")
    lines = []
    for item in items:
        assert item.client_id is not None
        days = item.facts["days_left"]
        lines.append(
            DayLine(
                reason=(
                    "Asked for a copy of their record; it is released automatically in "
                    f"{days} day{'s' if days != 1 else ''}."
                ),
                url=page(item.client_id),
                action="Review and release",
            )
        )
    return lines
