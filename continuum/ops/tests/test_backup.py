"""SECURITY.md promise 21: a backup taken during writes restores, and the restore verifies.

SQLite tests run manage.py in subprocesses against database files in a temporary folder
(SQLITE_PATH), as an operator would. The PostgreSQL test runs when the suite itself runs on
PostgreSQL (`make test`'s PostgreSQL stage) and is skipped on SQLite.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from unittest import SkipTest

import pytest
from django.conf import settings
from django.db import connection
from django.test import SimpleTestCase, TransactionTestCase

from continuum.accounts.actors import Actor
from continuum.accounts.models import Practice
from continuum.audit import chain
from continuum.audit.log import record

ROOT = Path(__file__).resolve().parents[3]
KEYS = "VGVzdHMgb25seTogbm90IGEgcmVhbCBrZXkgISEhISE="

# Each transaction writes a practice, a client (care) and an audit row together, so any
# consistent snapshot holds exactly as many of each.
WRITER = """
import sys, time
from pathlib import Path
import django
django.setup()
from django.db import transaction
from continuum.accounts.models import Membership, Practice, User
from continuum.audit.log import record
from continuum.care.models import Client
from continuum.lib.actor import Actor

stop, ready, minimum = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
therapist = User.objects.create_user("writer@example.org", None)
home = Practice.objects.create(name="Home")
Membership.objects.create(user=therapist, practice=home)
n = 0
while n < minimum or not stop.exists():
    with transaction.atomic():
        practice = Practice.objects.create(name=f"Practice {n}")
        Client.objects.create(
            practice=home, therapist=therapist, first_name="Client", last_name=str(n)
        )
        record(Actor.system(), "ops.test", practice=practice, n=n)
    n += 1
    if n == minimum:
        ready.touch()
print(n)
"""


def environment(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SQLITE_PATH"}}
    env.update(
        SQLITE_PATH=str(db),
        CONTINUUM_VAR_DIR=str(db.parent),
        # Each database its own anchor file (the live one and its restored copies share a
        # folder here; on a real restore the drill passes the head it recorded).
        AUDIT_ANCHOR_FILE=f"{db}.anchor",
        ENCRYPTION_KEYS=KEYS,
        DJANGO_SETTINGS_MODULE="continuum.settings",
    )
    return env


def manage(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args, "--skip-checks"],
        cwd=ROOT,
        env=environment(db),
        capture_output=True,
        text=True,
        timeout=300,
    )


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {n: conn.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in names}  # noqa: S608


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class SqliteBackupTestCase(SimpleTestCase):
    template: Path
    folder: Path

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.folder = Path(tempfile.mkdtemp(prefix="continuum-backup-test-"))
        cls.template = cls.folder / "template.sqlite3"
        result = manage(cls.template, "migrate", "--no-input", "-v", "0")
        assert result.returncode == 0, result.stderr

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.folder, ignore_errors=True)
        super().tearDownClass()

    def setUp(self) -> None:
        self.dir = self.folder / uuid.uuid4().hex
        self.dir.mkdir()
        self.live = self.dir / "live.sqlite3"
        shutil.copy(self.template, self.live)
        self.backup = self.dir / "backup.sqlite3"

    def fill(self, db: Path, events: int = 5) -> None:
        script = (
            "import django; django.setup()\n"
            "from continuum.accounts.models import Practice\n"
            "from continuum.audit.log import record\n"
            "from continuum.lib.actor import Actor\n"
            f"for i in range({events}):\n"
            "    practice = Practice.objects.create(name=f'P{i}')\n"
            "    record(Actor.system(), 'ops.test', practice=practice, i=i)\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env=environment(db),
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.assertEqual(result.returncode, 0, result.stderr)

    def manifest(self) -> dict[str, object]:
        data: dict[str, object] = json.loads((self.dir / "backup.sqlite3.json").read_text())
        return data

    def assert_ok(self, result: subprocess.CompletedProcess[str]) -> str:
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        return result.stdout


class BackupRestoreTests(SqliteBackupTestCase):
    def test_a_backup_restores_into_a_fresh_database_and_verifies(self) -> None:
        self.fill(self.live)

        out = self.assert_ok(manage(self.live, "backup", str(self.backup)))

        manifest = self.manifest()
        self.assertIn(f"Backup written: {self.backup}", out)
        self.assertIn("The encryption keys are NOT in this backup", out)
        self.assertEqual(manifest["sha256"], sha256(self.backup))
        self.assertEqual(manifest["tables"], counts(self.live))
        tables = manifest["tables"]
        assert isinstance(tables, dict)
        self.assertEqual((tables["audit_auditevent"], tables["audit_auditseal"]), (5, 5))
        self.assertEqual(manifest["audit_head_seq"], 5)
        self.assertEqual(oct(self.backup.stat().st_mode & 0o777), "0o600")

        fresh = self.dir / "fresh.sqlite3"
        out = self.assert_ok(manage(fresh, "restore", str(self.backup)))

        self.assertIn("integrity check   ok", out)
        self.assertIn(f"all {len(tables)} tables match the manifest", out)
        self.assertIn(
            f"audit chain       intact: 5 events, head {manifest['audit_head_hash']}", out
        )
        self.assertTrue(out.rstrip().endswith("Restore verified."))
        self.assertEqual(counts(fresh), tables)
        verify = self.assert_ok(manage(fresh, "audit_verify"))
        self.assertIn(f"chain head {manifest['audit_head_hash']} at seq 5", verify)
        # The restored database works: new audit rows join the same chain.
        self.fill(fresh, events=1)
        self.assertIn("Audit log intact: 6 events", self.assert_ok(manage(fresh, "audit_verify")))

    def test_restore_refuses_a_database_with_data_unless_told_yes(self) -> None:
        self.fill(self.live, events=2)
        self.assert_ok(manage(self.live, "backup", str(self.backup)))
        self.fill(self.live, events=3)

        refused = manage(self.live, "restore", str(self.backup))

        self.assertEqual(refused.returncode, 1)
        self.assertIn("already holds data", refused.stderr)
        self.assertIn("--yes", refused.stderr)
        self.assertEqual(counts(self.live)["audit_auditevent"], 5)

        self.assert_ok(manage(self.live, "restore", str(self.backup), "--yes"))

        self.assertEqual(counts(self.live)["audit_auditevent"], 2)


@pytest.mark.slow
class BackupDuringWritesTests(SqliteBackupTestCase):
    def test_a_backup_taken_during_writes_is_consistent_and_restores(self) -> None:
        stop, ready = self.dir / "stop", self.dir / "ready"
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(stop), str(ready), "200"],
            cwd=ROOT,
            env=environment(self.live),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 120
            while not ready.exists():
                if writer.poll() is not None:
                    self.fail(f"the writer stopped: {writer.communicate()[1]}")
                self.assertLess(time.monotonic(), deadline, "the writer never got going")
                time.sleep(0.05)

            out = self.assert_ok(manage(self.live, "backup", str(self.backup)))

            stop.touch()
            written_out, written_err = writer.communicate(timeout=120)
        finally:
            stop.touch()
            if writer.poll() is None:
                writer.kill()
        self.assertEqual(writer.returncode, 0, written_err)
        written = int(written_out.strip())
        self.assertIn("Backup written", out)

        manifest = self.manifest()
        tables = manifest["tables"]
        assert isinstance(tables, dict)
        in_backup = tables["audit_auditevent"]
        # Taken mid-stream: more than the warm-up, fewer than the writer's final count...
        self.assertGreater(in_backup, 200)
        self.assertLess(in_backup, written)
        # ...and a snapshot: every transaction is in it whole or not at all.
        self.assertEqual(tables["accounts_practice"], in_backup + 1)  # + the writer's "Home"
        self.assertEqual(tables["care_client"], in_backup)
        self.assertEqual(
            tables["audit_auditseal"] + tables["audit_auditpending"], tables["audit_auditevent"]
        )
        self.assertEqual(manifest["sha256"], sha256(self.backup))

        fresh = self.dir / "fresh.sqlite3"
        out = self.assert_ok(manage(fresh, "restore", str(self.backup)))

        self.assertIn("integrity check   ok", out)
        self.assertIn("Restore verified.", out)
        self.assertEqual(counts(fresh), tables)
        with sqlite3.connect(fresh) as conn:
            self.assertEqual(conn.execute("PRAGMA integrity_check").fetchone()[0], "ok")
            self.assertEqual(conn.execute("PRAGMA journal_mode").fetchone()[0], "wal")
        verify = self.assert_ok(manage(fresh, "audit_verify"))
        self.assertIn(f"Audit log intact: {in_backup} events", verify)
        # The live log, written by two processes sealing concurrently, is intact too.
        self.assertIn(
            f"Audit log intact: {written} events", self.assert_ok(manage(self.live, "audit_verify"))
        )

    def test_a_damaged_backup_is_refused_and_nothing_restored(self) -> None:
        self.fill(self.live)
        self.assert_ok(manage(self.live, "backup", str(self.backup)))
        data = bytearray(self.backup.read_bytes())
        data[-100] ^= 0x01
        self.backup.write_bytes(bytes(data))
        fresh = self.dir / "fresh.sqlite3"

        result = manage(fresh, "restore", str(self.backup))

        self.assertEqual(result.returncode, 1)
        self.assertIn("does not match its manifest", result.stderr)
        self.assertFalse(fresh.exists() and counts(fresh).get("audit_auditevent"))

    def test_a_backup_with_a_doctored_audit_log_fails_verification(self) -> None:
        self.fill(self.live)
        self.assert_ok(manage(self.live, "backup", str(self.backup)))
        with sqlite3.connect(self.backup) as conn:
            first = conn.execute("SELECT min(id) FROM audit_auditevent").fetchone()[0]
            conn.execute("UPDATE audit_auditevent SET action = 'x' WHERE id = ?", (first,))
        conn.close()
        # Someone careful enough to fix the manifest's checksum as well.
        manifest = self.manifest()
        manifest.update(sha256=sha256(self.backup), size=self.backup.stat().st_size)
        (self.dir / "backup.sqlite3.json").write_text(json.dumps(manifest))

        result = manage(self.dir / "fresh.sqlite3", "restore", str(self.backup))

        self.assertEqual(result.returncode, 1)
        self.assertIn(
            f"audit chain       NOT intact: event {first} (seq 1): content hash mismatch",
            result.stdout,
        )
        self.assertIn("Restore verification FAILED", result.stderr)
        self.assertNotIn("Restore verified.", result.stdout)

    def test_a_backup_never_overwrites_a_file(self) -> None:
        self.backup.write_text("an older backup")

        result = manage(self.live, "backup", str(self.backup))

        self.assertEqual(result.returncode, 1)
        self.assertIn("already exists", result.stderr)
        self.assertEqual(self.backup.read_text(), "an older backup")


class PostgresBackupTests(TransactionTestCase):
    """Runs in `make test`'s PostgreSQL stage (bin/with-postgres sets DATABASE_URL)."""

    def setUp(self) -> None:
        if connection.vendor != "postgresql":
            raise SkipTest("runs when the suite runs on PostgreSQL")
        self.dir = Path(tempfile.mkdtemp(prefix="continuum-pg-backup-"))
        os.chmod(self.dir, 0o777)  # noqa: S103 - pg_dump may run as another user in CI
        self.addCleanup(shutil.rmtree, self.dir, True)

    def url(self, name: str) -> str:
        conf = settings.DATABASES["default"]
        auth = conf["USER"] + (f":{conf['PASSWORD']}" if conf.get("PASSWORD") else "")
        return f"postgres://{auth}@{conf['HOST']}:{conf['PORT']}/{name}"

    def manage(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "SQLITE_PATH"}
        env.update(DATABASE_URL=self.url(name), ENCRYPTION_KEYS=KEYS)
        return subprocess.run(
            [sys.executable, "manage.py", *args, "--skip-checks"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def test_pg_dump_backup_restores_into_a_fresh_database_and_verifies(self) -> None:
        for i in range(5):
            record(Actor.system(), "ops.test", practice=Practice.objects.create(name=f"P{i}"), i=i)
        chain.seal_pending(wait=True)
        source = connection.settings_dict["NAME"]
        target = f"{source}_restore"
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{target}"')
            cursor.execute(f'CREATE DATABASE "{target}"')

        def drop() -> None:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')

        self.addCleanup(drop)
        path = self.dir / "backup.dump"

        backup = self.manage(source, "backup", str(path))
        self.assertEqual(backup.returncode, 0, backup.stderr)
        manifest = json.loads((self.dir / "backup.dump.json").read_text())
        self.assertEqual(manifest["vendor"], "postgresql")
        self.assertEqual(manifest["tables"]["audit_auditevent"], 5)
        self.assertEqual(manifest["sha256"], sha256(path))

        restored = self.manage(target, "restore", str(path))

        self.assertEqual(restored.returncode, 0, restored.stdout + restored.stderr)
        self.assertIn("row counts        all", restored.stdout)
        self.assertIn("audit chain       intact: 5 events", restored.stdout)
        self.assertIn("Restore verified.", restored.stdout)
        verify = self.manage(target, "audit_verify")
        self.assertEqual(verify.returncode, 0, verify.stderr)
        self.assertIn(f"chain head {manifest['audit_head_hash']} at seq 5", verify.stdout)
        # Into a database with data only with --yes.
        again = self.manage(target, "restore", str(path))
        self.assertEqual(again.returncode, 1)
        self.assertIn("already holds data", again.stderr)
