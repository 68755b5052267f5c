from __future__ import annotations

from continuum.testing.base import BaseTestCase


class HomeTests(BaseTestCase):
    def test_it_requires_login(self) -> None:
        response = self.client.get("/")
        self.assertRedirects(response, "/accounts/login/?next=/", fetch_redirect_response=False)

    def test_login_page_renders(self) -> None:
        response = self.client.get("/accounts/login/")
        self.assertContains(response, "Log in to Continuum")
