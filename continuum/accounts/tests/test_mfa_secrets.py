"""SECURITY.md promises 7 and 16: staff second-factor secrets are encrypted at rest.

allauth keeps the TOTP secret and the recovery codes' seed in Authenticator.data; our
MFAAdapter encrypts them with the ENCRYPTION_KEYS keyring. Older rows hold plaintext: migration
accounts 0005 encrypts them, and until it has, they still work.
"""

from __future__ import annotations

import json
from importlib import import_module
from io import StringIO
from types import SimpleNamespace
from typing import Any
from unittest import skipUnless

import pyotp
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from cryptography.fernet import Fernet
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from continuum.accounts import mfa
from continuum.accounts.models import User
from continuum.encryption import reset_keyring
from continuum.lib.crypto import DecryptionError, generate_key
from continuum.testing.base import (
    PASSWORD,
    TOTP_SECRET,
    BaseTestCase,
    make_staff,
    sqlite_file_copy,
)
from continuum.testing.keys import encryption_keys

CASELOAD = reverse("care:caseload")
ENROL = "/accounts/2fa/totp/activate/"
AUTHENTICATE = "/accounts/2fa/authenticate/"
MIGRATION = import_module("continuum.accounts.migrations.0005_encrypt_mfa_secrets")


def raw_data(user: User, kind: str = Authenticator.Type.TOTP) -> str:
    """The stored Authenticator.data of `user`, as text, read past the ORM."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT CAST(data AS TEXT) FROM mfa_authenticator WHERE user_id = %s AND type = %s",
            [user.pk, str(kind)],
        )
        (text,) = cursor.fetchone()
    return str(text)


def store_data(user: User, data: dict[str, Any]) -> None:
    """Write the TOTP row's `data` as it is, past the adapter (e.g. plaintext, as before)."""
    Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).update(data=data)


def run_migration(function: Any) -> None:
    function(apps, SimpleNamespace(connection=connection))


class SecretTestCase(BaseTestCase):
    def setUp(self) -> None:
        cache.clear()  # used TOTP codes and login rate limits live in the cache

    def tearDown(self) -> None:
        reset_keyring()
        super().tearDown()

    def assert_totp_login_works(self, email: str = "alice@example.org") -> None:
        cache.clear()  # each login enters the current code afresh
        self.client.logout()
        response = self.password_login(email)
        self.assertRedirects(response, reverse("home"), fetch_redirect_response=False)
        self.assertEqual(self.client.get(CASELOAD).status_code, 200)


class EncryptedSecretTests(SecretTestCase):
    def test_the_stored_totp_secret_is_a_token_not_the_secret(self) -> None:
        stored = raw_data(self.alice)

        self.assertNotIn(TOTP_SECRET, stored)
        self.assertNotIn(TOTP_SECRET.lower(), stored.lower())
        token = json.loads(stored)["secret"]
        self.assertTrue(token.startswith("gAAAAA"))
        key = Fernet(settings.ENCRYPTION_KEYS[0].encode())
        self.assertEqual(key.decrypt(token.encode()).decode(), TOTP_SECRET)
        # Each row has its own token, although every test member has the same secret.
        self.assertNotEqual(json.loads(raw_data(self.bob))["secret"], token)

    def test_login_with_the_correct_code_still_works_and_a_wrong_one_does_not(self) -> None:
        self.assert_totp_login_works()
        self.assertEqual(self.client.session["_auth_user_id"], str(self.alice.pk))

        cache.clear()
        self.client.logout()
        response = self.password_login("bob@example.org", totp_secret=pyotp.random_base32())
        self.assertContains(response, "Incorrect code.")
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_enrolling_through_the_pages_stores_the_secret_encrypted(self) -> None:
        newbie = make_staff(self.riverside, "newbie@example.org", "New Member", totp=False)
        self.client.force_login(newbie)
        self.client.get(ENROL)
        secret = self.client.session[SECRET_SESSION_KEY]

        response = self.client.post(ENROL, {"code": pyotp.TOTP(secret).now()})

        self.assertEqual(response.status_code, 302)
        for kind in (Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES):
            with self.subTest(kind=kind):
                stored = json.loads(raw_data(newbie, kind))
                value = stored["secret" if kind == Authenticator.Type.TOTP else "seed"]
                self.assertTrue(value.startswith("gAAAAA"))
        self.assertNotIn(secret, raw_data(newbie))
        self.assertEqual(mfa.unseal(json.loads(raw_data(newbie))["secret"]), secret)

    def test_recovery_codes_still_work_with_an_encrypted_seed(self) -> None:
        codes = RecoveryCodes.activate(self.alice).generate_codes()
        seed = json.loads(raw_data(self.alice, Authenticator.Type.RECOVERY_CODES))["seed"]
        self.assertTrue(seed.startswith("gAAAAA"))

        self.client.post("/accounts/login/", {"login": "alice@example.org", "password": PASSWORD})
        self.client.post(AUTHENTICATE, {"code": codes[3]})

        self.assertEqual(self.client.session["_auth_user_id"], str(self.alice.pk))

    def test_a_token_no_key_opens_is_refused_not_taken_for_plaintext(self) -> None:
        foreign = Fernet(generate_key().encode()).encrypt(TOTP_SECRET.encode()).decode()

        with self.assertRaises(DecryptionError):
            mfa.unseal(foreign)
        self.assertEqual(mfa.unseal(TOTP_SECRET), TOTP_SECRET)  # legacy plaintext: as it is

    @skipUnless(connection.vendor == "sqlite", "reads the SQLite database file")
    def test_no_secret_is_in_the_database_file(self) -> None:
        recovery_seed = mfa.unseal(RecoveryCodes.activate(self.alice).instance.data["seed"])
        data, rows = sqlite_file_copy("mfa_authenticator")
        self.assertEqual(rows, 5)  # four members' TOTP, Alice's recovery codes
        self.assertIn(b"alice@example.org", data)
        self.assertNotIn(TOTP_SECRET.encode(), data)
        self.assertNotIn(recovery_seed.encode(), data)


class LegacyPlaintextTests(SecretTestCase):
    """Rows written before encryption, and migration accounts 0005 that encrypts them."""

    def test_a_plaintext_secret_still_logs_in_before_the_migration(self) -> None:
        store_data(self.alice, {"secret": TOTP_SECRET})
        self.assertIn(TOTP_SECRET, raw_data(self.alice))

        self.assert_totp_login_works()

    def test_the_migration_encrypts_a_plaintext_row_and_leaves_an_encrypted_one(self) -> None:
        store_data(self.alice, {"secret": TOTP_SECRET})
        codes = RecoveryCodes.activate(self.alice)
        unused = codes.generate_codes()
        recovery = codes.instance
        recovery.data = {"seed": mfa.unseal(recovery.data["seed"]), "used_mask": 1}
        recovery.save()
        bob_before = raw_data(self.bob)

        run_migration(MIGRATION.encrypt_plaintext_secrets)

        stored = json.loads(raw_data(self.alice))
        self.assertNotIn(TOTP_SECRET, raw_data(self.alice))
        self.assertTrue(stored["secret"].startswith("gAAAAA"))
        self.assertEqual(mfa.unseal(stored["secret"]), TOTP_SECRET)
        seed_row = json.loads(raw_data(self.alice, Authenticator.Type.RECOVERY_CODES))
        self.assertTrue(seed_row["seed"].startswith("gAAAAA"))
        self.assertEqual(seed_row["used_mask"], 1)  # the rest of the data is kept
        self.assertEqual(raw_data(self.bob), bob_before)  # already encrypted: untouched
        self.assert_totp_login_works()
        self.assertEqual(
            RecoveryCodes(Authenticator.objects.get(pk=recovery.pk)).generate_codes(), unused
        )

        # Running it again changes nothing.
        after = raw_data(self.alice)
        run_migration(MIGRATION.encrypt_plaintext_secrets)
        self.assertEqual(raw_data(self.alice), after)

    def test_the_migration_backwards_leaves_plaintext_the_older_code_can_read(self) -> None:
        run_migration(MIGRATION.decrypt_secrets)

        self.assertEqual(json.loads(raw_data(self.alice))["secret"], TOTP_SECRET)


class RotationTests(SecretTestCase):
    def test_reencrypt_moves_the_secrets_to_the_new_key_and_totp_keeps_working(self) -> None:
        old, new = settings.ENCRYPTION_KEYS[0], generate_key()
        RecoveryCodes.activate(self.alice)
        store_data(self.bob, {"secret": TOTP_SECRET})  # a legacy row is sealed on the way
        before = {user.pk: raw_data(user) for user in (self.alice, self.bob, self.charlie)}

        out = StringIO()
        with encryption_keys(new, old):
            call_command("reencrypt", "--batch-size", "2", stdout=out)
        self.assertIn("mfa.Authenticator: 5 rows, 5 values re-encrypted", out.getvalue())
        self.assertNotIn(TOTP_SECRET, out.getvalue())

        with encryption_keys(new):
            for user in (self.alice, self.bob, self.charlie):
                stored = raw_data(user)
                self.assertNotEqual(stored, before[user.pk])
                token = json.loads(stored)["secret"].encode()
                self.assertEqual(Fernet(new.encode()).decrypt(token).decode(), TOTP_SECRET)
            self.assert_totp_login_works("alice@example.org")
            self.assert_totp_login_works("bob@example.org")
            call_command("reencrypt", stdout=StringIO())  # nothing is left on the old key

        # The old key alone can no longer open them.
        with encryption_keys(old), self.assertRaises(DecryptionError):
            mfa.unseal(json.loads(raw_data(self.alice))["secret"])

    def test_a_secret_under_an_unknown_key_stops_reencrypt_and_names_no_secret(self) -> None:
        before = raw_data(self.alice)
        # Only second-factor rows hold tokens in this test's database.
        with encryption_keys(generate_key()), self.assertRaises(CommandError) as raised:
            call_command("reencrypt", stdout=StringIO())

        message = str(raised.exception)
        first = Authenticator.objects.order_by("pk").first()
        assert first is not None
        self.assertIn(f"mfa.Authenticator {first.pk} field data", message)  # the first row
        self.assertNotIn(TOTP_SECRET, message)
        self.assertEqual(raw_data(self.alice), before)
