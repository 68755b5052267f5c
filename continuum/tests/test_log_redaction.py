"""Finding 7 of issue 18 (SECURITY.md promise 24): no query string and no one-time token in
any log line: gunicorn's access log (served as bin/demo-serve and docs/deployment.md serve it)
and every record of Python's logging.
"""

from __future__ import annotations

import http.client
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.test import SimpleTestCase

from continuum.lib.logredact import redact

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ["Tok3nQuestionnaire", "Tok3nSetPassword", "Tok3nEmail", "Tok3nReset", "Canary"]
URLS = [
    "/q/Tok3nQuestionnaire/",
    "/set-password/MQ/Tok3nSetPassword/",
    "/me/email/confirm/Tok3nEmail/",
    "/accounts/password/reset/key/1-Tok3nReset/",
    "/clients/?q=Canary",
    "/clients/1/reflections/?q=Canary+words",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(port: int, url: str) -> int:
    """One GET, redirects not followed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        connection.request("GET", url)
        return connection.getresponse().status
    finally:
        connection.close()


class RedactTests(SimpleTestCase):
    def test_tokens_and_query_strings_are_masked(self) -> None:
        for url in URLS:
            line = redact(f'127.0.0.1 "GET {url} HTTP/1.1" 302 - "https://x.example{url}"')
            for secret in SECRETS:
                self.assertNotIn(secret, line)

    def test_djangos_loggers_pass_through_the_filter(self) -> None:
        handler = logging.getLogger().handlers[0]
        record = logging.LogRecord(
            "django.request", logging.WARNING, __file__, 1, "Not Found: %s", (URLS[0],), None
        )
        self.assertTrue(handler.filter(record))
        self.assertNotIn("Tok3nQuestionnaire", record.getMessage())
        self.assertIn("/q/", record.getMessage())


class GunicornAccessLogTests(SimpleTestCase):
    def test_the_access_log_holds_no_token_and_no_query(self) -> None:
        port = free_port()
        with tempfile.TemporaryDirectory() as var:
            log = Path(var) / "access.log"
            env = {
                **os.environ,
                "CONTINUUM_VAR_DIR": var,
                "CONTINUUM_INSECURE_DEV": "1",
                "ALLOWED_HOSTS": "127.0.0.1",
                "STATIC_MANIFEST": "0",
            }
            stderr_path = Path(var) / "stderr.log"
            stderr = stderr_path.open("wb")  # a pipe nobody reads would fill and block
            server = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("gunicorn")),
                    "continuum.wsgi",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "1",
                    "--access-logfile",
                    str(log),
                    "--error-logfile",
                    str(Path(var) / "error.log"),
                    "--logger-class",
                    "continuum.lib.logredact.GunicornLogger",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
            try:
                for _ in range(150):
                    try:
                        get(port, "/ping/")
                        break
                    except OSError:
                        time.sleep(0.2)
                for url in URLS:
                    get(port, url)
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=30)
                stderr.close()
            err = stderr_path.read_bytes()
            text = log.read_text()
            self.assertEqual(text.count("\n"), len(URLS) + 1, text)
            for secret in SECRETS:
                self.assertNotIn(secret, text)
                self.assertNotIn(secret, err.decode())
            self.assertIn("/q/", text)
