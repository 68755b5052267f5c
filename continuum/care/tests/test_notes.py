"""Progress notes: write (SOAP/DAP/BIRP), edit drafts, sign and lock, addenda, print."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from django.urls import reverse
from django.utils.html import escape

from continuum.accounts.actors import actor_for
from continuum.audit.models import AuditEvent
from continuum.care.models import (
    Appointment,
    AppointmentStatus,
    NoteAddendum,
    NoteStatus,
    ProgressNote,
)
from continuum.care.note_formats import FORMATS, SECTION_MAX_LENGTH
from continuum.care.services.notes import EmptyNote, NoteLocked, sign_note
from continuum.testing.base import BaseTestCase, make_appointment, make_note

# Wednesday 8 July 2026, 13:00 in London.
NOW = datetime(2026, 7, 8, 12, 0, tzinfo=UTC)
# Tuesday 7 July 2026, 11:00 in London.
SESSION = datetime(2026, 7, 7, 10, 0, tzinfo=UTC)
XSS = '<script>alert("x")</script>'
LOCKED = "Signed notes cannot be changed; add an addendum instead."


def create_url(appointment: Appointment) -> str:
    return reverse("care:note_create", kwargs={"appointment_id": appointment.pk})


def detail_url(note: ProgressNote) -> str:
    return reverse("care:note_detail", kwargs={"note_id": note.pk})


def edit_url(note: ProgressNote) -> str:
    return reverse("care:note_edit", kwargs={"note_id": note.pk})


def sign_url(note: ProgressNote) -> str:
    return reverse("care:note_sign", kwargs={"note_id": note.pk})


def addendum_url(note: ProgressNote) -> str:
    return reverse("care:addendum_create", kwargs={"note_id": note.pk})


def print_url(note: ProgressNote) -> str:
    return reverse("care:note_print", kwargs={"note_id": note.pk})


def note_data(fmt: str = "soap", **sections: str) -> dict[str, str]:
    data = {"format": fmt, "next_session_plan": sections.pop("plan_next", "")}
    data.update({f"section_{key}": text for key, text in sections.items()})
    return data


class NoteTestCase(BaseTestCase):
    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)
        self.appointment = make_appointment(self.dana, SESSION, status=AppointmentStatus.ATTENDED)

    def assert_login_required(self, url: str, *methods: str) -> None:
        for method in methods:
            with self.subTest(method=method):
                response = getattr(self.client, method)(url)
                self.assertEqual(response.status_code, 302)
                self.assertIn("/accounts/login/", response["Location"])

    def assert_outsiders_get_404(self, url: str, data: dict[str, Any] | None = None) -> None:
        for user in (self.bob, self.charlie, self.olivia):
            self.login(user)
            for method in ("get", "post"):
                with self.subTest(user=user.email, method=method):
                    response = getattr(self.client, method)(url, data or {})
                    self.assertEqual(response.status_code, 404)


class NoteCreateTests(NoteTestCase):
    def test_it_requires_login(self) -> None:
        self.assert_login_required(create_url(self.appointment), "get", "post")
        self.assertFalse(ProgressNote.objects.exists())

    def test_it_rejects_other_therapists(self) -> None:
        self.assert_outsiders_get_404(
            create_url(self.appointment), note_data(subjective="Nothing to see")
        )
        self.assertFalse(ProgressNote.objects.exists())
        self.assertFalse(AuditEvent.objects.exists())

    def test_it_404s_for_an_appointment_that_does_not_exist(self) -> None:
        self.login(self.alice)
        url = reverse("care:note_create", kwargs={"appointment_id": 999_999})
        self.assertEqual(self.client.get(url).status_code, 404)
        self.assertEqual(self.client.post(url, note_data()).status_code, 404)

    def test_it_offers_a_format_and_shows_its_sections(self) -> None:
        self.login(self.alice)
        expected = {
            None: ["Subjective", "Objective", "Assessment", "Plan"],
            "soap": ["Subjective", "Objective", "Assessment", "Plan"],
            "dap": ["Data", "Assessment", "Plan"],
            "birp": ["Behaviour", "Intervention", "Response", "Plan"],
        }
        for fmt, labels in expected.items():
            with self.subTest(fmt=fmt):
                response = self.client.get(
                    create_url(self.appointment), {"format": fmt} if fmt else {}
                )
                self.assertContains(response, "Write a progress note")
                self.assertContains(response, "Dana Dawson")
                self.assertContains(response, "Tuesday 7 July 2026, 11:00")
                for option in ("SOAP", "DAP", "BIRP"):
                    self.assertContains(response, f">{option}</a>")
                code = fmt or "soap"
                self.assertContains(response, f'name="format" value="{code}"')
                for section in FORMATS[code].sections:
                    self.assertContains(
                        response, f'<label for="id_section_{section.key}">{section.label}'
                    )
                    self.assertContains(response, escape(section.help))
                self.assertEqual(
                    response.content.decode().count('<textarea name="section_'), len(labels)
                )
                self.assertContains(response, "Plan for next session")
        self.assertFalse(AuditEvent.objects.exists())

    def test_an_unknown_format_is_refused(self) -> None:
        self.login(self.alice)
        response = self.client.get(create_url(self.appointment), {"format": "free"})
        self.assertContains(
            response, "Choose one of the note formats: SOAP, DAP, BIRP.", status_code=400
        )
        response = self.client.post(create_url(self.appointment), note_data("free"))
        self.assertEqual(response.status_code, 400)
        self.assertFalse(ProgressNote.objects.exists())

    def test_it_creates_a_draft_in_each_format(self) -> None:
        self.login(self.alice)
        for fmt, note_format in FORMATS.items():
            with self.subTest(fmt=fmt):
                appointment = make_appointment(
                    self.dana, SESSION - timedelta(days=1), status=AppointmentStatus.ATTENDED
                )
                texts = {s.key: f"{s.label} text for {fmt}" for s in note_format.sections}
                response = self.client.post(
                    create_url(appointment),
                    note_data(fmt, plan_next="Review the diary", **texts, unknown="ignored"),
                )
                note = ProgressNote.objects.get(appointment=appointment)
                self.assertRedirects(response, detail_url(note), fetch_redirect_response=False)
                self.assertEqual(note.format, fmt)
                self.assertEqual(note.sections, texts)
                self.assertEqual(note.next_session_plan, "Review the diary")
                self.assertEqual(note.status, NoteStatus.DRAFT)
                self.assertEqual(note.author, self.alice)
                self.assertEqual(note.client, self.dana)
                self.assertIsNone(note.signed_at)
                event = AuditEvent.objects.filter(action="note.create").latest("pk")
                self.assertEqual(event.object_id, str(note.pk))
                self.assertEqual(
                    event.detail,
                    {"appointment": appointment.pk, "format": fmt, "client_id": note.client_id},
                )
        self.assertEqual(AuditEvent.objects.count(), len(FORMATS))

    def test_only_attended_appointments_get_notes(self) -> None:
        self.login(self.alice)
        for status in ("scheduled", "no_show", "cancelled"):
            with self.subTest(status=status):
                appointment = make_appointment(self.dana, SESSION, status=status)
                response = self.client.get(create_url(appointment))
                self.assertContains(response, "attended appointments only", status_code=400)
                response = self.client.post(create_url(appointment), note_data(subjective="x"))
                self.assertEqual(response.status_code, 400)
        self.assertFalse(ProgressNote.objects.exists())

    def test_a_second_note_redirects_to_the_first(self) -> None:
        note = make_note(self.appointment)
        self.login(self.alice)
        response = self.client.get(create_url(self.appointment))
        self.assertRedirects(response, detail_url(note), fetch_redirect_response=False)
        response = self.client.post(create_url(self.appointment), note_data(subjective="Again"))
        self.assertRedirects(response, detail_url(note), fetch_redirect_response=False)
        self.assertEqual(ProgressNote.objects.count(), 1)
        note.refresh_from_db()
        self.assertEqual(note.sections["subjective"], "Felt flatter this week")

    def test_over_long_text_is_refused_and_nothing_is_stored(self) -> None:
        self.login(self.alice)
        cases = [
            (note_data(subjective="x" * (SECTION_MAX_LENGTH + 1)), "section_subjective"),
            (note_data(subjective="ok", plan_next="y" * 4001), "next_session_plan"),
        ]
        for data, field in cases:
            with self.subTest(field=field):
                response = self.client.post(create_url(self.appointment), data)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, f'id="id_{field}_error"')
                self.assertContains(response, "characters or fewer")
        self.assertFalse(ProgressNote.objects.exists())
        self.assertFalse(AuditEvent.objects.exists())

    def test_text_at_the_limit_is_accepted(self) -> None:
        self.login(self.alice)
        self.client.post(
            create_url(self.appointment),
            note_data(subjective="x" * SECTION_MAX_LENGTH, plan_next="y" * 4000),
        )
        note = ProgressNote.objects.get()
        self.assertEqual(len(note.sections["subjective"]), SECTION_MAX_LENGTH)


class NoteDetailTests(NoteTestCase):
    def test_it_requires_login(self) -> None:
        note = make_note(self.appointment)
        self.assert_login_required(detail_url(note), "get")

    def test_it_rejects_other_therapists(self) -> None:
        note = make_note(self.appointment)
        self.assert_outsiders_get_404(detail_url(note))
        self.assertFalse(AuditEvent.objects.exists())

    def test_it_404s_for_a_note_that_does_not_exist(self) -> None:
        self.login(self.alice)
        self.assertEqual(
            self.client.get(reverse("care:note_detail", kwargs={"note_id": 999_999})).status_code,
            404,
        )

    def test_it_shows_a_draft_and_audits_the_read(self) -> None:
        note = make_note(self.appointment)
        self.login(self.alice)
        response = self.client.get(detail_url(note))
        self.assertContains(response, "SOAP progress note")
        self.assertContains(response, "Dana Dawson")
        self.assertContains(response, "Tuesday 7 July 2026, 11:00")
        self.assertContains(response, "<h3>Subjective</h3>", html=True)
        self.assertContains(response, "Felt flatter this week")
        self.assertContains(response, "Continue activation")
        self.assertContains(response, "Review the activity diary")
        self.assertContains(response, "Draft: not signed yet")
        self.assertContains(response, "Edit draft")
        self.assertContains(response, "Sign and lock")
        self.assertNotContains(response, "Add addendum")
        # A note belongs to the client's record: the menu marks Caseload, not Schedule.
        self.assertContains(response, 'href="/clients/" aria-current="page"')
        self.assertNotContains(response, 'href="/schedule/" aria-current="page"')
        event = AuditEvent.objects.get()
        self.assertEqual((event.action, event.object_id), ("note.view", str(note.pk)))

    def test_it_shows_signer_time_and_addenda(self) -> None:
        note = make_note(self.appointment, signed=True)
        NoteAddendum.objects.create(note=note, author=self.alice, text="Client called after.")
        self.login(self.alice)
        response = self.client.get(detail_url(note))
        self.assertContains(response, "Signed by Alice Adams on 8 Jul 2026, 13:00")
        self.assertContains(response, "Client called after.")
        self.assertContains(response, "Alice Adams, 8 Jul 2026, 13:00")
        self.assertContains(response, "Add addendum")
        self.assertNotContains(response, "Edit draft")
        self.assertNotContains(response, "Sign and lock")

    def test_free_text_is_escaped(self) -> None:
        note = make_note(self.appointment)
        note.sections = {"subjective": XSS}
        note.next_session_plan = XSS
        note.save()
        self.login(self.alice)
        for url in (detail_url(note), print_url(note), edit_url(note)):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertNotContains(response, XSS)
                self.assertContains(response, "&lt;script&gt;")


class NoteEditTests(NoteTestCase):
    def test_it_requires_login(self) -> None:
        note = make_note(self.appointment)
        self.assert_login_required(edit_url(note), "get", "post")

    def test_it_rejects_other_therapists(self) -> None:
        note = make_note(self.appointment)
        self.assert_outsiders_get_404(edit_url(note), note_data(subjective="Overwritten"))
        note.refresh_from_db()
        self.assertEqual(note.sections["subjective"], "Felt flatter this week")

    def test_it_404s_for_a_note_that_does_not_exist(self) -> None:
        self.login(self.alice)
        url = reverse("care:note_edit", kwargs={"note_id": 999_999})
        self.assertEqual(self.client.get(url).status_code, 404)
        self.assertEqual(self.client.post(url, note_data()).status_code, 404)

    def test_it_prefills_the_draft(self) -> None:
        note = make_note(self.appointment)
        self.login(self.alice)
        response = self.client.get(edit_url(note))
        self.assertContains(response, "Edit progress note")
        self.assertContains(response, "Felt flatter this week</textarea>")
        self.assertContains(response, "Review the activity diary</textarea>")
        self.assertNotContains(response, 'name="format"')
        self.assertEqual(AuditEvent.objects.get().action, "note.view")

    def test_it_saves_the_draft(self) -> None:
        note = make_note(self.appointment)
        self.login(self.alice)
        response = self.client.post(
            edit_url(note),
            note_data(subjective="Felt flatter", objective="Slowed speech", plan_next=""),
        )
        self.assertRedirects(response, detail_url(note), fetch_redirect_response=False)
        note.refresh_from_db()
        self.assertEqual(
            note.sections,
            {
                "subjective": "Felt flatter",
                "objective": "Slowed speech",
                "assessment": "",
                "plan": "",
            },
        )
        self.assertEqual(note.next_session_plan, "")
        self.assertEqual(note.updated_at, NOW)
        event = AuditEvent.objects.get()
        self.assertEqual(event.action, "note.update")
        self.assertEqual(
            event.detail,
            {
                "fields": ["subjective", "objective", "plan", "next_session_plan"],
                "client_id": self.dana.pk,
            },
        )

    def test_over_long_text_changes_nothing(self) -> None:
        note = make_note(self.appointment)
        self.login(self.alice)
        response = self.client.post(
            edit_url(note), note_data(subjective="x" * (SECTION_MAX_LENGTH + 1))
        )
        self.assertContains(response, 'id="id_section_subjective_error"')
        note.refresh_from_db()
        self.assertEqual(note.sections["subjective"], "Felt flatter this week")
        self.assertFalse(AuditEvent.objects.exists())

    def test_a_signed_note_cannot_be_edited(self) -> None:
        note = make_note(self.appointment, signed=True)
        before = (note.sections, note.next_session_plan, note.updated_at)
        self.login(self.alice)
        response = self.client.get(edit_url(note))
        self.assertContains(response, LOCKED, status_code=400)
        response = self.client.post(edit_url(note), note_data(subjective="Rewritten history"))
        self.assertContains(response, LOCKED, status_code=400)
        note.refresh_from_db()
        self.assertEqual((note.sections, note.next_session_plan, note.updated_at), before)
        self.assertFalse(AuditEvent.objects.exists())


class NoteSignTests(NoteTestCase):
    def test_it_requires_login(self) -> None:
        note = make_note(self.appointment)
        self.assert_login_required(sign_url(note), "post")
        note.refresh_from_db()
        self.assertEqual(note.status, NoteStatus.DRAFT)

    def test_it_rejects_other_therapists(self) -> None:
        note = make_note(self.appointment)
        self.assert_outsiders_get_404(sign_url(note))
        note.refresh_from_db()
        self.assertEqual(note.status, NoteStatus.DRAFT)

    def test_it_404s_for_a_note_that_does_not_exist(self) -> None:
        self.login(self.alice)
        url = reverse("care:note_sign", kwargs={"note_id": 999_999})
        self.assertEqual(self.client.post(url).status_code, 404)

    def test_it_only_accepts_post(self) -> None:
        note = make_note(self.appointment)
        self.login(self.alice)
        self.assertEqual(self.client.get(sign_url(note)).status_code, 405)

    def test_it_asks_first_and_changes_nothing_until_confirmed(self) -> None:
        note = make_note(self.appointment)
        self.login(self.alice)
        response = self.client.post(sign_url(note))
        self.assertContains(response, "Sign and lock this note?")
        self.assertContains(response, "it can no longer be edited or deleted")
        self.assertContains(response, '<input type="hidden" name="confirmed" value="yes">')
        self.assertContains(response, f'action="{sign_url(note)}"')
        note.refresh_from_db()
        self.assertEqual(note.status, NoteStatus.DRAFT)
        self.assertFalse(AuditEvent.objects.exists())

    def test_it_signs_and_locks(self) -> None:
        note = make_note(self.appointment)
        self.login(self.alice)
        response = self.client.post(sign_url(note), {"confirmed": "yes"}, follow=True)
        self.assertContains(response, "Note signed.")
        note.refresh_from_db()
        self.assertEqual(note.status, NoteStatus.SIGNED)
        self.assertEqual(note.signed_at, NOW)
        self.assertEqual(note.signed_by, self.alice)
        signs = AuditEvent.objects.filter(action="note.sign")
        self.assertEqual(signs.count(), 1)
        self.assertEqual(signs.get().object_id, str(note.pk))

    def test_an_empty_note_cannot_be_signed(self) -> None:
        note = make_note(self.appointment)
        note.sections = {"subjective": "   ", "objective": ""}
        note.next_session_plan = "Only a plan"
        note.save()
        self.login(self.alice)
        response = self.client.post(sign_url(note))
        self.assertContains(response, "Write at least one section", status_code=400)
        note.refresh_from_db()
        self.assertEqual(note.status, NoteStatus.DRAFT)
        self.assertIsNone(note.signed_at)
        self.assertFalse(AuditEvent.objects.exists())

    def test_a_signed_note_cannot_be_signed_again(self) -> None:
        note = make_note(self.appointment, signed=True)
        signed_at = note.signed_at
        self.login(self.alice)
        response = self.client.post(sign_url(note))
        self.assertContains(response, LOCKED, status_code=400)
        note.refresh_from_db()
        self.assertEqual(note.signed_at, signed_at)
        self.assertFalse(AuditEvent.objects.exists())

    def test_the_service_refuses_a_signed_note(self) -> None:
        note = make_note(self.appointment, signed=True)
        with self.assertRaisesRegex(NoteLocked, "only drafts can be signed"):
            sign_note(note, actor=actor_for(self.alice))
        empty = make_note(
            make_appointment(self.dana, SESSION - timedelta(days=7), status="attended")
        )
        empty.sections = {}
        empty.save()
        with self.assertRaises(EmptyNote):
            sign_note(empty, actor=actor_for(self.alice))


class AddendumTests(NoteTestCase):
    def test_it_requires_login(self) -> None:
        note = make_note(self.appointment, signed=True)
        self.assert_login_required(addendum_url(note), "post")
        self.assertFalse(NoteAddendum.objects.exists())

    def test_it_rejects_other_therapists(self) -> None:
        note = make_note(self.appointment, signed=True)
        self.assert_outsiders_get_404(addendum_url(note), {"text": "Sneaky"})
        self.assertFalse(NoteAddendum.objects.exists())

    def test_it_404s_for_a_note_that_does_not_exist(self) -> None:
        self.login(self.alice)
        url = reverse("care:addendum_create", kwargs={"note_id": 999_999})
        self.assertEqual(self.client.post(url, {"text": "x"}).status_code, 404)

    def test_it_appends_an_addendum_and_leaves_the_note_alone(self) -> None:
        note = make_note(self.appointment, signed=True)
        before = (note.sections, note.next_session_plan, note.signed_at, note.updated_at)
        self.login(self.alice)
        response = self.client.post(addendum_url(note), {"text": "Client phoned to add context."})
        self.assertRedirects(response, detail_url(note) + "#addenda", fetch_redirect_response=False)
        addendum = NoteAddendum.objects.get()
        self.assertEqual(
            (addendum.note, addendum.author, addendum.text, addendum.created_at),
            (note, self.alice, "Client phoned to add context.", NOW),
        )
        note.refresh_from_db()
        self.assertEqual(
            (note.sections, note.next_session_plan, note.signed_at, note.updated_at), before
        )
        event = AuditEvent.objects.get()
        self.assertEqual(event.action, "note.addendum")
        self.assertEqual(event.detail, {"addendum": addendum.pk, "client_id": self.dana.pk})

    def test_the_same_form_sent_twice_adds_one_addendum(self) -> None:
        # Issue 14: two quick POSTs made two identical addenda on a signed note.
        note = make_note(self.appointment, signed=True)
        self.login(self.alice)
        page = self.client.get(detail_url(note)).content.decode()
        key = re.search(r'name="submission_key" value="([^"]+)"', page)
        assert key is not None, "the addendum form carries a one-time key"
        data = {"text": "Client phoned to add context.", "submission_key": key.group(1)}
        first = self.client.post(addendum_url(note), data)
        again = self.client.post(addendum_url(note), data)
        self.assertEqual(NoteAddendum.objects.count(), 1)
        self.assertEqual(AuditEvent.objects.filter(action="note.addendum").count(), 1)
        self.assertEqual(again["Location"], first["Location"])
        # A fresh form adds a second one.
        page = self.client.get(detail_url(note)).content.decode()
        fresh = re.search(r'name="submission_key" value="([^"]+)"', page)
        assert fresh is not None
        self.assertNotEqual(fresh.group(1), key.group(1))
        self.client.post(addendum_url(note), {**data, "submission_key": fresh.group(1)})
        self.assertEqual(NoteAddendum.objects.count(), 2)

    def test_a_draft_takes_no_addenda(self) -> None:
        note = make_note(self.appointment)
        self.login(self.alice)
        response = self.client.post(addendum_url(note), {"text": "Too early"})
        self.assertContains(response, "edit the draft instead", status_code=400)
        self.assertFalse(NoteAddendum.objects.exists())

    def test_bad_text_is_refused_next_to_the_field(self) -> None:
        note = make_note(self.appointment, signed=True)
        self.login(self.alice)
        for text, message in (
            ("", "Write the addendum before adding it."),
            ("   \n ", "Write the addendum before adding it."),
            ("z" * 4001, "Keep this to 4,000 characters or fewer (it has 4001)."),
        ):
            with self.subTest(length=len(text)):
                response = self.client.post(addendum_url(note), {"text": text})
                self.assertContains(response, 'id="id_text_error"')
                self.assertContains(response, message)
        self.assertFalse(NoteAddendum.objects.exists())
        self.assertFalse(AuditEvent.objects.exclude(action="note.view").exists())

    def test_text_at_the_limit_is_accepted(self) -> None:
        note = make_note(self.appointment, signed=True)
        self.login(self.alice)
        self.client.post(addendum_url(note), {"text": "z" * 4000})
        self.assertEqual(len(NoteAddendum.objects.get().text), 4000)


class NotePrintTests(NoteTestCase):
    def test_it_requires_login(self) -> None:
        note = make_note(self.appointment)
        self.assert_login_required(print_url(note), "get")

    def test_it_rejects_other_therapists(self) -> None:
        note = make_note(self.appointment)
        self.assert_outsiders_get_404(print_url(note))
        self.assertFalse(AuditEvent.objects.exists())

    def test_it_404s_for_a_note_that_does_not_exist(self) -> None:
        self.login(self.alice)
        url = reverse("care:note_print", kwargs={"note_id": 999_999})
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_it_prints_a_signed_note_with_addenda(self) -> None:
        note = make_note(self.appointment, signed=True)
        NoteAddendum.objects.create(note=note, author=self.alice, text="Later context.")
        self.login(self.alice)
        response = self.client.get(print_url(note))
        self.assertContains(response, "Print command to print this page")
        self.assertContains(response, "Dana Dawson")
        self.assertContains(response, "Tuesday 7 July 2026, 11:00")
        self.assertContains(response, "<dd>SOAP</dd>", html=True)
        self.assertContains(response, "<h2>Subjective</h2>", html=True)
        self.assertContains(response, "Felt flatter this week")
        self.assertContains(response, "Review the activity diary")
        self.assertContains(
            response, "Electronically signed by Alice Adams on 8 July 2026, 13:00 BST"
        )
        self.assertContains(response, "Later context.")
        self.assertContains(response, 'class="no-print')
        self.assertNotContains(response, "<script>alert")
        event = AuditEvent.objects.get()
        self.assertEqual((event.action, event.object_id), ("note.print", str(note.pk)))

    def test_a_draft_prints_as_a_draft_with_a_signature_line(self) -> None:
        note = make_note(self.appointment)
        self.login(self.alice)
        response = self.client.get(print_url(note))
        self.assertContains(response, "DRAFT: this note has not been signed.")
        self.assertContains(response, "Signature: ____")
