"""The plans tests' shared world: Dana's open episode, and access assertions."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse

from continuum.audit.models import AuditEvent
from continuum.care.models import Episode
from continuum.testing.base import BaseTestCase, make_episode


class PlanTestCase(BaseTestCase):
    episode: Episode

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.episode = make_episode(cls.dana, start_date=date(2026, 1, 5))

    def outsiders(self) -> list[Any]:
        # A colleague, the practice owner (who does not treat Dana), another practice.
        return [self.bob, self.olivia, self.charlie]

    def assert_outsiders_get_404(
        self, url: str, *, methods: tuple[str, ...] = ("get", "post")
    ) -> None:
        for outsider in self.outsiders():
            self.client.force_login(outsider)
            for method in methods:
                response = getattr(self.client, method)(url)
                self.assertEqual(response.status_code, 404, f"{outsider} {method}")

    def assert_login_required(self, url: str) -> None:
        self.client.logout()
        for method in ("get", "post"):
            response = getattr(self.client, method)(url)
            self.assertEqual(response.status_code, 302)
            self.assertTrue(response["Location"].startswith(reverse("account_login")))

    def audit_actions(self) -> list[str]:
        return list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))

    def assert_redirect(self, response: Any, url: str) -> None:
        """A redirect to `url`, not followed (that would write the next page's audit row)."""
        self.assertRedirects(response, url, fetch_redirect_response=False)
