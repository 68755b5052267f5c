"""Backups that restore (SECURITY.md promise 21).

`backup(path)` writes a consistent copy of the database while the application keeps running,
plus `path.json`, a manifest: the row count of every table, the SHA-256 of the file and the
audit chain's head, all taken from the same snapshot as the copy.

- SQLite: the online backup API (`sqlite3.Connection.backup`) copies every page in one step
  inside one read transaction; in WAL mode writers carry on meanwhile. The copy is switched
  to a plain rollback journal so it is one self-contained file.
- PostgreSQL: `pg_dump -Fc` reading a snapshot exported from the transaction that counted the
  rows (`pg_dump --snapshot`), so counts and dump agree exactly.

`restore(path)` checks the file against its manifest, restores into the configured database
(SQLite: the backup API into the database file; PostgreSQL: `pg_restore --clean --if-exists`)
and verifies the result: `PRAGMA integrity_check` (SQLite), every table's row count against
the manifest, and the audit hash chain.

The encryption keys (ENCRYPTION_KEYS / the key file) are never part of a backup: keep them
elsewhere (docs/operations.md). Without them the encrypted text in a backup cannot be read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3

# pg_dump and pg_restore run with argument lists, never through a shell.
import subprocess  # nosec B404
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from continuum.audit import chain

MANIFEST_FORMAT = 1
# Tables Django fills by itself when migrating: rows there do not make a database "in use".
BOOKKEEPING_TABLES = {"django_migrations", "django_content_type", "auth_permission"}


class BackupError(Exception):
    """A backup or restore that cannot go ahead, with a message for the operator."""


@dataclass
class Manifest:
    vendor: str
    file: str
    sha256: str
    size: int
    created_at: str
    tables: dict[str, int]
    audit_head_seq: int
    audit_head_hash: str
    audit_pending: int
    format: int = MANIFEST_FORMAT
    encryption_keys: str = "not included: back up ENCRYPTION_KEYS separately"

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def write(self, path: Path) -> None:
        _write_private(path, (json.dumps(asdict(self), indent=2, sort_keys=True) + "\n").encode())

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != MANIFEST_FORMAT:
                raise BackupError(f"{path}: unknown manifest format {data.get('format')!r}")
            return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        except FileNotFoundError:
            raise BackupError(
                f"{path} is missing: a backup is restored with its manifest"
            ) from None
        except (ValueError, TypeError) as exc:
            raise BackupError(f"{path} is not a readable manifest ({exc})") from None


@dataclass
class RestoreReport:
    manifest: Manifest
    target: str
    integrity: str = "not applicable"
    mismatched: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    audit: chain.Report | None = None
    head_matches: bool = False

    @property
    def ok(self) -> bool:
        return (
            self.integrity in ("ok", "not applicable")
            and not self.mismatched
            and self.audit is not None
            and self.audit.intact
            and self.head_matches
        )


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_private(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only, atomically (temporary file, fsync, rename)."""
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(partial, path)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- backup -----------------------------------------------------------------------------------


def backup(path: Path, using: str = DEFAULT_DB_ALIAS) -> Manifest:
    path = Path(path)
    if path.exists() or manifest_path(path).exists():
        raise BackupError(f"{path} already exists: choose a new name for each backup")
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent} is not a folder")
    # Link everything committed so far into the audit chain, so the head covers it.
    chain.seal_pending(using, wait=True)
    vendor = connections[using].vendor
    if vendor == "sqlite":
        tables, head, pending = _backup_sqlite(connections[using].settings_dict["NAME"], path)
    elif vendor == "postgresql":
        tables, head, pending = _backup_postgres(using, path)
    else:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {vendor}")
    manifest = Manifest(
        vendor=vendor,
        file=path.name,
        sha256=file_sha256(path),
        size=path.stat().st_size,
        created_at=_now(),
        tables=tables,
        audit_head_seq=head[0],
        audit_head_hash=head[1],
        audit_pending=pending,
    )
    manifest.write(manifest_path(path))
    return manifest


def _sqlite_facts(db: sqlite3.Connection) -> tuple[dict[str, int], tuple[int, str], int]:
    names = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    tables = {
        # Table names come from sqlite_master, quoted: not user input.
        name: int(db.execute(f"SELECT COUNT(*) FROM {_quote(name)}").fetchone()[0])  # noqa: S608  # nosec B608
        for name in names
    }
    head, pending = (0, chain.GENESIS), 0
    if "audit_auditseal" in tables:
        row = db.execute(
            "SELECT seq, chain_hash FROM audit_auditseal ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        if row is not None:
            head = (int(row[0]), str(row[1]))
    if "audit_auditpending" in tables:
        pending = tables["audit_auditpending"]
    return tables, head, pending


def _backup_sqlite(source: str, path: Path) -> tuple[dict[str, int], tuple[int, str], int]:
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=20)
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        dst = sqlite3.connect(partial)
        try:
            # pages=-1: every page in one step, inside one read transaction: a snapshot.
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=DELETE")
            facts = _sqlite_facts(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"the SQLite backup failed: {exc}") from exc
    finally:
        src.close()
    with partial.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(partial, path)
    return facts


def _pg_program(name: str) -> str:
    folder = os.environ.get("PG_BIN")
    program = str(Path(folder) / name) if folder else shutil.which(name)
    if not program or not Path(program).exists():
        raise BackupError(f"{name} not found: install the PostgreSQL client or set PG_BIN")
    return program


def _pg_arguments(using: str) -> tuple[list[str], dict[str, str]]:
    """Connection arguments and environment for pg_dump/pg_restore (no password on argv)."""
    conf = connections[using].settings_dict
    args = ["--dbname", str(conf["NAME"])]
    if conf.get("HOST"):
        args += ["--host", str(conf["HOST"])]
    if conf.get("PORT"):
        args += ["--port", str(conf["PORT"])]
    if conf.get("USER"):
        args += ["--username", str(conf["USER"])]
    env = dict(os.environ)
    if conf.get("PASSWORD"):
        env["PGPASSWORD"] = str(conf["PASSWORD"])
    sslmode = (conf.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return args, env


def _pg_facts(using: str) -> tuple[dict[str, int], tuple[int, str], int]:
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema() "
            "ORDER BY tablename"
        )
        names = [row[0] for row in cursor.fetchall()]
        tables = {}
        for name in names:
            quoted = connections[using].ops.quote_name(name)
            # Table names come from pg_catalog, quoted: not user input.
            cursor.execute(f"SELECT COUNT(*) FROM {quoted}")  # noqa: S608  # nosec B608
            tables[name] = int(cursor.fetchone()[0])
    head = chain.chain_head(using) if "audit_auditseal" in tables else (0, chain.GENESIS)
    return tables, head, tables.get("audit_auditpending", 0)


def _backup_postgres(using: str, path: Path) -> tuple[dict[str, int], tuple[int, str], int]:
    partial = path.with_name(path.name + ".partial")
    args, env = _pg_arguments(using)
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = str(cursor.fetchone()[0])
        facts = _pg_facts(using)
        command = [_pg_program("pg_dump"), "--format=custom", "--no-owner", "--no-privileges"]
        command += [f"--snapshot={snapshot}", "--file", str(partial), *args]
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    os.chmod(partial, 0o600)
    os.replace(partial, path)
    return facts


# --- restore ----------------------------------------------------------------------------------


def target_has_data(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the configured database holds anything beyond what `migrate` puts there."""
    connection = connections[using]
    if connection.vendor == "sqlite":
        name = str(connection.settings_dict["NAME"])
        if not Path(name).exists() or Path(name).stat().st_size == 0:
            return False
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table in BOOKKEEPING_TABLES or table.startswith("sqlite_"):
                continue
            # Table names come from the database's own catalogue, quoted: not user input.
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT 1 FROM {quoted} LIMIT 1")  # noqa: S608  # nosec B608
            if cursor.fetchone() is not None:
                return True
    return False


def check_file(path: Path) -> Manifest:
    manifest = Manifest.read(manifest_path(path))
    if not path.is_file():
        raise BackupError(f"{path} is missing")
    if file_sha256(path) != manifest.sha256:
        raise BackupError(
            f"{path} does not match its manifest (SHA-256 differs): the file is damaged or "
            "was changed; nothing was restored"
        )
    return manifest


def restore(path: Path, using: str = DEFAULT_DB_ALIAS, *, replace: bool = False) -> RestoreReport:
    path = Path(path)
    manifest = check_file(path)
    connection = connections[using]
    if manifest.vendor != connection.vendor:
        raise BackupError(
            f"this is a {manifest.vendor} backup; the configured database is {connection.vendor}"
        )
    if not replace and target_has_data(using):
        raise BackupError(
            "the configured database already holds data; restoring replaces all of it. "
            "Stop the application, and run again with --yes to go ahead"
        )
    if connection.vendor == "sqlite":
        target = str(connection.settings_dict["NAME"])
        _restore_sqlite(path, target, using)
    else:
        target = str(connection.settings_dict["NAME"])
        _restore_postgres(path, using)
    return verify_restored(manifest, target, using)


def _restore_sqlite(path: Path, target: str, using: str) -> None:
    connections[using].close()
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target, timeout=20)
        try:
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(f"the SQLite restore failed: {exc}") from exc
    finally:
        src.close()


def _restore_postgres(path: Path, using: str) -> None:
    connections[using].close()
    args, env = _pg_arguments(using)
    command = [_pg_program("pg_restore"), "--clean", "--if-exists", "--no-owner"]
    command += ["--no-privileges", "--exit-on-error", "--single-transaction", *args, str(path)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")


def verify_restored(
    manifest: Manifest, target: str, using: str = DEFAULT_DB_ALIAS
) -> RestoreReport:
    report = RestoreReport(manifest=manifest, target=target)
    connection = connections[using]
    connection.close()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA integrity_check")
            report.integrity = "; ".join(str(row[0]) for row in cursor.fetchall())
        present = set(connection.introspection.table_names(cursor))
        for table, expected in manifest.tables.items():
            if table not in present:
                report.mismatched[table] = (expected, None)
                continue
            # Table names come from the manifest but only those the database itself lists.
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608  # nosec B608
            actual = int(cursor.fetchone()[0])
            if actual != expected:
                report.mismatched[table] = (expected, actual)
    report.audit = chain.verify(using)
    report.head_matches = (report.audit.head_seq, report.audit.head_hash) == (
        manifest.audit_head_seq,
        manifest.audit_head_hash,
    )
    return report
