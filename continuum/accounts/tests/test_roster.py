from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse

from continuum.accounts import services
from continuum.accounts.actors import actor_for
from continuum.accounts.models import Membership, Role
from continuum.audit.models import AuditEvent
from continuum.care.models import Episode
from continuum.care.services.clients import reassign_client
from continuum.testing.base import (
    BaseTestCase,
    make_appointment,
    make_client,
    make_episode,
    make_note,
    make_staff,
)

REFERRAL_CANARY = "CANARY-referral-panic-attacks-7731"
NOTE_CANARY = "CANARY-note-text-5520"


class RosterTests(BaseTestCase):
    dana_episode: Episode

    url = reverse("accounts:roster")

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.dana_episode = make_episode(cls.dana, referral_reason=REFERRAL_CANARY)
        note = make_note(make_appointment(cls.dana, episode=cls.dana_episode))
        note.sections = {"subjective": NOTE_CANARY, "plan": NOTE_CANARY}
        note.next_session_plan = NOTE_CANARY
        note.save()
        make_episode(cls.finn, status="referral")

    def test_it_requires_login(self) -> None:
        response = self.client.get(self.url)
        self.assertTrue(response["Location"].startswith("/accounts/login/"))

    def test_it_rejects_non_owners(self) -> None:
        for person in (self.alice, self.bob):
            self.login(person)
            self.assertEqual(self.client.get(self.url).status_code, 404)

    def test_it_lists_the_practices_clients_without_clinical_content(self) -> None:
        self.login(self.olivia)

        response = self.client.get(self.url)

        self.assertContains(response, "Dana Dawson")
        self.assertContains(response, "Finn Fischer")
        self.assertContains(response, "Alice Adams")
        self.assertContains(response, '<span class="badge badge-active">Active</span>')
        self.assertContains(response, '<span class="badge badge-referral">Referral</span>')
        for absent in (REFERRAL_CANARY, NOTE_CANARY, "Eli", "Evans", "dana@example.net"):
            self.assertNotContains(response, absent)

    def test_another_practice_owner_sees_only_their_clients(self) -> None:
        self.login(self.charlie)
        response = self.client.get(self.url)
        self.assertContains(response, "Eli Evans")
        self.assertNotContains(response, "Dana")
        self.assertNotContains(response, "Finn")

    def test_the_latest_episode_status_is_shown(self) -> None:
        make_episode(self.dana, status="closed", start_date=date(2024, 1, 1))
        Episode.objects.filter(client=self.finn).update(
            status="closed", start_date=date(2025, 1, 1)
        )
        make_episode(self.finn, status="active", start_date=date(2026, 3, 1))
        self.login(self.olivia)
        response = self.client.get(self.url)
        self.assertContains(response, '<span class="badge badge-active">Active</span>', count=2)
        self.assertNotContains(response, "badge-closed")
        self.assertNotContains(response, "badge-referral")

    def test_it_filters_by_therapist(self) -> None:
        self.login(self.olivia)

        response = self.client.get(self.url, {"therapist": self.alice.membership.pk})

        self.assertContains(response, "Clients of Alice Adams")
        self.assertContains(response, "Dana Dawson")
        self.assertNotContains(response, "Finn Fischer")

    def test_it_searches_by_name(self) -> None:
        make_client(self.bob, "Greta", "Grey", preferred_name="Gigi")
        self.login(self.olivia)
        for query, expected in (("fisch", "Finn Fischer"), ("gigi", "Gigi Grey")):
            response = self.client.get(self.url, {"q": query})
            self.assertContains(response, expected)
            self.assertNotContains(response, "Dana Dawson")
        response = self.client.get(self.url, {"q": "Eli"})
        self.assertContains(response, "No clients match these filters.")

    def test_bad_filters_are_a_400_with_a_message(self) -> None:
        self.login(self.olivia)
        cases: list[dict[str, Any]] = [
            {"therapist": "abc"},
            {"therapist": self.charlie.membership.pk},  # another practice's member
            {"therapist": "1 OR 1=1"},
            {"q": "x" * 101},
        ]
        for params in cases:
            response = self.client.get(self.url, params)
            self.assertEqual(response.status_code, 400, params)
            self.assertContains(response, "Please correct the errors below.", status_code=400)
            self.assertNotContains(response, "Dana Dawson", status_code=400)

    def test_unknown_parameters_and_bad_pages_are_ignored(self) -> None:
        self.login(self.olivia)
        response = self.client.get(self.url, {"sort": "password", "page": "zzz"})
        self.assertContains(response, "Dana Dawson")

    def test_it_writes_one_audit_row_per_view(self) -> None:
        self.login(self.olivia)
        self.client.get(self.url)
        event = AuditEvent.objects.get()
        self.assertEqual((event.action, event.actor), ("roster.view", self.olivia))
        self.assertEqual(event.detail, {"count": 2, "orphaned_drafts": 0})

    def test_it_pages(self) -> None:
        for i in range(55):
            make_client(self.bob, f"Client{i:02}", "Zed")
        self.login(self.olivia)

        first = self.client.get(self.url)
        second = self.client.get(self.url, {"page": 2, "therapist": self.bob.membership.pk})

        self.assertContains(first, "Page 1 of 2")
        self.assertContains(first, "Dana Dawson")
        self.assertNotContains(first, "Client54 Zed")
        self.assertContains(second, "Client54 Zed")
        self.assertContains(second, f"therapist={self.bob.membership.pk}&amp;page=1")

    def _count_queries(self) -> None:
        self.login(self.olivia)
        # 1 session, 2 user, 3 the owner's membership (decorator), 4 the practice's members
        # (therapist filter), 5 count of clients (paginator), 6 the page of clients with their
        # therapists and latest episode status, 7 the drafts of former members (issue 18,
        # finding 2), 8 the roster.view audit row
        with self.assertNumQueries(8):
            response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)

    def test_its_query_count_is_constant_for_few_clients(self) -> None:
        self._count_queries()

    def test_its_query_count_is_constant_for_many_clients(self) -> None:
        for i in range(60):
            client = make_client(self.alice if i % 2 else self.bob, f"Many{i}")
            make_episode(client, status="closed", start_date=date(2024, 1, 1))
            make_episode(client)
        self._count_queries()


class ReassignTests(BaseTestCase):
    open_episode: Episode
    old_episode: Episode
    url: str

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.open_episode = make_episode(cls.dana, status="active")
        cls.old_episode = make_episode(cls.dana, status="closed", start_date=date(2024, 1, 1))
        cls.url = reverse("accounts:reassign", args=[cls.dana.pk])

    def assert_unchanged(self) -> None:
        self.dana.refresh_from_db()
        self.assertEqual(self.dana.therapist, self.alice)
        self.assertEqual(
            set(Episode.objects.filter(client=self.dana).values_list("therapist", flat=True)),
            {self.alice.pk},
        )
        self.assertFalse(AuditEvent.objects.filter(action="client.reassign").exists())

    def test_it_requires_login(self) -> None:
        for method in ("get", "post"):
            response = getattr(self.client, method)(self.url, {"therapist": self.bob.pk})
            self.assertTrue(response["Location"].startswith("/accounts/login/"))
        self.assert_unchanged()

    def test_it_rejects_outsiders(self) -> None:
        for person in (self.alice, self.bob, self.charlie):
            self.login(person)
            self.assertEqual(self.client.get(self.url).status_code, 404)
            response = self.client.post(self.url, {"therapist": person.pk})
            self.assertEqual(response.status_code, 404, person.email)
        self.assert_unchanged()

    def test_another_practices_client_is_404(self) -> None:
        self.login(self.olivia)
        url = reverse("accounts:reassign", args=[self.eli.pk])
        self.assertEqual(self.client.get(url).status_code, 404)
        self.assertEqual(self.client.post(url, {"therapist": self.bob.pk}).status_code, 404)
        self.assertEqual(
            self.client.get(reverse("accounts:reassign", args=[9999])).status_code, 404
        )

    def test_it_shows_the_form_with_the_practices_active_clinicians(self) -> None:
        make_staff(
            self.riverside, "admin@example.org", "Ada Admin", role=Role.OWNER, clinical=False
        )
        gone = make_staff(self.riverside, "gone@example.org", "Gus Gone")
        services.deactivate_member(gone.membership, actor=actor_for(self.olivia))
        self.login(self.olivia)

        response = self.client.get(self.url)

        self.assertContains(response, "Reassign Dana Dawson")
        self.assertContains(response, '<label for="id_therapist">New therapist')
        self.assertContains(response, f'<option value="{self.bob.pk}">Bob Brown</option>')
        self.assertContains(response, f'<option value="{self.olivia.pk}">Olivia Owner</option>')
        for absent in ("Charlie", "Ada Admin", "Gus Gone", f'value="{self.alice.pk}"'):
            self.assertNotContains(response, absent)
        self.assertNotContains(response, "Low mood")  # the referral reason

    def test_it_reassigns_the_client_and_open_episodes(self) -> None:
        from datetime import timedelta

        from django.utils import timezone

        from continuum.testing.base import make_appointment

        upcoming = make_appointment(self.dana, episode=self.open_episode)
        past = make_appointment(
            self.dana, timezone.now() - timedelta(days=3), episode=self.open_episode
        )
        self.login(self.olivia)

        response = self.client.post(self.url, {"therapist": self.bob.pk}, follow=True)

        self.assertContains(response, "Dana Dawson is now with Bob Brown.")
        self.dana.refresh_from_db()
        self.open_episode.refresh_from_db()
        self.old_episode.refresh_from_db()
        self.assertEqual(self.dana.therapist, self.bob)
        self.assertEqual(self.open_episode.therapist, self.bob)
        self.assertEqual(self.old_episode.therapist, self.alice)  # history stays as it was
        event = AuditEvent.objects.get(action="client.reassign")
        self.assertEqual((event.actor, event.object_id), (self.olivia, str(self.dana.pk)))
        self.assertEqual(
            event.detail,
            {
                "from_user_id": self.alice.pk,
                "to_user_id": self.bob.pk,
                "episode_ids": [self.open_episode.pk],
                "appointments_moved": 1,
                "drafts_kept": 0,
            },
        )
        upcoming.refresh_from_db()
        past.refresh_from_db()
        self.assertEqual(upcoming.therapist, self.bob)  # the session Bob now holds
        self.assertEqual(past.therapist, self.alice)  # who saw the client stays as it was
        # Bob now reads Dana's record; Alice no longer does.
        from continuum.care.access import clients_for

        self.assertIn(self.dana, clients_for(self.bob))
        self.assertNotIn(self.dana, clients_for(self.alice))

    def test_it_refuses_a_therapist_of_another_practice(self) -> None:
        self.login(self.olivia)

        response = self.client.post(self.url, {"therapist": self.charlie.pk})

        self.assertContains(response, "Choose an active clinician of your practice.")
        self.assertContains(response, 'id="id_therapist_error"')
        self.assert_unchanged()

    def test_it_refuses_deactivated_and_non_clinical_members(self) -> None:
        admin = make_staff(self.riverside, "admin@example.org", "Ada", clinical=False)
        services.deactivate_member(self.bob.membership, actor=actor_for(self.olivia))
        self.login(self.olivia)
        for person in (admin, self.bob, self.alice):
            response = self.client.post(self.url, {"therapist": person.pk})
            self.assertContains(response, "Choose an active clinician of your practice.")
        self.assert_unchanged()

    def test_bad_input_is_a_form_error(self) -> None:
        self.login(self.olivia)
        for value in ("", "abc", "99999", "1; DROP TABLE"):
            response = self.client.post(self.url, {"therapist": value})
            self.assertEqual(response.status_code, 200, value)
            self.assertContains(response, 'class="error"')
        self.assert_unchanged()

    def test_the_service_refuses_the_same_therapist(self) -> None:
        with self.assertRaisesMessage(services.NotAllowed, "already assigned"):
            reassign_client(self.dana, self.alice, actor=actor_for(self.olivia))
        self.assert_unchanged()

    def test_the_service_refuses_another_practices_therapist(self) -> None:
        with self.assertRaises(services.NotAllowed):
            reassign_client(self.dana, self.charlie, actor=actor_for(self.olivia))
        self.assert_unchanged()

    def test_a_deactivated_therapists_clients_can_be_reassigned(self) -> None:
        services.deactivate_member(self.alice.membership, actor=actor_for(self.olivia))
        self.login(self.olivia)

        self.client.post(self.url, {"therapist": self.olivia.pk})

        self.dana.refresh_from_db()
        self.assertEqual(self.dana.therapist, self.olivia)
        self.assertFalse(Membership.objects.get(user=self.alice).is_active)
