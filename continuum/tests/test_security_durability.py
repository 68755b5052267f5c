"""SECURITY.md promises 17, 18 and 19: SQLite under concurrent writers, crashes and a full disk.

Each test runs against a FILE database in a temporary folder, migrated by `manage.py migrate`
with SQLITE_PATH set, and written by separate processes that use the app's own settings
(WAL, synchronous=FULL, busy_timeout, BEGIN IMMEDIATE) and the real service,
`continuum.portal.services.record_checkin`.

17. 8 processes x 500 portal check-ins: exactly 4,000 rows, 0 "database is locked", WAL on,
    integrity check ok. Writers take the lock in turn (continuum.sqlite): SQLite's own busy
    wait starved one writer past 20 s now and then.
18. A writer killed with SIGKILL at random 200 times: every check-in it acknowledged (printed
    after its transaction committed) is in the database; no torn rows (each check-in has its
    audit row, written in the same transaction).
19. A full disk (PRAGMA max_page_count on the writer's connection): the write fails with
    "database or disk is full", nothing partial is stored, earlier rows are intact, and writing
    works again once there is room.
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
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEYS = "VGVzdHMgb25seTogbm90IGEgcmVhbCBrZXkgISEhISE="

pytestmark = pytest.mark.slow

# Run in each process after django.setup(): the one client every check-in belongs to.
PRELUDE = """
import django
django.setup()
from continuum.care.models import Client
from continuum.accounts.actors import actor_for
from continuum.portal.services import record_checkin
client = Client.objects.get(first_name="Durable")
actor = actor_for(client.user)
"""

SEED = """
import django
django.setup()
from continuum.accounts.models import Practice
from continuum.testing.base import make_client, make_episode, make_staff
practice = Practice.objects.create(name="Durable practice")
therapist = make_staff(practice, "durable@example.org", "Durable Therapist")
make_episode(make_client(therapist, "Durable", "Client"))
"""

WORKER = (
    PRELUDE
    + """
import sys
from django.db import OperationalError
worker, count = int(sys.argv[1]), int(sys.argv[2])
locked = 0
for n in range(count):
    key = f"w{worker:02d}-{n:06d}-worker-key"
    data = {"mood": n % 11, "note": f"w{worker} n{n}", "idempotency_key": key}
    while True:
        try:
            record_checkin(client, data, actor=actor)
            break
        except OperationalError as exc:  # counted, then retried: the bar is 0
            if "locked" not in str(exc):
                raise
            locked += 1
print(locked)
"""
)

# A zygote: Django set up once, then 200 forked writers, each killed at a random moment.
CRASHER = (
    PRELUDE
    + """
import os, random, signal, sys, time
from django.db import connections
rounds = int(sys.argv[1])
rng = random.Random(20260706)
acked = []
connections.close_all()
for r in range(rounds):
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the writer: acknowledge each check-in after its commit, until killed
        os.close(read_end)
        n = 0
        while True:
            key = f"r{r:03d}-{n:06d}-crash"
            data = {"mood": 3, "note": "crash " + key, "idempotency_key": key}
            record_checkin(client, data, actor=actor)
            os.write(write_end, (key + "\\n").encode())
            n += 1
    os.close(write_end)
    time.sleep(rng.uniform(0.01, 0.15))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    with os.fdopen(read_end, "rb") as pipe:
        lines = pipe.read().decode().split("\\n")
    acked += [line for line in lines[:-1] if line]  # the last piece may be cut off
print("\\n".join(acked))
"""
)

DISK_FULL = (
    PRELUDE
    + """
import json
from django.db import OperationalError, connection
from continuum.audit.models import AuditEvent
from continuum.portal.models import CheckIn
result = {}
for n in range(20):  # earlier data
    key = f"before-{n:04d}-disk-key"
    record_checkin(client, {"mood": 4, "note": "before", "idempotency_key": key}, actor=actor)
before_ids = sorted(CheckIn.objects.values_list("pk", flat=True))
with connection.cursor() as cursor:
    cursor.execute("PRAGMA page_count")
    pages = cursor.fetchone()[0]
    cursor.execute(f"PRAGMA max_page_count = {pages}")
errors = []
for n in range(200):  # big notes until the file cannot grow
    try:
        key = f"full-{n:04d}-disk-key"
        data = {"mood": 4, "note": "x" * 2000, "idempotency_key": key}
        record_checkin(client, data, actor=actor)
    except OperationalError as exc:
        errors.append(str(exc))
        break
result["error"] = errors[0] if errors else None
result["rows_after_failure"] = CheckIn.objects.count()
result["audit_after_failure"] = AuditEvent.objects.filter(action="checkin.create").count()
result["before_intact"] = sorted(
    CheckIn.objects.filter(pk__in=before_ids).values_list("pk", flat=True)) == before_ids
result["failed_key_stored"] = CheckIn.objects.filter(idempotency_key__startswith="full-").filter(
    idempotency_key=f"full-{n:04d}-disk-key").exists()
with connection.cursor() as cursor:
    cursor.execute("PRAGMA max_page_count = 1073741823")
data = {"mood": 4, "note": "after", "idempotency_key": "after-0000-key-ok"}
record_checkin(client, data, actor=actor)
result["recovered"] = CheckIn.objects.filter(idempotency_key="after-0000-key-ok").exists()
print(json.dumps(result))
"""
)


# Ten threads send the same check-in form and the same reply form at once, through the views.
CONCURRENT_FORMS = """
import django
django.setup()
import json, threading
from django.db import connections
from django.test import Client as Browser
from continuum.accounts.models import User
from continuum.boundaries.models import Message
from continuum.care.models import Client
from continuum.portal.models import CheckIn, PortalSettings
from continuum.testing.base import make_portal_user
client = Client.objects.get(first_name="Durable")
portal = make_portal_user(client, email="durable.portal@example.net")
PortalSettings.objects.create(client=client, checkin_cadence="weekly")
therapist = User.objects.get(email="durable@example.org")
checkin = {"mood": "4", "note": "once", "idempotency_key": "concurrent-checkin-0001"}
reply = {"body": "once", "idempotency_key": "concurrent-reply-00001"}
new_client = {
    "first_name": "Once", "last_name": "Only", "time_zone": "Europe/London",
    "submission_key": "concurrent-client-create-0001",
}
booking = {
    "date": "2027-03-01", "time": "10:00", "duration_minutes": "50", "modality": "in_person",
    "repeat": "weekly", "sessions": "4", "submission_key": "concurrent-booking-000001",
}
forms = [
    (portal, "/portal/check-in/", checkin),
    (therapist, f"/clients/{client.pk}/messages/", reply),
    (therapist, "/clients/new/", new_client),
    (therapist, f"/clients/{client.pk}/appointments/new/", booking),
]
statuses = []
def send(user, url, data, start):
    browser = Browser()
    browser.force_login(user)
    start.wait()
    statuses.append(browser.post(url, data).status_code)
    connections.close_all()
for user, url, data in forms:
    start = threading.Barrier(10)
    threads = [threading.Thread(target=send, args=(user, url, data, start)) for _ in range(10)]
    for t in threads: t.start()
    for t in threads: t.join()
print(json.dumps({
    "statuses": sorted(set(statuses)),
    "checkins": CheckIn.objects.filter(client=client).count(),
    "replies": Message.objects.filter(client=client).count(),
    "new_clients": Client.objects.filter(first_name="Once", last_name="Only").count(),
    "series": client.appointments.filter(starts_at__year=2027).count(),
}))
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


def python(db: Path, code: str, *args: str, timeout: int = 300) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=ROOT,
        env=environment(db),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def template_db() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="continuum-durability-"))
    db = folder / "template.sqlite3"
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0", "--skip-checks"],
        cwd=ROOT,
        env=environment(db),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    python(db, SEED)
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    yield db
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def db(template_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "continuum.sqlite3"
    shutil.copy(template_db, copy)
    return copy


def scalar(db: Path, sql: str) -> object:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchone()[0]


def test_eight_processes_write_4000_checkins_without_locking(db: Path) -> None:
    env = environment(db)
    code = textwrap.dedent(WORKER)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(w), "500"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(8)
    ]
    locked = 0
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err[-3000:]
        assert "database is locked" not in err
        locked += int(out.strip())

    rows = scalar(db, "SELECT COUNT(*) FROM portal_checkin")
    print(f"8 x 500 check-ins: {rows} rows, {locked} 'database is locked'")
    assert locked == 0
    assert rows == 4000
    assert scalar(db, "SELECT COUNT(DISTINCT idempotency_key) FROM portal_checkin") == 4000
    audit = "SELECT COUNT(*) FROM audit_auditevent WHERE action = 'checkin.create'"
    assert scalar(db, audit) == 4000
    assert scalar(db, "PRAGMA journal_mode") == "wal"
    assert scalar(db, "PRAGMA integrity_check") == "ok"


def test_a_writer_killed_200_times_loses_no_acknowledged_checkin(db: Path) -> None:
    acked = [line for line in python(db, CRASHER, "200").split("\n") if line]

    with sqlite3.connect(db) as conn:
        stored = {row[0] for row in conn.execute("SELECT idempotency_key FROM portal_checkin")}
        audited = conn.execute(
            "SELECT COUNT(*) FROM audit_auditevent WHERE action = 'checkin.create'"
        ).fetchone()[0]
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    print(f"SIGKILL x 200: {len(acked)} acknowledged, {len(stored)} stored")
    assert len(acked) > 200
    assert set(acked) - stored == set()
    # No torn rows: each stored check-in came with its audit row (one transaction).
    assert audited == len(stored)
    assert integrity == "ok"
    # The audit chain is intact after the crashes.
    verified = subprocess.run(
        [sys.executable, "manage.py", "audit_verify", "--skip-checks"],
        cwd=ROOT,
        env=environment(db),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_a_full_disk_fails_cleanly_and_recovers(db: Path) -> None:
    result = json.loads(python(db, DISK_FULL).strip().splitlines()[-1])

    print(f"disk full: {result}")
    assert result["error"] == "database or disk is full"
    # Nothing partial: every stored check-in has its audit row; the failed one is absent.
    assert result["rows_after_failure"] == result["audit_after_failure"]
    assert result["failed_key_stored"] is False
    assert result["before_intact"] is True
    assert result["recovered"] is True
    assert scalar(db, "PRAGMA integrity_check") == "ok"


def test_ten_concurrent_submissions_of_one_form_make_one_row(db: Path) -> None:
    result = json.loads(python(db, CONCURRENT_FORMS).strip().splitlines()[-1])

    print(f"10 concurrent submissions x 4 forms: {result}")
    assert result["statuses"] == [302]
    assert result["checkins"] == 1
    assert result["replies"] == 1
    assert result["new_clients"] == 1  # ten "Add client" submissions of one form
    assert result["series"] == 4  # ten bookings of one weekly series of four
