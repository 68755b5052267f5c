"""The deployment files in deploy/ (issue 18): what can be checked on this machine is checked.

- every systemd unit passes `systemd-analyze verify` (with the install path /opt/continuum
  pointed at this checkout, whose .venv holds the binaries the units name) and scores "OK"
  in `systemd-analyze security --offline`;
- the nginx site passes `nginx -t` inside a minimal nginx.conf;
- the Containerfile and compose file are read for what they must say (no image is built here:
  there is no container engine running);
- a smoke test starts the very commands the units' ExecStart lines run, with the units' own
  environment (credentials in a temporary folder standing in for %d) and the example env file,
  DEBUG off, on a temporary SQLite file: the web server answers the login page through the
  forwarded headers nginx sets, the worker and the scheduler stay up, and all three stop
  cleanly on SIGTERM, as systemd stops them.

.ci/run installs nginx and systemd's analyzer where a fresh machine lacks them.
"""

from __future__ import annotations

import http.client
import os
import re
import shlex
import shutil
import signal
import sqlite3
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from continuum.testing.smtp import SmtpServer, free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
INSTALL = "/opt/continuum"
UNITS = sorted((DEPLOY / "systemd").glob("continuum-*.service"))
TIMERS = sorted((DEPLOY / "systemd").glob("continuum-*.timer"))
LONG_RUNNING = ["continuum-web.service", "continuum-worker.service", "continuum-scheduler.service"]
KEY = "VGVzdHMgb25seTogbm90IGEgcmVhbCBrZXkgISEhISE="


def need(tool: str) -> str:
    path = shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/sbin")
    if path is None:
        pytest.fail(f"{tool} is not installed (.ci/run installs it: apt-get install {tool})")
    return path


def service_section(unit: Path) -> list[tuple[str, str]]:
    """The [Service] section's settings, in order (keys repeat in unit files)."""
    items: list[tuple[str, str]] = []
    section = ""
    for raw in unit.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line
        elif section == "[Service]":
            key, _, value = line.partition("=")
            items.append((key, value))
    return items


def local_copy(folder: Path, unit: Path) -> Path:
    target = folder / unit.name
    target.write_text(unit.read_text().replace(INSTALL, str(ROOT)))
    return target


def test_there_is_a_unit_for_every_process() -> None:
    names = {unit.name for unit in UNITS}
    assert set(LONG_RUNNING) <= names
    commands = {unit.name: dict(service_section(unit))["ExecStart"] for unit in UNITS}
    assert "gunicorn continuum.wsgi" in commands["continuum-web.service"]
    assert commands["continuum-worker.service"].endswith("manage.py db_worker")
    assert commands["continuum-scheduler.service"].endswith("manage.py run_scheduler --loop")
    assert commands["continuum-audit-verify.service"].endswith("manage.py audit_verify")
    assert [timer.name for timer in TIMERS] == ["continuum-audit-verify.timer"]


def test_every_unit_is_hardened() -> None:
    for unit in UNITS:
        settings = dict(service_section(unit))
        for key, value in {
            "User": "continuum",
            "NoNewPrivileges": "yes",
            "ProtectSystem": "strict",
            "ProtectHome": "yes",
            "PrivateTmp": "yes",
            "CapabilityBoundingSet": "",
            "EnvironmentFile": "/etc/continuum/env",
            "StateDirectory": "continuum",
        }.items():
            assert settings.get(key) == value, (unit.name, key)
        assert settings["RestrictAddressFamilies"] == "AF_INET AF_INET6 AF_UNIX", unit.name


def test_systemd_analyze_verify_passes_on_every_unit(tmp_path: Path) -> None:
    analyze = need("systemd-analyze")
    copies = [local_copy(tmp_path, unit) for unit in [*UNITS, *TIMERS]]
    result = subprocess.run(
        [analyze, "verify", *map(str, copies)], capture_output=True, text=True, timeout=120
    )
    # A misspelt key or a bad value is only a warning (exit 0): any output fails the test.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
    for copy in copies:
        if copy.suffix != ".service":
            continue
        security = subprocess.run(
            [analyze, "security", "--offline=yes", "--threshold=20", str(copy)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert security.returncode == 0, security.stdout[-2000:]
        assert re.search(r"Overall exposure level for \S+: 1\.\d OK", security.stdout), copy


def minimal_nginx(folder: Path, site: Path) -> Path:
    """An nginx.conf that includes the site as /etc/nginx/nginx.conf would, with a throwaway
    certificate and every path inside `folder`."""
    (folder / "logs").mkdir()
    (folder / "tmp").mkdir()
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
            "-days", "1", "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem"),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )  # fmt: skip
    text = site.read_text()
    text = text.replace("/etc/letsencrypt/live/continuum.example.org/fullchain.pem", "cert.pem")
    text = text.replace("/etc/letsencrypt/live/continuum.example.org/privkey.pem", "key.pem")
    text = text.replace("/var/log/nginx/", f"{folder}/logs/")
    (folder / "continuum.conf").write_text(text)
    conf = folder / "nginx.conf"
    conf.write_text(
        f"pid {folder}/nginx.pid;\nerror_log {folder}/logs/error.log;\nevents {{}}\n"
        "http {\n  include /etc/nginx/mime.types;\n"
        + "".join(
            f"  {kind}_temp_path {folder}/tmp;\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        + f"  include {folder}/continuum.conf;\n}}\n"
    )
    return conf


def test_nginx_accepts_the_site(tmp_path: Path) -> None:
    nginx = need("nginx")
    site = DEPLOY / "nginx" / "continuum.conf"
    text = site.read_text()
    # The headers the app trusts (BEHIND_TLS_PROXY, TRUSTED_CLIENT_IP_HEADER), set by nginx.
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in text
    assert "proxy_set_header X-Real-IP $remote_addr;" in text
    # The largest upload (a 5 MB import) fits; HSTS is the app's, not doubled by nginx.
    assert "client_max_body_size 6m;" in text
    assert "Strict-Transport-Security" not in text.replace("# ", "")
    conf = minimal_nginx(tmp_path, site)
    result = subprocess.run(
        [nginx, "-t", "-c", str(conf), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_the_upload_limit_matches_the_app() -> None:
    from continuum.exchange.importing import MAX_BYTES

    site = (DEPLOY / "nginx" / "continuum.conf").read_text()
    limit = int(re.search(r"client_max_body_size (\d+)m;", site).group(1))  # type: ignore[union-attr]
    assert MAX_BYTES < limit * 1024 * 1024 <= MAX_BYTES + 2 * 1024 * 1024


def test_the_container_files_say_what_they_must() -> None:
    containerfile = (DEPLOY / "container" / "Containerfile").read_text()
    assert re.search(r"^FROM \S*python:3\.11-slim", containerfile, re.M)
    assert "pip install --require-hashes --no-deps -r /tmp/requirements.txt" in containerfile
    assert "COPY requirements/base.txt /tmp/requirements.txt" in containerfile
    assert re.search(r"^USER continuum", containerfile, re.M)
    assert "collectstatic" in containerfile
    for source in re.findall(r"^COPY (\S+)", containerfile, re.M):
        assert (ROOT / source).exists(), source
    compose = yaml.safe_load((DEPLOY / "container" / "compose.yaml").read_text())
    services = compose["services"]
    assert services["db"]["image"].endswith("postgres:15")
    commands = {name: " ".join(spec.get("command", [])) for name, spec in services.items()}
    assert commands["worker"] == "python manage.py db_worker"
    assert commands["scheduler"] == "python manage.py run_scheduler --loop"
    assert "manage.py migrate" in commands["migrate"]
    for name in ("web", "worker", "scheduler", "migrate"):
        spec = services[name]
        assert spec["environment"]["SECRET_KEY_FILE"].startswith("/run/secrets/"), name
        assert spec["environment"]["ENCRYPTION_KEYS_FILE"].startswith("/run/secrets/"), name
        assert spec["read_only"] is True, name
        assert spec["cap_drop"] == ["ALL"], name
    assert services["web"]["ports"] == ["127.0.0.1:8000:8000"]


# --- The smoke test -------------------------------------------------------------------------


def through_nginx(folder: Path, app_port: int, tls: int, database: Path) -> None:
    """The nginx site itself in front of the running gunicorn (ports moved to free ones): the
    login page over TLS with the app's HSTS, and a failed login from 127.0.0.2 audited with
    that address, not the proxy's (X-Real-IP); no query string in nginx's access log."""
    nginx = need("nginx")
    place = folder / "nginx"
    place.mkdir()
    site = folder / "site.conf"
    plain = free_port()
    text = (DEPLOY / "nginx" / "continuum.conf").read_text()
    text = text.replace("server 127.0.0.1:8000", f"server 127.0.0.1:{app_port}")
    text = text.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{tls} ssl http2;")
    text = text.replace("listen 80;", f"listen 127.0.0.1:{plain};")
    text = "\n".join(line for line in text.splitlines() if "listen [::]" not in line)
    site.write_text(text)
    conf = minimal_nginx(place, site)
    conf.write_text(conf.read_text().replace("events {}", "daemon off;\nevents {}"))
    server = subprocess.Popen(
        [nginx, "-c", str(conf), "-p", str(place)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE

        def https(method: str, path: str, body: str = "", **headers: str) -> Any:
            deadline = time.monotonic() + 30
            while True:
                connection = http.client.HTTPSConnection(
                    "127.0.0.1", tls, context=context, timeout=30, source_address=("127.0.0.2", 0)
                )
                try:
                    connection.request(method, path, body=body or None, headers=headers)
                    response = connection.getresponse()
                    return response, response.read().decode()
                except ConnectionRefusedError:
                    assert server.poll() is None, server.stderr.read() if server.stderr else ""
                    assert time.monotonic() < deadline, "nginx never answered"
                    time.sleep(0.2)
                finally:
                    connection.close()

        response, page = https("GET", "/accounts/login/?search=private-words")
        assert response.status == 200, page[-2000:]
        assert response.headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )
        assert response.headers.get_all("Strict-Transport-Security") == [
            response.headers["Strict-Transport-Security"]
        ]
        cookie = response.headers["Set-Cookie"].split(";")[0]
        assert "Secure" in response.headers["Set-Cookie"]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token is not None
        body = urllib.parse.urlencode(
            {
                "login": "nobody@example.org",
                "password": "wrong-password-1",
                "csrfmiddlewaretoken": token.group(1),
            }
        )
        response, page = https(
            "POST",
            "/accounts/login/",
            body,
            **{
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookie,
                "Referer": f"https://127.0.0.1:{tls}/accounts/login/",
                # A client trying to choose its own address: nginx overwrites it.
                "X-Real-IP": "192.0.2.66",
            },
        )
        assert response.status == 200, page[-2000:]
        with sqlite3.connect(database) as db:
            rows = db.execute("SELECT ip FROM audit_auditevent WHERE action = 'login.failed'")
            assert [ip for (ip,) in rows] == ["127.0.0.2"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    logged = (place / "logs" / "continuum.access.log").read_text()
    assert 'GET /accounts/login/ HTTP/1.1" 200' in logged
    assert "private-words" not in logged
    assert logged.startswith("127.0.0.2 ")


def env_file(path: Path) -> dict[str, str]:
    values = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def unit_process(
    unit: Path, credentials: Path, state: Path, config: dict[str, str]
) -> tuple[list[str], dict[str, str]]:
    """The unit's ExecStart as argv and its environment, as systemd would give them."""
    settings = service_section(unit)
    env = {
        k: v for k, v in os.environ.items() if k in {"PATH", "LANG", "LC_ALL", "HOME", "PYTHONPATH"}
    }
    for key, value in settings:
        if key == "Environment":
            name, _, val = value.partition("=")
            val = val.replace("%d", str(credentials))
            env[name] = val.replace("/var/lib/continuum", str(state))
    env.update(config)  # EnvironmentFile= comes after Environment=
    argv = shlex.split(dict(settings)["ExecStart"].replace(INSTALL, str(ROOT)))
    assert dict(settings)["WorkingDirectory"] == INSTALL
    return argv, env


def get(url: str, **headers: str) -> tuple[int, dict[str, str], str]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 (http:// only)
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), ""


def test_the_units_commands_run_and_stop_cleanly() -> None:
    folder = Path(tempfile.mkdtemp(prefix="continuum-smoke-"))
    try:
        run_smoke_test(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_smoke_test(folder: Path) -> None:
    credentials = folder / "credentials"
    state = folder / "state"
    credentials.mkdir(mode=0o700)
    state.mkdir(mode=0o700)
    (credentials / "secret_key").write_text("smoke-test-" + "x" * 60)
    (credentials / "encryption_keys").write_text(KEY)
    (credentials / "smtp_password").write_text("")
    port, tls = free_port(), free_port()  # gunicorn's, and nginx's in front of it
    config = env_file(DEPLOY / "continuum.env.example")
    assert "DEBUG" not in config
    assert "CONTINUUM_INSECURE_DEV" not in config
    with SmtpServer() as smtp:
        config.update(
            SITE_URL="https://127.0.0.1",
            ALLOWED_HOSTS="127.0.0.1",
            # The browser's origin is https://127.0.0.1:<nginx's port>, not the default 443.
            CSRF_TRUSTED_ORIGINS=f"https://127.0.0.1:{tls}",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp.port),
            EMAIL_USE_TLS="false",
        )
        processes: dict[str, subprocess.Popen[str]] = {}
        logs: dict[str, Path] = {}
        try:
            for name in LONG_RUNNING:
                argv, env = unit_process(DEPLOY / "systemd" / name, credentials, state, config)
                if name == "continuum-web.service":
                    # The install steps of docs/deployment.md, as the app's user would run them.
                    for step in (
                        ["migrate", "--no-input", "-v", "0"],
                        ["createcachetable"],
                        ["collectstatic", "--no-input", "-v", "0"],
                    ):
                        done = subprocess.run(
                            [str(ROOT / ".venv/bin/python"), "manage.py", *step],
                            cwd=ROOT,
                            env=env,
                            capture_output=True,
                            text=True,
                            timeout=600,
                        )
                        assert done.returncode == 0, done.stderr[-3000:]
                    argv = [a.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for a in argv]
                logs[name] = folder / f"{name}.log"
                processes[name] = subprocess.Popen(
                    argv,
                    cwd=ROOT,
                    env=env,
                    stdout=logs[name].open("w"),
                    stderr=subprocess.STDOUT,
                    text=True,
                )
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while True:
                try:
                    status, headers, body = get(
                        f"{base}/accounts/login/?next=/secret-search-words/",
                        **{"X-Forwarded-Proto": "https", "X-Real-IP": "203.0.113.7"},
                    )
                    break
                except OSError:
                    assert processes["continuum-web.service"].poll() is None, logs[
                        "continuum-web.service"
                    ].read_text()[-3000:]
                    assert time.monotonic() < deadline, "gunicorn never answered"
                    time.sleep(0.5)
            assert status == 200, body[-2000:]
            assert 'name="password"' in body
            assert headers["Strict-Transport-Security"] == (
                "max-age=31536000; includeSubDomains; preload"
            )
            # Plain http (no X-Forwarded-Proto from the proxy) is sent to https.
            status, headers, _ = get(f"{base}/accounts/login/")
            assert status == 301
            assert headers["Location"].startswith("https://")
            # Static files come from whitenoise, hashed names cached for good.
            css = re.search(r'href="(/static/[^"]+\.css)"', body)
            assert css is not None
            status, headers, _ = get(base + css.group(1), **{"X-Forwarded-Proto": "https"})
            assert status == 200
            assert "immutable" in headers.get("Cache-Control", "")

            through_nginx(folder, port, tls, state / "continuum.sqlite3")

            time.sleep(5)  # the worker and the scheduler stay up (the scheduler's first pass)
            for name, process in processes.items():
                assert process.poll() is None, (name, logs[name].read_text()[-3000:])
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)  # what `systemctl stop` sends
            codes = {}
            for name, process in processes.items():
                try:
                    codes[name] = process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
                    codes[name] = "did not stop on SIGTERM"  # type: ignore[assignment]
        tails = {name: log.read_text()[-2000:] for name, log in logs.items()}
        assert codes == dict.fromkeys(LONG_RUNNING, 0), tails
    scheduler = logs["continuum-scheduler.service"].read_text()
    assert "scheduler: audit.seal" in scheduler, scheduler[-2000:]
    access = logs["continuum-web.service"].read_text()
    assert "GET /accounts/login/?" in access
    assert "secret-search-words" not in access
