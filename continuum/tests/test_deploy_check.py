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
    "X_FRAME_OPTIONS", "SECURE_REFERRER_POLICY",
]
print(json.dumps({name: getattr(s, name) for name in names}))
"""


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "SECRET_KEY_FILE", "DEBUG", "DJANGO_SETTINGS_MODULE"}
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

    def test_it_fails_with_the_built_in_development_key(self) -> None:
        result = check_deploy(**PRODUCTION)

        self.assertNotEqual(result.returncode, 0)
        self.assertIn("security.W009", result.stderr)

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
