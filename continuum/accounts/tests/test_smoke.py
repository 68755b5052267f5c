from __future__ import annotations

from continuum.testing.base import BaseTestCase


class HomeTests(BaseTestCase):
    def test_it_requires_login(self) -> None:
        response = self.client.get("/")
        self.assertRedirects(response, "/accounts/login/?next=/", fetch_redirect_response=False)

    def test_login_page_renders(self) -> None:
        response = self.client.get("/accounts/login/")
        self.assertContains(response, "Log in to Continuum")

    def test_the_login_page_offers_a_password_reset_once(self) -> None:
        # allauth also put the link under the password field: twice on one page (issue 14).
        response = self.client.get("/accounts/login/")
        self.assertContains(response, "Forgot your password?", count=1)
        self.assertNotContains(response, 'id="id_password_helptext"')
