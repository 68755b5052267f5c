"""Prepare a seeded demo database for the load test and say what to request (bench/run.py).

    .venv/bin/python bench/setup_data.py --out targets.json [--portal-clients 100] [--links 2500]

Run after `seed_demo`, against the database the environment names (SQLITE_PATH or
DATABASE_URL). It:

- ranks the practice's therapists by caseload and picks a pool of them (the busiest first),
  each with their own key requests: their day, their caseload, their client with the longest
  history (client page with charts), the brief of that client's next session, their alerts;
  each gets a TOTP authenticator with the bench's secret (BENCH_TOTP_SECRET), as every member
  of a practice must have one;
- gives portal logins to the clients with the longest histories among those in an open episode
  (the password is hashed once and the hash reused), with weekly check-ins switched on;
- issues one-time questionnaire links (measures.services.issue_link) for pending
  administrations of open episodes, with a complete set of answers for each;
- writes all of it, and the passwords, to the JSON file given (a temporary folder's).

Nothing here is timed: it prepares what the measurements need.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "continuum.settings")

import django

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from continuum.accounts.actors import actor_for  # noqa: E402
from continuum.accounts.models import Membership, Practice, User  # noqa: E402
from continuum.care.episodes import OPEN_STATUSES  # noqa: E402
from continuum.care.models import Appointment, AppointmentStatus, Client, Episode  # noqa: E402
from continuum.demo import content  # noqa: E402
from continuum.measures import services as measures  # noqa: E402
from continuum.measures.forms import ITEM_PREFIX  # noqa: E402
from continuum.measures.models import Administration, AdministrationStatus  # noqa: E402
from continuum.portal.models import CheckinCadence, PortalSettings  # noqa: E402


def history_sizes(practice: Practice) -> Counter[int]:
    """Appointments plus questionnaires per client: what the client page and charts show."""
    sizes: Counter[int] = Counter()
    for model in (Appointment, Administration):
        rows = (
            model.objects.filter(client__practice=practice)
            .values("client_id")
            .annotate(n=Count("id"))
            .values_list("client_id", "n")
        )
        for client_id, n in rows:
            sizes[client_id] += n
    return sizes


def staff_pool(practice: Practice, size: int, sizes: Counter[int]) -> list[dict[str, Any]]:
    caseloads = dict(
        Client.objects.filter(practice=practice)
        .values("therapist_id")
        .annotate(n=Count("id"))
        .values_list("therapist_id", "n")
    )
    clinical = set(
        Membership.objects.filter(practice=practice, is_clinical=True, is_active=True).values_list(
            "user_id", flat=True
        )
    )
    ranked = sorted((t for t in caseloads if t in clinical), key=lambda t: (-caseloads[t], t))
    clients_of: dict[int, list[int]] = {}
    for client_id, therapist_id in Client.objects.filter(practice=practice).values_list(
        "pk", "therapist_id"
    ):
        clients_of.setdefault(therapist_id, []).append(client_id)
    # The practice's longest history: its therapist must be in the pool.
    longest = max(sizes, key=lambda c: (sizes[c], -c))
    owner = Client.objects.get(pk=longest).therapist_id
    pool = ranked[:size]
    if owner not in pool:
        pool[-1] = owner

    now = timezone.now()
    start_of_today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    emails = dict(User.objects.filter(pk__in=pool).values_list("pk", "email"))
    staff = []
    for therapist_id in pool:
        mine = sorted(clients_of[therapist_id], key=lambda c: (-sizes[c], c))
        client_id = mine[0]
        # The brief of the next session (today's first, else the next one booked) among the
        # clients with the longest histories.
        appointment = None
        for candidate in mine[:20]:
            appointment = (
                Appointment.objects.filter(
                    client_id=candidate,
                    therapist_id=therapist_id,
                    status=AppointmentStatus.SCHEDULED,
                    starts_at__gte=start_of_today,
                )
                .order_by("starts_at")
                .first()
            )
            if appointment is not None:
                break
        if appointment is None:
            appointment = Appointment.objects.filter(therapist_id=therapist_id).latest("starts_at")
        staff.append(
            {
                "user_id": therapist_id,
                "email": emails[therapist_id],
                "caseload": caseloads[therapist_id],
                "history": sizes[client_id],
                "brief_history": sizes[appointment.client_id],
                "urls": {
                    "floor": reverse("ping"),
                    "day": reverse("continuity:day"),
                    "caseload": reverse("care:caseload"),
                    "client": reverse("care:client_detail", args=[client_id]),
                    "brief": reverse("continuity:brief", args=[appointment.pk]),
                    "alerts": reverse("measures:alert_list"),
                },
            }
        )
    return staff


def enrol_second_factor(staff: list[dict[str, Any]], secret: str) -> bool:
    """Give the pool's therapists a TOTP authenticator with the bench's own secret, so they
    log in as members must (password, then a code). False where the app has no second factor."""
    try:
        from continuum.accounts.mfa import enrol_totp
    except ImportError:
        return False
    for user in User.objects.filter(pk__in=[s["user_id"] for s in staff]):
        enrol_totp(user, secret)
    return True


def portal_clients(practice: Practice, count: int, sizes: Counter[int], password: str) -> list[Any]:
    open_clients = set(
        Episode.objects.filter(client__practice=practice, status__in=OPEN_STATUSES).values_list(
            "client_id", flat=True
        )
    )
    chosen = sorted(open_clients, key=lambda c: (-sizes[c], c))[:count]
    clients = list(Client.objects.filter(pk__in=chosen, user__isnull=True))
    hashed = make_password(password)  # once: Argon2 is slow on purpose
    users = [
        User(
            email=f"bench-client-{client.pk}@example.net",
            full_name=client.full_name,
            time_zone=client.time_zone,
            password=hashed,
        )
        for client in clients
    ]
    with transaction.atomic():
        User.objects.bulk_create(users)
        by_email = dict(
            User.objects.filter(email__in=[u.email for u in users]).values_list("email", "pk")
        )
        for client in clients:
            client.user_id = by_email[f"bench-client-{client.pk}@example.net"]
        Client.objects.bulk_update(clients, ["user"], batch_size=500)
        PortalSettings.objects.filter(client__in=clients).update(
            checkin_cadence=CheckinCadence.WEEKLY
        )
        have = set(
            PortalSettings.objects.filter(client__in=clients).values_list("client_id", flat=True)
        )
        PortalSettings.objects.bulk_create(
            PortalSettings(client=client, checkin_cadence=CheckinCadence.WEEKLY)
            for client in clients
            if client.pk not in have
        )
    clients.sort(key=lambda c: (-sizes[c.pk], c.pk))
    return [
        {"client_id": c.pk, "email": f"bench-client-{c.pk}@example.net", "history": sizes[c.pk]}
        for c in clients
    ]


def answers_for(admin: Administration) -> dict[str, str]:
    """A complete, ordinary set of answers: the middle option, and 0 on safety items."""
    inst = measures.administration_instrument(admin)
    data = {}
    for item in inst.items:
        option = item.options[0] if item.safety else item.options[len(item.options) // 2]
        data[f"{ITEM_PREFIX}{item.key}"] = str(option.value)
    return data


def questionnaire_links(practice: Practice, count: int) -> list[dict[str, Any]]:
    """Links for `count` pending questionnaires, at most one per schedule: answering one
    withdraws the earlier ones still pending in its schedule (their links would stop working)."""
    pending = []
    schedules: set[int] = set()
    rows = (
        Administration.objects.select_related("client", "episode")
        .filter(
            client__practice=practice,
            status=AdministrationStatus.PENDING,
            episode__status__in=OPEN_STATUSES,
        )
        .order_by("pk")
    )
    for admin in rows.iterator(chunk_size=2000):
        if admin.assignment_id is not None:
            if admin.assignment_id in schedules:
                continue
            schedules.add(admin.assignment_id)
        pending.append(admin)
        if len(pending) == count:
            break
    links = []
    for start in range(0, len(pending), 250):
        with transaction.atomic():
            for admin in pending[start : start + 250]:
                measures.issue_link(admin, actor=actor_for(admin.client.therapist))
                path = measures.link_path(admin)
                assert path is not None
                links.append(
                    {"path": path, "instrument": admin.instrument, "data": answers_for(admin)}
                )
    return links


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--pool", type=int, default=16, help="staff and portal logins for c=16")
    parser.add_argument("--portal-clients", type=int, default=100)
    parser.add_argument("--links", type=int, default=2500)
    options = parser.parse_args()
    password = os.environ.get("BENCH_PORTAL_PASSWORD", "")
    if len(password) < 12:
        parser.error("BENCH_PORTAL_PASSWORD must hold a password of 12 characters or more")
    totp_secret = os.environ.get("BENCH_TOTP_SECRET", "")
    if len(totp_secret) < 32:
        parser.error("BENCH_TOTP_SECRET must hold a base32 TOTP secret (32 characters)")

    practice = Practice.objects.get(name=content.PRACTICE_NAME)
    sizes = history_sizes(practice)
    staff = staff_pool(practice, options.pool, sizes)
    second_factor = enrol_second_factor(staff, totp_secret)
    portal = portal_clients(practice, options.portal_clients, sizes, password)
    links = questionnaire_links(practice, options.links + 3)
    # Three links for the in-process query count, apart from the load test's.
    reserved = links[-3:]
    del links[-3:]
    counts = {
        "clients": Client.objects.filter(practice=practice).count(),
        "appointments": Appointment.objects.filter(client__practice=practice).count(),
        "administrations": Administration.objects.filter(client__practice=practice).count(),
        "longest_history": max(sizes.values()),
        "busiest_caseload": staff[0]["caseload"],
        "portal_clients": len(portal),
        "links": len(links),
    }
    options.out.write_text(
        json.dumps(
            {
                "staff_password": content.DEMO_PASSWORD,
                "portal_password": password,
                "totp_secret": totp_secret if second_factor else "",
                "staff": staff,
                "portal": portal,
                "links": links,
                "querycount_links": reserved,
                "counts": counts,
            },
            indent=1,
        )
    )
    print(
        f"bench setup: {len(staff)} therapists (busiest caseload {counts['busiest_caseload']}, "
        f"longest history {counts['longest_history']} records), {len(portal)} portal logins, "
        f"{len(links)} questionnaire links"
    )


if __name__ == "__main__":
    main()
