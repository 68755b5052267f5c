"""Finding 2 of issue 18: a draft belongs to its author.

After a client moves to another therapist, the new therapist may read the previous
therapist's draft but not rewrite or sign it (the note would still say "Written by" the
first); they write their own notes for their own sessions.
"""

from __future__ import annotations

from datetime import timedelta

from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from continuum.accounts.actors import actor_for
from continuum.accounts.models import Membership, User
from continuum.accounts.services import deactivate_member
from continuum.audit.models import AuditEvent
from continuum.care.access import get_note_or_own_draft_for
from continuum.care.models import AppointmentStatus, NoteStatus
from continuum.care.queries import draft_elsewhere_day_items
from continuum.care.services.clients import reassign_client
from continuum.continuity.day import build_day
from continuum.testing.base import (
    BaseTestCase,
    make_appointment,
    make_client,
    make_episode,
    make_note,
    make_staff,
)


class DraftAfterReassignmentTests(BaseTestCase):
    def setUp(self) -> None:
        episode = make_episode(self.dana)
        appt = make_appointment(
            self.dana,
            timezone.now() - timedelta(days=1),
            episode=episode,
            status=AppointmentStatus.ATTENDED,
        )
        self.note = make_note(appt)
        assert self.note.author_id == self.alice.pk
        reassign_client(self.dana, self.bob, actor=actor_for(self.olivia))
        self.login(self.bob)

    def test_the_new_therapist_reads_but_may_not_edit(self) -> None:
        detail = self.client.get(reverse("care:note_detail", args=[self.note.pk]))
        self.assertContains(detail, "Alice Adams")
        self.assertNotContains(detail, "Edit draft")
        self.assertNotContains(detail, "Sign and lock")

        edit_url = reverse("care:note_edit", args=[self.note.pk])
        response = self.client.get(edit_url)
        self.assertContains(response, "belongs to Alice Adams", status_code=400)
        before = dict(self.note.sections)
        response = self.client.post(edit_url, {"subjective": "rewritten by Bob"})
        self.assertContains(response, "belongs to Alice Adams", status_code=400)
        self.note.refresh_from_db()
        self.assertEqual(self.note.sections, before)
        self.assertFalse(AuditEvent.objects.filter(action="note.update").exists())

    def test_the_new_therapist_may_not_sign(self) -> None:
        response = self.client.post(reverse("care:note_sign", args=[self.note.pk]))
        self.assertContains(response, "belongs to Alice Adams", status_code=400)
        self.note.refresh_from_db()
        self.assertEqual(self.note.status, NoteStatus.DRAFT)
        self.assertIsNone(self.note.signed_by)


class AuthorFinishesTheirDraftTests(BaseTestCase):
    """The reviewer's stuck draft: after a reassignment the clinician who led the session
    still finishes and signs its note, through a narrow door (that draft only), and the
    draft is on their day, not on the new therapist's."""

    def setUp(self) -> None:
        episode = make_episode(self.dana)
        appt = make_appointment(
            self.dana,
            timezone.now() - timedelta(days=2),
            episode=episode,
            status=AppointmentStatus.ATTENDED,
        )
        self.note = make_note(appt)
        self.appt = appt
        self.done = reassign_client(self.dana, self.bob, actor=actor_for(self.olivia))

    def test_reassigning_counts_the_drafts_that_stay(self) -> None:
        self.assertEqual(self.done.drafts_kept, 1)
        row = AuditEvent.objects.get(action="client.reassign")
        self.assertEqual(row.detail["drafts_kept"], 1)

    def test_the_author_edits_and_signs_after_the_reassignment(self) -> None:
        self.login(self.alice)
        detail_url = reverse("care:note_detail", args=[self.note.pk])
        detail = self.client.get(detail_url)
        self.assertContains(detail, "now seen by another therapist")
        self.assertContains(detail, "Sign and lock")
        # No way into the rest of the record from here.
        self.assertNotContains(detail, reverse("care:client_detail", args=[self.dana.pk]))
        self.assertNotContains(detail, reverse("care:appointment_detail", args=[self.appt.pk]))
        self.assertNotContains(detail, reverse("care:note_print", args=[self.note.pk]))

        edit_url = reverse("care:note_edit", args=[self.note.pk])
        self.assertContains(self.client.get(edit_url), "Felt flatter this week")
        response = self.client.post(
            edit_url, {"section_subjective": "Finished after the move", "section_plan": "Hand over"}
        )
        self.assertRedirects(response, detail_url)
        self.note.refresh_from_db()
        self.assertEqual(self.note.sections["subjective"], "Finished after the move")

        sign_url = reverse("care:note_sign", args=[self.note.pk])
        asked = self.client.post(sign_url)
        self.assertContains(asked, '<input type="hidden" name="confirmed" value="yes">')
        signed = self.client.post(sign_url, {"confirmed": "yes"}, follow=True)
        self.assertRedirects(signed, reverse("continuity:day"))
        self.assertContains(signed, "Note signed and locked")
        self.note.refresh_from_db()
        self.assertEqual(self.note.status, NoteStatus.SIGNED)
        self.assertEqual(self.note.signed_by, self.alice)

        rows = AuditEvent.objects.filter(object_id=str(self.note.pk))
        for action in ("note.view", "note.update", "note.sign"):
            self.assertTrue(
                rows.filter(action=action, actor=self.alice).exists(), f"no {action} row"
            )
        # Signed, the note is in Bob's record: Alice's narrow door is closed.
        self.assertEqual(self.client.get(detail_url).status_code, 404)
        self.assertEqual(self.client.get(edit_url).status_code, 404)

    def test_the_author_still_gets_404_on_the_record(self) -> None:
        self.login(self.alice)
        for url in (
            reverse("care:client_detail", args=[self.dana.pk]),
            reverse("care:appointment_detail", args=[self.appt.pk]),
            reverse("care:note_print", args=[self.note.pk]),
            reverse("care:note_create", args=[self.appt.pk]),
        ):
            self.assertEqual(self.client.get(url).status_code, 404, url)

    def test_the_new_therapist_still_cannot_edit_or_sign(self) -> None:
        self.login(self.bob)
        edit = self.client.post(
            reverse("care:note_edit", args=[self.note.pk]), {"subjective": "Bob's words"}
        )
        self.assertContains(edit, "belongs to Alice Adams", status_code=400)
        sign = self.client.post(
            reverse("care:note_sign", args=[self.note.pk]), {"confirmed": "yes"}
        )
        self.assertContains(sign, "belongs to Alice Adams", status_code=400)
        self.note.refresh_from_db()
        self.assertEqual(self.note.status, NoteStatus.DRAFT)

    def test_a_colleague_who_did_not_write_it_gets_404(self) -> None:
        carol = make_staff(self.riverside, "carol@example.org", "Carol Clark")
        self.login(carol)
        for name in ("care:note_detail", "care:note_edit"):
            self.assertEqual(self.client.get(reverse(name, args=[self.note.pk])).status_code, 404)

    def test_the_day_lists_the_draft_for_its_author_not_the_new_therapist(self) -> None:
        note_url = reverse("care:note_detail", args=[self.note.pk])
        self.login(self.bob)
        bob_day = self.client.get(reverse("continuity:day"))
        self.assertNotContains(bob_day, note_url)
        self.login(self.alice)
        alice_day = self.client.get(reverse("continuity:day"))
        self.assertContains(alice_day, note_url)
        self.assertContains(alice_day, "yours to finish and sign")
        # "For you", not among Alice's clients: the line does not name the client.
        self.assertNotContains(alice_day, "Dana Dawson")
        # The kept table and the live day agree (the consistency the scheduler relies on).
        for user in (self.alice, self.bob):
            kept = build_day(user)
            live = build_day(user, live=True)
            self.assertEqual([r.item for r in kept.for_you], [r.item for r in live.for_you], user)
            self.assertEqual(
                [(e.client.pk, [r.item for r in e.reasons]) for e in kept.on_my_mind],
                [(e.client.pk, [r.item for r in e.reasons]) for e in live.on_my_mind],
            )

    def test_only_drafts_of_clients_seen_by_someone_else_are_listed(self) -> None:
        # The query says "not one of clients_for(author)" as a join (issue 13): Alice's draft
        # for a client still hers is on her list of clients, not among these; a member who
        # is no longer clinical has no clients, so every draft of theirs is "elsewhere".
        own = make_appointment(
            make_client(self.alice, "Erin", "Own"),
            timezone.now() - timedelta(days=2),
            status=AppointmentStatus.ATTENDED,
        )
        own_note = make_note(own)
        assert own_note.author_id == self.alice.pk
        listed = [i.ref for i in draft_elsewhere_day_items(self.alice, timezone.now())]
        self.assertEqual(listed, [self.note.pk])
        Membership.objects.filter(user=self.alice).update(is_clinical=False)
        alice = User.objects.get(pk=self.alice.pk)
        listed = [i.ref for i in draft_elsewhere_day_items(alice, timezone.now())]
        self.assertEqual(sorted(listed), sorted([self.note.pk, own_note.pk]))

    def test_a_draft_of_a_former_member_is_listed_for_the_owner(self) -> None:
        membership = Membership.objects.get(user=self.alice)
        deactivate_member(membership, actor=actor_for(self.olivia))
        alice = User.objects.get(pk=self.alice.pk)
        with self.assertRaises(Http404):
            get_note_or_own_draft_for(actor_for(alice), self.note.pk)
        self.assertEqual(draft_elsewhere_day_items(alice, timezone.now()), [])
        self.login(self.olivia)
        roster = self.client.get(reverse("accounts:roster"))
        self.assertContains(roster, "Unsigned drafts of former members")
        self.assertContains(roster, "nobody else can finish these")
        self.assertContains(roster, "Dana Dawson")
        self.assertNotContains(roster, "Felt flatter")  # never the note's text
        row = AuditEvent.objects.filter(action="roster.view").latest("pk")
        self.assertEqual(row.detail["orphaned_drafts"], 1)
        # The owner has no way to write it: the note's pages stay a 404 for them.
        for name in ("care:note_detail", "care:note_edit"):
            self.assertEqual(self.client.get(reverse(name, args=[self.note.pk])).status_code, 404)


class ReassignMessageTests(BaseTestCase):
    def test_the_owner_is_told_how_many_drafts_stay(self) -> None:
        for days in (2, 3):
            appt = make_appointment(
                self.dana, timezone.now() - timedelta(days=days), status=AppointmentStatus.ATTENDED
            )
            make_note(appt)
        self.login(self.olivia)
        response = self.client.post(
            reverse("accounts:reassign", args=[self.dana.pk]),
            {"therapist": self.bob.pk},
            follow=True,
        )
        self.assertContains(response, "2 draft progress notes stay with Alice Adams")
