"""Marking a reflection addressed in a session (and un-marking it), and the brief's helpers."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from continuum.accounts.actors import actor_for
from continuum.audit.models import AuditEvent
from continuum.care.models import AppointmentStatus
from continuum.reflections.access import addressed_in_appointment, reflections_to_bring
from continuum.reflections.models import ADDRESSED_NOTE_MAX_LENGTH, Reflection
from continuum.reflections.services import NotAllowed, mark_addressed
from continuum.reflections.tests.world import (
    NOW,
    ReflectionTestCase,
    address_url,
    detail_url,
    list_url,
    make_reflection,
    unaddress_url,
)
from continuum.testing.base import make_appointment


class AddressTests(ReflectionTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.reflection = make_reflection(
            self.dana, "Ask about the argument with her brother", bring_to_next_session=True
        )

    def test_it_requires_login(self) -> None:
        self.assert_login_required(address_url(self.reflection))
        self.assert_login_required(unaddress_url(self.reflection))

    def test_it_rejects_other_therapists_and_the_owner(self) -> None:
        self.assert_outsiders_get_404(address_url(self.reflection), {"note": "x"})
        self.assert_outsiders_get_404(unaddress_url(self.reflection))
        self.reflection.refresh_from_db()
        self.assertIsNone(self.reflection.addressed_at)

    def test_the_form_shows_the_reflection_and_defaults_to_the_latest_attended_session(
        self,
    ) -> None:
        # Later than `attended`, but cancelled: not a session it can be addressed in.
        cancelled = make_appointment(
            self.dana, NOW - timedelta(days=1), status=AppointmentStatus.CANCELLED
        )
        self.login(self.alice)
        response = self.client.get(address_url(self.reflection))
        self.assertContains(response, "Ask about the argument with her brother")
        self.assertContains(response, f'<option value="{self.attended.pk}" selected>')
        self.assertContains(response, f'<option value="{self.upcoming.pk}">')
        self.assertNotContains(response, f'value="{cancelled.pk}"')
        self.assertContains(response, '<label for="id_note">How it was addressed</label>')
        event = AuditEvent.objects.get(action="reflection.view")
        self.assertEqual(event.detail, {"client_id": self.dana.pk, "page": "address"})

    def test_it_marks_the_reflection_addressed_with_a_note(self) -> None:
        self.login(self.alice)
        response = self.client.post(
            address_url(self.reflection),
            {"appointment": self.attended.pk, "note": "She raised it herself; planned a call."},
        )
        self.assertRedirects(response, detail_url(self.reflection), fetch_redirect_response=False)
        self.reflection.refresh_from_db()
        self.assertEqual(self.reflection.addressed_at, NOW)
        self.assertEqual(self.reflection.addressed_in, self.attended)
        self.assertEqual(self.reflection.addressed_note, "She raised it herself; planned a call.")
        event = AuditEvent.objects.get(action="reflection.address")
        self.assertEqual(event.detail, {"client_id": self.dana.pk, "appointment": self.attended.pk})
        page = self.client.get(detail_url(self.reflection))
        self.assertContains(page, "Marked as addressed.")
        self.assertContains(page, "She raised it herself; planned a call.")
        self.assertContains(page, "in the session on")
        # No longer on the list of things to bring.
        self.assertEqual(list(reflections_to_bring(self.alice, self.dana)), [])

    def test_a_one_click_mark_uses_the_latest_attended_session(self) -> None:
        self.login(self.alice)
        response = self.client.post(address_url(self.reflection), {"next": list_url(self.dana)})
        self.assertRedirects(response, list_url(self.dana), fetch_redirect_response=False)
        self.reflection.refresh_from_db()
        self.assertEqual(self.reflection.addressed_in, self.attended)
        self.assertEqual(self.reflection.addressed_note, "")

    def test_an_empty_session_choice_means_not_in_a_session(self) -> None:
        self.login(self.alice)
        self.client.post(address_url(self.reflection), {"appointment": ""})
        self.reflection.refresh_from_db()
        self.assertEqual(self.reflection.addressed_at, NOW)
        self.assertIsNone(self.reflection.addressed_in)

    def test_a_scheduled_session_today_can_be_chosen(self) -> None:
        self.login(self.alice)
        self.client.post(address_url(self.reflection), {"appointment": self.upcoming.pk})
        self.reflection.refresh_from_db()
        self.assertEqual(self.reflection.addressed_in, self.upcoming)

    def test_bad_input_is_explained_and_nothing_changes(self) -> None:
        cancelled = make_appointment(
            self.dana, NOW - timedelta(days=1), status=AppointmentStatus.CANCELLED
        )
        self.login(self.alice)
        cases = {
            "another client's session": {"appointment": self.finn_session.pk},
            "cancelled session": {"appointment": cancelled.pk},
            "no such session": {"appointment": 999999},
            "not a number": {"appointment": "1 OR 1=1"},
            "note too long": {"note": "n" * (ADDRESSED_NOTE_MAX_LENGTH + 1)},
        }
        for name, data in cases.items():
            with self.subTest(name):
                response = self.client.post(address_url(self.reflection), data)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, 'class="error"')
        self.reflection.refresh_from_db()
        self.assertIsNone(self.reflection.addressed_at)
        self.assertFalse(AuditEvent.objects.filter(action="reflection.address").exists())
        # Each page shown again (with the reflection on it) was recorded as a read.
        self.assertEqual(
            AuditEvent.objects.filter(
                action="reflection.view", detail__page="address_error"
            ).count(),
            len(cases),
        )

    def test_next_must_stay_on_this_site(self) -> None:
        self.login(self.alice)
        response = self.client.post(
            address_url(self.reflection), {"next": "https://evil.example/steal"}
        )
        self.assertRedirects(response, detail_url(self.reflection), fetch_redirect_response=False)

    def test_marking_again_changes_how_but_keeps_when(self) -> None:
        self.login(self.alice)
        self.client.post(address_url(self.reflection), {"appointment": self.earlier.pk})
        with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
            response = self.client.get(address_url(self.reflection))
            self.assertContains(response, f'<option value="{self.earlier.pk}" selected>')
            self.client.post(
                address_url(self.reflection), {"appointment": self.attended.pk, "note": "Better"}
            )
        self.reflection.refresh_from_db()
        self.assertEqual(self.reflection.addressed_at, NOW)
        self.assertEqual(self.reflection.addressed_in, self.attended)
        self.assertEqual(self.reflection.addressed_note, "Better")

    def test_unmarking_reopens_it(self) -> None:
        self.login(self.alice)
        self.client.post(address_url(self.reflection), {"note": "Done"})
        response = self.client.post(unaddress_url(self.reflection))
        self.assertRedirects(response, detail_url(self.reflection), fetch_redirect_response=False)
        self.reflection.refresh_from_db()
        self.assertIsNone(self.reflection.addressed_at)
        self.assertIsNone(self.reflection.addressed_in)
        self.assertEqual(self.reflection.addressed_note, "")
        event = AuditEvent.objects.get(action="reflection.unaddress")
        self.assertEqual(event.detail, {"client_id": self.dana.pk, "appointment": self.attended.pk})
        self.assertEqual(list(reflections_to_bring(self.alice, self.dana)), [self.reflection])

    def test_unmarking_an_open_reflection_says_so_and_writes_nothing(self) -> None:
        self.login(self.alice)
        response = self.client.post(unaddress_url(self.reflection), follow=True)
        self.assertContains(response, "This reflection is not marked addressed.")
        self.assertFalse(AuditEvent.objects.filter(action="reflection.unaddress").exists())

    def test_unmarking_needs_post(self) -> None:
        self.login(self.alice)
        self.assertEqual(self.client.get(unaddress_url(self.reflection)).status_code, 405)

    def test_the_service_refuses_anyone_but_the_author(self) -> None:
        with self.assertRaises(NotAllowed):
            mark_addressed(self.reflection, appointment=None, actor=actor_for(self.bob))
        self.reflection.refresh_from_db()
        self.assertIsNone(self.reflection.addressed_at)


class BriefHelperTests(ReflectionTestCase):
    def test_reflections_to_bring_are_the_authors_open_items_oldest_first(self) -> None:
        first = make_reflection(self.dana, "First", bring_to_next_session=True)
        with time_machine.travel(NOW + timedelta(hours=1), tick=False):
            second = make_reflection(self.dana, "Second", bring_to_next_session=True)
        make_reflection(self.dana, "Not to bring")
        make_reflection(
            self.dana,
            "Already addressed",
            bring_to_next_session=True,
            addressed_at=NOW,
            addressed_in=self.attended,
        )
        make_reflection(self.finn, "Bob's client", bring_to_next_session=True)
        make_reflection(self.dana, "Bob's own", author=self.bob, bring_to_next_session=True)
        with self.assertNumQueries(1):
            items = list(reflections_to_bring(self.alice, self.dana))
        self.assertEqual(items, [first, second])
        for outsider in (self.bob, self.olivia, self.charlie):
            with self.subTest(user=outsider.email):
                self.assertEqual(list(reflections_to_bring(outsider, self.dana)), [])

    def test_addressed_in_appointment_lists_what_was_addressed_there(self) -> None:
        there = make_reflection(self.dana, "There", addressed_at=NOW, addressed_in=self.attended)
        make_reflection(self.dana, "Elsewhere", addressed_at=NOW, addressed_in=self.earlier)
        make_reflection(self.dana, "Open", bring_to_next_session=True)
        self.assertEqual(list(addressed_in_appointment(self.alice, self.attended)), [there])
        for outsider in (self.bob, self.olivia, self.charlie):
            with self.subTest(user=outsider.email):
                self.assertEqual(list(addressed_in_appointment(outsider, self.attended)), [])

    def test_the_addressed_in_constraint_holds_in_the_database(self) -> None:
        from django.db import IntegrityError, transaction

        with self.assertRaises(IntegrityError), transaction.atomic():
            Reflection.objects.create(
                author=self.alice,
                client=self.dana,
                kind="idea",
                text="x",
                addressed_in=self.attended,
            )
