"""SECURITY.md promises 10 and 11: the security headers on every kind of HTML page."""

from __future__ import annotations

from django.urls import reverse

from continuum.measures.tests.world import MeasuresTestCase
from continuum.testing.base import TestResponse

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def csp_directives(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


class SecurityHeaderTests(MeasuresTestCase):
    def pages(self) -> dict[str, TestResponse]:
        link = self.link_for(self.pending("phq9"))
        pages = {
            "login": self.client.get(reverse("account_login")),
            "questionnaire (public)": self.client.get(link),
            "404 (anonymous)": self.client.get("/no-such-page/"),
        }
        self.login(self.alice)
        pages.update(
            {
                "caseload": self.client.get(reverse("care:caseload")),
                "client page": self.client.get(reverse("care:client_detail", args=[self.dana.pk])),
                "404 (another therapist's client)": self.client.get(
                    reverse("care:client_detail", args=[self.finn.pk])
                ),
                "404 (no such page)": self.client.get("/no-such-page/"),
            }
        )
        return pages

    def test_every_html_page_carries_the_security_headers(self) -> None:
        for name, response in self.pages().items():
            with self.subTest(page=name):
                self.assertIn(response.status_code, (200, 404))
                self.assertTrue(response["Content-Type"].startswith("text/html"))
                csp = csp_directives(response["Content-Security-Policy"])
                self.assertEqual(csp["default-src"], ["'self'"])
                for directive in ("script-src", "style-src"):
                    self.assertIn(directive, csp)
                    self.assertNotIn("'unsafe-inline'", csp[directive])
                    self.assertNotIn("'unsafe-eval'", csp[directive])
                self.assertEqual(csp["frame-ancestors"], ["'none'"])
                self.assertEqual(csp["object-src"], ["'none'"])
                self.assertEqual(response["X-Content-Type-Options"], "nosniff")
                self.assertEqual(response["Referrer-Policy"], "same-origin")
                self.assertEqual(response["X-Frame-Options"], "DENY")
                self.assertEqual(response["Permissions-Policy"], PERMISSIONS_POLICY)
                self.assertEqual(response["Cross-Origin-Opener-Policy"], "same-origin")

    def test_redirects_carry_the_permissions_policy_too(self) -> None:
        response = self.client.get(reverse("care:caseload"))

        self.assertEqual(response.status_code, 302)
        self.assertEqual(response["Permissions-Policy"], PERMISSIONS_POLICY)
