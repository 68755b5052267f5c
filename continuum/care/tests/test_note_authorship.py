"""Finding 2 of issue 18: a draft belongs to its author.

After a client moves to another therapist, the new therapist may read the previous
therapist's draft but not rewrite or sign it (the note would still say "Written by" the
first); they write their own notes for their own sessions.
"""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from continuum.accounts.actors import actor_for
from continuum.audit.models import AuditEvent
from continuum.care.models import AppointmentStatus, NoteStatus
from continuum.care.services.clients import reassign_client
from continuum.testing.base import BaseTestCase, make_appointment, make_episode, make_note


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
