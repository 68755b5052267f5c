"""`make bench`: measure Continuum at scale (issue 8; docs/performance.md says how to read it).

    .venv/bin/python bench/run.py measure --backend sqlite --out var/bench/sqlite.json [--quick]
    bin/with-postgres .venv/bin/python bench/run.py measure --backend postgres --out ... [--quick]
    .venv/bin/python bench/run.py report var/bench/sqlite.json var/bench/postgres.json [--quick]

`measure` works in a fresh temporary folder with a fresh database (a SQLite file there, or the
PostgreSQL database DATABASE_URL names) and:

1. migrates and seeds a large practice with seed_demo (timed), then prepares logins and
   targets (bench/setup_data.py) and counts each key request's SQL queries in-process
   (bench/querycount.py);
2. starts gunicorn with the production settings apart from TLS (DEBUG off, a random
   SECRET_KEY, hashed static files collected into the temporary folder) and a db_worker, both
   on loopback;
3. logs real users in through /accounts/login/ (CSRF and all), and drives the server with
   locust from a second process (bench/locustfile.py): every key request and the floor at
   concurrency 1 and then 16. Latency percentiles are the server's own (gunicorn's access log,
   microseconds); the client's are kept beside them;
4. checks that every check-in the server acknowledged is stored, reads each gunicorn worker's
   and the db_worker's peak RSS (VmHWM), stops the server;
5. times the batch jobs (recomputing the expected curves, a simulated day of the reminder
   scheduler, a worker draining the queued reminders, the FHIR bulk export of the practice
   in resources per second: bench/fhir_export.py) and the scale-up: curves from 1,000,000
   questionnaires written straight into the database (and, with --python-scaleup, from plain
   Python lists); then the practice outcomes page's queries over 1,000,000 finished episodes'
   stored rows, with DuckDB over the same rows beside them (bench/outcomes_scale.py); on
   PostgreSQL, last, the scale-out test (two servers, two workers, two schedulers, one server
   and one worker killed: continuum/tests/test_scale_out.py) with its summary.

`report` merges the parts into bench/results.json and the table in docs/performance.md (with
--quick: var/bench/results-quick.json and var/bench/performance-quick.md, leaving the
committed results alone).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PY = sys.executable
BENCH = ROOT / "bench"


@dataclass(frozen=True)
class Scenario:
    name: str
    label: str
    method: str
    path: str  # a regular expression for the access log

    def matches(self, method: str, path: str) -> bool:
        return method == self.method and re.fullmatch(self.path, path) is not None


SCENARIOS = (
    Scenario("floor", "Floor: minimal authenticated page", "GET", r"/ping/"),
    Scenario("day", "Therapist's day", "GET", r"/day/"),
    Scenario("caseload", "Caseload (busiest therapist)", "GET", r"/clients/"),
    Scenario("client", "Client page with charts (longest history)", "GET", r"/clients/\d+/"),
    Scenario("brief", "Pre-session brief", "GET", r"/appointments/\d+/brief/"),
    Scenario("alerts", "Alerts list", "GET", r"/alerts/"),
    Scenario("portal_home", "Portal home", "GET", r"/portal/"),
    Scenario("questionnaire_link", "Questionnaire submission by link", "POST", r"/q/[^/]+/"),
    Scenario("portal_checkin", "Portal check-in POST", "POST", r"/portal/check-in/"),
)
BY_NAME = {s.name: s for s in SCENARIOS}
CONCURRENCY = (1, 16)


@dataclass(frozen=True)
class Size:
    therapists: int
    clients: int
    phase_seconds: float
    links: int
    portal_clients: int
    scaleup: int
    scheduler_step_minutes: int
    drain_seconds: int
    outcomes: int  # finished episodes' stored outcome rows for bench/outcomes_scale.py
    # Therapists and clients logged in (the 16 users share them). 14 + 14 logins stay under
    # allauth's limit of 30 logins a minute from one address, so no login waits.
    pool: int = 14
    warm_up_rounds: int = 2
    workers: int = 3


FULL = Size(
    therapists=50,
    clients=5000,
    phase_seconds=10,
    links=3000,
    portal_clients=100,
    scaleup=1_000_000,
    scheduler_step_minutes=5,
    drain_seconds=120,
    outcomes=1_000_000,
)
QUICK = Size(
    therapists=4,
    clients=120,
    phase_seconds=1.0,
    links=300,
    portal_clients=8,
    scaleup=50_000,
    scheduler_step_minutes=360,
    drain_seconds=8,
    outcomes=20_000,
    pool=4,
    warm_up_rounds=1,
)


def say(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


class StepFailed(RuntimeError):
    pass


# --- Processes --------------------------------------------------------------------------------


def run(args: list[str], env: dict[str, str], log: Path, *, timeout: float = 1800) -> str:
    """Run a command to the end; its output goes to `log`, and is returned."""
    with log.open("a") as out:
        out.write(f"$ {' '.join(args)}\n")
        out.flush()
        done = subprocess.run(
            args,
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
        out.write(done.stdout)
    if done.returncode != 0:
        tail = "\n".join(done.stdout.splitlines()[-30:])
        raise StepFailed(f"{' '.join(args[:3])} failed (exit {done.returncode}):\n{tail}")
    return done.stdout


def run_json(args: list[str], env: dict[str, str], log: Path, **kw: Any) -> dict[str, Any]:
    output = run(args, env, log, **kw)
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def timed(args: list[str], env: dict[str, str], log: Path) -> tuple[float, str]:
    started = time.perf_counter()
    output = run(args, env, log)
    return time.perf_counter() - started, output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in kB."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    except OSError:
        pass
    return values


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


class Server:
    """gunicorn and a db_worker on loopback, as in production apart from TLS."""

    def __init__(self, env: dict[str, str], work: Path, port: int, workers: int) -> None:
        self.env, self.work, self.port, self.workers = env, work, port, workers
        self.access_log = work / "access.log"
        self.gunicorn: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.access_log.touch()
        self.gunicorn = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "continuum.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--access-logfile",
                str(self.access_log),
                # method, path, status, the server's time for the request in microseconds
                "--access-logformat",
                "%(m)s %(U)s %(s)s %(D)s",
                "--log-level",
                "warning",
                "--error-logfile",
                str(self.work / "gunicorn.log"),
            ],
            env=self.env,
            cwd=ROOT,
            stdout=(self.work / "gunicorn.out").open("w"),
            stderr=subprocess.STDOUT,
        )
        self.worker = subprocess.Popen(
            [PY, "manage.py", "db_worker", "--no-startup-delay"],
            env=self.env,
            cwd=ROOT,
            stdout=(self.work / "worker.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.gunicorn.poll() is not None:
                raise StepFailed("gunicorn exited:\n" + (self.work / "gunicorn.log").read_text())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    pass
            except OSError:
                time.sleep(0.2)
                continue
            if len(children(self.gunicorn.pid)) >= self.workers:
                return
            time.sleep(0.2)
        raise StepFailed("gunicorn did not start within 60 seconds")

    def worker_pids(self) -> list[int]:
        assert self.gunicorn is not None
        return children(self.gunicorn.pid)

    def memory(self) -> dict[str, Any]:
        assert self.gunicorn is not None
        assert self.worker is not None
        workers = [proc_status(pid) for pid in children(self.gunicorn.pid)]
        return {
            "gunicorn_workers": workers,
            "db_worker": proc_status(self.worker.pid),
        }

    def stop(self) -> None:
        for proc in (self.gunicorn, self.worker):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in (self.gunicorn, self.worker):
            if proc is not None:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


# --- Logging in through the login form --------------------------------------------------------


def totp_code(secret: str, at: float | None = None) -> str:
    """RFC 6238: the 6-digit code an authenticator app with `secret` shows (30 s, SHA-1)."""
    import hashlib
    import hmac
    import struct

    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int(time.time() if at is None else at) // 30
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def login_sessions(base: str, targets: dict[str, Any], pool: int) -> dict[str, Any]:
    """Cookies of real logins: the staff pool, `pool` portal clients, and an anonymous visitor
    (a CSRF cookie for the public questionnaire form)."""
    from concurrent.futures import ThreadPoolExecutor

    import requests  # locust's dependency

    def form_token(http: requests.Session, path: str) -> str:
        page = http.get(base + path, timeout=30)
        page.raise_for_status()
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if not found:
            raise StepFailed(f"no CSRF token on {path}")
        return found.group(1)

    def login(email: str, password: str) -> dict[str, str]:
        for _attempt in range(30):
            http = requests.Session()
            token = form_token(http, "/accounts/login/")
            response = http.post(
                base + "/accounts/login/",
                data={"csrfmiddlewaretoken": token, "login": email, "password": password},
                headers={"Referer": base + "/accounts/login/"},
                allow_redirects=False,
                timeout=30,
            )
            if response.status_code == 429:  # allauth's rate limit on logins per address
                time.sleep(5)
                continue
            if response.status_code != 302 or "sessionid" not in http.cookies:
                raise StepFailed(f"login failed with HTTP {response.status_code}")
            where = response.headers.get("Location", "")
            if where.endswith("/accounts/2fa/authenticate/") and targets.get("totp_secret"):
                # The second factor, as a member types it from an authenticator app.
                token = form_token(http, where)
                response = http.post(
                    base + where,
                    data={"csrfmiddlewaretoken": token, "code": totp_code(targets["totp_secret"])},
                    headers={"Referer": base + where},
                    allow_redirects=False,
                    timeout=30,
                )
                where = response.headers.get("Location", "")
                if response.status_code != 302:
                    raise StepFailed(f"the second factor failed with HTTP {response.status_code}")
            if "/accounts/" in where:
                raise StepFailed(
                    f"login asked for another step ({where}); the bench users need a way past it"
                )
            return {
                "sessionid": str(http.cookies["sessionid"]),
                "csrftoken": str(http.cookies["csrftoken"]),
            }
        raise StepFailed("login kept being rate-limited")

    people = [(s["email"], targets["staff_password"]) for s in targets["staff"]]
    people += [(p["email"], targets["portal_password"]) for p in targets["portal"][:pool]]
    # A few at a time: each login costs an Argon2 hash on the server.
    with ThreadPoolExecutor(max_workers=3) as threads:
        cookies = dict(zip(people, threads.map(lambda p: login(*p), people), strict=True))
    staff = {s["email"]: cookies[(s["email"], targets["staff_password"])] for s in targets["staff"]}
    portal = {
        p["email"]: cookies[(p["email"], targets["portal_password"])]
        for p in targets["portal"][:pool]
    }
    anonymous = requests.Session()
    form_token(anonymous, "/accounts/login/")
    return {
        "staff": staff,
        "portal": portal,
        "anonymous": {"csrftoken": anonymous.cookies["csrftoken"]},
    }


def warm_up(base: str, targets: dict[str, Any], sessions: dict[str, Any], rounds: int) -> None:
    """Every page a few times from several threads, so each gunicorn worker has loaded its
    code and compiled its templates before anything is measured."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    jobs = []
    for staff in targets["staff"][:4]:
        cookies = sessions["staff"][staff["email"]]
        jobs += [(url, cookies) for url in staff["urls"].values()]
    for email in list(sessions["portal"])[:4]:
        jobs += [
            ("/portal/", sessions["portal"][email]),
            ("/portal/check-in/", sessions["portal"][email]),
        ]
    jobs += [(link["path"], sessions["anonymous"]) for link in targets["links"][-4:]]
    if len(targets["links"]) < 8:
        raise StepFailed("too few questionnaire links for the load test")

    def fetch(job: tuple[str, dict[str, str]]) -> int:
        url, cookies = job
        return requests.get(
            base + url, cookies=cookies, allow_redirects=False, timeout=60
        ).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(fetch, jobs * rounds))
    bad = [s for s in statuses if s != 200]
    if bad:
        raise StepFailed(f"warm-up: {len(bad)} of {len(statuses)} requests were not 200: {bad[:5]}")


# --- Latency --------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between order statistics (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def server_latencies(log: Path, start: int, end: int) -> dict[str, list[float]]:
    """Milliseconds per scenario from the access log lines between two byte offsets."""
    found: dict[str, list[float]] = {s.name: [] for s in SCENARIOS}
    with log.open("rb") as f:
        f.seek(start)
        chunk = f.read(end - start).decode(errors="replace")
    for line in chunk.splitlines():
        parts = line.split()
        if len(parts) != 4:
            continue
        method, path, _status, micros = parts
        for scenario in SCENARIOS:
            if scenario.matches(method, path):
                found[scenario.name].append(int(micros) / 1000)
                break
    return found


def rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def db_port(env: dict[str, str]) -> str:
    """The port of the PostgreSQL server DATABASE_URL names ("" for SQLite)."""
    from urllib.parse import urlsplit

    url = env.get("DATABASE_URL", "")
    return str(urlsplit(url).port or 5432) if url else ""


def load_test(
    server: Server,
    targets: Path,
    sessions: Path,
    concurrency: int,
    size: Size,
    work: Path,
    log: Path,
    link_offset: int,
) -> dict[str, dict[str, Any]]:
    samples = work / f"samples-{concurrency}.json"
    env = dict(server.env)
    env.update(
        BENCH_TARGETS=str(targets),
        BENCH_SESSIONS=str(sessions),
        BENCH_PHASES=",".join(s.name for s in SCENARIOS),
        BENCH_PHASE_SECONDS=str(size.phase_seconds),
        BENCH_SAMPLES=str(samples),
        BENCH_LINK_OFFSET=str(link_offset),
        BENCH_CPU_PIDS=",".join(str(p) for p in server.worker_pids()),
        BENCH_DB_PORT=db_port(server.env),
    )
    start = server.access_log.stat().st_size
    run(
        [
            str(BIN / "locust"),
            "-f",
            str(BENCH / "locustfile.py"),
            "--headless",
            "--users",
            str(concurrency),
            "--spawn-rate",
            str(concurrency),
            "--host",
            f"http://127.0.0.1:{server.port}",
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--exit-code-on-error",
            "0",
        ],
        env,
        log,
        timeout=size.phase_seconds * len(SCENARIOS) * 4 + 120,
    )
    time.sleep(0.3)  # let gunicorn write its last access-log lines
    end = server.access_log.stat().st_size
    on_server = server_latencies(server.access_log, start, end)
    phases = json.loads(samples.read_text())
    results = {}
    for scenario in SCENARIOS:
        phase = phases.get(scenario.name)
        if phase is None:
            continue
        client = phase["latencies_ms"]
        served = on_server[scenario.name]
        elapsed = max(phase["ended"] - phase["started"], 1e-9)
        count = max(phase["ok"] + phase["failed"], 1)
        cpu = {
            k: (phase["cpu_after"][k] - phase["cpu_before"][k]) * 1000 / count
            for k in ("app", "db")
        }
        results[scenario.name] = {
            "p50_ms": rounded(percentile(served, 50)),
            "p95_ms": rounded(percentile(served, 95)),
            "p99_ms": rounded(percentile(served, 99)),
            "rps": round(phase["ok"] / elapsed, 1),
            "requests": phase["ok"] + phase["failed"],
            "failed": phase["failed"],
            "statuses": phase["statuses"],
            "client_p50_ms": rounded(percentile(client, 50)),
            "client_p95_ms": rounded(percentile(client, 95)),
            "client_p99_ms": rounded(percentile(client, 99)),
            "server_samples": len(served),
            "seconds": round(elapsed, 2),
            "app_cpu_ms": round(cpu["app"], 2),
            "db_cpu_ms": round(cpu["db"], 2),
            "load_average": round(phase["load_average"], 2),
            "exhausted": phase["exhausted"],
            "acked_keys": phase["acked_keys"],
        }
    return results


# --- The measurement ------------------------------------------------------------------------


def fsync_probe(folder: Path, count: int = 200) -> dict[str, float | None]:
    """How long this disk takes to make a small write durable (what each commit waits for)."""
    path = folder / "fsync.probe"
    times = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for _ in range(count):
            os.write(fd, b"x" * 4096)
            started = time.perf_counter()
            os.fsync(fd)
            times.append((time.perf_counter() - started) * 1000)
    finally:
        os.close(fd)
        path.unlink()
    return {"p50_ms": rounded(percentile(times, 50)), "p99_ms": rounded(percentile(times, 99))}


def fernet_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def measure(backend: str, size: Size, out: Path, keep: bool, python_scaleup: bool) -> None:
    if backend == "postgres" and not os.environ.get("DATABASE_URL"):
        raise SystemExit("--backend postgres needs DATABASE_URL (run it under bin/with-postgres)")
    work = Path(tempfile.mkdtemp(prefix=f"continuum-bench-{backend}-"))
    log = work / "bench.log"
    say(f"{backend}: working in {work} (every command's output is in {log.name})")
    port = free_port()
    env = dict(os.environ)
    env.update(
        CONTINUUM_VAR_DIR=str(work / "var"),
        DEBUG="0",
        STATIC_MANIFEST="1",
        SECRET_KEY=secrets.token_urlsafe(50),
        ENCRYPTION_KEYS=fernet_key(),
        ALLOWED_HOSTS="127.0.0.1,testserver",
        SITE_URL=f"http://127.0.0.1:{port}",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        BENCH_PORTAL_PASSWORD=secrets.token_urlsafe(18),
        BENCH_TOTP_SECRET=base64.b32encode(os.urandom(20)).decode(),
    )
    if backend == "sqlite":
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(work / "continuum.sqlite3")
    (work / "var").mkdir()
    rows: list[dict[str, Any]] = []
    part: dict[str, Any] = {"backend": backend, "size": size.__dict__, "rows": rows, "notes": []}

    def row(name: str, kind: str, **values: Any) -> None:
        rows.append({"name": name, "kind": kind, "backend": backend, **values})

    server: Server | None = None
    try:
        seconds, _ = timed([PY, "manage.py", "migrate", "--no-input", "-v", "0"], env, log)
        row("migrate (empty database)", "setup", seconds=round(seconds, 2))
        say(f"{backend}: migrated in {seconds:.1f} s; seeding {size.clients:,} clients")
        seconds, output = timed(
            [
                PY,
                "manage.py",
                "seed_demo",
                "--therapists",
                str(size.therapists),
                "--clients",
                str(size.clients),
                "--seed",
                "1",
            ],
            env,
            log,
        )
        row(
            f"seed_demo --therapists {size.therapists} --clients {size.clients} --seed 1",
            "setup",
            seconds=round(seconds, 2),
        )
        part["seed_output"] = [line for line in output.splitlines() if line.startswith("  ")]
        say(f"{backend}: seeded in {seconds:.1f} s")
        # As docs/deployment.md: the shared cache's table, then the hashed static files.
        run([PY, "manage.py", "createcachetable"], env, log)
        run([PY, "manage.py", "collectstatic", "--no-input", "-v", "0"], env, log)
        analyzed = run_jobs(["analyze"], [], env, log)["analyze"]
        if "error" in analyzed:
            raise StepFailed(f"VACUUM ANALYZE failed: {analyzed['error']}")
        if analyzed["done"]:
            row("VACUUM (ANALYZE) after seeding", "setup", seconds=analyzed["seconds"])
        targets = work / "targets.json"
        pool = size.pool
        run(
            [
                PY,
                str(BENCH / "setup_data.py"),
                "--out",
                str(targets),
                "--pool",
                str(pool),
                "--portal-clients",
                str(size.portal_clients),
                "--links",
                str(size.links),
            ],
            env,
            log,
        )
        target_data = json.loads(targets.read_text())
        part["targets"] = target_data["counts"]
        queries_file = work / "queries.json"
        run(
            [
                PY,
                str(BENCH / "querycount.py"),
                "--targets",
                str(targets),
                "--out",
                str(queries_file),
            ],
            env,
            log,
        )
        queries = json.loads(queries_file.read_text())
        bad = {
            k: (v["status"], v.get("status_small"))
            for k, v in queries.items()
            if v["status"] not in (200, 302) or v.get("status_small", 200) != 200
        }
        if bad:
            raise StepFailed(f"in-process requests failed: {bad}")

        part["fsync"] = fsync_probe(work)
        server = Server(env, work, port, size.workers)
        server.start()
        base = f"http://127.0.0.1:{port}"
        say(f"{backend}: gunicorn ({size.workers} workers) and a db_worker are up; logging in")
        sessions = login_sessions(base, target_data, pool)
        sessions_file = work / "sessions.json"
        sessions_file.write_text(json.dumps(sessions))
        warm_up(base, target_data, sessions, rounds=size.warm_up_rounds)
        acked: list[str] = []
        links_used = 0
        for concurrency in CONCURRENCY:
            say(
                f"{backend}: load at concurrency {concurrency} ({size.phase_seconds:g} s a request)"
            )
            results = load_test(
                server, targets, sessions_file, concurrency, size, work, log, links_used
            )
            links_used += results["questionnaire_link"]["requests"]
            for scenario in SCENARIOS:
                result = results.get(scenario.name)
                if result is None:
                    continue
                acked += result.pop("acked_keys")
                row(
                    scenario.label,
                    "request",
                    scenario=scenario.name,
                    concurrency=concurrency,
                    queries=queries[scenario.name]["queries"],
                    queries_small=queries[scenario.name].get("queries_small"),
                    **result,
                )
        keys_file = work / "acked.json"
        keys_file.write_text(json.dumps(acked))
        done = run_jobs(["info", "verify-checkins"], ["--keys", str(keys_file)], env, log)
        part["database"] = done["info"]
        stored = done["verify-checkins"]
        if "error" in stored:
            raise StepFailed(f"checking the check-ins failed: {stored['error']}")
        part["checkins"] = stored
        memory = server.memory()
        part["memory"] = memory
        for number, status in enumerate(memory["gunicorn_workers"], start=1):
            row(
                f"gunicorn worker {number} after the run",
                "memory",
                rss_mb=round(status.get("VmRSS", 0) / 1024, 1),
                peak_rss_mb=round(status.get("VmHWM", 0) / 1024, 1),
            )
        row(
            "db_worker during the run",
            "memory",
            rss_mb=round(memory["db_worker"].get("VmRSS", 0) / 1024, 1),
            peak_rss_mb=round(memory["db_worker"].get("VmHWM", 0) / 1024, 1),
        )
        server.stop()
        server = None

        say(f"{backend}: batch jobs")
        batch_jobs(env, work, log, size, python_scaleup, rows, part)
        if backend == "postgres" and size is FULL:
            say(f"{backend}: scale-out (two servers, two workers, two schedulers, kills)")
            rows.append(scale_out(env, log))
    except (StepFailed, subprocess.TimeoutExpired) as error:
        part["error"] = str(error)
        say(f"{backend}: FAILED: {error}")
    finally:
        if server is not None:
            server.stop()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(part, indent=1))
    say(f"{backend}: wrote {out}")
    if "error" in part:
        say(f"{backend}: logs kept in {work}")
        raise SystemExit(1)
    if keep:
        say(f"{backend}: kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


def scale_out(env: dict[str, str], log: Path) -> dict[str, Any]:
    """continuum/tests/test_scale_out.py (issue 18, "Several app servers"), on a throwaway
    PostgreSQL cluster of its own: its summary line and how long it took."""
    name = "scale-out: 2 servers, 2 workers, 2 schedulers, one server and one worker killed"
    own = {k: v for k, v in env.items() if k != "DATABASE_URL"}
    test = str(ROOT / "continuum/tests/test_scale_out.py")
    try:
        seconds, output = timed(
            [PY, "-m", "pytest", "-q", "-s", "-p", "no:randomly", "-p", "no:cacheprovider", test],
            own,
            log,
        )
    except (StepFailed, subprocess.TimeoutExpired) as error:
        return {"name": name, "kind": "batch", "backend": "postgres", "error": str(error)[-300:]}
    summary = next(
        (line.split("scale-out: ", 1)[1] for line in output.splitlines() if "scale-out: " in line),
        "",
    )
    return {
        "name": name,
        "kind": "batch",
        "backend": "postgres",
        "seconds": round(seconds, 1),
        "summary": summary,
    }


def run_jobs(
    jobs: list[str], options: list[str], env: dict[str, str], log: Path, timeout: float = 1800
) -> dict[str, dict[str, Any]]:
    """bench/batch.py's jobs in one process: {job: its result, or {"error": why}}."""
    try:
        output = run([PY, str(BENCH / "batch.py"), *jobs, *options], env, log, timeout=timeout)
    except (StepFailed, subprocess.TimeoutExpired) as error:
        why = str(error).strip().splitlines()[-1][:300]
        return {job: {"error": why} for job in jobs}
    found = {}
    for line in output.splitlines():
        if line.startswith('{"job": '):
            result = json.loads(line)
            found[result.pop("job")] = result
    return {job: found.get(job, {"error": "no result"}) for job in jobs}


def batch_jobs(
    env: dict[str, str],
    work: Path,
    log: Path,
    size: Size,
    python_scaleup: bool,
    rows: list[dict[str, Any]],
    part: dict[str, Any],
) -> None:
    """The batch jobs, each on its own: one that fails is reported and the others still run."""
    backend = part["backend"]

    def record(name: str, result: dict[str, Any], backend_name: str = backend) -> bool:
        if "error" in result:
            say(f"{backend}: {name} FAILED: {result['error']}")
        rows.append({"name": name, "kind": "batch", "backend": backend_name, **result})
        return "error" not in result

    steps = str(size.scheduler_step_minutes)
    # No worker sends anything during the simulated day, so without this every pending
    # reminder would be queued again each NOTIFY_RETRY_AFTER_SECONDS of simulated time, as if
    # the worker were down; with it each is queued once, as when the worker keeps up.
    day_env = {**env, "NOTIFY_RETRY_AFTER_SECONDS": str(24 * 3600)}
    done = run_jobs(["recompute", "scheduler"], ["--step-minutes", steps], day_env, log)
    record("recompute_curves, all practices (seeded data)", done["recompute"])
    scheduled = done["scheduler"]
    if record("scheduler: a day of enqueue_due for the practice", scheduled) and scheduled.get(
        "available"
    ):
        drain = drain_queue(env, work, size.drain_seconds, scheduled["tasks_ready"])
        record("db_worker draining the queued reminders", drain)
    exported = run_jobs(["fhir-export"], [], env, log)["fhir-export"]
    record("FHIR bulk export of the practice, one $export per therapist", exported)
    say(f"{backend}: scale-up, {size.scaleup:,} questionnaires")
    jobs = ["tasks-waiting", "scaleup-db"] + (["scaleup-python"] if python_scaleup else [])
    done = run_jobs(jobs, ["--administrations", str(size.scaleup)], env, log, timeout=1200)
    for r in rows:
        if r["name"].startswith("db_worker draining") and "error" not in done["tasks-waiting"]:
            r["tasks_left"] = done["tasks-waiting"]["ready"]
            r["by_status"] = done["tasks-waiting"]["by_status"]
    record(f"scale-up: recompute_curves from {size.scaleup:,} questionnaires", done["scaleup-db"])
    if python_scaleup:
        record(
            f"scale-up: compute_curves on {size.scaleup:,} scores in plain lists",
            done["scaleup-python"],
            "python",
        )
    say(f"{backend}: practice outcomes, {size.outcomes:,} finished episodes")
    outcomes = outcomes_scale(env, log, size)
    record(f"outcomes at scale: {size.outcomes:,} finished episodes", outcomes)


def outcomes_scale(env: dict[str, str], log: Path, size: Size) -> dict[str, Any]:
    """bench/outcomes_scale.py in the part's database: the outcomes page's queries over
    `size.outcomes` finished episodes' stored rows, and DuckDB over the same rows beside them."""
    try:
        output = run(
            [PY, str(BENCH / "outcomes_scale.py"), "--episodes", str(size.outcomes)],
            env,
            log,
            timeout=5400,
        )
    except (StepFailed, subprocess.TimeoutExpired) as error:
        return {"error": str(error).strip().splitlines()[-1][:300]}
    for line in output.splitlines():
        if line.startswith('{"job": "outcomes-scale"'):
            result: dict[str, Any] = json.loads(line)
            seconds = result["seconds"]
            # The figure the target is about: the slowest of overall, by therapist and the
            # whole page (the real view through the test client, as the owner, by default).
            worst = max([seconds[k] for k in OUTCOMES_TARGETED] + [result["page"]["seconds"]])
            return {"episodes": size.outcomes, **result, "seconds": worst, "by_query": seconds}
    return {"error": "no result"}


# The queries the ≤ 1 s target is about (bench/outcomes_scale.py's keys).
OUTCOMES_TARGETED = (
    "overall_year",
    "overall_all_time",
    "by_therapist_year",
    "by_therapist_all_time",
)


def drain_queue(env: dict[str, str], work: Path, limit: float, waiting: int) -> dict[str, Any]:
    """A fresh db_worker runs the queued tasks (reminders) until none is left, or `limit`."""
    started = time.perf_counter()
    worker = subprocess.Popen(
        [PY, "manage.py", "db_worker", "--batch", "--no-startup-delay"],
        env=env,
        cwd=ROOT,
        stdout=(work / "drain.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    finished = True
    try:
        _, status, usage = _wait4_within(worker, limit)
    except TimeoutError:
        finished = False
        os.kill(worker.pid, signal.SIGTERM)  # not Popen.send_signal: it would reap the child
        _, status, usage = os.wait4(worker.pid, 0)
    worker.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    # How many are left is read afterwards (the next batch.py call, "tasks-waiting").
    return {
        "tasks_before": waiting,
        "tasks_left": 0 if finished else None,
        "finished": finished,
        "exit_code": worker.returncode,
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux: kB
    }


def _wait4_within(proc: subprocess.Popen[bytes], limit: float) -> tuple[int, int, Any]:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            return pid, status, usage
        time.sleep(0.1)
    raise TimeoutError


# --- The report -----------------------------------------------------------------------------

TARGET_P95_MS = 50
TARGET_RATIO = 6
TARGET_WRITES = 200
TARGET_SCALEUP_S = 10
TARGET_RSS_MB = 150
TARGET_OUTCOMES_S = 1.0  # the outcomes page's queries at 1,000,000 finished episodes


def machine() -> dict[str, Any]:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            memory = int(line.split()[1]) // 1024
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_mb": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "git_commit": commit,
        "git_dirty": bool(dirty),
    }


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def add_ratios(rows: list[dict[str, Any]]) -> None:
    floors = {
        (r["backend"], r["concurrency"]): r["p50_ms"]
        for r in rows
        if r.get("scenario") == "floor" and r.get("p50_ms")
    }
    for r in rows:
        if r["kind"] != "request":
            continue
        floor = floors.get((r["backend"], r["concurrency"]))
        r["ratio_to_floor"] = round(r["p50_ms"] / floor, 2) if floor and r["p50_ms"] else None


def normalise(rows: list[dict[str, Any]]) -> None:
    """Every row carries the same keys (null where a key does not apply)."""
    for r in rows:
        for key in (
            "concurrency",
            "p50_ms",
            "p95_ms",
            "p99_ms",
            "rps",
            "queries",
            "ratio_to_floor",
        ):
            r.setdefault(key, None)
        r.setdefault("rss_mb", None)


def queries_cell(r: dict[str, Any]) -> str:
    small = r.get("queries_small")
    return fmt(r["queries"]) + (f" ({small})" if small is not None else "")


def request_table(rows: list[dict[str, Any]], backends: list[str]) -> list[str]:
    lines = [
        "| request | backend | c | p50 ms | p95 ms | p99 ms | req/s | queries | x floor "
        "| CPU ms a request (app + db) | client p50 / p95 ms | load | failed |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: |",
    ]
    for scenario in SCENARIOS:
        for concurrency in CONCURRENCY:
            for backend in backends:
                for r in rows:
                    if (
                        r.get("scenario") == scenario.name
                        and r["backend"] == backend
                        and r["concurrency"] == concurrency
                    ):
                        lines.append(
                            f"| {scenario.label} | {backend} | {concurrency} | {fmt(r['p50_ms'])} "
                            f"| {fmt(r['p95_ms'])} | {fmt(r['p99_ms'])} | {fmt(r['rps'])} "
                            f"| {queries_cell(r)} | {fmt(r['ratio_to_floor'])} "
                            f"| {fmt(r.get('app_cpu_ms'))} + {fmt(r.get('db_cpu_ms'))} "
                            f"| {fmt(r['client_p50_ms'])} / {fmt(r['client_p95_ms'])} "
                            f"| {fmt(r.get('load_average'))} "
                            f"| {r['failed']} of {r['requests']} |"
                        )
    return lines


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("met" if ok else "**missed**")


def targets_table(parts: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| target | backend | result | verdict |", "| --- | --- | --- | --- |"]
    for part in parts:
        backend = part["backend"]
        pages = [
            r
            for r in rows
            if r["backend"] == backend
            and r["kind"] == "request"
            and r["concurrency"] == 1
            and r["scenario"] != "floor"
        ]
        if pages:
            worst = max(pages, key=lambda r: r["p95_ms"] or 0)
            ok = all((r["p95_ms"] or 0) <= TARGET_P95_MS for r in pages)
            lines.append(
                f"| every key request p95 ≤ {TARGET_P95_MS} ms at c=1 | {backend} | worst: "
                f"{worst['name']} "
                f"{fmt(worst['p95_ms'])} ms | {verdict(ok)} |"
            )
            ratios = [r for r in pages if r["ratio_to_floor"] is not None]
            if ratios:
                worst = max(ratios, key=lambda r: r["ratio_to_floor"])
                ok = all(r["ratio_to_floor"] <= TARGET_RATIO for r in ratios)
                lines.append(
                    f"| every key request p50 ≤ {TARGET_RATIO} x the floor's at c=1 | {backend} "
                    f"| worst: {worst['name']} {fmt(worst['ratio_to_floor'], 2)}x | {verdict(ok)} |"
                )
        counted = [
            r
            for r in rows
            if r["backend"] == backend
            and r["kind"] == "request"
            and r["concurrency"] == 1
            and r.get("queries_small") is not None
        ]
        if counted:
            grows = [r["name"] for r in counted if r["queries"] != r["queries_small"]]
            lines.append(
                f"| query counts constant in history length and caseload size | {backend} | "
                + (
                    f"differ for: {', '.join(grows)}"
                    if grows
                    else f"the same for the largest and smallest case on {len(counted)} pages"
                )
                + f" | {verdict(not grows)} |"
            )
        checkin = [
            r
            for r in rows
            if r["backend"] == backend
            and r.get("scenario") == "portal_checkin"
            and r["concurrency"] == 16
        ]
        stored = part.get("checkins")
        if checkin and stored:
            rate = checkin[0]["rps"]
            ok = rate >= TARGET_WRITES and stored["lost"] == 0
            lines.append(
                f"| check-ins ≥ {TARGET_WRITES}/s at c=16, nothing lost | {backend} | "
                f"{fmt(rate)}/s; {stored['acknowledged']:,} acknowledged, {stored['stored']:,} "
                f"stored, {stored['lost']} lost | {verdict(ok)} |"
            )
        for r in rows:
            if r.get("error"):
                continue
            if r["backend"] == backend and r["name"].startswith("scale-up: recompute"):
                big = r["administrations"] >= 1_000_000
                met = r["seconds"] <= TARGET_SCALEUP_S if big else None
                lines.append(
                    f"| curves from 1,000,000 questionnaires ≤ {TARGET_SCALEUP_S} s | {backend} | "
                    f"{r['administrations']:,} in {fmt(r['seconds'], 2)} s (read "
                    f"{fmt(r['read_seconds'], 2)} s, compute {fmt(r['compute_seconds'], 2)} s) "
                    f"| {verdict(met)} |"
                )
        for r in rows:
            if r["backend"] == backend and r["name"].startswith("outcomes at scale"):
                if r.get("error"):
                    continue
                big = r["episodes"] >= 1_000_000
                met = r["seconds"] <= TARGET_OUTCOMES_S if big else None
                lines.append(
                    f"| outcomes page, overall and by therapist ≤ {TARGET_OUTCOMES_S:g} s at "
                    f"1,000,000 finished episodes | {backend} | {r['episodes']:,}: slowest "
                    f"{fmt(r['seconds'], 2)} s (DuckDB {fmt(_duckdb_worst(r), 3)} s) "
                    f"| {verdict(met)} |"
                )
        workers = [
            r for r in rows if r["backend"] == backend and r["name"].startswith("gunicorn worker")
        ]
        if workers:
            top = max(r["rss_mb"] for r in workers)
            peak = max(r["peak_rss_mb"] for r in workers)
            lines.append(
                f"| each gunicorn worker ≤ {TARGET_RSS_MB} MB RSS after the run | {backend} | "
                f"largest {fmt(top)} MB (peak {fmt(peak)} MB) | {verdict(top <= TARGET_RSS_MB)} |"
            )
    for r in rows:
        if r["backend"] == "python" and not r.get("error"):
            big = r["administrations"] >= 1_000_000
            met = r["seconds"] <= TARGET_SCALEUP_S if big else None
            lines.append(
                f"| curves from 1,000,000 questionnaires ≤ {TARGET_SCALEUP_S} s | plain Python "
                f"| {r['administrations']:,} in {fmt(r['seconds'], 2)} s | {verdict(met)} |"
            )
    return lines


def batch_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| job | backend | seconds | detail |", "| --- | --- | ---: | --- |"]
    for r in rows:
        if r["kind"] not in ("setup", "batch"):
            continue
        if r.get("error"):
            why = " ".join(str(r["error"]).split()).replace("|", "/")
            lines.append(f"| {r['name']} | {r['backend']} | - | **failed**: `{why}` |")
            continue
        detail = ""
        if r["name"].startswith("scheduler"):
            if not r.get("available"):
                lines.append(f"| {r['name']} | {r['backend']} | - | not available: {r['why']} |")
                continue
            detail = (
                f"{r['calls']} calls {r['step_minutes']} min apart for {r['clients']:,} clients: "
                f"{r['created']:,} reminders recorded, {r['enqueued']:,} tasks queued; first call "
                f"{fmt(r['first_call_ms'])} ms, slowest {fmt(r['slowest_call_ms'])} ms"
            )
        elif r["name"].startswith("db_worker"):
            left = r.get("tasks_left")
            ran = r["tasks_before"] - left if left is not None else None
            rate = ran / r["seconds"] if ran is not None and r["seconds"] else None
            detail = (
                f"{fmt(ran)} of {r['tasks_before']:,} queued tasks ({fmt(rate)}/s)"
                f"{'' if r['finished'] else ', stopped at the time limit'}; "
                f"peak RSS {fmt(r['peak_rss_mb'])} MB"
            )
        elif r["name"].startswith("recompute_curves"):
            detail = (
                f"{r['administrations']:,} questionnaires, {r['completed_in_finished_episodes']:,}"
                " of them completed in finished episodes"
            )
        elif r["name"].startswith("FHIR bulk export"):
            detail = (
                f"{r['clients']:,} clients, {r['jobs_done']} jobs: {r['resources']:,} resources "
                f"in {r['files']:,} NDJSON files, {fmt(r['resources_per_second'])} resources/s"
            )
        elif r["name"].startswith("outcomes at scale"):
            q, duck = r["by_query"], r["duckdb"]
            detail = (
                f"{r['rows']:,} finished treatment; overall {fmt(q['overall_year'], 2)} s a year, "
                f"{fmt(q['overall_all_time'], 2)} s all time; by therapist "
                f"{fmt(q['by_therapist_year'], 2)} / {fmt(q['by_therapist_all_time'], 2)} s; the "
                f"whole page's queries {fmt(q['page_queries_year'], 2)} / "
                f"{fmt(q['page_queries_all_time'], 2)} s; the whole page (owner, this year) "
                f"{fmt(r['page']['seconds'], 2)} s in {r['page']['queries']} queries; "
                f"DuckDB {fmt(_duckdb_worst(r), 3)} s "
                f"(agrees: {duck['agrees']}); inserting took {fmt(r['insert_seconds'], 0)} s"
            )
        elif r["name"].startswith("scale-out"):
            detail = r.get("summary", "")
        elif r["name"].startswith("scale-up") and r["backend"] == "python":
            made = fmt(r["generate_seconds"], 2)
            detail = f"{r['episodes']:,} episodes; generating them took {made} s"
        elif r["name"].startswith("scale-up"):
            detail = (
                f"{r['episodes']:,} finished episodes; reading the scores "
                f"{fmt(r['read_seconds'], 2)} s, computing {fmt(r['compute_seconds'], 2)} s; "
                f"inserting them took {fmt(r['insert_seconds'], 1)} s"
            )
        lines.append(f"| {r['name']} | {r['backend']} | {fmt(r['seconds'], 2)} | {detail} |")
    return lines


def _duckdb_worst(r: dict[str, Any]) -> float:
    return max(r["duckdb"][k] for k in OUTCOMES_TARGETED)


def memory_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| process | backend | RSS MB | peak RSS MB |", "| --- | --- | ---: | ---: |"]
    for r in rows:
        if r["kind"] == "memory":
            lines.append(
                f"| {r['name']} | {r['backend']} | {fmt(r['rss_mb'])} | {fmt(r['peak_rss_mb'])} |"
            )
    return lines


START = "<!-- bench:results:start (written by `make bench`; edit the text around it) -->"
END = "<!-- bench:results:end -->"


def markdown(result: dict[str, Any]) -> str:
    rows, parts = result["measurements"], result["parts"]
    backends = [p["backend"] for p in parts]
    info = result["machine"]
    lines = [
        START,
        "",
        f"Measured {result['generated_at']} on {info['cpu']} ({info['cores']} cores, "
        f"{info['memory_mb']:,} MB), {info['os']}, Python {info['python']}; commit "
        f"`{info['git_commit'][:12]}`{' with uncommitted changes' if info['git_dirty'] else ''}; "
        f"load average when the report was written {info['load_average']}."
        + (
            " **Quick run: small data, short phases; not for comparison.**"
            if result["quick"]
            else ""
        ),
        "",
    ]
    for part in parts:
        db = part.get("database", {})
        t = part.get("targets", {})
        lines.append(
            f"- {part['backend']}: {db.get('vendor', '?')} {db.get('version', '?')} "
            f"({db.get('durability', '?')}); {t.get('clients', 0):,} clients, "
            f"{t.get('appointments', 0):,} appointments, {t.get('administrations', 0):,} "
            f"questionnaires; busiest caseload {t.get('busiest_caseload', '?')}, longest history "
            f"{t.get('longest_history', '?')} records; {part['size']['workers']} gunicorn workers"
            + (
                f"; fsync of 4 KiB before the load: p50 {fmt(part['fsync']['p50_ms'], 2)} ms, "
                f"p99 {fmt(part['fsync']['p99_ms'], 2)} ms"
                if part.get("fsync")
                else ""
            )
            + (f". **Failed: {part['error'].splitlines()[0]}**" if part.get("error") else "")
        )
    lines += ["", "### Targets", "", *targets_table(parts, rows), ""]
    lines += [
        "### Key requests",
        "",
        "Latency is the server's (gunicorn's access log); the client's, which includes waiting "
        "for a free worker, is beside it. Queries are counted in-process for the same request "
        "(in brackets: for the smallest case, the therapist with the fewest clients and their "
        "client with the shortest history). "
        "CPU is the gunicorn workers' (app) and PostgreSQL's processes' (db) CPU time during the "
        "phase divided by its requests: what a request costs whatever else runs on the machine. "
        "Load is the one-minute load average when the phase began (2 cores).",
        "",
        *request_table(rows, backends),
        "",
        "### Setup and batch jobs",
        "",
        *batch_table(rows),
        "",
        "### Memory",
        "",
        *memory_table(rows),
        "",
        END,
    ]
    return "\n".join(lines)


SKELETON = """# Performance

`make bench` measures; `make test` never asserts timings. See bench/run.py for what it does.

{block}
"""


def report(paths: list[Path], quick: bool) -> None:
    parts = [json.loads(p.read_text()) for p in paths if p.exists()]
    rows = [r for part in parts for r in part["rows"]]
    add_ratios(rows)
    normalise(rows)
    result = {
        "generated_at": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "quick": quick,
        "machine": machine(),
        "git_commit": machine()["git_commit"],
        "measurements": rows,
        "parts": [{k: v for k, v in p.items() if k != "rows"} for p in parts],
    }
    block = markdown(result)
    if quick:
        json_path = ROOT / "var" / "bench" / "results-quick.json"
        md_path = ROOT / "var" / "bench" / "performance-quick.md"
        md_path.parent.mkdir(parents=True, exist_ok=True)
        md_path.write_text(block + "\n")
    else:
        json_path = BENCH / "results.json"
        md_path = ROOT / "docs" / "performance.md"
        text = md_path.read_text() if md_path.exists() else SKELETON.format(block=f"{START}\n{END}")
        if START in text and END in text:
            before, rest = text.split(START, 1)
            _, after = rest.split(END, 1)
            text = before + block + after
        else:
            text = text.rstrip() + "\n\n" + block + "\n"
        md_path.write_text(text)
    json_path.write_text(json.dumps(result, indent=1) + "\n")
    print(block)
    say(f"wrote {json_path.relative_to(ROOT)} and {md_path.relative_to(ROOT)}")
    failed = [p["backend"] for p in parts if p.get("error")]
    failed += [f"{r['backend']}: {r['name']}" for r in rows if r.get("error")]
    if failed or len(parts) < len(paths):
        raise SystemExit(f"bench: some steps failed or are missing: {failed or 'missing'}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--backend", choices=["sqlite", "postgres"], required=True)
    m.add_argument("--out", type=Path, required=True)
    m.add_argument("--quick", action="store_true")
    m.add_argument("--keep", action="store_true", help="keep the temporary folder")
    m.add_argument("--python-scaleup", action="store_true", help="also the plain-Python scale-up")
    r = sub.add_parser("report")
    r.add_argument("parts", nargs="+", type=Path)
    r.add_argument("--quick", action="store_true")
    options = parser.parse_args()
    if options.command == "measure":
        measure(
            options.backend,
            QUICK if options.quick else FULL,
            options.out,
            options.keep,
            options.python_scaleup,
        )
    else:
        report(options.parts, options.quick)


if __name__ == "__main__":
    main()
