"""Author-only access: every route, every outsider, and what happens after reassignment."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse

from continuum.accounts.actors import actor_for
from continuum.accounts.services import deactivate_member
from continuum.care.services.clients import reassign_client
from continuum.reflections.access import (
    former_reflections_for,
    get_readable_reflection_for,
    readable_reflections_for,
    reflections_for,
)
from continuum.reflections.models import Reflection
from continuum.reflections.queries import client_panel
from continuum.reflections.tests.world import (
    ReflectionTestCase,
    address_url,
    create_url,
    detail_url,
    edit_url,
    list_url,
    make_reflection,
    unaddress_url,
)
from continuum.testing.base import make_portal_user

FORMER_URL = reverse("reflections:former_clients")


class EveryRouteTests(ReflectionTestCase):
    """Each reflection route: anonymous → login; colleague, owner, other practice, the client
    herself (portal login) → 404 on GET and POST, and nothing changes."""

    def setUp(self) -> None:
        super().setUp()
        self.reflection = make_reflection(self.dana, "Only Alice reads this")
        self.urls = [
            list_url(self.dana),
            create_url(self.dana),
            detail_url(self.reflection),
            edit_url(self.reflection),
            address_url(self.reflection),
            unaddress_url(self.reflection),
        ]

    def test_every_route_requires_login(self) -> None:
        for url in [*self.urls, FORMER_URL]:
            with self.subTest(url=url):
                self.assert_login_required(url)

    def test_every_route_is_a_404_for_everyone_but_the_author(self) -> None:
        dana_portal = make_portal_user(self.dana)
        data = {"kind": "idea", "text": "Changed by someone else", "note": "x"}
        for user in (self.bob, self.olivia, self.charlie, dana_portal):
            self.login(user)
            for url in self.urls:
                for method in ("get", "post"):
                    with self.subTest(user=user.email, url=url, method=method):
                        response = getattr(self.client, method)(url, data)
                        self.assertEqual(response.status_code, 404)
                        self.assertNotContains(response, "Only Alice", status_code=404)
        self.reflection.refresh_from_db()
        self.assertEqual(self.reflection.text, "Only Alice reads this")
        self.assertIsNone(self.reflection.addressed_at)
        self.assertEqual(Reflection.objects.count(), 1)

    def test_the_former_clients_page_is_for_clinicians_only(self) -> None:
        self.login(make_portal_user(self.dana))
        self.assertEqual(self.client.get(FORMER_URL).status_code, 404)

    def test_helpers_give_outsiders_nothing(self) -> None:
        for user in (self.bob, self.olivia, self.charlie, make_portal_user(self.dana)):
            with self.subTest(user=user.email):
                self.assertFalse(reflections_for(user).exists())
                self.assertFalse(readable_reflections_for(user).exists())
                self.assertFalse(former_reflections_for(user).exists())


class ReassignmentTests(ReflectionTestCase):
    """Dana moves from Alice to Bob: Bob never sees Alice's reflections; Alice keeps them,
    read-only, under former clients."""

    def setUp(self) -> None:
        super().setUp()
        self.reflection = make_reflection(
            self.dana, "Alice's working hypothesis", bring_to_next_session=True
        )
        reassign_client(self.dana, self.bob, actor=actor_for(self.olivia))

    def test_the_new_therapist_sees_none_of_them(self) -> None:
        self.login(self.bob)
        response = self.client.get(list_url(self.dana))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "No reflections about Dana Dawson yet.")
        self.assertNotContains(response, "working hypothesis")
        for url in (
            detail_url(self.reflection),
            edit_url(self.reflection),
            address_url(self.reflection),
        ):
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 404)
        self.assertNotContains(self.client.get(FORMER_URL), "working hypothesis")
        panel = client_panel(self.bob, self.dana)
        self.assertEqual((panel.latest, panel.to_bring), ([], 0))

    def test_the_author_reads_them_under_former_clients(self) -> None:
        self.login(self.alice)
        former = self.client.get(FORMER_URL)
        self.assertContains(former, "Dana Dawson")
        self.assertContains(former, "working hypothesis")
        self.assertContains(former, detail_url(self.reflection))
        detail = self.client.get(detail_url(self.reflection))
        self.assertEqual(detail.status_code, 200)
        self.assertContains(detail, "You no longer treat Dana Dawson.")
        self.assertNotContains(detail, edit_url(self.reflection))
        self.assertNotContains(detail, address_url(self.reflection))

    def test_the_author_can_no_longer_change_them_or_write_new_ones(self) -> None:
        self.login(self.alice)
        for url in (
            edit_url(self.reflection),
            address_url(self.reflection),
            unaddress_url(self.reflection),
            list_url(self.dana),
            create_url(self.dana),
        ):
            with self.subTest(url=url):
                self.assertEqual(self.client.post(url, {"text": "x"}).status_code, 404)

    def test_they_are_current_again_if_the_client_comes_back(self) -> None:
        reassign_client(self.dana, self.alice, actor=actor_for(self.olivia))
        self.assertEqual(list(reflections_for(self.alice)), [self.reflection])
        self.assertFalse(former_reflections_for(self.alice).exists())

    def test_a_deactivated_author_reaches_none_of_them(self) -> None:
        deactivate_member(self.alice.membership, actor=actor_for(self.olivia))
        self.alice.refresh_from_db()
        self.assertFalse(readable_reflections_for(self.alice).exists())
        from django.http import Http404

        with self.assertRaises(Http404):
            get_readable_reflection_for(self.alice, self.reflection.pk)


class FormerClientsPageTests(ReflectionTestCase):
    def test_it_is_empty_while_all_clients_are_current(self) -> None:
        make_reflection(self.dana, "Current")
        self.login(self.alice)
        response = self.client.get(FORMER_URL)
        self.assertContains(response, "You have no reflections about former clients.")
        self.assertNotContains(response, "Current")

    def test_its_query_count_does_not_grow(self) -> None:
        make_reflection(self.dana, "One")
        reassign_client(self.dana, self.bob, actor=actor_for(self.olivia))
        self.login(self.alice)

        def count() -> None:
            # 1 session, 2 user, 3 membership, 4 count, 5 the page with each client (a join),
            # 6 the audit row.
            with self.assertNumQueries(6):
                self.assertEqual(self.client.get(FORMER_URL).status_code, 200)

        count()
        for i in range(30):
            make_reflection(self.dana, f"More {i}", author=self.alice)
        count()


class ClientPanelTests(ReflectionTestCase):
    def test_it_lists_the_latest_few_without_their_text(self) -> None:
        for i in range(5):
            make_reflection(self.dana, f"Secret text {i}", bring_to_next_session=i % 2 == 0)
        make_reflection(self.dana, "Bob's", author=self.bob, bring_to_next_session=True)
        with self.assertNumQueries(2):  # the latest few, and the count of items to bring
            panel = client_panel(self.alice, self.dana)
        self.assertEqual(len(panel.latest), 3)
        self.assertEqual(panel.to_bring, 3)
        html = render_to_string("reflections/_client_panel.html", {"reflection_panel": panel})
        self.assertIn("3 to bring to the next session", html)
        self.assertIn("Concern for well-being", html)
        self.assertIn(list_url(self.dana), html)
        self.assertIn(create_url(self.dana), html)
        self.assertNotIn("Secret text", html)

    def test_it_is_empty_for_anyone_else(self) -> None:
        make_reflection(self.dana, "Private")
        for user in (self.bob, self.olivia, self.charlie):
            with self.subTest(user=user.email):
                panel = client_panel(user, self.dana)
                self.assertEqual((panel.latest, panel.to_bring), ([], 0))
