"""Practice outcomes at provider scale (issue 17): 1,000,000 finished episodes' stored outcome
rows in one practice (each with 2 to 12 attended appointments, so the page counts every one as
finished treatment; the output says how many it counts), then the outcomes page's queries
timed, with DuckDB over the same rows as the reference.

    .venv/bin/python bench/outcomes_scale.py --episodes 1000000            # SQLite (var/)
    bin/with-postgres .venv/bin/python bench/outcomes_scale.py --episodes 1000000

It writes a separate practice ("Bench outcomes": 50 therapists, 10,000 clients, finished
episodes ending over five years), inserting episodes and outcome rows with a plain
executemany (not the ORM, not the seeding path). The outcome values come from the engine
(outcomes.rules.outcome_values over random PHQ-9 / GAD-7 pairs), so the rows are ones the app
could have written. Prints one line of JSON.
"""

from __future__ import annotations

import argparse
import base64
import csv
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "continuum.settings")
os.environ.setdefault("STATIC_MANIFEST", "0")  # the page renders without collectstatic

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from continuum.accounts.mfa import enrol_totp  # noqa: E402
from continuum.accounts.models import Membership, Practice, Role, User  # noqa: E402
from continuum.care.models import Client  # noqa: E402
from continuum.outcomes import rules  # noqa: E402
from continuum.outcomes.access import Scope  # noqa: E402
from continuum.outcomes.models import EpisodeOutcome  # noqa: E402
from continuum.outcomes.queries import practice_outcomes  # noqa: E402
from continuum.outcomes.views import _gather  # noqa: E402

PRACTICE = "Bench outcomes"
THERAPISTS = 50
CLIENTS = 10_000
DAYS = 5 * 365
# The five years up to today: the page's default period (this year) and its trend hold rows.
FIRST_END = timezone.localdate() - timedelta(days=DAYS)
BATCH = 5000


@cache
def _values(phq: tuple[int, int] | None, gad: tuple[int, int] | None) -> rules.OutcomeValues:
    series: dict[str, list[rules.Score]] = {}
    if phq:
        series["phq9"] = [rules.Score(phq[0], ""), rules.Score(phq[1], "")]
    if gad:
        series["gad7"] = [rules.Score(gad[0], ""), rules.Score(gad[1], "")]
    return rules.outcome_values(series)[0]


def _pair(rng: random.Random, top: int, cut: int) -> tuple[int, int]:
    start = min(top, max(0, round(rng.gauss(cut + 4, 5))))
    end = min(top, max(0, round(start - rng.gauss(5, 6))))
    return start, end


def _executemany(table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def build(episodes: int, seed: int = 1) -> dict[str, Any]:
    rng = random.Random(seed)
    started = time.perf_counter()
    practice = Practice.objects.create(name=PRACTICE)
    _owner(practice)
    staff = []
    for n in range(THERAPISTS):
        user = User.objects.create_user(
            f"bench-outcomes-{practice.pk}-{n}@example.org", None, full_name=f"Therapist {n:02d}"
        )
        Membership.objects.create(user=user, practice=practice, role=Role.THERAPIST)
        staff.append(user)
    clients = Client.objects.bulk_create(
        Client(practice=practice, therapist=staff[i % THERAPISTS], first_name="B", last_name=f"{i}")
        for i in range(CLIENTS)
    )
    now = datetime.now(UTC)
    ep_cols = [
        "client_id", "therapist_id", "referral_reason", "start_date", "end_date", "status",
        "ended_unplanned", "status_changed_at", "created_at",
    ]  # fmt: skip
    out_cols = [
        "episode_id", "practice_id", "therapist_id", "instrument_set", "end_date",
        "end_quarter", "referral", "intake_band", "attended", "finished_treatment", "start_a",
        "end_a", "start_b", "end_b", "paired", "caseness_start", "caseness_end", "recovered",
        "reliably_improved", "reliably_recovered", "reliably_deteriorated", "category",
        "updated_at",
    ]  # fmt: skip
    sources = ["GP referral", "Self-referral", "Employee assistance programme", "University"]
    bands = ["minimal", "mild", "moderate", "moderately_severe", "severe"]
    written = 0
    while written < episodes:
        size = min(BATCH, episodes - written)
        plan = []
        for i in range(written, written + size):
            client = clients[i % CLIENTS]
            end = FIRST_END + timedelta(days=rng.randrange(DAYS))
            plan.append((client, end))
        with transaction.atomic():
            _executemany(
                "care_episode",
                ep_cols,
                [
                    (
                        c.pk,
                        c.therapist_id,
                        "GP referral: bench",
                        end - timedelta(days=90),
                        end,
                        "closed",
                        False,
                        now,
                        now,
                    )
                    for c, end in plan
                ],
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT id FROM care_episode WHERE referral_reason = %s ORDER BY id DESC "
                    "LIMIT %s",
                    ["GP referral: bench", size],
                )
                ids = sorted(r[0] for r in cursor.fetchall())
            rows = []
            for pk, (client, end) in zip(ids, plan, strict=True):
                paired = rng.random() < 0.88
                phq = _pair(rng, 27, 10) if paired else None
                gad = _pair(rng, 21, 8) if paired and rng.random() < 0.9 else None
                v = _values(phq, gad)
                # At least two attended: every episode is one the page counts as finished
                # treatment, so that --episodes is the number of finished episodes.
                attended = rng.choice((2, 4, 6, 8, 10, 12))
                rows.append(
                    (pk, practice.pk, client.therapist_id, "phq9_gad7", end,
                     f"{end.year}Q{(end.month - 1) // 3 + 1}", rng.choice(sources),
                     rng.choice(bands), attended, attended >= 2, v.start_a, v.end_a, v.start_b,
                     v.end_b, v.paired, v.caseness_start, v.caseness_end, v.recovered,
                     v.reliably_improved, v.reliably_recovered, v.reliably_deteriorated,
                     v.category, now)
                )  # fmt: skip
            _executemany("outcomes_episodeoutcome", out_cols, rows)
        written += size
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) outcomes_episodeoutcome")  # index-only scans
    return {"practice": practice, "insert_seconds": round(time.perf_counter() - started, 1)}


def _owner(practice: Practice) -> User:
    """The practice's owner, who sees the whole page (every therapist, named)."""
    member = Membership.objects.filter(practice=practice, role=Role.OWNER).first()
    if member is not None:
        return member.user
    email = f"bench-outcomes-{practice.pk}-owner@example.org"
    user = User.objects.filter(email=email).first() or User.objects.create_user(email, None)
    Membership.objects.create(user=user, practice=practice, role=Role.OWNER)
    enrol_totp(user, base64.b32encode(os.urandom(20)).decode())  # staff pages need a 2nd factor
    return user


def page(practice: Practice, repeat: int = 3) -> dict[str, Any]:
    """The whole outcomes page, as the owner sees it by default (this year, by therapist, the
    funnel and the trend), rendered by the real view through django.test.Client: the best of
    `repeat`, its query count and each query's time in the fastest run."""
    from django.test import Client as HttpClient
    from django.test.utils import CaptureQueriesContext

    http = HttpClient()
    http.force_login(_owner(practice))
    http.get("/outcomes/")  # warm: the session, the templates
    runs = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = http.get("/outcomes/")
            seconds = time.perf_counter() - started
        assert response.status_code == 200, response.status_code
        runs.append((seconds, list(captured.captured_queries)))
    seconds, queries = min(runs, key=lambda run: run[0])
    # A query's time here is its execute() only: SQLite computes a grouped query's rows while
    # they are fetched, so the page's figures are also timed as one call (views._gather).
    slowest = sorted(queries, key=lambda q: -float(q["time"]))[:3]
    today = timezone.localdate()
    params = {
        "start": today.replace(month=1, day=1),
        "end": today.replace(month=12, day=31),
        "by": "therapist",
        "instrument": rules.DEFAULT_SET,
    }
    scope = Scope(practice=practice, viewer=_owner(practice), sees_all=True)
    return {
        "seconds": round(seconds, 3),
        "queries": len(queries),
        "figures_seconds": _best(lambda: _gather(scope, params), repeat),
        "slowest_queries": [
            {"seconds": float(q["time"]), "sql": " ".join(q["sql"].split())[:160]} for q in slowest
        ],
    }


def _best(fn: Any, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return round(min(times), 3)


def measure(practice: Practice) -> dict[str, Any]:
    year = (date(2025, 1, 1), date(2025, 12, 31))
    owner = User.objects.filter(membership__practice=practice).first()
    assert owner is not None
    scope = Scope(practice=practice, viewer=owner, sees_all=True)
    params = {"start": year[0], "end": year[1], "by": "therapist", "instrument": "phq9_gad7"}
    return {
        "overall_all_time": _best(lambda: practice_outcomes(practice)),
        "overall_year": _best(lambda: practice_outcomes(practice, start=year[0], end=year[1])),
        "by_therapist_all_time": _best(lambda: practice_outcomes(practice, by="therapist")),
        "by_therapist_year": _best(
            lambda: practice_outcomes(practice, by="therapist", start=year[0], end=year[1])
        ),
        "page_queries_year": _best(lambda: _gather(scope, params)),
        "page_queries_all_time": _best(
            lambda: _gather(scope, {**params, "start": date(2000, 1, 1), "end": date(2030, 1, 1)})
        ),
    }


def duckdb_reference(practice: Practice) -> dict[str, Any]:
    import duckdb

    columns = [
        "practice_id", "instrument_set", "finished_treatment", "end_date", "therapist_id",
        "paired", "caseness_start", "recovered", "reliably_improved", "reliably_recovered",
        "reliably_deteriorated",
    ]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rows.csv"
        started = time.perf_counter()
        with path.open("w", newline="") as f, connection.cursor() as cursor:
            writer = csv.writer(f)
            writer.writerow(columns)
            cursor.execute(
                f"SELECT {', '.join(columns)} FROM outcomes_episodeoutcome "  # noqa: S608
                "WHERE practice_id = %s",
                [practice.pk],
            )
            while chunk := cursor.fetchmany(50_000):
                writer.writerows(
                    [[int(v) if isinstance(v, bool) else v for v in row] for row in chunk]
                )
        db = duckdb.connect()
        db.execute("CREATE TABLE o AS SELECT * FROM read_csv_auto(?)", [str(path)])
        load = round(time.perf_counter() - started, 1)
    counts = (
        "count(*), count(*) FILTER (paired = 1), "
        "count(*) FILTER (paired = 1 AND caseness_start = 1), "
        "count(*) FILTER (paired = 1 AND caseness_start = 1 AND recovered = 1), "
        "count(*) FILTER (paired = 1 AND reliably_improved = 1), "
        "count(*) FILTER (paired = 1 AND caseness_start = 1 AND reliably_recovered = 1), "
        "count(*) FILTER (paired = 1 AND reliably_deteriorated = 1)"
    )
    where = "WHERE finished_treatment = 1 AND instrument_set = 'phq9_gad7'"
    year = " AND end_date BETWEEN DATE '2025-01-01' AND DATE '2025-12-31'"
    overall = f"SELECT {counts} FROM o {where}"  # noqa: S608 (constants only)
    by = f"SELECT therapist_id, {counts} FROM o {where} GROUP BY therapist_id"  # noqa: S608
    db.execute(overall).fetchall()  # warm
    result = {
        "load_seconds": load,
        "overall_all_time": _best(lambda: db.execute(overall).fetchall()),
        "overall_year": _best(lambda: db.execute(overall + year).fetchall()),
        "by_therapist_all_time": _best(lambda: db.execute(by).fetchall()),
        "by_therapist_year": _best(
            lambda: db.execute(by.replace("GROUP BY", year + " GROUP BY")).fetchall()
        ),
    }
    # The two engines agree on the numbers.
    ours = practice_outcomes(practice).practice.overall
    theirs = db.execute(overall).fetchone()
    assert theirs is not None
    result["agrees"] = (ours.finished, ours.paired, ours.recovered) == (
        theirs[0],
        theirs[1],
        theirs[3],
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--episodes", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="measure an existing bench practice")
    args = parser.parse_args()
    existing = Practice.objects.filter(name=PRACTICE).order_by("-pk").first()
    if args.reuse and existing is not None:
        practice, insert = existing, None
    else:
        built = build(args.episodes)
        practice, insert = built["practice"], built["insert_seconds"]
    written = EpisodeOutcome.objects.filter(practice=practice, instrument_set="phq9_gad7").count()
    finished = practice_outcomes(practice).practice.overall.finished  # as the page counts them
    print(
        f"{PRACTICE}: {written:,} episodes written, {finished:,} finished on the outcomes page"
        + ("" if written == finished else " (they differ!)"),
        file=sys.stderr,
    )
    print(
        json.dumps(
            {
                "job": "outcomes-scale",
                "vendor": connection.vendor,
                "episodes_written": written,
                "finished_on_page": finished,
                "rows": finished,
                "insert_seconds": insert,
                "seconds": measure(practice),
                "page": page(practice),
                "duckdb": duckdb_reference(practice),
            }
        )
    )


if __name__ == "__main__":
    main()
