"""FHIR bulk export at practice scale (issue 15): resources per second.

    .venv/bin/python bench/fhir_export.py --clients 5000            # a fresh SQLite file
    bin/with-postgres .venv/bin/python bench/fhir_export.py --clients 5000
    .venv/bin/python bench/fhir_export.py --keep /tmp/fx       # seed once into /tmp/fx, reuse
    .venv/bin/python bench/fhir_export.py --keep /tmp/fx --profile /tmp/fx/export.prof

Without DATABASE_URL it works in a temporary folder with its own SQLite file: migrates,
seeds the demo practice (`seed_demo --therapists 50 --clients N`), then exports. A token sees
what its owner treats, so "the practice's export" is one `$export` per therapist: a job for
each, run through the task's own function (`run_export`, what the db_worker calls), one after
the other, timed together. Prints one line of JSON: clients, resources, files, seconds and
resources per second. `bench/batch.py fhir-export` runs `measure()` on an already seeded
database (`make bench`).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def measure() -> dict[str, Any]:
    """One export per clinical member of the demo practice, timed (the database is seeded)."""
    from django.utils import timezone

    from continuum.accounts.models import User
    from continuum.care.models import Client
    from continuum.fhir.bulk import exportable_types, run_export, ttl
    from continuum.fhir.models import ExportFile, ExportJob, ExportStatus

    therapists = list(
        User.objects.filter(
            membership__is_active=True, membership__is_clinical=True, is_active=True
        ).select_related("membership")
    )
    now = timezone.now()
    jobs = [
        ExportJob.objects.create(
            user=t,
            practice_id=t.membership.practice_id,
            level="system",
            types=exportable_types(),
            request_url="bench",
            created_at=now,
            expires_at=now + ttl(),
        )
        for t in therapists
    ]
    from django.db import connection

    from continuum.fhir import bulk

    # Per resource type: seconds and queries (over all the jobs), by wrapping the task's
    # per-type step for the duration of the measurement.
    per_type: dict[str, dict[str, float]] = {}
    queries = [0]

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries[0] += 1
        return execute(sql, params, many, context)

    write_type = bulk._write_type

    def timed(job: Any, kind: str, *args: Any) -> int:
        before, at = queries[0], time.perf_counter()
        written = write_type(job, kind, *args)
        row = per_type.setdefault(kind, {"seconds": 0.0, "queries": 0})
        row["seconds"] += time.perf_counter() - at
        row["queries"] += queries[0] - before
        return written

    bulk._write_type = timed  # type: ignore[assignment]
    started = time.perf_counter()
    try:
        with connection.execute_wrapper(count):
            for job in jobs:
                run_export.call(job.pk)
    finally:
        bulk._write_type = write_type  # type: ignore[assignment]
    seconds = time.perf_counter() - started
    done = ExportJob.objects.filter(pk__in=[j.pk for j in jobs], status=ExportStatus.DONE)
    files = ExportFile.objects.filter(job__in=done)
    resources = sum(files.values_list("count", flat=True))
    by_type: dict[str, int] = {}
    for kind, count in files.values_list("resource_type", "count"):
        by_type[kind] = by_type.get(kind, 0) + count
    result = {
        "therapists": len(therapists),
        "clients": Client.objects.filter(therapist__in=therapists).count(),
        "jobs_done": done.count(),
        "files": files.count(),
        "resources": resources,
        "by_type": by_type,
        "seconds": round(seconds, 2),
        "resources_per_second": round(resources / seconds) if seconds else None,
        "queries": queries[0],
        "per_type": {
            kind: {"seconds": round(row["seconds"], 2), "queries": int(row["queries"])}
            for kind, row in per_type.items()
        },
    }
    ExportJob.objects.filter(pk__in=[j.pk for j in jobs]).delete()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--therapists", type=int, default=50)
    parser.add_argument(
        "--keep",
        metavar="DIR",
        help="SQLite in DIR, kept: seeded the first time, measured again on later runs",
    )
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the export here")
    options = parser.parse_args()
    work = None
    keep = Path(options.keep) if options.keep else None
    seeded_before = keep is not None and (keep / "seeded").exists()
    if keep is not None and not os.environ.get("DATABASE_URL"):
        keep.mkdir(parents=True, exist_ok=True)
        os.environ["SQLITE_PATH"] = str(keep / "bench.sqlite3")
        os.environ["CONTINUUM_VAR_DIR"] = str(keep)
    elif not os.environ.get("DATABASE_URL"):
        work = tempfile.mkdtemp(prefix="fhir-export-")
        os.environ["SQLITE_PATH"] = str(Path(work) / "bench.sqlite3")
        os.environ["CONTINUUM_VAR_DIR"] = work
    os.environ.setdefault("CONTINUUM_INSECURE_DEV", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "continuum.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    call_command("migrate", "--no-input", verbosity=0)
    if not seeded_before:
        call_command(
            "seed_demo",
            therapists=options.therapists,
            clients=options.clients,
            seed=1,
            stdout=io.StringIO(),
        )
        if keep is not None:
            (keep / "seeded").write_text(f"{options.clients} clients\n")
    seeded = time.perf_counter() - started
    if options.profile:
        import cProfile

        profiler = cProfile.Profile()
        measured = profiler.runcall(measure)
        profiler.dump_stats(options.profile)
    else:
        measured = measure()
    load = os.getloadavg()
    result = {
        "backend": connection.vendor,
        "seed_seconds": round(seeded, 1),
        **measured,
        "load_average": [round(x, 2) for x in load],
    }
    print(json.dumps(result))
    if work is not None:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
