from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import time_machine
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from continuum.audit.models import AuditEvent
from continuum.care.models import Appointment, AppointmentStatus, Client, Episode
from continuum.testing.base import BaseTestCase, make_appointment, make_client, make_episode

URL = "/clients/"
# 1 July 2026, 12:00 UTC: London is on summer time (UTC+1).
NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def names_in_order(content: str, names: list[str]) -> list[str]:
    """The given names sorted by where they first appear in the page."""
    present = [n for n in names if n in content]
    return sorted(present, key=content.index)


class CaseloadAccessTests(BaseTestCase):
    def test_it_requires_login(self) -> None:
        response = self.client.get(URL)
        self.assertRedirects(
            response, f"/accounts/login/?next={URL}", fetch_redirect_response=False
        )

    def test_it_shows_only_the_therapists_own_clients(self) -> None:
        make_client(self.alice, "Gail", "Green")
        self.login(self.alice)
        response = self.client.get(URL)
        self.assertContains(response, "Dana Dawson")
        self.assertContains(response, "Gail Green")
        self.assertNotContains(response, "Finn")  # Bob's, same practice
        self.assertNotContains(response, "Eli")  # Charlie's, other practice

    def test_colleague_sees_only_his_own(self) -> None:
        self.login(self.bob)
        response = self.client.get(URL)
        self.assertContains(response, "Finn Fischer")
        self.assertNotContains(response, "Dana")

    def test_other_practice_sees_only_its_own(self) -> None:
        self.login(self.charlie)
        response = self.client.get(URL + "?q=Dana")
        self.assertNotContains(response, "Dana Dawson")
        self.assertContains(response, "No clients match these filters.")
        response = self.client.get(URL)
        self.assertContains(response, "Eli Evans")

    def test_owner_sees_no_one_elses_clients(self) -> None:
        self.login(self.olivia)
        response = self.client.get(URL)
        self.assertNotContains(response, "Dana")
        self.assertNotContains(response, "Finn")
        self.assertContains(response, "No clients yet")

    def test_it_only_answers_reads(self) -> None:
        self.login(self.alice)
        self.assertEqual(self.client.post(URL).status_code, 405)
        self.assertFalse(AuditEvent.objects.exists())

    def test_non_clinical_member_gets_404(self) -> None:
        self.olivia.membership.is_clinical = False
        self.olivia.membership.save()
        self.login(self.olivia)
        self.assertEqual(self.client.get(URL).status_code, 404)


@time_machine.travel(NOW, tick=False)
class CaseloadContentTests(BaseTestCase):
    def test_it_shows_status_last_and_next_in_the_therapists_zone(self) -> None:
        episode = make_episode(self.dana, status="active")
        make_appointment(
            self.dana,
            datetime(2026, 6, 24, 9, 0, tzinfo=UTC),
            episode=episode,
            status=AppointmentStatus.ATTENDED,
        )
        upcoming = make_appointment(self.dana, datetime(2026, 7, 2, 9, 0, tzinfo=UTC))
        # A later one and a cancelled earlier one do not count as "next".
        make_appointment(self.dana, datetime(2026, 7, 9, 9, 0, tzinfo=UTC))
        make_appointment(
            self.dana, datetime(2026, 7, 1, 15, 0, tzinfo=UTC), status=AppointmentStatus.CANCELLED
        )
        self.login(self.alice)
        response = self.client.get(URL)
        self.assertContains(response, f'<a href="/clients/{self.dana.pk}/">Dana Dawson</a>')
        self.assertContains(response, "badge badge-active")
        self.assertContains(response, ">Active</a>")
        self.assertContains(response, "Wed 24 Jun 2026")
        # 09:00 UTC is 10:00 in London in July.
        self.assertContains(response, "Thu 2 Jul 2026, 10:00")
        self.assertContains(response, f'href="/appointments/{upcoming.pk}/"')
        self.assertNotContains(response, "Thu 9 Jul 2026")

    def test_a_past_unmarked_appointment_counts_as_last_but_a_no_show_does_not(self) -> None:
        make_appointment(
            self.dana, datetime(2026, 6, 29, 9, 0, tzinfo=UTC), status=AppointmentStatus.NO_SHOW
        )
        make_appointment(self.dana, datetime(2026, 6, 22, 9, 0, tzinfo=UTC))
        self.login(self.alice)
        response = self.client.get(URL)
        self.assertContains(response, "Mon 22 Jun 2026")
        self.assertNotContains(response, "Mon 29 Jun 2026")
        self.assertContains(response, "None booked")

    def test_it_shows_the_current_episode_not_an_older_one(self) -> None:
        make_episode(self.dana, status="closed", start_date=date(2024, 1, 1))
        make_episode(self.dana, status="referral", start_date=date(2026, 6, 1))
        self.login(self.alice)
        response = self.client.get(URL)
        self.assertContains(response, ">Referral</a>")
        self.assertNotContains(response, ">Closed</a>")

    def test_client_without_episode_says_so(self) -> None:
        self.login(self.alice)
        response = self.client.get(URL)
        self.assertContains(response, "No episode")
        self.assertContains(response, "None yet")

    def test_it_shows_preferred_name_and_pronouns(self) -> None:
        make_client(self.alice, "Katherine", "Kline", preferred_name="Kit", pronouns="they/them")
        self.login(self.alice)
        response = self.client.get(URL)
        self.assertContains(response, "Kit Kline")
        self.assertContains(response, "(they/them)")

    def test_it_has_a_new_client_button(self) -> None:
        self.login(self.alice)
        response = self.client.get(URL)
        self.assertContains(response, 'href="/clients/new/"')
        self.assertContains(response, "New client")

    def test_it_writes_one_audit_row_without_the_search_text(self) -> None:
        make_client(self.alice, "Gail", "Green")
        self.login(self.alice)
        self.client.get(URL + "?q=Gail&sort=-name")
        events = AuditEvent.objects.filter(action="caseload.view")
        self.assertEqual(events.count(), 1)
        event = events.get()
        self.assertEqual(event.actor, self.alice)
        self.assertEqual(event.practice, self.riverside)
        self.assertEqual(event.detail["sort"], "-name")
        self.assertTrue(event.detail["searched"])
        self.assertNotIn("Gail", str(event.detail))
        self.assertEqual(AuditEvent.objects.count(), 1)


@time_machine.travel(NOW, tick=False)
class CaseloadFilterTests(BaseTestCase):
    gail: Client
    hana: Client
    ivan: Client

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.gail = make_client(cls.alice, "Gail", "Green")
        cls.hana = make_client(cls.alice, "Hannah", "Hughes", preferred_name="Hana")
        cls.ivan = make_client(cls.alice, "Ivan", "Irwin")
        make_episode(cls.dana, status="active")
        make_episode(cls.gail, status="referral")
        make_episode(cls.hana, status="ended", end_date=date(2026, 6, 1))
        # Ivan has no episode.
        # Last sessions: Gail longest ago, then Dana, then Hana; Ivan none.
        for client, day in ((cls.gail, 1), (cls.dana, 10), (cls.hana, 20)):
            make_appointment(
                client,
                datetime(2026, 6, day, 9, 0, tzinfo=UTC),
                status=AppointmentStatus.ATTENDED,
            )
        # Next appointments: Hana soonest, then Gail; Dana and Ivan none.
        make_appointment(cls.hana, datetime(2026, 7, 2, 9, 0, tzinfo=UTC))
        make_appointment(cls.gail, datetime(2026, 7, 8, 9, 0, tzinfo=UTC))

    names = ["Dana Dawson", "Gail Green", "Hana Hughes", "Ivan Irwin"]

    def get(self, query: str) -> str:
        self.login(self.alice)
        response = self.client.get(URL + query)
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def test_it_filters_by_status(self) -> None:
        cases = {
            "active": ["Dana Dawson"],
            "referral": ["Gail Green"],
            "ended": ["Hana Hughes"],
            "closed": [],
            "none": ["Ivan Irwin"],
            "all": self.names,
            "": self.names,
        }
        for status, expected in cases.items():
            with self.subTest(status=status):
                content = self.get(f"?status={status}")
                self.assertEqual(names_in_order(content, self.names), expected)

    def test_a_filter_with_no_match_says_so(self) -> None:
        content = self.get("?status=closed")
        self.assertIn("No clients match these filters.", content)

    def test_it_searches_first_last_and_preferred_names(self) -> None:
        cases = {
            "gail": ["Gail Green"],
            "HUGH": ["Hana Hughes"],
            "hana": ["Hana Hughes"],
            "Hannah": ["Hana Hughes"],
            "an": ["Dana Dawson", "Hana Hughes", "Ivan Irwin"],
            "dana dawson": ["Dana Dawson"],
            "dana green": [],
            "Finn": [],  # Bob's client
        }
        for q, expected in cases.items():
            with self.subTest(q=q):
                content = self.get(f"?q={q}")
                self.assertEqual(names_in_order(content, [*self.names, "Finn Fischer"]), expected)

    def test_search_and_status_combine(self) -> None:
        content = self.get("?q=an&status=active")
        self.assertEqual(names_in_order(content, self.names), ["Dana Dawson"])

    def test_it_sorts(self) -> None:
        cases = {
            "name": ["Dana Dawson", "Gail Green", "Hana Hughes", "Ivan Irwin"],
            "-name": ["Ivan Irwin", "Hana Hughes", "Gail Green", "Dana Dawson"],
            # Without a last session or next appointment, a client comes last.
            "last": ["Gail Green", "Dana Dawson", "Hana Hughes", "Ivan Irwin"],
            "-last": ["Hana Hughes", "Dana Dawson", "Gail Green", "Ivan Irwin"],
            "next": ["Hana Hughes", "Gail Green", "Dana Dawson", "Ivan Irwin"],
            "-next": ["Gail Green", "Hana Hughes", "Dana Dawson", "Ivan Irwin"],
        }
        for sort, expected in cases.items():
            with self.subTest(sort=sort):
                content = self.get(f"?sort={sort}")
                self.assertEqual(names_in_order(content, self.names), expected)

    def test_unknown_sort_is_a_400_with_a_reason(self) -> None:
        self.login(self.alice)
        for sort in ("first_name", "last_name; DROP TABLE care_client", "pk", "?"):
            with self.subTest(sort=sort):
                response = self.client.get(URL, {"sort": sort})
                self.assertContains(response, "is not a way to sort the caseload", status_code=400)
                self.assertContains(
                    response, "use one of: name, -name, last, -last, next, -next", status_code=400
                )
                self.assertNotContains(response, "Dana Dawson", status_code=400)
        self.assertFalse(AuditEvent.objects.exists())

    def test_unknown_status_is_a_400_with_a_reason(self) -> None:
        self.login(self.alice)
        response = self.client.get(URL, {"status": "open"})
        self.assertContains(response, "“open” is not an episode status filter", status_code=400)

    def test_an_overlong_search_is_a_400(self) -> None:
        self.login(self.alice)
        response = self.client.get(URL, {"q": "x" * 101})
        self.assertContains(response, "at most 100 characters", status_code=400)

    @override_settings(CASELOAD_PAGE_SIZE=3)
    def test_it_pages_and_keeps_the_filters(self) -> None:
        content = self.get("?sort=-name")
        self.assertEqual(
            names_in_order(content, self.names), ["Ivan Irwin", "Hana Hughes", "Gail Green"]
        )
        self.assertIn("Page 1 of 2", content)
        self.assertIn('href="?sort=-name&amp;page=2"', content)
        content = self.get("?sort=-name&page=2")
        self.assertEqual(names_in_order(content, self.names), ["Dana Dawson"])
        # A page number out of range or not a number shows a real page, not an error.
        self.assertIn("Page 2 of 2", self.get("?sort=-name&page=99"))
        self.assertIn("Page 1 of 2", self.get("?sort=-name&page=abc"))


class CaseloadFuzzTests(HypothesisTestCase, BaseTestCase):
    """Arbitrary sort, status and search values: a page or a 400, never a 500."""

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(sort=st.text(max_size=30), status=st.text(max_size=30), q=st.text(max_size=120))
    def test_arbitrary_query_values_never_fail(self, sort: str, status: str, q: str) -> None:
        self.login(self.alice)
        response = self.client.get(URL, {"sort": sort, "status": status, "q": q})
        self.assertIn(response.status_code, (200, 400))


@time_machine.travel(NOW, tick=False)
class CaseloadQueryCountTests(BaseTestCase):
    def fill(self, how_many: int) -> None:
        clients = Client.objects.bulk_create(
            Client(
                practice=self.riverside,
                therapist=self.alice,
                first_name=f"Client{n:03d}",
                last_name="Many",
            )
            for n in range(how_many)
        )
        Episode.objects.bulk_create(
            Episode(
                client=c,
                therapist=self.alice,
                referral_reason="r",
                start_date=date(2026, 1, 1),
                status="active",
            )
            for c in clients
        )
        Appointment.objects.bulk_create(
            Appointment(client=c, therapist=self.alice, starts_at=NOW + timedelta(days=d))
            for c in clients
            for d in (-7, 7)
        )

    def assert_page_queries(self) -> None:
        self.login(self.alice)
        # 1. the session, 2. the user, 3. the user's membership (access decorator),
        # 4. COUNT of matching clients (paginator),
        # 5. one page of clients with their current episode, last session and next
        #    appointment as subqueries,
        # 6. INSERT of the one "caseload.view" audit row.
        with self.assertNumQueries(6):
            response = self.client.get(URL + "?sort=next&status=active&q=client")
        self.assertEqual(response.status_code, 200)

    def test_query_count_with_5_clients(self) -> None:
        self.fill(5)
        self.assert_page_queries()

    def test_query_count_with_200_clients(self) -> None:
        self.fill(200)
        self.assert_page_queries()
