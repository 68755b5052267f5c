"""The benchmark's floor page (/ping/): login required, tiny, the same for everyone."""

from __future__ import annotations

from django.urls import reverse

from continuum.audit.models import AuditEvent
from continuum.testing.base import BaseTestCase, make_portal_user


class FloorTests(BaseTestCase):
    url = reverse("ping")

    def test_it_requires_login(self) -> None:
        response = self.client.get(self.url)
        self.assertRedirects(
            response, f"{reverse('account_login')}?next={self.url}", fetch_redirect_response=False
        )

    def test_it_shows_a_tiny_page_to_staff(self) -> None:
        self.login(self.alice)
        with self.assertNumQueries(3):
            # 1. the session, 2. the user, 3. the user's membership (session kind, template)
            response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "<p>ok</p>", html=True)
        # Nothing about the person or the practice, and nothing is recorded.
        self.assertNotContains(response, "Alice")
        self.assertNotContains(response, "Riverside")
        self.assertFalse(AuditEvent.objects.filter(action__startswith="ping").exists())

    def test_it_is_the_same_for_other_practices_and_portal_clients(self) -> None:
        for user in (self.charlie, make_portal_user(self.dana)):
            self.login(user)
            response = self.client.get(self.url)
            self.assertEqual(response.status_code, 200)
            self.assertContains(response, "<p>ok</p>", html=True)
            self.assertNotContains(response, "Dana")

    def test_it_sends_the_security_headers(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.url)
        self.assertIn("default-src 'self'", response["Content-Security-Policy"])
        self.assertEqual(response["X-Frame-Options"], "DENY")
