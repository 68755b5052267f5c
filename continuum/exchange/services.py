"""Calendar feed actions: issue (or re-issue), revoke, choose what events say.

Each is one transaction with one audit row; the detail names the feed's kind, never the token.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from continuum.accounts.actors import Actor
from continuum.audit import log as audit
from continuum.care.models import Client
from continuum.exchange.feeds import hash_token, new_token
from continuum.exchange.models import CalendarFeed, FeedNames


@transaction.atomic
def issue_feed(actor: Actor, *, client: Client | None = None) -> tuple[CalendarFeed, str]:
    """A new feed URL for the actor (a therapist, or `client` through their portal login);
    any earlier one stops working. Returns the feed and its token (shown once)."""
    user = actor.acting_user()
    previous = (
        CalendarFeed.objects.select_for_update().filter(user=user, revoked_at__isnull=True).first()
    )
    names = FeedNames.NONE.value
    if previous is not None:
        previous.revoked_at = timezone.now()
        previous.save(update_fields=["revoked_at"])
        names = previous.names
    token = new_token()
    feed = CalendarFeed.objects.create(
        user=user, client=client, token_hash=hash_token(token), names=names
    )
    audit.record(
        actor,
        "calendar_feed.create",
        feed,
        kind="client" if client is not None else "therapist",
        replaced=previous.pk if previous is not None else None,
        client=client.pk if client is not None else None,
    )
    return feed, token


@transaction.atomic
def revoke_feed(actor: Actor) -> CalendarFeed | None:
    """Stop the actor's live feed (None when there was none)."""
    user = actor.acting_user()
    feed = (
        CalendarFeed.objects.select_for_update().filter(user=user, revoked_at__isnull=True).first()
    )
    if feed is None:
        return None
    feed.revoked_at = timezone.now()
    feed.save(update_fields=["revoked_at"])
    audit.record(actor, "calendar_feed.revoke", feed)
    return feed


@transaction.atomic
def set_feed_names(actor: Actor, names: str) -> CalendarFeed | None:
    """What the therapist's events say about the client (FeedNames)."""
    user = actor.acting_user()
    choice = FeedNames(names)
    feed = (
        CalendarFeed.objects.select_for_update()
        .filter(user=user, revoked_at__isnull=True, client__isnull=True)
        .first()
    )
    if feed is None:
        return None
    old = feed.names
    feed.names = choice.value
    feed.save(update_fields=["names"])
    audit.record(actor, "calendar_feed.names", feed, was=old, now=choice.value)
    return feed
