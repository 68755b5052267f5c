"""FHIR bulk export at practice scale (issue 15): resources per second.

    .venv/bin/python bench/fhir_export.py --clients 5000            # a fresh SQLite file
    bin/with-postgres .venv/bin/python bench/fhir_export.py --clients 5000

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
    started = time.perf_counter()
    for job in jobs:
        run_export.call(job.pk)
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
    }
    ExportJob.objects.filter(pk__in=[j.pk for j in jobs]).delete()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--therapists", type=int, default=50)
    options = parser.parse_args()
    work = None
    if not os.environ.get("DATABASE_URL"):
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
    call_command(
        "seed_demo",
        therapists=options.therapists,
        clients=options.clients,
        seed=1,
        stdout=io.StringIO(),
    )
    seeded = time.perf_counter() - started
    result = {"backend": connection.vendor, "seed_seconds": round(seeded, 1), **measure()}
    print(json.dumps(result))
    if work is not None:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
