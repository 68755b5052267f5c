"""Self-reflections: the author's alone (404 for everyone else, the owner included), encrypted."""

from __future__ import annotations

from django.urls import reverse

from continuum.audit.models import AuditEvent
from continuum.testing.base import make_staff
from continuum.wellbeing.models import SelfReflection
from continuum.wellbeing.tests.world import CANARY, WellbeingTestCase, raw_value

LIST = "/me/reflections/"
NEW = "/me/reflections/new/"


class SelfReflectionTests(WellbeingTestCase):
    def setUp(self) -> None:
        self.mine = SelfReflection.objects.create(
            author=self.alice, text=f"I felt drained {CANARY}"
        )
        self.urls = {
            name: reverse(f"wellbeing:{name}", kwargs={"self_reflection_id": self.mine.pk})
            for name in ("self_reflection_detail", "self_reflection_edit", "self_reflection_delete")
        }

    def test_it_requires_login(self) -> None:
        for url in (LIST, NEW, *self.urls.values()):
            for method in ("get", "post"):
                response = getattr(self.client, method)(url)
                self.assertRedirects(
                    response, f"/accounts/login/?next={url}", fetch_redirect_response=False
                )

    def test_it_rejects_everyone_but_the_author_the_owner_included(self) -> None:
        for outsider in (self.bob, self.olivia, self.charlie):
            self.login(outsider)
            for url in self.urls.values():
                for method in ("get", "post"):
                    response = getattr(self.client, method)(url, {"text": "taken over"})
                    self.assertEqual(response.status_code, 404, f"{outsider} {method} {url}")
            self.assertNotContains(self.client.get(LIST), CANARY)
        self.mine.refresh_from_db()
        self.assertEqual(self.mine.text, f"I felt drained {CANARY}")

    def test_write_read_and_list(self) -> None:
        self.login(self.alice)
        response = self.client.post(
            NEW, {"text": "Need a proper lunch break", "client": self.dana.pk}
        )
        created = SelfReflection.objects.exclude(pk=self.mine.pk).get()
        self.assertRedirects(
            response,
            reverse("wellbeing:self_reflection_detail", kwargs={"self_reflection_id": created.pk}),
            fetch_redirect_response=False,
        )
        self.assertEqual((created.author, created.client), (self.alice, self.dana))
        detail = self.client.get(response["Location"])
        self.assertContains(detail, "Need a proper lunch break")
        self.assertContains(detail, "about <a href")
        self.assertContains(detail, "Dana Dawson")
        listing = self.client.get(LIST)
        self.assertContains(listing, "Need a proper lunch break")
        self.assertContains(listing, CANARY)
        actions = list(
            AuditEvent.objects.filter(action__startswith="wellbeing.self_reflection")
            .order_by("pk")
            .values_list("action", "detail")
        )
        self.assertEqual(
            actions,
            [
                ("wellbeing.self_reflection.create", {"client_id": self.dana.pk}),
                ("wellbeing.self_reflection.view", {"client_id": self.dana.pk}),
                (
                    "wellbeing.self_reflection.list",
                    {"page": 1, "self_reflections": [created.pk, self.mine.pk]},
                ),
            ],
        )

    def test_only_my_own_clients_can_be_linked(self) -> None:
        self.login(self.alice)
        response = self.client.post(NEW, {"text": "About Finn", "client": self.finn.pk})
        self.assertContains(response, "Choose one of your own clients, or none.", status_code=400)
        self.assertEqual(SelfReflection.objects.count(), 1)

    def test_bad_input_changes_nothing(self) -> None:
        self.login(self.alice)
        self.assertContains(
            self.client.post(NEW, {"text": "   "}),
            "Write something before saving.",
            status_code=400,
        )
        self.assertContains(
            self.client.post(NEW, {"text": "x" * 10_001}),
            "Keep this to 10,000 characters or fewer",
            status_code=400,
        )
        self.assertEqual(SelfReflection.objects.count(), 1)

    def test_edit_and_delete(self) -> None:
        self.login(self.alice)
        edit = self.urls["self_reflection_edit"]
        self.assertContains(self.client.get(edit), f"I felt drained {CANARY}")
        self.client.post(edit, {"text": "Better now", "client": ""})
        self.mine.refresh_from_db()
        self.assertEqual((self.mine.text, self.mine.client), ("Better now", None))
        update = AuditEvent.objects.get(action="wellbeing.self_reflection.update")
        self.assertEqual(update.detail, {"fields": ["text"]})
        self.assertEqual(self.client.get(self.urls["self_reflection_delete"]).status_code, 405)
        response = self.client.post(self.urls["self_reflection_delete"])
        self.assertRedirects(response, LIST, fetch_redirect_response=False)
        self.assertFalse(SelfReflection.objects.exists())

    def test_the_text_is_encrypted_at_rest(self) -> None:
        stored = raw_value("wellbeing_selfreflection", "text", self.mine.pk)
        self.assertNotIn(CANARY, stored)
        self.assertNotIn("drained", stored)

    def test_a_non_clinical_admin_has_none(self) -> None:
        admin = make_staff(self.riverside, "ada@example.org", "Ada", role="owner", clinical=False)
        self.login(admin)
        self.assertEqual(self.client.get(LIST).status_code, 404)
        self.assertEqual(self.client.get(self.urls["self_reflection_detail"]).status_code, 404)

    def test_the_link_to_a_client_no_longer_mine_shows_no_name(self) -> None:
        self.mine.client = self.dana
        self.mine.save()
        self.dana.therapist = self.bob
        self.dana.save()
        self.login(self.alice)
        response = self.client.get(self.urls["self_reflection_detail"])
        self.assertContains(response, CANARY)
        self.assertNotContains(response, "Dana")
        self.assertNotContains(self.client.get(LIST), "Dana")
        # And Bob, who treats Dana now, still cannot read it.
        self.login(self.bob)
        self.assertEqual(self.client.get(self.urls["self_reflection_detail"]).status_code, 404)
