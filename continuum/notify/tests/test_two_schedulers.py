"""Two schedulers at once run each job once (issue 12, item 6).

Against a real SQLite file with the app's own settings (WAL, busy timeout, BEGIN IMMEDIATE),
two processes run `run_due_jobs` for the same instant, released together. Every registered
job is wrapped to note that it ran and to hold on for a moment, so the two passes overlap:
each job must have run in exactly one of them. Without the claim (JobRun) both run them all.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from django.test import SimpleTestCase
from django.utils import timezone

from continuum.lib.jobs import periodic_jobs

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
KEYS = "VGVzdHMgb25seTogbm90IGEgcmVhbCBrZXkgISEhISE="

SCHEDULER = """
import django
django.setup()
import json, sys, time
from dataclasses import replace
from datetime import datetime
from continuum.lib import jobs
from continuum.notify.scheduler import run_due_jobs

ran = []

def noted(job):
    def run(now):
        ran.append(job.name)
        time.sleep(0.4)  # long enough for the other scheduler to reach this job meanwhile
        return job.run(now)
    return replace(job, run=run)

for job in jobs.periodic_jobs.all():
    jobs.periodic_jobs._items[job.name] = noted(job)
now = datetime.fromisoformat(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
outcomes = run_due_jobs(now)
print(json.dumps({"ran": ran, "outcomes": {o.name: o.status for o in outcomes}}))
"""


def environment(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SQLITE_PATH"}}
    env.update(
        SQLITE_PATH=str(db),
        CONTINUUM_VAR_DIR=str(db.parent),
        ENCRYPTION_KEYS=KEYS,
        DJANGO_SETTINGS_MODULE="continuum.settings",
        PYTHONPATH=str(ROOT),
    )
    return env


class TwoSchedulersTests(SimpleTestCase):
    def setUp(self) -> None:
        folder = Path(tempfile.mkdtemp(prefix="continuum-two-schedulers-"))
        self.addCleanup(shutil.rmtree, folder, ignore_errors=True)
        self.db = folder / "live.sqlite3"
        done = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0", "--skip-checks"],
            cwd=ROOT,
            env=environment(self.db),
            capture_output=True,
            text=True,
            timeout=300,
        )
        self.assertEqual(done.returncode, 0, done.stderr[-3000:])

    def schedulers_at_once(self, now: str) -> list[dict[str, object]]:
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", textwrap.dedent(SCHEDULER), now],
                cwd=ROOT,
                env=environment(self.db),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        for proc in procs:  # both set up, then released together
            assert proc.stdout is not None
            self.assertEqual(proc.stdout.readline().strip(), "ready")
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=300)
            self.assertEqual(proc.returncode, 0, err[-3000:])
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results

    def test_each_job_runs_once_whichever_scheduler_gets_it(self) -> None:
        now = timezone.now().replace(second=5, microsecond=0)
        first, second = self.schedulers_at_once(now.isoformat())

        ran = first["ran"] + second["ran"]  # type: ignore[operator]
        jobs = set(first["outcomes"])  # type: ignore[call-overload]
        # Every registered job, each run by exactly one of the two (ten since issues 13, 15, 16
        # and 18 added theirs; counted from the registry, not written down).
        self.assertEqual(jobs, {job.name for job in periodic_jobs.all()})
        self.assertEqual(sorted(ran), sorted(jobs), f"{first}\n{second}")
        for name in jobs:
            self.assertEqual(
                {first["outcomes"][name], second["outcomes"][name]},  # type: ignore[index]
                {"ran", "not_due"},
            )
        with sqlite3.connect(self.db) as conn:
            rows = dict(conn.execute("SELECT name, outcome FROM notify_jobrun"))
        self.assertEqual(rows, dict.fromkeys(jobs, "ok"))

        # The same instant again: nothing more runs.
        third, fourth = self.schedulers_at_once(now.isoformat())
        self.assertEqual(third["ran"] + fourth["ran"], [])  # type: ignore[operator]
