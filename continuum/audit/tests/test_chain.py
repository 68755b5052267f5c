"""SECURITY.md promise 15 (writing side): content hashes, the seal queue, sealing, append-only."""

from __future__ import annotations

import math
import threading
import time
from unittest import mock, skipUnless

from django.db import OperationalError, connection, connections
from django.test import TransactionTestCase, override_settings

from continuum.accounts.actors import Actor, actor_for
from continuum.accounts.http import web_actor
from continuum.audit import chain
from continuum.audit.log import record
from continuum.audit.models import AuditEvent, AuditPending, AuditSeal
from continuum.testing.base import BaseTestCase


class ContentHashTests(BaseTestCase):
    def test_record_writes_one_row_in_one_query(self) -> None:
        # 1. the INSERT (the seal queue is filled by a trigger inside it; sealing runs after
        # commit, outside this transaction)
        with self.assertNumQueries(1):
            record(Actor.system(), "reminder.send", practice=self.riverside, count=3)

    def test_the_stored_row_hashes_to_its_content_hash(self) -> None:
        event = record(
            actor_for(self.alice), "client.view", self.dana, ratio=0.5, big=2.0, ids=(1, 2)
        )

        stored = AuditEvent.objects.get(pk=event.pk)

        self.assertRegex(stored.content_hash, r"^[0-9a-f]{64}$")
        self.assertEqual(chain.content_hash(chain.event_content(stored)), stored.content_hash)
        self.assertEqual(stored.detail, {"ratio": 0.5, "big": 2.0, "ids": [1, 2]})

    def test_identical_events_differ_by_their_nonce(self) -> None:
        first = record(Actor.system(), "reminder.send", practice=self.riverside)
        second = record(Actor.system(), "reminder.send", practice=self.riverside)

        self.assertNotEqual(first.nonce, second.nonce)
        self.assertEqual(len(bytes.fromhex(first.nonce)), 16)
        self.assertNotEqual(first.content_hash, second.content_hash)

    def test_every_content_field_changes_the_hash(self) -> None:
        event = record(actor_for(self.alice), "client.view", self.dana, page=1)
        content = chain.event_content(event)
        changed = {
            "at": event.at.replace(microsecond=(event.at.microsecond + 1) % 1_000_000),
            "actor_id": self.bob.pk,
            "actor_label": "bob@example.org",
            "practice_id": self.hilltop.pk,
            "action": "client.edit",
            "object_type": "episode",
            "object_id": "999",
            "ip": "10.0.0.9",
            "flagged": True,
            "detail": {"page": 2},
            "nonce": "0" * 32,
        }
        self.assertEqual(set(changed), set(chain.CONTENT_FIELDS))
        for name, value in changed.items():
            with self.subTest(field=name):
                self.assertNotEqual(
                    chain.content_hash({**content, name: value}), event.content_hash
                )

    def test_an_ipv6_address_hashes_as_stored(self) -> None:
        request = self.client.get("/").wsgi_request
        request.META["REMOTE_ADDR"] = "2001:0DB8:0000:0000:0000:0000:0000:0001"

        event = record(web_actor(request, self.alice), "login")

        stored = AuditEvent.objects.get(pk=event.pk)
        self.assertEqual(stored.ip, "2001:db8::1")
        self.assertEqual(chain.content_hash(chain.event_content(stored)), stored.content_hash)


@override_settings(AUDIT_SEAL_INTERVAL_MS=0)
class SealingTests(BaseTestCase):
    def test_a_new_event_is_queued_for_its_seal(self) -> None:
        event = record(Actor.system(), "reminder.send", practice=self.riverside)

        self.assertTrue(AuditPending.objects.filter(event_id=event.pk).exists())
        self.assertFalse(AuditSeal.objects.exists())

    def test_it_seals_after_the_transaction_commits(self) -> None:
        with self.captureOnCommitCallbacks(execute=True) as callbacks:
            event = record(actor_for(self.alice), "client.view", self.dana)
            record(actor_for(self.alice), "note.view", self.dana)
            record(actor_for(self.alice), "note.sign", self.dana)

        # One callback per transaction seals all three.
        self.assertEqual(len(callbacks), 1)
        self.assertEqual(AuditSeal.objects.get(seq=1).event, event)
        self.assertEqual(AuditSeal.objects.count(), 3)
        self.assertFalse(AuditPending.objects.exists())

    def test_a_rolled_back_event_leaves_nothing_behind(self) -> None:
        from django.db import transaction

        with self.captureOnCommitCallbacks(execute=True):
            record(Actor.system(), "kept", practice=self.riverside)
            try:
                with transaction.atomic():
                    record(Actor.system(), "rolled.back", practice=self.riverside)
                    raise RuntimeError("boom")
            except RuntimeError:
                pass

        self.assertEqual(list(AuditEvent.objects.values_list("action", flat=True)), ["kept"])
        self.assertEqual(AuditSeal.objects.count(), 1)
        self.assertFalse(AuditPending.objects.exists())

    def test_a_failing_sealer_never_fails_the_committed_work(self) -> None:
        with (
            mock.patch.object(chain, "seal_pending", side_effect=OperationalError("disk I/O")),
            self.assertLogs("continuum.audit.chain", "WARNING") as logs,
            self.captureOnCommitCallbacks(execute=True),
        ):
            event = record(Actor.system(), "reminder.send", practice=self.riverside)

        self.assertEqual(
            logs.output, ["WARNING:continuum.audit.chain:audit sealing deferred: OperationalError"]
        )
        self.assertTrue(AuditPending.objects.filter(event_id=event.pk).exists())
        self.assertEqual(chain.seal_pending(), 1)

    @override_settings(AUDIT_SEAL_INTERVAL_MS=60_000)
    def test_after_commit_sealing_is_throttled_per_process(self) -> None:
        chain._last_seal_attempt[0] = -math.inf
        with self.captureOnCommitCallbacks(execute=True):
            first = record(Actor.system(), "first", practice=self.riverside)
        with self.captureOnCommitCallbacks(execute=True):
            second = record(Actor.system(), "second", practice=self.riverside)

        # The first commit sealed; the second, within the interval, left it to the next seal.
        self.assertTrue(AuditSeal.objects.filter(event=first).exists())
        self.assertTrue(AuditPending.objects.filter(event_id=second.pk).exists())
        self.assertEqual(chain.seal_pending(), 1)

    def test_seal_pending_links_events_in_id_order(self) -> None:
        events = [record(Actor.system(), f"action.{i}", practice=self.riverside) for i in range(5)]

        self.assertEqual(chain.seal_pending(batch=2), 5)  # three batches of at most 2

        seals = list(AuditSeal.objects.order_by("seq"))
        self.assertEqual([s.seq for s in seals], [1, 2, 3, 4, 5])
        self.assertEqual([s.event_id for s in seals], [e.pk for e in events])
        previous = chain.GENESIS
        for seal, event in zip(seals, events, strict=True):
            self.assertEqual(seal.prev_hash, previous)
            self.assertEqual(seal.chain_hash, chain.link_hash(previous, event.content_hash))
            previous = seal.chain_hash
        self.assertEqual(chain.chain_head(), (5, previous))
        self.assertEqual(chain.seal_pending(), 0)

    def test_a_sealer_that_lost_the_race_writes_nothing(self) -> None:
        for i in range(2):
            record(Actor.system(), f"action.{i}", practice=self.riverside)
        stale = chain._queued("default", chain.SEAL_BATCH)  # read, then overtaken:
        chain.seal_pending()

        self.assertIsNone(chain._seal_batch("default", stale, wait=False))

        self.assertEqual(AuditSeal.objects.count(), 2)
        self.assertTrue(chain.verify().intact)

    def test_later_events_continue_the_chain(self) -> None:
        record(Actor.system(), "first", practice=self.riverside)
        chain.seal_pending()
        head = chain.chain_head()
        later = record(Actor.system(), "second", practice=self.riverside)

        chain.seal_pending()

        seal = AuditSeal.objects.get(event=later)
        self.assertEqual((seal.seq, seal.prev_hash), (2, head[1]))

    def test_the_audit_seal_command_catches_up(self) -> None:
        from io import StringIO

        from django.core.management import call_command

        for i in range(3):
            record(Actor.system(), f"action.{i}", practice=self.riverside)
        out = StringIO()

        call_command("audit_seal", stdout=out)

        self.assertIn("Sealed 3 event(s); chain head ", out.getvalue())
        self.assertIn("at seq 3", out.getvalue())
        self.assertFalse(AuditPending.objects.exists())


class AppendOnlyTests(BaseTestCase):
    def setUp(self) -> None:
        self.event = record(Actor.system(), "reminder.send", practice=self.riverside)
        chain.seal_pending()
        self.seal = AuditSeal.objects.get()

    def test_events_cannot_be_changed_or_deleted(self) -> None:
        self.event.action = "changed"
        for attempt in (
            self.event.save,
            self.event.delete,
            lambda: AuditEvent.objects.filter(pk=self.event.pk).update(action="x"),
            lambda: AuditEvent.objects.all().delete(),
        ):
            with self.subTest(attempt=attempt), self.assertRaises(PermissionError):
                attempt()
        self.assertEqual(AuditEvent.objects.get().action, "reminder.send")

    def test_seals_cannot_be_changed_or_deleted(self) -> None:
        self.seal.chain_hash = "0" * 64
        for attempt in (
            self.seal.save,
            self.seal.delete,
            lambda: AuditSeal.objects.filter(pk=self.seal.pk).update(seq=9),
            lambda: AuditSeal.objects.all().delete(),
        ):
            with self.subTest(attempt=attempt), self.assertRaises(PermissionError):
                attempt()
        self.assertEqual(AuditSeal.objects.get().seq, 1)


@skipUnless(connection.vendor == "postgresql", "PostgreSQL advisory locks")
class AdvisoryLockTests(TransactionTestCase):
    def test_a_sealer_returns_at_once_when_another_holds_the_head(self) -> None:
        holding, release = threading.Event(), threading.Event()

        def hold_the_head() -> None:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [chain.ADVISORY_LOCK_KEY])
                holding.set()
                release.wait(10)
                cursor.execute("SELECT pg_advisory_unlock(%s)", [chain.ADVISORY_LOCK_KEY])
            connections["default"].close()

        thread = threading.Thread(target=hold_the_head)
        thread.start()
        try:
            self.assertTrue(holding.wait(10))
            started = time.monotonic()
            # Autocommit: record() commits, then its sealer finds the head taken and returns.
            event = record(Actor.system(), "reminder.send")
            self.assertEqual(chain.seal_pending(), 0)
            self.assertLess(time.monotonic() - started, 1.0)
            self.assertTrue(AuditPending.objects.filter(event_id=event.pk).exists())
        finally:
            release.set()
            thread.join()
        self.assertEqual(chain.seal_pending(), 1)
        self.assertTrue(chain.verify().intact)
