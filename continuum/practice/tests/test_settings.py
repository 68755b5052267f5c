"""The owner's practice settings page (issue 14): name, country, time zone, crisis resources in
their order and the default contact policy; validated, audited, owner only; and where clients
see them (the questionnaire page, follow-up check-ins, the portal's contact rules)."""

from __future__ import annotations

from datetime import time
from typing import Any

from django.urls import reverse

from continuum.accounts.actors import actor_for
from continuum.accounts.models import Practice
from continuum.audit.models import AuditEvent
from continuum.boundaries import services as boundaries
from continuum.boundaries.models import Phase
from continuum.measures.tests.test_links import post_answers
from continuum.measures.tests.world import MeasuresTestCase, phq9_answers
from continuum.testing.base import BaseTestCase, make_portal_user

URL = reverse("accounts:practice_settings")

UK_LIST = (
    "Samaritans | 116 123 | any time, day or night\n"
    "\n"
    "Riverside duty line|0800 000 111\n"
    "Shout | text SHOUT to 85258 | https://giveusashout.org\n"
)


def settings_data(**changes: Any) -> dict[str, Any]:
    data = {
        "name": "Riverside Therapy",
        "country": "GB",
        "time_zone": "Europe/London",
        "crisis_resources": UK_LIST,
        "default_messages_in_therapy": "on",
        "default_hours_start": "08:30",
        "default_hours_end": "16:00",
        "default_response_time_hours": "24",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


class PracticeSettingsPageTests(BaseTestCase):
    def test_it_requires_login(self) -> None:
        response = self.client.get(URL)
        self.assertRedirects(
            response, f"/accounts/login/?next={URL}", fetch_redirect_response=False
        )

    def test_therapists_and_clients_get_404_and_change_nothing(self) -> None:
        for person in (self.alice, self.bob, make_portal_user(self.dana)):
            self.login(person)
            self.assertEqual(self.client.get(URL).status_code, 404)
            self.assertEqual(self.client.post(URL, settings_data(name="Taken")).status_code, 404)
        self.assertFalse(Practice.objects.filter(name="Taken").exists())
        self.assertFalse(AuditEvent.objects.filter(action="practice.settings").exists())

    def test_another_practices_owner_reaches_only_their_own(self) -> None:
        self.login(self.charlie)
        response = self.client.get(URL)
        self.assertContains(response, "Settings of Hilltop Counselling")
        self.assertNotContains(response, "Riverside")
        self.client.post(URL, settings_data(name="Hilltop Counselling", country="US"))
        self.assertEqual(Practice.objects.get(pk=self.riverside.pk).country, "")
        self.assertEqual(Practice.objects.get(pk=self.hilltop.pk).country, "US")

    def test_the_owner_sees_the_form_and_the_link_in_the_navigation(self) -> None:
        self.login(self.olivia)
        response = self.client.get(URL)
        self.assertContains(response, "Settings of Riverside Therapy")
        self.assertContains(
            response, f'<a href="{URL}" aria-current="page">Settings</a>', html=True
        )
        self.assertContains(response, "Default contact policy")
        self.assertContains(self.client.get(reverse("accounts:members")), f'href="{URL}"')

    def test_the_page_takes_a_fixed_number_of_queries(self) -> None:
        self.login(self.olivia)
        self.client.get(URL)  # warm the session
        # 1 session, 2 user, 3 the owner's membership (decorator), 4 the practice
        with self.assertNumQueries(4):
            self.client.get(URL)

    def test_it_saves_every_setting_in_one_transaction_with_one_audit_row(self) -> None:
        self.login(self.olivia)

        response = self.client.post(URL, settings_data(name="Riverside Therapy Ltd"))

        self.assertRedirects(response, URL)
        practice = Practice.objects.get(pk=self.riverside.pk)
        self.assertEqual(practice.name, "Riverside Therapy Ltd")
        self.assertEqual(practice.country, "GB")
        # One resource a line, in the owner's order, in one form.
        self.assertEqual(
            practice.crisis_resources.splitlines(),
            [
                "Samaritans | 116 123 | any time, day or night",
                "Riverside duty line | 0800 000 111",
                "Shout | text SHOUT to 85258 | https://giveusashout.org",
            ],
        )
        self.assertEqual(practice.default_hours_start, time(8, 30))
        self.assertEqual(practice.default_hours_end, time(16, 0))
        self.assertEqual(practice.default_response_time_hours, 24)
        self.assertTrue(practice.default_messages_in_therapy)
        self.assertFalse(practice.default_messages_after_therapy)
        event = AuditEvent.objects.get(action="practice.settings")
        self.assertEqual(event.actor, self.olivia)
        self.assertEqual(event.practice_id, self.riverside.pk)
        # Which fields changed, never what they say.
        self.assertEqual(
            sorted(event.detail["fields"]),
            sorted(
                [
                    "name",
                    "country",
                    "crisis_resources",
                    "default_hours_start",
                    "default_hours_end",
                    "default_response_time_hours",
                ]
            ),
        )
        for value in ("Samaritans", "Ltd", "116", "08:30"):
            self.assertNotIn(value, str(event.detail))

    def test_saving_the_same_values_again_writes_nothing(self) -> None:
        self.login(self.olivia)
        self.client.post(URL, settings_data())
        self.client.post(URL, settings_data())
        self.assertEqual(AuditEvent.objects.filter(action="practice.settings").count(), 1)

    def test_bad_input_re_renders_with_the_error_and_writes_nothing(self) -> None:
        self.login(self.olivia)
        cases = {
            "a line without a contact": (
                {"crisis_resources": "Samaritans 116 123"},
                "Line 1: write a name, then the phone number or text",
            ),
            "an empty name in the second line": (
                {"crisis_resources": "Samaritans | 116 123\n | 999"},
                "Line 2: write a name",
            ),
            "too many parts": (
                {"crisis_resources": "A | B | C | D"},
                "Line 1: write a name",
            ),
            "an unknown time zone": ({"time_zone": "Mars/Olympus"}, "Select a valid choice"),
            "an unknown country": ({"country": "XX"}, "Select a valid choice"),
            "no name": ({"name": "   "}, "This field is required"),
            "the day ends before it starts": (
                {"default_hours_end": "07:00"},
                "The working day must end after it starts.",
            ),
            "a reply time over two weeks": (
                {"default_response_time_hours": "999"},
                "At most 336 hours (two weeks).",
            ),
            "not a time": ({"default_hours_start": "nine"}, "Enter a time like 09:00."),
        }
        for label, (changes, error) in cases.items():
            with self.subTest(label):
                response = self.client.post(URL, settings_data(**{"name": "Changed", **changes}))
                self.assertEqual(response.status_code, 400)
                self.assertContains(response, error, status_code=400)
        practice = Practice.objects.get(pk=self.riverside.pk)
        self.assertEqual((practice.name, practice.crisis_resources), ("Riverside Therapy", ""))
        self.assertFalse(AuditEvent.objects.filter(action="practice.settings").exists())

    def test_the_default_contact_policy_applies_until_the_therapist_sets_their_own(self) -> None:
        self.login(self.olivia)
        self.client.post(
            URL,
            settings_data(default_messages_in_therapy=None, default_messages_after_therapy="on"),
        )
        self.dana.practice.refresh_from_db()
        contact = boundaries.contact_for(self.dana)
        self.assertFalse(contact.policy.portal_messages_enabled)
        self.assertEqual(contact.policy.response_time_hours, 24)
        self.assertEqual(contact.hours_text, "Monday to Friday, 8:30 to 16:00")
        after = boundaries.policies_for(self.alice)[Phase.AFTER_THERAPY]
        self.assertTrue(after.portal_messages_enabled)
        # The therapist's own policy wins once saved.
        own = {
            "portal_messages_enabled": True,
            "working_days": [0, 1, 2],
            "working_hours_start": time(10, 0),
            "working_hours_end": time(12, 0),
            "response_time_hours": 72,
            "after_hours_reply": "Back soon.",
            "crisis_resources": "",
        }
        boundaries.update_policies(self.alice, {Phase.IN_THERAPY: own}, actor=actor_for(self.alice))
        contact = boundaries.contact_for(self.dana)
        self.assertTrue(contact.policy.portal_messages_enabled)
        self.assertEqual(contact.policy.response_time_hours, 72)


class CrisisResourcesShownTests(MeasuresTestCase):
    def answer_with_safety(self) -> str:
        url = self.link_for(self.pending("phq9"))
        response = self.client.post(url, post_answers(phq9_answers(10, item9=1)))
        self.assertEqual(response.status_code, 200)
        body: str = response.content.decode()
        return body

    def test_the_questionnaire_page_shows_the_practice_list_in_its_order(self) -> None:
        self.login(self.olivia)
        self.client.post(URL, settings_data())
        self.client.logout()

        body = self.answer_with_safety()

        lines = [
            "Samaritans: 116 123 (any time, day or night)",
            "Riverside duty line: 0800 000 111",
            "Shout: text SHOUT to 85258 (https://giveusashout.org)",
        ]
        positions = [body.index(line) for line in lines]
        self.assertEqual(positions, sorted(positions))
        self.assertNotIn("988", body)

    def test_a_uk_practice_without_its_own_list_shows_uk_numbers_only(self) -> None:
        Practice.objects.filter(pk=self.riverside.pk).update(country="GB")
        body = self.answer_with_safety()
        self.assertIn("call 999", body)
        self.assertIn("116 123", body)
        self.assertNotIn("988", body)

    def test_the_therapists_own_list_comes_before_the_practice_list(self) -> None:
        Practice.objects.filter(pk=self.riverside.pk).update(
            crisis_resources="Samaritans | 116 123"
        )
        policy = {
            "portal_messages_enabled": True,
            "working_days": [0, 1, 2, 3, 4],
            "working_hours_start": time(9, 0),
            "working_hours_end": time(17, 0),
            "response_time_hours": 48,
            "after_hours_reply": "Back soon.",
            "crisis_resources": "Alice's on-call line | 0800 222 333",
        }
        boundaries.update_policies(
            self.alice, {Phase.IN_THERAPY: policy}, actor=actor_for(self.alice)
        )
        body = self.answer_with_safety()
        self.assertIn("on-call line: 0800 222 333", body)
        self.assertNotIn("116 123", body)
