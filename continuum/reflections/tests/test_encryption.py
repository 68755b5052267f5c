"""Reflection text at rest: encrypted in the database, keys outside it, rotation without loss."""

from __future__ import annotations

from io import StringIO
from unittest import skipUnless

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from continuum.encryption import reset_keyring
from continuum.lib.crypto import DecryptionError, generate_key
from continuum.reflections.models import Reflection
from continuum.reflections.tests.world import ReflectionTestCase, make_reflection
from continuum.testing.base import sqlite_file_copy

CANARY = "CANARY-7f3a"


def raw_columns(reflection: Reflection) -> tuple[str, str]:
    """The stored (text, addressed_note) of a row, read past the ORM."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT text, addressed_note FROM reflections_reflection WHERE id = %s",
            [reflection.pk],
        )
        row = cursor.fetchone()
    return row[0], row[1]


class EncryptedAtRestTests(ReflectionTestCase):
    def test_the_stored_text_is_a_token_that_decrypts_with_the_key(self) -> None:
        reflection = make_reflection(
            self.dana,
            f"Private {CANARY} text",
            addressed_at=self.attended.starts_at,
            addressed_in=self.attended,
            addressed_note=f"Addressed {CANARY}",
        )
        text, note = raw_columns(reflection)
        for stored, plain in ((text, f"Private {CANARY} text"), (note, f"Addressed {CANARY}")):
            with self.subTest(plain=plain):
                self.assertNotIn(CANARY, stored)
                self.assertNotIn("Private", stored)
                key = Fernet(settings.ENCRYPTION_KEYS[0].encode())
                self.assertEqual(key.decrypt(stored.encode()).decode(), plain)

    def test_the_same_text_is_stored_differently_each_time(self) -> None:
        first = make_reflection(self.dana, "Same words")
        second = make_reflection(self.dana, "Same words")
        self.assertNotEqual(raw_columns(first)[0], raw_columns(second)[0])

    def test_an_empty_addressed_note_stays_empty(self) -> None:
        self.assertEqual(raw_columns(make_reflection(self.dana))[1], "")

    @skipUnless(connection.vendor == "sqlite", "reads the SQLite database file")
    def test_the_canary_is_absent_from_the_database_file(self) -> None:
        self.login(self.alice)
        self.client.post(
            f"/clients/{self.dana.pk}/reflections/new/",
            {"kind": "self_reflection", "text": f"I felt irritated {CANARY}"},
        )
        reflection = Reflection.objects.get()
        self.client.post(
            f"/reflections/{reflection.pk}/addressed/",
            {"appointment": self.attended.pk, "note": f"We talked {CANARY}"},
        )
        data, rows = sqlite_file_copy("reflections_reflection")
        self.assertEqual(rows, 1)
        # The copy holds the data (the client's surname, stored in clear) but no canary.
        self.assertIn(b"Dawson", data)
        self.assertIn(raw_columns(reflection)[0].encode(), data)
        self.assertNotIn(CANARY.encode(), data)
        self.assertNotIn(CANARY.encode("utf-16-le"), data)


class KeyCommandTests(ReflectionTestCase):
    def tearDown(self) -> None:
        reset_keyring()
        super().tearDown()

    def test_generate_encryption_key_prints_a_usable_key(self) -> None:
        out = StringIO()
        call_command("generate_encryption_key", stdout=out)
        key = out.getvalue().strip()
        self.assertEqual(len(key), 44)
        Fernet(key.encode())  # raises if malformed
        other = StringIO()
        call_command("generate_encryption_key", stdout=other)
        self.assertNotEqual(other.getvalue().strip(), key)

    def test_rotation_reencrypts_everything_without_loss(self) -> None:
        old = settings.ENCRYPTION_KEYS[0]
        new = generate_key()
        reflections = [
            make_reflection(self.dana, "Reflection with ünïcödé"),
            make_reflection(
                self.dana,
                "Addressed one",
                addressed_at=self.attended.starts_at,
                addressed_in=self.attended,
                addressed_note="How it went",
            ),
            make_reflection(self.finn, "Bob's, about Finn"),
        ]
        for i in range(3, 8):
            reflections.append(make_reflection(self.dana, f"Reflection {i}"))
        before = {r.pk: (r.text, r.addressed_note) for r in reflections}
        old_tokens = {r.pk: raw_columns(r) for r in reflections}

        out = StringIO()
        with override_settings(ENCRYPTION_KEYS=[new, old]):
            reset_keyring()
            call_command("reencrypt", "--batch-size", "3", stdout=out)
        reset_keyring()
        output = out.getvalue()
        self.assertIn("reflections.Reflection: 8 rows, 9 values re-encrypted", output)
        self.assertIn("Done:", output)
        for text, _ in before.values():
            self.assertNotIn(text, output)

        with override_settings(ENCRYPTION_KEYS=[new]):
            reset_keyring()
            for reflection in reflections:
                stored = raw_columns(reflection)
                self.assertNotEqual(stored[0], old_tokens[reflection.pk][0])
                Fernet(new.encode()).decrypt(stored[0].encode())  # now under the new key
                fresh = Reflection.objects.get(pk=reflection.pk)
                self.assertEqual((fresh.text, fresh.addressed_note), before[reflection.pk])
            # Running it again with only the new key works too (nothing is left on the old).
            call_command("reencrypt", stdout=StringIO())
        reset_keyring()

        # The old key alone can no longer read the rows.
        with override_settings(ENCRYPTION_KEYS=[old]):
            reset_keyring()
            with self.assertRaises(DecryptionError):
                Reflection.objects.get(pk=reflections[0].pk)
        reset_keyring()

    def test_a_value_under_an_unknown_key_stops_the_command_and_names_no_text(self) -> None:
        reflection = make_reflection(self.dana, f"Under the test key {CANARY}")
        with override_settings(ENCRYPTION_KEYS=[generate_key()]):
            reset_keyring()
            with self.assertRaises(CommandError) as raised:
                call_command("reencrypt", stdout=StringIO())
        reset_keyring()
        message = str(raised.exception)
        self.assertIn(f"reflections.Reflection {reflection.pk} field text", message)
        self.assertNotIn(CANARY, message)
        # Unchanged, still readable with the right key.
        self.assertEqual(Reflection.objects.get().text, f"Under the test key {CANARY}")

    def test_a_bad_batch_size_is_refused(self) -> None:
        with self.assertRaises(CommandError):
            call_command("reencrypt", "--batch-size", "0", stdout=StringIO())
