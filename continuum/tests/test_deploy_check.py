"""SECURITY.md promise 10: `manage.py check --deploy` passes under production settings.

Settings are read once per process, so each case runs manage.py in a subprocess with the
environment a production deployment would have (docs/deployment.md).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

from django.test import SimpleTestCase

ROOT = Path(__file__).resolve().parents[2]
ONE_YEAR = 365 * 24 * 3600
PRODUCTION = {
    "DEBUG": "0",
    "SITE_URL": "https://continuum.example.org",
    "ALLOWED_HOSTS": "continuum.example.org",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_COOKIES": "1",
}
SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
names = [
    "DEBUG", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE", "CSRF_COOKIE_SAMESITE", "SECURE_CONTENT_TYPE_NOSNIFF",
    "X_FRAME_OPTIONS", "SECURE_REFERRER_POLICY", "SECURE_HSTS_PRELOAD",
]
print(json.dumps({name: getattr(s, name) for name in names}))
"""


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "SECRET_KEY",
            "SECRET_KEY_FILE",
            "DEBUG",
            "DJANGO_SETTINGS_MODULE",
            "CONTINUUM_INSECURE_DEV",
            "ENCRYPTION_KEYS_FILE",
        }
        and not k.startswith("SECURE_")
    }
    with tempfile.TemporaryDirectory() as var:
        base.update(
            CONTINUUM_VAR_DIR=var,
            DJANGO_SETTINGS_MODULE="continuum.settings",
            ENCRYPTION_KEYS="VGVzdHMgb25seTogbm90IGEgcmVhbCBrZXkgISEhISE=",
        )
        base.update(env)
        return subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120
        )


def check_deploy(**env: str) -> subprocess.CompletedProcess[str]:
    return run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **env)


def strong_key() -> str:
    return secrets.token_urlsafe(64)


class DeployCheckTests(SimpleTestCase):
    def test_it_passes_with_production_settings(self) -> None:
        result = check_deploy(SECRET_KEY=strong_key(), **PRODUCTION)

        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("System check identified no issues", result.stdout)

    def test_it_refuses_to_start_on_the_built_in_development_key(self) -> None:
        # Issue 18, finding 10: before, only `check --deploy` objected (security.W009); the
        # app itself started. Now every command refuses, naming the variable.
        for args in (["manage.py", "check"], ["-c", SHOW_SETTINGS]):
            result = run(args, **PRODUCTION)

            self.assertNotEqual(result.returncode, 0)
            self.assertIn("SECRET_KEY", result.stderr)
            self.assertIn("refusing to start", result.stderr)

    def test_it_refuses_to_start_without_encryption_keys(self) -> None:
        result = run(
            ["manage.py", "check"], SECRET_KEY=strong_key(), ENCRYPTION_KEYS="", **PRODUCTION
        )

        self.assertNotEqual(result.returncode, 0)
        self.assertIn("ENCRYPTION_KEYS", result.stderr)
        self.assertIn("refusing to start", result.stderr)

    def test_encryption_keys_from_a_file_are_enough(self) -> None:
        with tempfile.NamedTemporaryFile("w", suffix=".keys") as keys:
            keys.write("VGVzdHMgb25seTogbm90IGEgcmVhbCBrZXkgISEhISE=\n")
            keys.flush()
            result = check_deploy(
                SECRET_KEY=strong_key(),
                ENCRYPTION_KEYS="",
                ENCRYPTION_KEYS_FILE=keys.name,
                **PRODUCTION,
            )

        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_a_development_machine_says_so_explicitly(self) -> None:
        # make demo and the test suite's subprocesses set CONTINUUM_INSECURE_DEV=1.
        result = run(
            ["manage.py", "check"], CONTINUUM_INSECURE_DEV="1", ENCRYPTION_KEYS="", DEBUG="0"
        )

        self.assertEqual(result.returncode, 0, result.stderr)

    def test_hsts_subdomains_and_preload_are_settings(self) -> None:
        default = json.loads(
            run(["-c", SHOW_SETTINGS], SECRET_KEY=strong_key(), **PRODUCTION)
            .stdout.strip()
            .splitlines()[-1]
        )
        self.assertTrue(default["SECURE_HSTS_INCLUDE_SUBDOMAINS"])
        self.assertTrue(default["SECURE_HSTS_PRELOAD"])

        env = {
            **PRODUCTION,
            "SECURE_HSTS_INCLUDE_SUBDOMAINS": "0",
            "SECURE_HSTS_PRELOAD": "0",
        }
        values = json.loads(
            run(["-c", SHOW_SETTINGS], SECRET_KEY=strong_key(), **env)
            .stdout.strip()
            .splitlines()[-1]
        )
        self.assertFalse(values["SECURE_HSTS_INCLUDE_SUBDOMAINS"])
        self.assertFalse(values["SECURE_HSTS_PRELOAD"])
        # A deliberate choice passes the deploy check (its warnings for them are silenced).
        result = check_deploy(SECRET_KEY=strong_key(), **env)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_the_sqlite_file_is_created_private(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            db = Path(folder) / "new" / "continuum.sqlite3"
            result = run(
                [
                    "-c",
                    "import django; django.setup(); from django.db import connection; "
                    "connection.ensure_connection(); connection.cursor().execute('select 1')",
                ],
                SECRET_KEY=strong_key(),
                SQLITE_PATH=str(db),
                # SQLite even in the PostgreSQL stage of `make test` (DATABASE_URL set there).
                DATABASE_URL="",
                **PRODUCTION,
            )
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(db.stat().st_mode & 0o777, 0o600)

    def test_it_fails_with_a_short_key(self) -> None:
        result = check_deploy(SECRET_KEY="too-short-a-secret", **PRODUCTION)

        self.assertNotEqual(result.returncode, 0)
        self.assertIn("security.W009", result.stderr)

    def test_it_fails_with_debug_on(self) -> None:
        result = check_deploy(SECRET_KEY=strong_key(), **{**PRODUCTION, "DEBUG": "1"})

        self.assertNotEqual(result.returncode, 0)
        self.assertIn("security.W018", result.stderr)

    def test_it_fails_without_hsts_or_secure_cookies(self) -> None:
        result = check_deploy(
            SECRET_KEY=strong_key(),
            **{**PRODUCTION, "SECURE_HSTS_SECONDS": "0", "SECURE_COOKIES": "0"},
        )

        self.assertNotEqual(result.returncode, 0)
        for warning in ("security.W004", "security.W012", "security.W016"):
            self.assertIn(warning, result.stderr)

    def test_production_settings_keep_the_promises(self) -> None:
        result = run(["-c", SHOW_SETTINGS], SECRET_KEY=strong_key(), **PRODUCTION)
        self.assertEqual(result.returncode, 0, result.stderr)

        values = json.loads(result.stdout.strip().splitlines()[-1])

        self.assertFalse(values["DEBUG"])
        self.assertGreaterEqual(values["SECURE_HSTS_SECONDS"], ONE_YEAR)
        self.assertTrue(values["SECURE_HSTS_INCLUDE_SUBDOMAINS"])
        self.assertTrue(values["SECURE_SSL_REDIRECT"])
        self.assertTrue(values["SESSION_COOKIE_SECURE"])
        self.assertTrue(values["SESSION_COOKIE_HTTPONLY"])
        self.assertIn(values["SESSION_COOKIE_SAMESITE"], ("Lax", "Strict"))
        self.assertTrue(values["CSRF_COOKIE_SECURE"])
        self.assertIn(values["CSRF_COOKIE_SAMESITE"], ("Lax", "Strict"))
        self.assertTrue(values["SECURE_CONTENT_TYPE_NOSNIFF"])
        self.assertEqual(values["X_FRAME_OPTIONS"], "DENY")
        self.assertEqual(values["SECURE_REFERRER_POLICY"], "same-origin")

    def test_cookies_are_secure_by_default_on_an_https_site(self) -> None:
        env = {k: v for k, v in PRODUCTION.items() if k != "SECURE_COOKIES"}
        result = run(["-c", SHOW_SETTINGS], SECRET_KEY=strong_key(), **env)

        values = json.loads(result.stdout.strip().splitlines()[-1])

        self.assertTrue(values["SESSION_COOKIE_SECURE"])
        self.assertTrue(values["CSRF_COOKIE_SECURE"])
