"""Read models for messages: the therapist's day and brief, and the two inboxes.

Each function runs a fixed number of queries, whatever the length of the history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Max, Q, QuerySet

from continuum.accounts.models import User
from continuum.boundaries.models import Direction, Message
from continuum.care.access import clients_for
from continuum.care.models import Client
from continuum.lib.contributions import DayItem, Rank


def _unread(user: User) -> QuerySet[Message]:
    """Messages from `user`'s clients that `user` has not marked read. Only clients `user`
    treats; none for anyone else."""
    return Message.objects.filter(
        client__in=clients_for(user), direction=Direction.TO_THERAPIST, read_at__isnull=True
    )


def unread_messages(user: User) -> list[Message]:
    """The unread messages (`_unread`), newest first, with the client loaded (1 query)."""
    return list(_unread(user).select_related("client").order_by("-created_at", "-pk"))


MESSAGES_ITEM = "boundaries.messages"


def message_day_items(user: User, now: datetime) -> list[DayItem]:
    """The therapist's day: one item per client with unread messages. One query, counted
    per client in SQL (the encrypted bodies are not read)."""
    return message_items_for(clients_for(user), now)


def message_items_for(clients: QuerySet[Client], now: datetime) -> list[DayItem]:
    """`message_day_items` of `clients` (any therapist's), for the day's attention table."""
    rows = (
        Message.objects.filter(
            client__in=clients, direction=Direction.TO_THERAPIST, read_at__isnull=True
        )
        .order_by()
        .values("client_id")
        .annotate(
            count=Count("pk"),
            after_hours=Count("pk", filter=Q(after_hours=True)),
            at=Max("created_at"),
        )
        .order_by("-at", "client_id")
        .values_list("client_id", "count", "after_hours", "at")
    )
    return [
        DayItem(
            kind=MESSAGES_ITEM,
            client_id=client_id,
            rank=Rank.ROUTINE,
            at=at,
            ref=client_id,
            facts={"count": count, "after_hours": after_hours},
        )
        for client_id, count, after_hours, at in rows
    ]


@dataclass
class MessageDigest:
    """The messages between a client and the therapist since a moment, for the brief.

    messages: oldest first (`body` is decrypted text: show it only to the client's
    therapist); unread: how many of the client's the therapist has not marked read.
    """

    client: Client
    messages: list[Message] = field(default_factory=list)
    unread: int = 0

    @property
    def has_any(self) -> bool:
        return bool(self.messages)

    @property
    def from_client(self) -> int:
        return sum(1 for m in self.messages if m.from_client)


BRIEF_MESSAGES = 50


def messages_since(client: Client, since: datetime | None) -> MessageDigest:
    """The latest BRIEF_MESSAGES messages after `since` (all time for None), in 1 query.

    The caller has already checked that the user may read this client.
    """
    rows = Message.objects.filter(client=client)
    if since is not None:
        rows = rows.filter(created_at__gt=since)
    latest = list(rows.order_by("-created_at", "-pk")[:BRIEF_MESSAGES])[::-1]
    return MessageDigest(
        client=client,
        messages=latest,
        unread=sum(1 for m in latest if m.is_unread),
    )


def unread_count(client: Client) -> int:
    """How many of the client's messages the therapist has not marked read (1 query)."""
    return Message.objects.filter(
        client=client, direction=Direction.TO_THERAPIST, read_at__isnull=True
    ).count()


@dataclass(frozen=True)
class NewFromTherapist:
    """The therapist's messages the client has not opened yet: how many, and the latest's time."""

    count: int
    latest_at: datetime | None


def new_from_therapist(client: Client) -> NewFromTherapist:
    """What the portal home says about the therapist's new messages (1 query)."""
    found = Message.objects.filter(
        client=client, direction=Direction.TO_CLIENT, read_at__isnull=True
    ).aggregate(count=Count("pk"), latest_at=Max("created_at"))
    return NewFromTherapist(count=found["count"], latest_at=found["latest_at"])
