"""SQL queries per key request, counted in-process against the benchmark's database.

    .venv/bin/python bench/querycount.py --targets targets.json --out queries.json
    .venv/bin/python bench/querycount.py --targets targets.json --profile client   # pyinstrument

Django's test client sends each request through the whole middleware stack (as gunicorn's
worker would) and CaptureQueriesContext counts the queries of the requests after a first one
that warms per-process caches such as content types (the fewest of three: now and then a
request also seals the audit chain, which is not the page's own work). The people are the
ones the load test logs in (bench/setup_data.py); sessions come from force_login, so no login
is repeated.
The staff pages are counted again for the smallest case (the therapist with the fewest clients,
their client with the shortest history): the counts must not grow with caseload or history.
With --profile NAME the request is instead repeated under pyinstrument and the profile printed.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "continuum.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from continuum.accounts.models import User  # noqa: E402

STAFF_PAGES = ("floor", "day", "caseload", "client", "brief", "alerts")


def checkin_data() -> dict[str, str]:
    return {
        "mood": "6",
        "sleep": "5",
        "energy": "4",
        "homework_status": "partly",
        "note": "Benchmark check-in.",
        "idempotency_key": secrets.token_urlsafe(24),
    }


def requests_for(targets: dict[str, Any]) -> dict[str, tuple[str, Any, Any, str]]:
    """name -> (method, path, data or None, who: "staff:<email>", "portal:<email>" or "")."""
    staff = targets["staff"][0]
    by_history = max(targets["staff"], key=lambda s: s["history"])
    portal = targets["portal"][0]
    links = targets["querycount_links"]  # links of its own: each works once
    wanted: dict[str, tuple[str, Any, Any, str]] = {}
    for page in STAFF_PAGES:
        who = by_history if page in ("client", "brief") else staff
        wanted[page] = ("GET", who["urls"][page], None, f"staff:{who['email']}")
    wanted["portal_home"] = ("GET", "/portal/", None, f"portal:{portal['email']}")
    wanted["portal_checkin"] = (
        "POST",
        "/portal/check-in/",
        checkin_data,
        f"portal:{portal['email']}",
    )
    wanted["questionnaire_link"] = (
        "POST",
        [link["path"] for link in links],
        [link["data"] for link in links],
        "",
    )
    return wanted


def small_requests(targets: dict[str, Any]) -> dict[str, tuple[str, str, Any, str]]:
    """The staff pages again for the smallest case: the practice's clinical therapist with the
    fewest clients, and their client with the shortest history who has had a session and has
    the next one booked. Their query counts must equal the largest case's: counts do not grow
    with caseload or history."""
    from django.db.models import Count
    from django.urls import reverse

    from continuum.accounts.models import Membership
    from continuum.care.models import Appointment, AppointmentStatus, Client

    busiest = User.objects.get(email=targets["staff"][0]["email"])
    practice_id = busiest.membership.practice_id  # type: ignore[attr-defined]
    member = (
        Membership.objects.filter(practice_id=practice_id, is_clinical=True, is_active=True)
        .annotate(n=Count("user__clients"))
        .filter(n__gt=0)
        .select_related("user")
        .order_by("n", "pk")
        .first()
    )
    if member is None:
        return {}
    user = member.user
    try:
        from continuum.accounts.mfa import enrol_totp, needs_second_factor
    except ImportError:
        pass
    else:
        if needs_second_factor(user):
            enrol_totp(user, base64.b32encode(os.urandom(20)).decode())
    # The client with the shortest history who, like the large case's, has had a session and
    # has the next one booked (the brief of a first session has less to show).
    now = timezone.now()
    client = appointment = None
    candidates = (
        Client.objects.filter(therapist=user)
        .annotate(n=Count("appointments"))
        .filter(n__gt=0)
        .order_by("n", "pk")
    )
    for candidate in candidates:
        booked = Appointment.objects.filter(
            client=candidate, therapist=user, status=AppointmentStatus.SCHEDULED, starts_at__gte=now
        ).order_by("starts_at")
        held = Appointment.objects.filter(client=candidate, status=AppointmentStatus.ATTENDED)
        if booked.exists() and held.exists():
            client, appointment = candidate, booked.first()
            break
    if client is None or appointment is None:
        return {}
    # Like the large case's client (setup_data.py gives portal logins to the longest histories),
    # with a portal login and check-ins, so that the same sections of the pages have rows to look
    # for: only the amount of history differs.
    from continuum.portal.models import CheckinCadence, PortalSettings

    if client.user_id is None:
        login = User.objects.create_user(f"bench-small-{client.pk}@example.net", None)
        login.password = User.objects.get(email=targets["portal"][0]["email"]).password
        login.save(update_fields=["password"])
        client.user = login
        client.save(update_fields=["user"])
    PortalSettings.objects.update_or_create(
        client=client, defaults={"checkin_cadence": CheckinCadence.WEEKLY}
    )
    urls = {
        "day": reverse("continuity:day"),
        "caseload": reverse("care:caseload"),
        "client": reverse("care:client_detail", args=[client.pk]),
        "brief": reverse("continuity:brief", args=[appointment.pk]),
        "alerts": reverse("measures:alert_list"),
    }
    return {page: ("GET", url, None, f"staff:{user.email}") for page, url in urls.items()}


def client_for(who: str, cache: dict[str, HttpClient]) -> HttpClient:
    if who not in cache:
        http = HttpClient(raise_request_exception=False)
        if who:
            http.force_login(User.objects.get(email=who.split(":", 1)[1]))
        cache[who] = http
    return cache[who]


def send(http: HttpClient, method: str, path: str, data: Any) -> int:
    if method == "GET":
        response = http.get(path)
    else:
        response = http.post(path, data() if callable(data) else data)
    return int(response.status_code)


def count(targets: dict[str, Any]) -> dict[str, dict[str, Any]]:
    sessions: dict[str, HttpClient] = {}
    results: dict[str, dict[str, Any]] = {}
    for name, (method, path, data, who) in requests_for(targets).items():
        results[name] = measure(sessions, method, path, data, who)
    for name, (method, path, data, who) in small_requests(targets).items():
        small = measure(sessions, method, path, data, who)
        results[name]["queries_small"] = small["queries"]
        results[name]["status_small"] = small["status"]
    return results


def measure(
    sessions: dict[str, HttpClient], method: str, path: Any, data: Any, who: str
) -> dict[str, Any]:
    http = client_for(who, sessions)
    # A questionnaire link works once: a list of paths (and their answers), one per request.
    paths = path if isinstance(path, list) else [path] * 3
    answers = data if isinstance(data, list) else [data] * 3
    # Warm up with a GET (it does not use a link up).
    send(http, "GET", paths[0], None)
    # The fewest over a few requests: now and then a request also seals the audit chain
    # (at most every AUDIT_SEAL_INTERVAL_MS per process), which is not the page's own work.
    counts, times, status = [], [], 0
    for one_path, one_data in zip(paths, answers, strict=True):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            status = send(http, method, one_path, one_data)
            times.append(time.perf_counter() - started)
        counts.append(len(captured.captured_queries))
    return {
        "queries": min(counts),
        "queries_max": max(counts),
        "status": status,
        "in_process_ms": round(min(times) * 1000, 2),
    }


def profile(targets: dict[str, Any], name: str, repeat: int) -> None:
    from pyinstrument import Profiler

    method, path, data, who = requests_for(targets)[name]
    if name == "questionnaire_link":
        raise SystemExit("a questionnaire link works once: profile it from the load test instead")
    http = client_for(who, {})
    send(http, "GET", path, None)
    profiler = Profiler(interval=0.0005)
    started, cpu = time.perf_counter(), time.process_time()
    with profiler:
        for _ in range(repeat):
            send(http, method, path, data)
    elapsed = (time.perf_counter() - started) / repeat
    cpu = (time.process_time() - cpu) / repeat
    print(
        f"{name}: {method} {path}: {elapsed * 1000:.1f} ms a request in-process, "
        f"{cpu * 1000:.1f} ms of CPU, under the profiler ({repeat} runs)"
    )
    print(profiler.output_text(unicode=False, color=False, show_all=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--targets", required=True, type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--profile", help="profile one request by name instead of counting")
    parser.add_argument("--repeat", type=int, default=20)
    options = parser.parse_args()
    targets = json.loads(options.targets.read_text())
    if options.profile:
        profile(targets, options.profile, options.repeat)
        return
    results = count(targets)
    for name, row in results.items():
        small = f" (smallest case {row['queries_small']})" if "queries_small" in row else ""
        print(
            f"  {name:20} {row['queries']:3d} queries{small}  HTTP {row['status']}  "
            f"{row['in_process_ms']:8.1f} ms"
        )
    if options.out:
        options.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
