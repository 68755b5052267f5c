from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import time_machine

from continuum.audit.models import AuditEvent
from continuum.care.models import Client, Episode
from continuum.testing.base import BaseTestCase, make_episode

NEW_URL = "/clients/new/"
# 1 July 2026, noon UTC.
NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def valid_client(**overrides: Any) -> dict[str, Any]:
    data = {
        "first_name": "Gail",
        "last_name": "Green",
        "preferred_name": "",
        "pronouns": "she/her",
        "date_of_birth": "1990-05-17",
        "email": "gail@example.net",
        "phone": "+44 (0)20 7946-0958",
        "time_zone": "Europe/London",
        "emergency_contact_name": "Greg Green",
        "emergency_contact_phone": "07700 900123",
    }
    data.update(overrides)
    return data


# (field, value, the error the therapist reads next to the field)
BAD_CLIENT_INPUT: list[tuple[str, str, str]] = [
    ("date_of_birth", "2026-02-30", "Enter a valid date."),
    ("date_of_birth", "17/05/1990x", "Enter a valid date."),
    ("date_of_birth", "2026-07-02", "The date of birth cannot be in the future."),
    ("date_of_birth", "1899-12-31", "The date cannot be before 1 January 1900."),
    ("time_zone", "Mars/Olympus_Mons", "is not a known time zone"),
    ("time_zone", "", "This field is required."),
    ("phone", "555-CALL-NOW", "Use only digits, spaces and the characters + - ( )"),
    ("phone", "12345", "A phone number has between 6 and 20 digits."),
    ("phone", "1" * 21, "A phone number has between 6 and 20 digits."),
    ("emergency_contact_phone", "call me", "Use only digits, spaces and the characters"),
    ("email", "not-an-email", "Enter a valid email address."),
    ("first_name", "", "This field is required."),
    ("last_name", "   ", "This field is required."),
    ("first_name", "x" * 101, "Ensure this value has at most 100 characters"),
    ("preferred_name", "x" * 101, "Ensure this value has at most 100 characters"),
    ("pronouns", "x" * 41, "Ensure this value has at most 40 characters"),
    ("emergency_contact_name", "x" * 151, "Ensure this value has at most 150 characters"),
]


class ClientCreateTests(BaseTestCase):
    def test_it_requires_login(self) -> None:
        for method in (self.client.get, self.client.post):
            response = method(NEW_URL)
            self.assertRedirects(
                response, f"/accounts/login/?next={NEW_URL}", fetch_redirect_response=False
            )
        self.assertEqual(Client.objects.count(), 3)

    def test_non_clinical_owner_gets_404(self) -> None:
        self.olivia.membership.is_clinical = False
        self.olivia.membership.save()
        self.login(self.olivia)
        self.assertEqual(self.client.get(NEW_URL).status_code, 404)
        self.assertEqual(self.client.post(NEW_URL, valid_client()).status_code, 404)
        self.assertEqual(Client.objects.count(), 3)

    def test_it_shows_the_form_with_the_therapists_time_zone(self) -> None:
        self.login(self.charlie)
        response = self.client.get(NEW_URL)
        self.assertContains(response, '<label for="id_first_name">First name')
        self.assertContains(response, '<option value="America/New_York" selected>')
        self.assertContains(response, "Open a first episode of care (referral)")

    @time_machine.travel(NOW, tick=False)
    def test_it_adds_a_client_to_the_therapists_caseload(self) -> None:
        self.login(self.alice)
        response = self.client.post(NEW_URL, valid_client())
        gail = Client.objects.get(first_name="Gail")
        self.assertRedirects(response, f"/clients/{gail.pk}/", fetch_redirect_response=False)
        self.assertEqual(gail.therapist, self.alice)
        self.assertEqual(gail.practice, self.riverside)
        self.assertEqual(gail.last_name, "Green")
        self.assertEqual(gail.date_of_birth, date(1990, 5, 17))
        self.assertEqual(gail.phone, "+44 (0)20 7946-0958")
        self.assertEqual(gail.emergency_contact_name, "Greg Green")
        self.assertFalse(gail.episodes.exists())
        event = AuditEvent.objects.get()
        self.assertEqual(event.action, "client.create")
        self.assertEqual(event.object_id, str(gail.pk))
        self.assertEqual(event.detail, {"episode_id": None})
        page = self.client.get(response["Location"])
        self.assertContains(page, "Gail Green")

    @time_machine.travel(datetime(2026, 7, 1, 23, 30, tzinfo=UTC), tick=False)
    def test_it_can_open_a_first_episode_in_the_same_step(self) -> None:
        self.login(self.alice)
        self.client.post(
            NEW_URL, valid_client(open_episode="on", referral_reason="Panic attacks at work")
        )
        gail = Client.objects.get(first_name="Gail")
        episode = gail.episodes.get()
        self.assertEqual(episode.status, "referral")
        self.assertEqual(episode.therapist, self.alice)
        self.assertEqual(episode.referral_reason, "Panic attacks at work")
        # 23:30 UTC on 1 July is already 2 July in London, Alice's zone.
        self.assertEqual(episode.start_date, date(2026, 7, 2))
        # One audit row for the whole step, naming the episode but no free text.
        event = AuditEvent.objects.get()
        self.assertEqual(event.action, "client.create")
        self.assertEqual(event.detail, {"episode_id": episode.pk})

    def test_opening_an_episode_needs_a_reason(self) -> None:
        self.login(self.alice)
        response = self.client.post(NEW_URL, valid_client(open_episode="on", referral_reason=""))
        self.assertContains(response, "Give a referral reason to open the first episode.")
        self.assertFalse(Client.objects.filter(first_name="Gail").exists())
        self.assertFalse(AuditEvent.objects.exists())

    def test_a_reason_without_the_checkbox_opens_no_episode(self) -> None:
        self.login(self.alice)
        self.client.post(NEW_URL, valid_client(referral_reason="Something"))
        self.assertFalse(Client.objects.get(first_name="Gail").episodes.exists())

    def test_an_overlong_referral_reason_is_rejected(self) -> None:
        self.login(self.alice)
        response = self.client.post(
            NEW_URL, valid_client(open_episode="on", referral_reason="x" * 2001)
        )
        self.assertContains(response, "Ensure this value has at most 2000 characters")
        self.assertFalse(Client.objects.filter(first_name="Gail").exists())
        self.assertFalse(Episode.objects.exists())

    @time_machine.travel(NOW, tick=False)
    def test_bad_input_is_explained_and_nothing_is_written(self) -> None:
        self.login(self.alice)
        for field, value, message in BAD_CLIENT_INPUT:
            with self.subTest(field=field, value=value):
                response = self.client.post(NEW_URL, valid_client(**{field: value}))
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, message)
                self.assertContains(response, f'id="id_{field}_error"')
                self.assertEqual(Client.objects.count(), 3)
        self.assertFalse(AuditEvent.objects.exists())

    @time_machine.travel(NOW, tick=False)
    def test_edge_values_are_accepted(self) -> None:
        self.login(self.alice)
        response = self.client.post(
            NEW_URL,
            valid_client(
                date_of_birth="2026-07-01",  # today
                phone="123456",  # six digits
                emergency_contact_phone="+" + "1" * 20,
                first_name="x" * 100,
                email="",
                pronouns="",
            ),
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Client.objects.filter(first_name="x" * 100).count(), 1)

    def test_names_are_escaped(self) -> None:
        self.login(self.alice)
        self.client.post(NEW_URL, valid_client(first_name="<script>alert(1)</script>"))
        gail = Client.objects.get(last_name="Green")
        response = self.client.get(f"/clients/{gail.pk}/")
        self.assertNotContains(response, "<script>alert(1)</script>")
        self.assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt;")


class ClientEditTests(BaseTestCase):
    def url(self, client_id: int | None = None) -> str:
        return f"/clients/{client_id or self.dana.pk}/edit/"

    def test_it_requires_login(self) -> None:
        for method in (self.client.get, self.client.post):
            response = method(self.url())
            self.assertRedirects(
                response, f"/accounts/login/?next={self.url()}", fetch_redirect_response=False
            )

    def test_it_rejects_other_therapists(self) -> None:
        for user in (self.bob, self.charlie, self.olivia):
            with self.subTest(user=user.email):
                self.login(user)
                self.assertEqual(self.client.get(self.url()).status_code, 404)
                response = self.client.post(self.url(), valid_client(first_name="Hacked"))
                self.assertEqual(response.status_code, 404)
        self.dana.refresh_from_db()
        self.assertEqual(self.dana.first_name, "Dana")
        self.assertFalse(AuditEvent.objects.exists())

    def test_a_missing_client_is_a_404(self) -> None:
        self.login(self.alice)
        self.assertEqual(self.client.get(self.url(999999)).status_code, 404)
        self.assertEqual(self.client.post(self.url(999999), valid_client()).status_code, 404)

    def test_it_shows_the_current_details(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.url())
        self.assertContains(response, 'value="Dana"')
        self.assertContains(response, 'value="dana@example.net"')
        self.assertContains(response, '<option value="Europe/London" selected>')
        self.assertNotContains(response, "Open a first episode")

    def test_it_saves_changes(self) -> None:
        self.login(self.alice)
        data = valid_client(first_name="Dana", last_name="Dawson", preferred_name="Dee")
        response = self.client.post(self.url(), data)
        self.assertRedirects(response, f"/clients/{self.dana.pk}/", fetch_redirect_response=False)
        self.dana.refresh_from_db()
        self.assertEqual(self.dana.preferred_name, "Dee")
        self.assertEqual(self.dana.email, "gail@example.net")
        self.assertEqual(self.dana.therapist, self.alice)
        event = AuditEvent.objects.get()
        self.assertEqual(event.action, "client.update")
        self.assertEqual(event.object_id, str(self.dana.pk))
        # Field names only, never their values.
        self.assertIn("preferred_name", event.detail["fields"])
        self.assertNotIn("Dee", str(event.detail))

    @time_machine.travel(NOW, tick=False)
    def test_bad_input_changes_nothing(self) -> None:
        self.login(self.alice)
        before = Client.objects.filter(pk=self.dana.pk).values().get()
        for field, value, message in BAD_CLIENT_INPUT:
            with self.subTest(field=field, value=value):
                response = self.client.post(self.url(), valid_client(**{field: value}))
                self.assertContains(response, message)
                self.assertEqual(Client.objects.filter(pk=self.dana.pk).values().get(), before)
        self.assertFalse(AuditEvent.objects.exists())


class ClientDetailTests(BaseTestCase):
    def url(self, client_id: int | None = None) -> str:
        return f"/clients/{client_id or self.dana.pk}/"

    def test_it_requires_login(self) -> None:
        response = self.client.get(self.url())
        self.assertRedirects(
            response, f"/accounts/login/?next={self.url()}", fetch_redirect_response=False
        )

    def test_it_rejects_other_therapists(self) -> None:
        for user in (self.bob, self.charlie, self.olivia):
            with self.subTest(user=user.email):
                self.login(user)
                response = self.client.get(self.url())
                self.assertEqual(response.status_code, 404)
                self.assertNotContains(response, "Dawson", status_code=404)
                self.assertEqual(self.client.post(self.url()).status_code, 404)
        self.assertFalse(AuditEvent.objects.exists())

    def test_it_only_answers_reads(self) -> None:
        self.login(self.alice)
        self.assertEqual(self.client.post(self.url()).status_code, 405)
        self.assertFalse(AuditEvent.objects.exists())

    def test_a_missing_client_is_a_404(self) -> None:
        self.login(self.alice)
        self.assertEqual(self.client.get(self.url(999999)).status_code, 404)

    def test_it_shows_the_details_and_links(self) -> None:
        self.dana.date_of_birth = date(1988, 3, 4)
        self.dana.phone = "07700 900456"
        self.dana.save()
        self.login(self.alice)
        response = self.client.get(self.url())
        self.assertContains(response, "<h1>Dana Dawson")
        self.assertContains(response, "4 Mar 1988")
        self.assertContains(response, "dana@example.net")
        self.assertContains(response, "07700 900456")
        self.assertContains(response, f'href="/clients/{self.dana.pk}/edit/"')
        self.assertContains(response, f'href="/clients/{self.dana.pk}/appointments/new/"')
        self.assertContains(response, f'href="/clients/{self.dana.pk}/episodes/new/"')
        self.assertContains(response, "No episode of care yet.")

    def test_it_shows_the_current_episode_with_its_actions(self) -> None:
        make_episode(self.dana, status="closed", start_date=date(2023, 1, 1))
        current = make_episode(self.dana, status="active", referral_reason="Sleep & worry")
        self.login(self.alice)
        response = self.client.get(self.url())
        self.assertContains(response, "Current episode")
        self.assertContains(response, '<span class="badge badge-active">Active</span>')
        self.assertContains(response, "Sleep &amp; worry")
        self.assertContains(response, f'action="/episodes/{current.pk}/status/"')
        self.assertContains(response, 'value="ending"')
        self.assertContains(response, "Move to Ending")
        self.assertContains(response, "Move to Ended")
        self.assertContains(response, 'name="return_to" value="client"')
        # An open episode exists: no "New episode" button.
        self.assertNotContains(response, f'href="/clients/{self.dana.pk}/episodes/new/"')

    def test_with_only_closed_episodes_it_offers_a_new_one(self) -> None:
        make_episode(self.dana, status="closed", start_date=date(2023, 1, 1))
        self.login(self.alice)
        response = self.client.get(self.url())
        self.assertContains(response, "Latest episode")
        self.assertContains(response, f'href="/clients/{self.dana.pk}/episodes/new/"')
        self.assertContains(response, "it has no further status changes")

    def test_it_writes_one_audit_row(self) -> None:
        self.login(self.alice)
        self.client.get(self.url())
        event = AuditEvent.objects.get()
        self.assertEqual(event.action, "client.view")
        self.assertEqual(event.object_type, "client")
        self.assertEqual(event.object_id, str(self.dana.pk))
        self.assertEqual(event.actor, self.alice)
        self.assertNotIn("Dana", str(event.detail))
