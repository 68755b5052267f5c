"""Refused access, aggregated per person and minute (issue 18, SECURITY.md promise 26).

A logged-in person answered 404 on a route with ids in its path (another's object, or one
that does not exist) is counted in `Refusal` (one row per person and clock minute, with the
first route and the count). The periodic job "accounts.refusals" turns each finished minute
into one "access.refused" audit row (the person, the route name, the count, the minute) and
deletes the counter: a script walking ids writes one audit row a minute, not thousands.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest

from continuum.accounts.actors import Actor, Channel, practice_of
from continuum.accounts.http import client_ip
from continuum.accounts.models import Refusal, User
from continuum.audit.log import record
from continuum.lib.jobs import PeriodicJob


def minute_of(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def count_refusal(request: HttpRequest, user: User, route: str, now: datetime) -> None:
    minute = minute_of(now)
    if Refusal.objects.filter(user=user, minute=minute).update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            Refusal.objects.create(user=user, minute=minute, route=route, ip=client_ip(request))
    except IntegrityError:  # another request of the same minute created it first
        Refusal.objects.filter(user=user, minute=minute).update(count=F("count") + 1)


def write_refusals(now: datetime) -> str:
    """One audit row per finished (person, minute); the counters are deleted with it."""
    written = 0
    for refusal in Refusal.objects.filter(minute__lt=minute_of(now)).select_related("user"):
        with transaction.atomic():
            if not Refusal.objects.filter(pk=refusal.pk).delete()[0]:
                continue  # another scheduler wrote it
            user = refusal.user
            actor = Actor(
                user=user, practice_id=practice_of(user), channel=Channel.WEB, ip=refusal.ip
            )
            record(
                actor,
                "access.refused",
                route=refusal.route,
                count=refusal.count,
                minute=refusal.minute.isoformat(),
            )
            written += 1
    return f"refusals written={written}"


REFUSALS = PeriodicJob(name="accounts.refusals", every=timedelta(minutes=1), run=write_refusals)
