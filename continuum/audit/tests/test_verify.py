"""SECURITY.md promise 15: `audit_verify` names the first bad row after any tampering.

Tampering is done the way an intruder with database access would: raw SQL, past the models'
append-only guards.
"""

from __future__ import annotations

from io import StringIO
from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from continuum.accounts.actors import Actor, actor_for
from continuum.audit import chain
from continuum.audit.log import record
from continuum.audit.models import AuditEvent, AuditPending, AuditSeal
from continuum.testing.base import BaseTestCase

CONTENT_COLUMNS = (
    "at",
    "actor_id",
    "actor_label",
    "practice_id",
    "action",
    "object_type",
    "object_id",
    "ip",
    "flagged",
    "detail",
    "nonce",
    "content_hash",
)


def sql(statement: str, *params: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, list(params))


def swap_rows(first: int, second: int, columns: tuple[str, ...]) -> None:
    """Exchange the given columns of two audit rows (ids stay where they are)."""
    sql(
        "CREATE TEMPORARY TABLE audit_swap AS SELECT * FROM audit_auditevent WHERE id IN (%s, %s)",
        first,
        second,
    )
    assignments = ", ".join(
        f"{c} = (SELECT s.{c} FROM audit_swap s WHERE s.id = %s)"  # noqa: S608 - fixed names
        for c in columns
    )
    for target, source in ((first, second), (second, first)):
        sql(
            f"UPDATE audit_auditevent SET {assignments} WHERE id = %s",  # noqa: S608 - test tampering
            *([source] * len(columns)),
            target,
        )
    sql("DROP TABLE audit_swap")


class VerifyTests(BaseTestCase):
    def setUp(self) -> None:
        self.events = [
            record(actor_for(self.alice), "client.view", self.dana, page=1),
            record(actor_for(self.alice), "note.sign", self.dana, note_id=7),
            record(Actor.system(), "reminder.send", practice=self.riverside, count=3),
            record(actor_for(self.bob), "client.view", self.finn),
            record(actor_for(self.charlie), "client.view", self.eli),
        ]
        chain.seal_pending()
        self.seq = {s.event_id: s.seq for s in AuditSeal.objects.all()}

    def verify_ok(self, *args: str) -> str:
        out = StringIO()
        call_command("audit_verify", *args, stdout=out)
        return out.getvalue()

    def verify_fails(self, *args: str) -> str:
        with self.assertRaises(CommandError) as caught:
            call_command("audit_verify", *args, stdout=StringIO())
        self.assertEqual(caught.exception.returncode, 1)
        return str(caught.exception)

    def where(self, index: int) -> str:
        event = self.events[index]
        return f"event {event.pk} (seq {self.seq[event.pk]})"

    def test_an_intact_log_passes_and_prints_the_head(self) -> None:
        head_seq, head = chain.chain_head()

        out = self.verify_ok()

        self.assertEqual(out.strip(), f"Audit log intact: 5 events, chain head {head} at seq 5")
        self.assertEqual(head_seq, 5)

    def test_it_writes_nothing(self) -> None:
        waiting = record(Actor.system(), "later", practice=self.riverside)
        counts = (AuditEvent.objects.count(), AuditSeal.objects.count())

        out = self.verify_ok()

        self.assertIn("; 1 awaiting their seal", out)
        self.assertEqual((AuditEvent.objects.count(), AuditSeal.objects.count()), counts)
        self.assertTrue(AuditPending.objects.filter(event_id=waiting.pk).exists())

    def test_a_changed_action_is_named(self) -> None:
        sql(
            "UPDATE audit_auditevent SET action = %s WHERE id = %s",
            "client.edit",
            self.events[1].pk,
        )

        message = self.verify_fails()

        self.assertIn(f"{self.where(1)}: content hash mismatch", message)

    def test_a_flipped_byte_in_the_detail_is_named(self) -> None:
        sql(
            "UPDATE audit_auditevent SET detail = %s WHERE id = %s", '{"page":2}', self.events[0].pk
        )

        self.assertIn(f"{self.where(0)}: content hash mismatch", self.verify_fails())

    def test_a_changed_row_with_a_recomputed_hash_breaks_the_chain(self) -> None:
        event = AuditEvent.objects.get(pk=self.events[2].pk)
        forged = {**chain.event_content(event), "detail": {"count": 0}}
        sql(
            "UPDATE audit_auditevent SET detail = %s, content_hash = %s WHERE id = %s",
            '{"count":0}',
            chain.content_hash(forged),
            event.pk,
        )

        self.assertIn(f"{self.where(2)}: chain hash mismatch", self.verify_fails())

    def test_only_the_first_bad_row_is_named_and_the_rest_counted(self) -> None:
        for event in self.events[1:4]:
            sql("UPDATE audit_auditevent SET actor_label = 'x' WHERE id = %s", event.pk)

        message = self.verify_fails()

        self.assertIn(f"{self.where(1)}: content hash mismatch (2 more problems after it)", message)

    def test_a_deleted_row_is_named_by_the_gap(self) -> None:
        victim = self.events[2]
        sql("DELETE FROM audit_auditseal WHERE event_id = %s", victim.pk)
        sql("DELETE FROM audit_auditevent WHERE id = %s", victim.pk)

        message = self.verify_fails()

        self.assertIn(f"{self.where(3)}: seal seq 3 is missing before it", message)

    def test_a_deleted_seal_with_a_rebuilt_chain_is_named(self) -> None:
        victim = self.events[2]
        sql("DELETE FROM audit_auditseal WHERE event_id = %s", victim.pk)
        # Renumber and relink the later seals, as a careful intruder would.
        previous = AuditSeal.objects.get(seq=2).chain_hash
        for event in self.events[3:]:
            seq = self.seq[event.pk] - 1
            chain_hash = chain.link_hash(previous, event.content_hash)
            sql(
                "UPDATE audit_auditseal SET seq = %s, prev_hash = %s, chain_hash = %s "
                "WHERE event_id = %s",
                seq,
                previous,
                chain_hash,
                event.pk,
            )
            previous = chain_hash

        message = self.verify_fails()

        self.assertIn(
            f"event {victim.pk}: not sealed and not queued for sealing (its seal was deleted)",
            message,
        )

    def test_a_deleted_event_still_waiting_for_its_seal_is_named(self) -> None:
        waiting = record(Actor.system(), "later", practice=self.riverside)
        sql("DELETE FROM audit_auditevent WHERE id = %s", waiting.pk)

        message = self.verify_fails()

        self.assertIn(f"event {waiting.pk}: queued for sealing but missing", message)

    def test_a_changed_row_still_waiting_for_its_seal_is_named(self) -> None:
        waiting = record(Actor.system(), "later", practice=self.riverside)
        sql("UPDATE audit_auditevent SET object_id = %s WHERE id = %s", "42", waiting.pk)

        message = self.verify_fails()

        self.assertIn(f"event {waiting.pk} (awaiting its seal): content hash mismatch", message)

    def test_two_swapped_rows_are_named(self) -> None:
        # Every column, hashes and nonces included: each row is self-consistent, but the
        # seals bind each id to its original content.
        swap_rows(self.events[1].pk, self.events[3].pk, CONTENT_COLUMNS)

        self.assertIn(f"{self.where(1)}: chain hash mismatch", self.verify_fails())

    def test_two_swapped_actions_are_named(self) -> None:
        swap_rows(self.events[0].pk, self.events[1].pk, ("action",))

        self.assertIn(f"{self.where(0)}: content hash mismatch", self.verify_fails())

    def test_an_edited_seal_is_named(self) -> None:
        sql("UPDATE audit_auditseal SET chain_hash = %s WHERE seq = 4", "f" * 64)

        self.assertIn(f"{self.where(3)}: chain hash mismatch", self.verify_fails())

    def test_a_swapped_pair_of_seals_is_named(self) -> None:
        first, second = self.events[1].pk, self.events[2].pk
        sql("UPDATE audit_auditseal SET event_id = %s WHERE event_id = %s", -1, first)
        sql("UPDATE audit_auditseal SET event_id = %s WHERE event_id = %s", first, second)
        sql("UPDATE audit_auditseal SET event_id = %s WHERE event_id = %s", second, -1)

        self.assertIn(f"event {second} (seq 2): chain hash mismatch", self.verify_fails())

    def test_an_anchor_the_chain_passes_through_is_accepted(self) -> None:
        seq, head = chain.chain_head()
        record(Actor.system(), "later", practice=self.riverside)
        chain.seal_pending()

        self.assertIn("Audit log intact: 6 events", self.verify_ok("--anchor", f"{seq}:{head}"))

    def test_a_truncated_log_fails_its_anchor(self) -> None:
        seq, head = chain.chain_head()
        last = self.events[-1]
        sql("DELETE FROM audit_auditseal WHERE event_id = %s", last.pk)
        sql("DELETE FROM audit_auditevent WHERE id = %s", last.pk)
        # Without the anchor, a cut-off tail leaves a shorter chain that still adds up.
        self.verify_ok()

        message = self.verify_fails("--anchor", f"{seq}:{head}")

        self.assertIn("seq 5: the recorded anchor is missing (the log was truncated)", message)

    def test_a_rebuilt_chain_fails_its_anchor(self) -> None:
        seq, head = chain.chain_head()
        sql("UPDATE audit_auditseal SET chain_hash = %s WHERE seq = 5", "e" * 64)

        message = self.verify_fails("--anchor", f"{seq}:{head}")

        self.assertIn(f"{self.where(4)}: chain hash mismatch (1 more problem after it)", message)

    def test_a_malformed_anchor_is_explained(self) -> None:
        with self.assertRaisesMessage(CommandError, "--anchor takes SEQ:HASH"):
            call_command("audit_verify", "--anchor", "five:abc", stdout=StringIO())
