"""Several app servers on one PostgreSQL, proven (issue 18, "Several app servers").

On a throwaway PostgreSQL cluster (bin/with-postgres), as docs/deployment.md describes a large
provider's set-up: two gunicorn servers on two ports, two `db_worker`s and two
`run_scheduler --loop` at once, every process with its own audit anchor file as if on its own
machine, and a real SMTP server on localhost counting what arrives.

1. Shared state, while both servers run: a session made on one server is used on the other
   (every portal request below alternates servers); a TOTP code accepted on one server is
   refused on the other; ten failed logins spread over both servers lock the address out on
   both (the database cache; the client's address from X-Real-IP, as behind nginx).
2. A load alternating between the servers: portal clients log in and send check-ins (form
   from one server, post to the other), questionnaire links are answered; meanwhile the
   schedulers record the appointment reminders due and the workers send them through SMTP.
3. Mid-run, one server and one worker are killed with SIGKILL (their whole process group, as a
   machine dies). Requests that got no answer are sent again to the surviving server with the
   same form (its idempotency key, the same link). New appointments are booked, so reminders
   fall due after the kill.
4. Afterwards: every acknowledged check-in and questionnaire is stored exactly once; every
   reminder row ends sent (or skipped), each sent one arrived exactly once, none arrived twice,
   and at most the one the killed worker was sending is "lost" (docs/operations.md); the audit
   chain verifies against every process's anchor file; the survivors stop cleanly on SIGTERM.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pyotp
import pytest
import requests

from continuum.accounts.mfa import TEST_TOTP_SECRET
from continuum.testing.smtp import SmtpServer, free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
KEYS = "VGVzdHMgb25seTogbm90IGEgcmVhbCBrZXkgISEhISE="
PASSWORD = "correct-horse-battery-staple"
CLIENTS = 10  # portal clients, each logging in once and sending CHECKINS check-ins
CHECKINS = 3
LINKS = 10  # questionnaire links answered
APPOINTMENTS_LATER = 6  # booked after the kill: reminders that fall due then
LOCKED = "Too many failed login attempts. Try again later."

SEED = """
import json, sys
from datetime import timedelta
import django
django.setup()
from django.utils import timezone
from continuum.accounts.actors import actor_for
from continuum.accounts.mfa import TEST_TOTP_SECRET, enrol_totp
from continuum.accounts.models import Membership, Practice, User
from continuum.care.models import Appointment, Client, Episode
from continuum.measures.instruments import get_instrument
from continuum.measures.models import Administration
from continuum.measures.services import issue_link, link_path
from continuum.notify.models import ReminderPreferences
from continuum.portal.models import PortalSettings

clients, links = int(sys.argv[1]), int(sys.argv[2])
password = "correct-horse-battery-staple"
practice = Practice.objects.create(name="Scale-out practice")
therapist = User.objects.create_user("therapist@example.org", password, time_zone="UTC")
Membership.objects.create(user=therapist, practice=practice)
enrol_totp(therapist, TEST_TOTP_SECRET)
start = timezone.now() + timedelta(hours=12)
out = {"clients": [], "links": []}
for i in range(max(clients, links)):
    email = f"client{i}@example.net"
    client = Client.objects.create(
        practice=practice, therapist=therapist, first_name="Client", last_name=str(i),
        email=email, time_zone="UTC",
    )
    ReminderPreferences.objects.create(client=client, quiet_start=None, quiet_end=None)
    episode = Episode.objects.create(
        client=client, therapist=therapist, referral_reason="r",
        start_date=timezone.localdate(), status="active",
    )
    Appointment.objects.create(
        client=client, therapist=therapist, episode=episode, starts_at=start + timedelta(minutes=i),
    )
    if i < clients:
        user = User.objects.create_user(email, password, time_zone="UTC")
        client.user = user
        client.save(update_fields=["user"])
        PortalSettings.objects.create(client=client, checkin_cadence="daily")
        out["clients"].append(email)
    if i < links:
        admin = Administration.objects.create(
            episode=episode, client=client, instrument="phq9", instrument_version="1",
            status="pending", due_at=timezone.now() + timedelta(days=2),
            window_ends_at=timezone.now() + timedelta(days=9),
        )
        issue_link(admin, actor=actor_for(therapist))
        admin.refresh_from_db()
        out["links"].append([admin.pk, link_path(admin)])
out["items"] = [item.key for item in get_instrument("phq9").items]
print(json.dumps(out))
"""

BOOK_LATER = """
import sys
from datetime import timedelta
import django
django.setup()
from django.utils import timezone
from continuum.care.models import Appointment, Episode
for episode in Episode.objects.order_by("pk")[: int(sys.argv[1])]:
    Appointment.objects.create(
        client=episode.client, therapist=episode.therapist, episode=episode,
        starts_at=timezone.now() + timedelta(hours=20),
    )
"""


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """A throwaway cluster from bin/with-postgres, held open until the module's tests end."""
    holder = subprocess.Popen(
        [
            str(ROOT / "bin/with-postgres"),
            PY,
            "-c",
            "import os, sys; print(os.environ['DATABASE_URL'], flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    url = holder.stdout.readline().strip()
    assert url.startswith("postgres://"), "bin/with-postgres did not start a cluster"
    yield url
    assert holder.stdin is not None
    holder.stdin.close()  # the holder exits; with-postgres stops and removes the cluster
    holder.wait(timeout=120)


@dataclass
class Cluster:
    url: str
    folder: Path
    smtp_port: int
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    dead: set[str] = field(default_factory=set)
    resent: int = 0  # requests sent again to another server after getting no answer
    resent_sessions: set[int] = field(default_factory=set)  # id() of the sessions concerned
    refused_after_kill: int = 0  # logins refused for a dead server's rate-limit lock
    lock: threading.Lock = field(default_factory=threading.Lock)

    def env(self, name: str = "tool", **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in {"SQLITE_PATH", "DEBUG"}}
        env.update(
            DATABASE_URL=self.url,
            ENCRYPTION_KEYS=KEYS,
            CONTINUUM_INSECURE_DEV="1",
            CONTINUUM_VAR_DIR=str(self.folder),
            DJANGO_SETTINGS_MODULE="continuum.settings",
            # No collectstatic for a test: whitenoise serves the source folders.
            STATIC_MANIFEST="0",
            WHITENOISE_USE_FINDERS="1",
            # As behind nginx (deploy/nginx/continuum.conf): the client's address is X-Real-IP.
            TRUSTED_CLIENT_IP_HEADER="X-Real-IP",
            # Each process as on its own machine: its own anchor file.
            AUDIT_ANCHOR_FILE=str(self.folder / f"{name}.anchor"),
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(self.smtp_port),
            EMAIL_USE_TLS="false",
            NOTIFY_THERAPIST_DAY_EMAILS="false",
            NOTIFY_WELLBEING_DIGESTS="false",
            # A lost task or a killed sender is noticed at the next pass, not in 10 minutes.
            NOTIFY_RETRY_AFTER_SECONDS="5",
            NOTIFY_LOST_AFTER_SECONDS="5",
        )
        env.update(extra)
        return env

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [PY, *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def start(self, name: str, *args: str) -> None:
        log = (self.folder / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(
            list(args),
            cwd=ROOT,
            env=self.env(name),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed as a whole, as a machine
        )

    def start_server(self, name: str) -> None:
        self.ports[name] = free_port()
        gunicorn = str(Path(PY).parent / "gunicorn")
        self.start(
            name,
            gunicorn,
            "continuum.wsgi",
            "--bind",
            f"127.0.0.1:{self.ports[name]}",
            "--workers",
            "2",
            "--access-logfile",
            "-",
            "--logger-class",
            "continuum.lib.logredact.GunicornLogger",
        )

    def kill(self, name: str) -> None:
        with self.lock:
            self.dead.add(name)
        os.killpg(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait(timeout=30)

    def servers(self, first: int) -> list[str]:
        """The live servers, starting with the `first`-th (so calls alternate)."""
        names = sorted(self.ports)
        order = names[first % len(names) :] + names[: first % len(names)]
        with self.lock:
            return [n for n in order if n not in self.dead]

    def url_of(self, server: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[server]}{path}"

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")[-3000:]


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match is not None, html[:500]
    return match.group(1)


def call(
    cluster: Cluster, turn: int, method: str, path: str, session: requests.Session, **kw: Any
) -> tuple[str, requests.Response]:
    """One request, to the `turn`-th live server, or the next one if it gets no answer (the
    same request again: a form's idempotency key or a link makes a second send harmless)."""
    last: Exception | None = None
    for server in cluster.servers(turn):
        try:
            response = session.request(
                method, cluster.url_of(server, path), allow_redirects=False, timeout=60, **kw
            )
            return server, response
        except requests.ConnectionError as error:
            last = error
            with cluster.lock:
                cluster.resent += 1
                cluster.resent_sessions.add(id(session))
    raise AssertionError(f"no server answered {method} {path}: {last}")


def log_in(cluster: Cluster, turn: int, email: str, ip: str, password: str = PASSWORD) -> Any:
    session = requests.Session()
    session.headers["X-Real-IP"] = ip
    _, page = call(cluster, turn, "GET", "/accounts/login/", session)
    _, response = call(
        cluster,
        turn + 1,
        "POST",
        "/accounts/login/",
        session,
        data={"login": email, "password": password, "csrfmiddlewaretoken": csrf_of(page.text)},
    )
    return session, response


def test_two_servers_two_workers_two_schedulers_one_of_each_killed(database_url: str) -> None:
    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="continuum-scale-out-"))
    with SmtpServer(delay=0.5) as smtp:
        cluster = Cluster(database_url, folder, smtp.port)
        try:
            run_scenario(cluster, smtp, started)
        finally:
            for proc in cluster.procs.values():
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=30)


def run_scenario(cluster: Cluster, smtp: SmtpServer, started: float) -> None:
    cluster.run("manage.py", "migrate", "--no-input", "-v", "0", "--skip-checks")
    cluster.run("manage.py", "createcachetable")
    seed = json.loads(cluster.run("-c", SEED, str(CLIENTS), str(LINKS)))
    for name in ("server-a", "server-b"):
        cluster.start_server(name)
    for name in ("scheduler-1", "scheduler-2"):
        cluster.start(name, PY, "manage.py", "run_scheduler", "--loop", "--interval", "1")
    deadline = time.monotonic() + 120
    for name in ("server-a", "server-b"):
        while True:
            try:
                requests.get(cluster.url_of(name, "/accounts/login/"), timeout=60)
                break
            except requests.ConnectionError:
                assert cluster.procs[name].poll() is None, cluster.log(name)
                assert time.monotonic() < deadline, f"{name} never answered"
                time.sleep(0.5)

    # --- 1. shared state ------------------------------------------------------------------
    # A TOTP code is accepted once, whichever server sees it (not too close to its step's end).
    while 30 - time.time() % 30 < 12:
        time.sleep(0.5)
    code = pyotp.TOTP(TEST_TOTP_SECRET).now()
    answers = []
    for turn in (0, 1):  # log in on server-a then server-b (log_in alternates GET/POST)
        session, response = log_in(cluster, turn, "therapist@example.org", f"192.0.2.{turn + 1}")
        assert response.status_code == 302, response.text[-1000:]
        assert response.headers["Location"] == "/accounts/2fa/authenticate/"
        _, form = call(cluster, turn, "GET", "/accounts/2fa/authenticate/", session)
        _, answer = call(
            cluster,
            turn + 1,
            "POST",
            "/accounts/2fa/authenticate/",
            session,
            data={"code": code, "csrfmiddlewaretoken": csrf_of(form.text)},
        )
        answers.append(answer)
    assert answers[0].status_code == 302, answers[0].text[-1000:]
    assert answers[1].status_code == 200
    assert "Incorrect code." in answers[1].text

    # Ten failed logins from one address, alternating servers, lock it out on both.
    for n in range(10):
        _, response = log_in(cluster, n, f"guess{n}@example.org", "198.51.100.77", "wrong-pass")
        assert response.status_code == 200
        assert LOCKED not in response.text
    for turn in (0, 1):
        _, response = log_in(cluster, turn, seed["clients"][0], "198.51.100.77")
        assert LOCKED in response.text

    # --- 2. the load, and 3. the kill -----------------------------------------------------
    for name in ("worker-1", "worker-2"):
        cluster.start(
            name,
            PY,
            "manage.py",
            "db_worker",
            "--interval",
            "0.1",
            "--no-startup-delay",
            "--skip-checks",
        )
    acknowledged_checkins: list[tuple[str, str]] = []
    acknowledged_links: list[int] = []
    progress = threading.Event()

    def portal_client(i: int) -> None:
        email = seed["clients"][i]
        session, response = log_in(cluster, i, email, f"203.0.113.{i + 1}")
        if id(session) in cluster.resent_sessions and (
            response.status_code == 429 or LOCKED in response.text
        ):
            # A server killed while it held one of allauth's rate-limit locks (a row in the
            # shared database cache, kept for allauth's CACHE_LOCK_TIMEOUT of 10 s) makes the
            # same login, sent again to the survivor within that time, look rate-limited. A
            # person who tries again after those seconds gets in (docs/deployment.md); only
            # a login that was sent again may be refused like this.
            with cluster.lock:
                cluster.refused_after_kill += 1
            time.sleep(11)
            session, response = log_in(cluster, i, email, f"203.0.113.{i + 1}")
        assert response.status_code == 302, response.text[-1000:]
        for k in range(CHECKINS):
            turn = i + k
            # The form from one server, the post to the other: one session, both servers.
            _, form = call(cluster, turn, "GET", "/portal/check-in/", session)
            assert form.status_code == 200, form.text[-1000:]
            key = re.search(r'name="idempotency_key" value="([^"]+)"', form.text)
            assert key is not None
            data = {
                "mood": str(k + 3),
                "sleep": "",
                "energy": "",
                "homework_status": "",
                "note": f"scale-out check-in {i}.{k}",
                "idempotency_key": key.group(1),
                "csrfmiddlewaretoken": csrf_of(form.text),
            }
            _, response = call(cluster, turn + 1, "POST", "/portal/check-in/", session, data=data)
            assert response.status_code == 302, response.text[-1000:]
            assert re.match(r"^/portal/check-ins/\d+/$", response.headers["Location"])
            with cluster.lock:
                acknowledged_checkins.append((email, key.group(1)))
            progress.set()

    def questionnaire(j: int) -> None:
        admin_id, path = seed["links"][j]
        session = requests.Session()
        session.headers["X-Real-IP"] = f"203.0.113.{100 + j}"
        _, form = call(cluster, j, "GET", path, session)
        assert form.status_code == 200, form.text[-1000:]
        data = {f"item_{key}": "0" for key in seed["items"]}
        data["csrfmiddlewaretoken"] = csrf_of(form.text)
        _, response = call(cluster, j + 1, "POST", path, session, data=data)
        if response.status_code == 200 and "csrfmiddlewaretoken" not in response.text:
            with cluster.lock:
                acknowledged_links.append(admin_id)
        progress.set()

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(portal_client, i) for i in range(CLIENTS)]
        futures += [pool.submit(questionnaire, j) for j in range(LINKS)]
        # Kill a worker while it is sending reminders, and a server while requests are in
        # flight (a third of the check-ins acknowledged).
        deadline = time.monotonic() + 120
        sent_before_kill = 0
        while cluster.dead != {"worker-1", "server-b"}:
            if "worker-1" not in cluster.dead and smtp.recorder.count() >= 2:
                cluster.kill("worker-1")
                sent_before_kill = smtp.recorder.count()
            if "server-b" not in cluster.dead and len(acknowledged_checkins) >= CLIENTS:
                cluster.kill("server-b")
            assert time.monotonic() < deadline, "the load never got going"
            time.sleep(0.02)
        killed_at = time.monotonic()
        for future in futures:
            future.result()
    assert sent_before_kill < max(CLIENTS, LINKS), "the workers finished before the kill"

    # Reminders that fall due after the kill (new appointments): the next minute's pass.
    cluster.run("-c", BOOK_LATER, str(APPOINTMENTS_LATER))
    expected_reminders = max(CLIENTS, LINKS) + APPOINTMENTS_LATER

    # --- 4. afterwards ------------------------------------------------------------------
    with psycopg.connect(cluster.url, autocommit=True) as db:
        deadline = time.monotonic() + 150
        while True:
            rows: dict[int, str] = dict(
                db.execute("SELECT id, status FROM notify_reminder").fetchall()
            )
            appointment_rows = db.execute(
                "SELECT count(*) FROM notify_reminder WHERE kind = 'appointment'"
            ).fetchone()
            unfinished = [i for i, s in rows.items() if s in {"pending", "sending"}]
            if appointment_rows and appointment_rows[0] >= expected_reminders and not unfinished:
                break
            assert time.monotonic() < deadline, (rows, cluster.log("scheduler-1"))
            time.sleep(1)

        checkins = db.execute(
            "SELECT u.email, c.idempotency_key FROM portal_checkin c "
            "JOIN care_client cl ON cl.id = c.client_id JOIN accounts_user u ON u.id = cl.user_id"
        ).fetchall()
        completed = [
            row[0]
            for row in db.execute(
                "SELECT id FROM measures_administration WHERE status = 'completed'"
            ).fetchall()
        ]

    # Every acknowledged write stored exactly once (and nothing stored twice).
    stored = Counter(checkins)
    assert [k for k, n in stored.items() if n > 1] == []
    assert set(acknowledged_checkins) <= set(stored)
    assert len(acknowledged_checkins) == CLIENTS * CHECKINS
    assert set(acknowledged_links) <= set(completed)
    assert len(completed) == len(set(completed)) == LINKS

    # Every reminder sent exactly once; at most the one in the killed worker's hands is lost.
    arrived = Counter(int(m["X-Continuum-Reminder"]) for m in smtp.messages)
    assert [i for i, n in arrived.items() if n > 1] == [], "a reminder arrived twice"
    lost = {i for i, s in rows.items() if s == "lost"}
    assert len(lost) <= 1, rows
    assert {s for i, s in rows.items() if i not in lost} <= {"sent", "skipped"}, rows
    sent = {i for i, s in rows.items() if s == "sent"}
    assert sent == set(arrived) - lost
    assert len(rows) >= expected_reminders

    # The audit chain verifies, against the anchor file each process kept.
    anchors = sorted(cluster.folder.glob("*.anchor"))
    assert anchors, "no process wrote an anchor file"
    for anchor in anchors:
        done = subprocess.run(
            [PY, "manage.py", "audit_verify", "--skip-checks"],
            cwd=ROOT,
            env=cluster.env(anchor.stem),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, (anchor.name, done.stdout, done.stderr[-2000:])
        assert "Audit log intact" in done.stdout

    # The survivors stop cleanly, as systemd stops them.
    for name, proc in cluster.procs.items():
        if name in cluster.dead:
            continue
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, (name, cluster.log(name))
    print(
        f"scale-out: {len(acknowledged_checkins)} check-ins, {len(acknowledged_links)} "
        f"questionnaires, {cluster.resent} requests sent again after the kill "
        f"({cluster.refused_after_kill} logins refused for a dead server's lock), "
        f"{len(arrived)} reminders ({len(lost)} lost), "
        f"{time.monotonic() - killed_at:.0f} s after the kill, "
        f"{time.monotonic() - started:.0f} s in all"
    )
