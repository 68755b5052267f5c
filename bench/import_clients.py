"""How long does a 10,000-row clients CSV take to import? (a measurement, not a test)

    .venv/bin/python bench/import_clients.py                    # SQLite, a fresh file in /tmp
    bin/with-postgres .venv/bin/python bench/import_clients.py  # PostgreSQL (DATABASE_URL)

Builds a practice with an owner and two therapists, writes a CSV of N rows (every third
with an episode), then times the two steps a person waits for: parse + preview (staged,
encrypted) and confirm (one transaction through care.services.clients.import_clients).
The target (issue 16) is under 60 s for 10,000 rows.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--rows", type=int, default=10_000)
options = parser.parse_args()

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "continuum.settings")
if not os.environ.get("DATABASE_URL") and not os.environ.get("SQLITE_PATH"):
    os.environ["SQLITE_PATH"] = str(Path(tempfile.mkdtemp(prefix="import-bench-")) / "b.sqlite3")
os.environ.setdefault("ENCRYPTION_KEYS", "VGVzdHMgb25seTogbm90IGEgcmVhbCBrZXkgISEhISE=")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from continuum.accounts.actors import actor_for  # noqa: E402
from continuum.accounts.models import Membership, Practice, Role, User  # noqa: E402
from continuum.care.models import Client, Episode  # noqa: E402
from continuum.exchange import queries, services  # noqa: E402
from continuum.exchange.importing import COLUMN_NAMES, parse_clients  # noqa: E402


def csv_bytes(rows: int, therapists: list[str]) -> bytes:
    out = io.StringIO()
    out.write(",".join(COLUMN_NAMES) + "\n")
    for i in range(rows):
        episode = i % 3 == 0
        out.write(
            ",".join(
                [
                    f"First{i}",
                    f"Last{i}",
                    "",
                    "",
                    f"{1 + i % 28:02d}/{1 + i % 12:02d}/{1950 + i % 50}",
                    f"client{i}@example.net",
                    "07700 900000",
                    "Europe/London",
                    therapists[i % len(therapists)],
                    "2026-01-15" if episode else "",
                    "Referred by GP" if episode else "",
                ]
            )
            + "\n"
        )
    return out.getvalue().encode()


def main() -> None:
    call_command("migrate", verbosity=0)
    practice = Practice.objects.create(name="Bench", time_zone="Europe/London")
    owner = User.objects.create_user("owner@bench.example", "x" * 16, full_name="Owner")
    Membership.objects.create(user=owner, practice=practice, role=Role.OWNER, is_clinical=True)
    emails = ["owner@bench.example"]
    for n in range(2):
        user = User.objects.create_user(f"t{n}@bench.example", "x" * 16, full_name=f"T{n}")
        Membership.objects.create(user=user, practice=practice, role=Role.THERAPIST)
        emails.append(user.email)
    owner.refresh_from_db()
    data = csv_bytes(options.rows, emails)
    print(f"{options.rows} rows, {len(data) / 1024 / 1024:.1f} MB")

    started = time.perf_counter()
    rows = parse_clients(data, queries.import_context(owner))
    batch = services.stage_import(actor_for(owner), rows)
    preview = time.perf_counter() - started
    print(f"  parse + preview (staged, encrypted): {preview:6.2f} s ({batch.creates} will create)")

    started = time.perf_counter()
    count = services.confirm_import(
        actor_for(owner),
        batch,
        mode=services.ALL_OR_NOTHING,
        therapists=queries.assignable_therapists(owner),
    )
    confirm = time.perf_counter() - started
    print(f"  confirm (one transaction):           {confirm:6.2f} s ({count} clients)")
    print(f"  total:                               {preview + confirm:6.2f} s (target < 60 s)")
    assert Client.objects.count() == options.rows
    assert Episode.objects.count() == (options.rows + 2) // 3


if __name__ == "__main__":
    main()
