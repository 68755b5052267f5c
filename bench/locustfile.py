"""The load: locust users logged in as real therapists and clients (driven by bench/run.py).

One locust run per concurrency level goes through every key request in turn ("phases"). A
controller greenlet starts a phase once all users are up, lets them send that request back to
back (no think time) for BENCH_PHASE_SECONDS, then stops new requests, waits for the ones in
flight and starts the next phase, so no request straddles two phases. Each response's latency
(measured here, on the client side) is kept with its phase; the server's own latency comes
from gunicorn's access log (bench/run.py).

Environment: BENCH_TARGETS (bench/setup_data.py's JSON), BENCH_SESSIONS (cookies of the
logins bench/run.py made through /accounts/login/), BENCH_PHASES (comma-separated names),
BENCH_PHASE_SECONDS, BENCH_SAMPLES (where the samples are written), BENCH_LINK_OFFSET (links
used by earlier runs), BENCH_CPU_PIDS (the gunicorn workers, whose CPU time is read before and
after each phase, with that of the PostgreSQL server on BENCH_DB_PORT, to give CPU milliseconds
per request).

Users never follow redirects: a page answered with anything but 200 is a failure (a redirect
to the login page means the session was lost), a check-in is acknowledged by its 302.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser

TARGETS = json.loads(Path(os.environ["BENCH_TARGETS"]).read_text())
SESSIONS = json.loads(Path(os.environ["BENCH_SESSIONS"]).read_text())
PHASES = os.environ["BENCH_PHASES"].split(",")
PHASE_SECONDS = float(os.environ["BENCH_PHASE_SECONDS"])
SAMPLES = Path(os.environ["BENCH_SAMPLES"])

STAFF_PAGES = {"floor", "day", "caseload", "client", "brief", "alerts"}
# Pages about one client start with the therapist whose client has the longest history; the
# others with the busiest therapist (the pool is ordered by caseload).
BY_HISTORY = {"client", "brief"}


class State:
    phase: str | None = None
    phase_index = -1
    in_flight = 0
    done = False
    samples: dict[str, dict[str, Any]] = {}
    # Each link works once: a later run starts after the links earlier runs used.
    links = iter(TARGETS["links"][int(os.environ.get("BENCH_LINK_OFFSET", "0")) :])
    numbers = itertools.count()


APP_PIDS = [int(p) for p in os.environ.get("BENCH_CPU_PIDS", "").split(",") if p]
TICKS = os.sysconf("SC_CLK_TCK")


def _ticks(pid: int) -> int:
    """CPU time of a process so far and of its children it has waited for, in clock ticks.

    Counting the waited-for children keeps the sum over PostgreSQL's processes steady when a
    backend exits during a phase: its time moves into the postmaster's.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = stat.rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime


def _postmaster(port: str) -> int | None:
    """The bench's own PostgreSQL server: the postgres process started for its port (other
    clusters may run on the same machine)."""
    if not port:
        return None
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"port={port}".encode() in command:
            return int(entry.name)
    return None


POSTMASTER = _postmaster(os.environ.get("BENCH_DB_PORT", ""))


def _postgres_pids() -> list[int]:
    """The postmaster and its processes (backends, checkpointer, WAL writer, autovacuum)."""
    if POSTMASTER is None:
        return []
    found = [POSTMASTER]
    for thread in Path(f"/proc/{POSTMASTER}/task").glob("*"):
        try:
            found += [int(p) for p in (thread / "children").read_text().split()]
        except OSError:
            continue
    return found


def cpu_seconds() -> dict[str, float]:
    """CPU used so far by the gunicorn workers and by PostgreSQL's processes (if any)."""
    return {
        "app": sum(_ticks(p) for p in APP_PIDS) / TICKS,
        "db": sum(_ticks(p) for p in _postgres_pids()) / TICKS,
    }


def _new_phase_record(name: str) -> dict[str, Any]:
    return {
        "latencies_ms": [],
        "statuses": {},
        "ok": 0,
        "failed": 0,
        "started": time.time(),
        "ended": None,
        "acked_keys": [],
        "exhausted": False,
        "load_average": os.getloadavg()[0],
        "cpu_before": cpu_seconds(),
        "cpu_after": None,
    }


def controller(environment: Any, users: int) -> None:
    runner = environment.runner
    while runner.user_count < users:
        gevent.sleep(0.05)
    gevent.sleep(0.2)
    for index, name in enumerate(PHASES):
        State.samples[name] = _new_phase_record(name)
        State.phase_index, State.phase = index, name
        gevent.sleep(PHASE_SECONDS)
        State.phase = None
        while State.in_flight:
            gevent.sleep(0.002)
        State.samples[name]["ended"] = time.time()
        State.samples[name]["cpu_after"] = cpu_seconds()
    State.done = True
    SAMPLES.write_text(json.dumps(State.samples))
    runner.quit()


@events.test_start.add_listener  # type: ignore[untyped-decorator]
def on_test_start(environment: Any, **kwargs: Any) -> None:
    users = int(environment.parsed_options.num_users)
    gevent.spawn(controller, environment, users)


def _cookie(session: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in session.items())


class Person(FastHttpUser):
    wait_time = constant(0)
    # One connection per user, kept alive between requests as a browser would.
    concurrency = 1

    def on_start(self) -> None:
        self.client.client.cookiejar = None  # the session cookies go in by hand
        self.number = next(State.numbers)

    def _staff(self, page: str) -> dict[str, Any]:
        pool: list[dict[str, Any]] = TARGETS["staff"]
        if page in BY_HISTORY:
            pool = sorted(pool, key=lambda s: -s[f"{'brief_' if page == 'brief' else ''}history"])
        return pool[self.number % len(pool)]

    def _portal(self) -> dict[str, Any]:
        pool: list[dict[str, Any]] = TARGETS["portal"][: len(SESSIONS["portal"])]
        return pool[self.number % len(pool)]

    def _record(self, phase: str, started: float, status: int, ok: bool, key: str = "") -> None:
        record = State.samples[phase]
        record["latencies_ms"].append((time.perf_counter() - started) * 1000)
        record["statuses"][str(status)] = record["statuses"].get(str(status), 0) + 1
        record["ok" if ok else "failed"] += 1
        if key and ok:
            record["acked_keys"].append(key)

    def _send(self, phase: str) -> None:
        headers = {"Accept": "text/html"}
        key = ""
        if phase in STAFF_PAGES:
            who = self._staff(phase)
            headers["Cookie"] = _cookie(SESSIONS["staff"][who["email"]])
            method, path, data, want = "GET", who["urls"][phase], None, 200
        elif phase == "portal_home":
            who = self._portal()
            headers["Cookie"] = _cookie(SESSIONS["portal"][who["email"]])
            method, path, data, want = "GET", "/portal/", None, 200
        elif phase == "portal_checkin":
            who = self._portal()
            session = SESSIONS["portal"][who["email"]]
            headers["Cookie"] = _cookie(session)
            key = secrets.token_urlsafe(24)
            data = {
                "csrfmiddlewaretoken": session["csrftoken"],
                "mood": "6",
                "sleep": "5",
                "energy": "4",
                "homework_status": "partly",
                "note": "A benchmark check-in: the week went much as expected.",
                "idempotency_key": key,
            }
            method, path, want = "POST", "/portal/check-in/", 302
        elif phase == "questionnaire_link":
            link = next(State.links, None)
            if link is None:
                State.samples[phase]["exhausted"] = True
                gevent.sleep(0.05)
                return
            session = SESSIONS["anonymous"]
            headers["Cookie"] = _cookie(session)
            data = {"csrfmiddlewaretoken": session["csrftoken"], **link["data"]}
            method, path, want = "POST", link["path"], 200
        else:
            raise StopUser(f"unknown phase {phase}")
        body = None
        if data is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urlencode(data)
        started = time.perf_counter()
        State.in_flight += 1
        try:
            with self.client.request(
                method,
                path,
                data=body,
                headers=headers,
                allow_redirects=False,
                catch_response=True,
                name=phase,
            ) as response:
                status = int(response.status_code or 0)
                ok = status == want
                if ok:
                    response.success()
                else:
                    response.failure(f"HTTP {status}")
                self._record(phase, started, status, ok, key)
        finally:
            State.in_flight -= 1

    @task
    def work(self) -> None:
        phase = State.phase
        if State.done:
            raise StopUser()
        if phase is None:
            gevent.sleep(0.002)
            return
        self._send(phase)
