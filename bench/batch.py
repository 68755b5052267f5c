"""Batch jobs and checks for the benchmark, against the database the environment names.

    .venv/bin/python bench/batch.py info
    .venv/bin/python bench/batch.py analyze
    .venv/bin/python bench/batch.py verify-checkins --keys acked.json
    .venv/bin/python bench/batch.py recompute scheduler --step-minutes 5
    .venv/bin/python bench/batch.py tasks-waiting
    .venv/bin/python bench/batch.py scaleup-db scaleup-python --administrations 1000000

Jobs run one after the other in one process; each prints one line of JSON ({"job": name, ...},
with "error" when it failed), which bench/run.py reads.

scaleup-python builds episodes as plain Python lists (no database) and times
trajectories.compute_curves on them. scaleup-db writes the same kind of history into the
database as a separate practice ("Bench scale-up", finished episodes, completed PHQ-9 and
GAD-7 scores at every session), inserting the questionnaires with a plain executemany rather
than through the ORM or the seeding path, then times `manage.py recompute_curves` for that
practice, and its two halves (reading the scores, computing the curves) apart.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "continuum.settings")

import django

django.setup()

from django.apps import apps  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from continuum.accounts.models import Membership, Practice, Role, User  # noqa: E402
from continuum.care.episodes import EpisodeStatus  # noqa: E402
from continuum.care.models import Client, Episode  # noqa: E402
from continuum.measures import trajectories  # noqa: E402
from continuum.measures.instruments import INSTRUMENTS  # noqa: E402
from continuum.measures.models import Administration, AdministrationStatus  # noqa: E402

SCALEUP_PRACTICE = "Bench scale-up"
SCALEUP_INSTRUMENTS = ("phq9", "gad7")
SESSIONS_PER_EPISODE = 10  # both measures at every session: 20 questionnaires an episode
FINISHED = [EpisodeStatus.ENDED.value, EpisodeStatus.FOLLOW_UP.value, EpisodeStatus.CLOSED.value]


def emit(result: dict[str, Any]) -> None:
    print(json.dumps(result))


# --- Information and checks -------------------------------------------------------------------


def info() -> dict[str, Any]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous")
            synchronous = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[cursor.fetchone()[0]]
            cursor.execute("PRAGMA journal_mode")
            journal = cursor.fetchone()[0]
            cursor.execute("select sqlite_version()")
            version = cursor.fetchone()[0]
            durability = f"journal_mode={journal}, synchronous={synchronous}"
        else:
            cursor.execute("show server_version")
            version = cursor.fetchone()[0]
            cursor.execute("show synchronous_commit")
            commit = cursor.fetchone()[0]
            cursor.execute("show fsync")
            fsync = cursor.fetchone()[0]
            durability = f"synchronous_commit={commit}, fsync={fsync}"
    return {"vendor": connection.vendor, "version": version, "durability": durability}


def analyze() -> dict[str, Any]:
    """PostgreSQL: VACUUM ANALYZE after the bulk seeding, as autovacuum would have done on a
    database in use, so the planner has statistics and no autovacuum runs during the load.
    SQLite: nothing (Continuum never runs ANALYZE there; the load sees what production sees)."""
    if connection.vendor != "postgresql":
        return {"seconds": 0.0, "done": False}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    return {"seconds": round(time.perf_counter() - started, 2), "done": True}


def verify_checkins(keys_file: Path) -> dict[str, Any]:
    from continuum.portal.models import CheckIn

    keys = json.loads(keys_file.read_text())
    stored: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        stored.update(
            CheckIn.objects.filter(idempotency_key__in=chunk).values_list(
                "idempotency_key", flat=True
            )
        )
    missing = [k for k in keys if k not in stored]
    return {"acknowledged": len(keys), "stored": len(keys) - len(missing), "lost": len(missing)}


def tasks_waiting() -> dict[str, Any]:
    from django_tasks_db.models import DBTaskResult

    counts: dict[str, int] = {}
    for status in DBTaskResult.objects.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return {"by_status": counts, "ready": counts.get("READY", 0)}


# --- Batch jobs -------------------------------------------------------------------------------


def fhir_export() -> dict[str, Any]:
    """The practice's FHIR bulk export, one $export per therapist (bench/fhir_export.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from fhir_export import measure

    return measure()


def recompute() -> dict[str, Any]:
    completed = Administration.objects.filter(status=AdministrationStatus.COMPLETED)
    inputs = completed.filter(episode__status__in=FINISHED, total__isnull=False).count()
    out = io.StringIO()
    started = time.perf_counter()
    call_command("recompute_curves", stdout=out)
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 3),
        "administrations": Administration.objects.count(),
        "completed_in_finished_episodes": inputs,
        "output_lines": len(out.getvalue().splitlines()),
    }


def scheduler(step_minutes: int, hours: int) -> dict[str, Any]:
    if not apps.is_installed("continuum.notify"):
        return {"available": False, "why": "continuum.notify is not installed"}
    try:
        from continuum.notify.scheduler import enqueue_due
    except ImportError as error:
        return {"available": False, "why": f"enqueue_due cannot be imported ({error})"}
    from continuum.notify.models import Reminder

    clients = Client.objects.count()
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    steps = hours * 60 // step_minutes
    totals = {"due": 0, "created": 0, "enqueued": 0}
    by_kind: dict[str, int] = {}
    slowest = 0.0
    first = 0.0
    started = time.perf_counter()
    for step in range(steps):
        now = start + timedelta(minutes=step * step_minutes)
        call_started = time.perf_counter()
        report = enqueue_due(now)
        elapsed = time.perf_counter() - call_started
        if step == 0:
            first = elapsed
        slowest = max(slowest, elapsed)
        totals["due"] += report.due
        totals["created"] += report.created
        totals["enqueued"] += report.enqueued
        for kind, n in report.by_kind.items():
            by_kind[kind] = by_kind.get(kind, 0) + n
    seconds = time.perf_counter() - started
    return {
        "available": True,
        "seconds": round(seconds, 3),
        "calls": steps,
        "step_minutes": step_minutes,
        "first_call_ms": round(first * 1000, 1),
        "slowest_call_ms": round(slowest * 1000, 1),
        "clients": clients,
        "reminders": Reminder.objects.count(),
        **totals,
        "by_kind": by_kind,
        "tasks_ready": tasks_waiting()["ready"],
    }


# --- Scale-up: curves from a million questionnaires ------------------------------------------


def trajectory(rng: random.Random, code: str) -> list[float]:
    """One episode's totals at sessions 1..SESSIONS_PER_EPISODE: most improve, some do not."""
    inst = INSTRUMENTS[code]
    low, high = inst.min_total, inst.max_total
    intake = rng.uniform(low + (high - low) * 0.25, high * 0.95)
    slope = rng.choice((-0.08, -0.06, -0.04, -0.02, 0.0, 0.01))
    scores = []
    value = intake
    for _ in range(SESSIONS_PER_EPISODE):
        scores.append(float(round(min(high, max(low, value)))))
        value = value * (1 + slope) + rng.gauss(0, (high - low) * 0.04)
    return scores


def synthetic_episodes(administrations: int, seed: int = 1) -> dict[str, list[list[float]]]:
    rng = random.Random(seed)
    per_instrument = administrations // (SESSIONS_PER_EPISODE * len(SCALEUP_INSTRUMENTS))
    return {
        code: [trajectory(rng, code) for _ in range(per_instrument)] for code in SCALEUP_INSTRUMENTS
    }


def scaleup_python(administrations: int) -> dict[str, Any]:
    started = time.perf_counter()
    episodes = synthetic_episodes(administrations)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    bands = 0
    for code, series in episodes.items():
        curves = trajectories.compute_curves(series, instrument=code)
        bands += sum(1 for c in curves.values() if c.source == "practice")
    seconds = time.perf_counter() - started
    scores = sum(len(s) for series in episodes.values() for s in series)
    return {
        "administrations": scores,
        "episodes": sum(len(series) for series in episodes.values()),
        "generate_seconds": round(generated, 3),
        "seconds": round(seconds, 3),
        "practice_bands": bands,
    }


def _insert_administrations(rows: list[tuple[Any, ...]], columns: list[str]) -> None:
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from the model
        quote(Administration._meta.db_table),
        ", ".join(quote(c) for c in columns),
        ", ".join(["%s"] * len(columns)),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def scaleup_db(administrations: int) -> dict[str, Any]:
    episodes_by_code = synthetic_episodes(administrations)
    per_instrument = len(episodes_by_code[SCALEUP_INSTRUMENTS[0]])
    ops = connection.ops
    now = timezone.now()
    started = time.perf_counter()
    with transaction.atomic():
        practice = Practice.objects.create(name=SCALEUP_PRACTICE, time_zone="Europe/London")
        therapist = User.objects.create_user(
            f"bench-scaleup-{practice.pk}@example.net", None, full_name="Scale-up Therapist"
        )
        Membership.objects.create(user=therapist, practice=practice, role=Role.OWNER)
        # Two finished episodes per client.
        clients = Client.objects.bulk_create(
            [
                Client(
                    practice=practice,
                    therapist=therapist,
                    first_name="Scale",
                    last_name=f"Client {n:06d}",
                )
                for n in range((per_instrument + 1) // 2)
            ],
            batch_size=900,
        )
        first_day = (now - timedelta(days=3 * 365)).date()
        episodes = Episode.objects.bulk_create(
            [
                Episode(
                    client=clients[n // 2],
                    therapist=therapist,
                    referral_reason="Scale-up benchmark.",
                    start_date=first_day + timedelta(days=(n % 2) * 200),
                    end_date=first_day + timedelta(days=(n % 2) * 200 + 90),
                    status=EpisodeStatus.CLOSED,
                )
                for n in range(per_instrument)
            ],
            batch_size=900,
        )
        fields = [f for f in Administration._meta.concrete_fields if not f.primary_key]
        varying = [
            "episode_id",
            "client_id",
            "instrument",
            "instrument_version",
            "status",
            "total",
            "session_number",
            "due_at",
            "window_ends_at",
            "completed_at",
            "created_at",
        ]
        constant = [f for f in fields if f.attname not in varying]
        columns = [f.column for f in fields if f.attname in varying] + [f.column for f in constant]
        order = [f.attname for f in fields if f.attname in varying]
        fixed = tuple(f.get_db_prep_save(f.get_default(), connection) for f in constant)
        # Session k of every episode is on the same few days: adapt each date once.
        session_times = [
            ops.adapt_datetimefield_value(
                datetime.combine(first_day, datetime.min.time(), tzinfo=UTC) + timedelta(days=7 * k)
            )
            for k in range(SESSIONS_PER_EPISODE + 2)
        ]
        written = 0
        batch: list[tuple[Any, ...]] = []
        for code in SCALEUP_INSTRUMENTS:
            version = INSTRUMENTS[code].version
            for index, scores in enumerate(episodes_by_code[code]):
                episode = episodes[index]
                for k, total in enumerate(scores):
                    values = {
                        "episode_id": episode.pk,
                        "client_id": episode.client_id,
                        "instrument": code,
                        "instrument_version": version,
                        "status": AdministrationStatus.COMPLETED.value,
                        "total": total,
                        "session_number": k + 1,
                        "due_at": session_times[k],
                        "window_ends_at": session_times[k + 1],
                        "completed_at": session_times[k],
                        "created_at": session_times[k],
                    }
                    batch.append(tuple(values[name] for name in order) + fixed)
                if len(batch) >= 20000:
                    _insert_administrations(batch, columns)
                    written += len(batch)
                    batch = []
        _insert_administrations(batch, columns)
        written += len(batch)
    insert_seconds = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    from continuum.measures.management.commands.recompute_curves import episode_series

    started = time.perf_counter()
    out = io.StringIO()
    call_command("recompute_curves", practice=practice.pk, stdout=out)
    seconds = time.perf_counter() - started
    # The two halves, timed apart: reading the scores, computing the curves.
    started = time.perf_counter()
    series = {code: episode_series(practice, code, 20) for code in SCALEUP_INSTRUMENTS}
    read_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for code, rows in series.items():
        trajectories.compute_curves(rows, instrument=code)
    compute_seconds = time.perf_counter() - started
    return {
        "administrations": written,
        "episodes": per_instrument,
        "insert_seconds": round(insert_seconds, 3),
        "seconds": round(seconds, 3),
        "read_seconds": round(read_seconds, 3),
        "compute_seconds": round(compute_seconds, 3),
        "practice": practice.pk,
    }


JOBS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "info": lambda o: info(),
    "analyze": lambda o: analyze(),
    "verify-checkins": lambda o: verify_checkins(o.keys),
    "recompute": lambda o: recompute(),
    "scheduler": lambda o: scheduler(o.step_minutes, o.hours),
    "tasks-waiting": lambda o: tasks_waiting(),
    "scaleup-db": lambda o: scaleup_db(o.administrations),
    "scaleup-python": lambda o: scaleup_python(o.administrations),
    "fhir-export": lambda o: fhir_export(),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("jobs", nargs="+", choices=list(JOBS))
    parser.add_argument("--keys", type=Path, help="verify-checkins: a JSON list of keys")
    parser.add_argument("--step-minutes", type=int, default=5, help="scheduler")
    parser.add_argument("--hours", type=int, default=24, help="scheduler")
    parser.add_argument("--administrations", type=int, default=1_000_000, help="scale-up")
    options = parser.parse_args()
    # One process for several jobs (Django starts once); a job that fails is reported and the
    # next one still runs.
    for job in options.jobs:
        try:
            result = JOBS[job](options)
        except Exception as error:  # reported, and the next job runs
            traceback.print_exc()
            connection.close()
            why = " ".join(f"{type(error).__name__}: {error}".split())
            result = {"error": why[:500]}
        emit({"job": job, **result})


if __name__ == "__main__":
    main()
