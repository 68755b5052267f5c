"""The day's speed against the floor's, in-process (issue 13; docs/performance.md).

    .venv/bin/python bench/day_speed.py [--clients 5000] [--requests 200] [--keep]
    .venv/bin/python bench/day_speed.py --work /tmp/continuum-day-XXXX     # reuse a seeded one
    bin/with-postgres .venv/bin/python bench/day_speed.py --clients 5000    # on PostgreSQL

Seeds a fresh practice once (seed_demo --therapists 50 --clients N --seed 1, in a temporary
folder: a SQLite file there, or the PostgreSQL database DATABASE_URL names), with the
production settings apart from TLS (DEBUG off, hashed static files), then logs in the
busiest therapist with django.test.Client (force_login; they get a TOTP authenticator as
every member must have) and times, after a warm-up, N requests of the floor (/ping/, the
cheapest authenticated page) and of the day (/day/), interleaved so both see the same
machine. It prints the p50 and p95 of each, the day's p50 as a multiple of the floor's (the
number to read on a shared machine: both are inflated alike; the same ratio of the CPU time
the request's thread used is printed beside it, less sensitive to other processes but
blind to waits such as fsync), the load average, and each
page's query count (the fewest over three requests: now and then a request also seals the
audit chain).

Nothing is written to bench/results.json: that is `make bench`'s (bench/run.py), which
measures through gunicorn. --keep leaves the folder (and prints it) so that --work can time
the same data again without seeding; --profile prints a cProfile of the day's requests.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def prepare_env(work: Path) -> bool:
    """The settings' environment for `work` (kept in work/env.json so that a reused folder
    reads its encrypted fields with the same keys). True when the database is already seeded."""
    saved = work / "env.json"
    if saved.exists():
        env = json.loads(saved.read_text())
        seeded = True
    else:
        env = {
            "CONTINUUM_VAR_DIR": str(work / "var"),
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "ALLOWED_HOSTS": "127.0.0.1,testserver",
            "LOG_LEVEL": "WARNING",
        }
        if not os.environ.get("DATABASE_URL"):
            env["SQLITE_PATH"] = str(work / "continuum.sqlite3")
        (work / "var").mkdir(parents=True, exist_ok=True)
        seeded = False
    if "SQLITE_PATH" in env:
        os.environ.pop("DATABASE_URL", None)
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "continuum.settings")
    if not seeded:
        saved.write_text(json.dumps(env))
    return seeded


def seed(therapists: int, clients: int) -> None:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", "--no-input", verbosity=0)
    call_command(
        "seed_demo",
        "--therapists",
        str(therapists),
        "--clients",
        str(clients),
        "--seed",
        "1",
        stdout=open(os.devnull, "w"),  # noqa: SIM115
    )
    call_command("createcachetable", verbosity=0)
    # As make bench does after seeding (bench/batch.py analyze): the planner's statistics.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    call_command("collectstatic", "--no-input", verbosity=0)
    print(f"seeded {clients:,} clients in {time.perf_counter() - started:.0f} s")


def busiest_therapist() -> Any:
    from django.db.models import Count

    from continuum.accounts.mfa import enrol_totp, needs_second_factor
    from continuum.accounts.models import Membership, User

    member = (
        Membership.objects.filter(is_clinical=True, is_active=True)
        .annotate(n=Count("user__clients"))
        .order_by("-n", "pk")
        .first()
    )
    assert member is not None, "no clinical member: was the practice seeded?"
    user: User = member.user
    if needs_second_factor(user):
        enrol_totp(user, base64.b32encode(os.urandom(20)).decode())
    return user, member.n


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def query_count(http: Any, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings

    counts = []
    # The page's own queries: no audit seal meanwhile (one runs after a request at most every
    # AUDIT_SEAL_INTERVAL_MS, whatever the page; the timings above include it).
    with override_settings(AUDIT_SEAL_INTERVAL_MS=10**9):
        for _ in range(3):
            with CaptureQueriesContext(connection) as captured:
                http.get(path)
            counts.append(len(captured.captured_queries))
    return min(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--therapists", type=int, default=50)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--work", type=Path, help="a folder a previous --keep run left")
    parser.add_argument("--keep", action="store_true", help="leave the folder for --work")
    parser.add_argument("--profile", type=int, default=0, help="cProfile this many day requests")
    options = parser.parse_args()

    work = options.work or Path(tempfile.mkdtemp(prefix="continuum-day-"))
    keep = options.keep or options.work is not None
    seeded = prepare_env(work)
    import django

    django.setup()
    from django.db import connection
    from django.test import Client as HttpClient
    from django.urls import reverse

    try:
        if not seeded:
            seed(options.therapists, options.clients)
        user, caseload = busiest_therapist()
        http = HttpClient(raise_request_exception=True)
        http.force_login(user)
        pages = {"floor": reverse("ping"), "day": reverse("continuity:day")}
        for name, path in pages.items():
            status = http.get(path).status_code
            assert status == 200, f"{name} ({path}) answered {status}"
        for _ in range(options.warmup):
            for path in pages.values():
                http.get(path)
        times: dict[str, list[float]] = {name: [] for name in pages}
        cpu: dict[str, list[float]] = {name: [] for name in pages}
        load_before = os.getloadavg()[0]
        for _ in range(options.requests):
            for name, path in pages.items():
                started, started_cpu = time.perf_counter(), time.thread_time()
                http.get(path)
                cpu[name].append((time.thread_time() - started_cpu) * 1000)
                times[name].append((time.perf_counter() - started) * 1000)
        load_after = os.getloadavg()[0]
        queries = {name: query_count(http, path) for name, path in pages.items()}
        backend = connection.vendor
        p50 = {name: percentile(t, 0.5) for name, t in times.items()}
        p95 = {name: percentile(t, 0.95) for name, t in times.items()}
        print(
            f"{backend}, {options.clients:,} clients; the busiest therapist has {caseload} "
            f"clients; {options.requests} requests each (after {options.warmup} warm-up)"
        )
        cpu50 = {name: percentile(t, 0.5) for name, t in cpu.items()}
        for name in pages:
            print(
                f"  {name:6} p50 {p50[name]:7.2f} ms  p95 {p95[name]:7.2f} ms  "
                f"(CPU p50 {cpu50[name]:6.2f} ms)  {queries[name]:3d} queries"
            )
        print(
            f"  day / floor (p50): {p50['day'] / p50['floor']:.2f}x "
            f"(CPU time: {cpu50['day'] / cpu50['floor']:.2f}x)"
        )
        print(f"  load average (1 min): {load_before:.2f} before, {load_after:.2f} after")
        if options.profile:
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as captured:
                http.get(pages["day"])
            for query in captured.captured_queries:
                print(f"  {query['time']:>6}s  {query['sql'][:150]}")
            import cProfile
            import pstats

            profiler = cProfile.Profile(time.thread_time)  # CPU: less noise when shared
            profiler.enable()
            for _ in range(options.profile):
                http.get(pages["day"])
            profiler.disable()
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(45)
            stats.sort_stats("tottime").print_stats(25)
    finally:
        if keep:
            print(f"  kept {work} (again: --work {work})")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
