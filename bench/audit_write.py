"""How fast can concurrent requests write audit rows? (a measurement, not a test)

    .venv/bin/python bench/audit_write.py                      # SQLite, a fresh file in /tmp
    bin/with-postgres .venv/bin/python bench/audit_write.py    # PostgreSQL (DATABASE_URL)

N worker processes each call record() M times, every call in its own transaction as a view
would, and every call followed by the after-commit sealer (chain.seal_pending). Prints rows/s
and per-call latency, then the same without sealing (the INSERT alone), then how fast a
backlog is sealed, and finally checks the whole chain.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--workers", type=int, default=8)
parser.add_argument("--calls", type=int, default=500, help="record() calls per worker")
parser.add_argument(
    "--seal-interval-ms",
    type=int,
    default=None,
    help="AUDIT_SEAL_INTERVAL_MS for this run (default: the setting's, 100)",
)
options = parser.parse_args()
if options.seal_interval_ms is not None:
    os.environ["AUDIT_SEAL_INTERVAL_MS"] = str(options.seal_interval_ms)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "continuum.settings")
if not os.environ.get("DATABASE_URL") and not os.environ.get("SQLITE_PATH"):
    os.environ["SQLITE_PATH"] = str(Path(tempfile.mkdtemp(prefix="audit-bench-")) / "bench.sqlite3")
os.environ.setdefault("ENCRYPTION_KEYS", "VGVzdHMgb25seTogbm90IGEgcmVhbCBrZXkgISEhISE=")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402

from continuum.audit import chain  # noqa: E402
from continuum.audit.log import record  # noqa: E402
from continuum.audit.models import AuditEvent, AuditPending  # noqa: E402
from continuum.lib.actor import Actor  # noqa: E402


def worker(args: tuple[int, int, bool]) -> list[float]:
    number, calls, seal = args
    if not seal:
        chain.schedule_seal = lambda using="default": None  # type: ignore[assignment]
        import continuum.audit.log as log

        log.chain.schedule_seal = chain.schedule_seal  # type: ignore[attr-defined]
    latencies = []
    for i in range(calls):
        started = time.perf_counter()
        record(Actor.system(), "bench.write", worker=number, i=i)
        latencies.append(time.perf_counter() - started)
    connections.close_all()
    return latencies


def run(workers: int, calls: int, seal: bool) -> None:
    connections.close_all()
    before = AuditEvent.objects.count()
    connections.close_all()
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        results = pool.map(worker, [(n, calls, seal) for n in range(workers)])
    elapsed = time.perf_counter() - started
    latencies = sorted(x for r in results for x in r)
    written = AuditEvent.objects.count() - before
    label = "record() + seal after commit" if seal else "record() INSERT only (no sealing)"
    print(
        f"  {label:36} {written:6d} rows in {elapsed:6.2f} s = {written / elapsed:8.0f} rows/s; "
        f"latency p50 {statistics.median(latencies) * 1000:6.2f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:7.2f} ms, "
        f"max {latencies[-1] * 1000:7.2f} ms; left unsealed {AuditPending.objects.count()}"
    )


def main() -> None:
    from django.conf import settings

    call_command("migrate", verbosity=0)
    where = connection.settings_dict["NAME"]
    print(
        f"{connection.vendor} ({where}): {options.workers} processes x {options.calls} calls, "
        f"AUDIT_SEAL_INTERVAL_MS={settings.AUDIT_SEAL_INTERVAL_MS}"
    )
    run(options.workers, options.calls, seal=True)
    run(options.workers, options.calls, seal=False)
    backlog = AuditPending.objects.count()
    started = time.perf_counter()
    sealed = chain.seal_pending()
    elapsed = time.perf_counter() - started
    print(f"  sealing a backlog of {backlog} events: {sealed / elapsed:8.0f} events/s")
    started = time.perf_counter()
    report = chain.verify()
    elapsed = time.perf_counter() - started
    print(
        f"  audit_verify: {'intact' if report.intact else report.problems[0].message}, "
        f"{report.events} events in {elapsed:.2f} s ({report.events / elapsed:.0f} events/s)"
    )


if __name__ == "__main__":
    main()
