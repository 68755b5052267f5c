from __future__ import annotations

from datetime import timedelta

import time_machine
from django.conf import settings
from django.utils import timezone

from continuum.accounts import services
from continuum.accounts.models import Membership, User
from continuum.audit.models import AuditEvent
from continuum.testing.base import BaseTestCase, TestResponse

NEW_PASSWORD = "a-long-and-unusual-passphrase-42"
PLACEHOLDER_SUFFIX = "/set/"


class SetPasswordTests(BaseTestCase):
    def setUp(self) -> None:
        self.invitee = User.objects.create_user(
            "ivy@example.org", None, full_name="Ivy Invited", time_zone="Europe/London"
        )
        Membership.objects.create(user=self.invitee, practice=self.riverside)
        self.path = services.set_password_path(self.invitee)

    def open_form(self) -> str:
        """Follow the emailed link; the token moves into the session. Returns the form's URL."""
        response = self.client.get(self.path)
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].endswith(PLACEHOLDER_SUFFIX))
        return str(response["Location"])

    def post(self, url: str, first: str, second: str | None = None) -> TestResponse:
        return self.client.post(
            url, {"new_password1": first, "new_password2": first if second is None else second}
        )

    def assert_unchanged(self) -> None:
        self.invitee.refresh_from_db()
        self.assertFalse(self.invitee.has_usable_password())
        self.assertFalse(AuditEvent.objects.exists())
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_a_valid_link_shows_the_form(self) -> None:
        url = self.open_form()
        # The token itself is no longer in the address the form lives at.
        token = self.path.rstrip("/").rsplit("/", 1)[1]
        self.assertNotIn(token, url)

        response = self.client.get(url)

        self.assertContains(response, "Choose your password")
        self.assertContains(response, "ivy@example.org")
        self.assertContains(response, '<label for="id_new_password1">New password')
        self.assertContains(response, "At least 12 characters")

    def test_it_sets_the_password_logs_in_and_audits(self) -> None:
        url = self.open_form()

        response = self.post(url, NEW_PASSWORD)

        self.assertRedirects(response, "/", fetch_redirect_response=False)
        self.invitee.refresh_from_db()
        self.assertTrue(self.invitee.check_password(NEW_PASSWORD))
        self.assertEqual(self.client.session["_auth_user_id"], str(self.invitee.pk))
        actions = list(AuditEvent.objects.order_by("pk").values_list("action", "actor_id"))
        self.assertEqual(actions, [("password.set", self.invitee.pk), ("login", self.invitee.pk)])
        event = AuditEvent.objects.get(action="password.set")
        self.assertEqual(event.practice, self.riverside)
        self.assertEqual(event.detail, {})

    def test_a_used_link_is_refused(self) -> None:
        self.post(self.open_form(), NEW_PASSWORD)
        self.client.logout()

        response = self.client.get(self.path)

        self.assertContains(response, "This link has expired or was already used", status_code=400)
        self.invitee.refresh_from_db()
        self.assertTrue(self.invitee.check_password(NEW_PASSWORD))

    def test_an_expired_link_is_refused(self) -> None:
        later = timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
        with time_machine.travel(later):
            response = self.client.get(self.path)

        self.assertContains(response, "This link has expired or was already used", status_code=400)
        self.assert_unchanged()

    def test_a_link_that_expires_while_the_form_is_open_is_refused(self) -> None:
        url = self.open_form()
        later = timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
        with time_machine.travel(later):
            response = self.post(url, NEW_PASSWORD)

        self.assertContains(response, "This link has expired or was already used", status_code=400)
        self.assert_unchanged()

    def test_a_link_still_works_just_before_it_expires(self) -> None:
        soon = timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT - 60)
        with time_machine.travel(soon):
            response = self.client.get(self.path)
        self.assertEqual(response.status_code, 302)

    def test_a_tampered_token_is_refused(self) -> None:
        tampered = self.path[:-2] + ("a" if self.path[-2] != "a" else "b") + "/"

        response = self.client.get(tampered)

        self.assertContains(response, "This link has expired or was already used", status_code=400)
        self.assert_unchanged()

    def test_another_users_id_with_this_token_is_refused(self) -> None:
        token = self.path.rstrip("/").rsplit("/", 1)[1]
        other = services.set_password_path(self.alice).rsplit("/", 2)[0]

        response = self.client.get(f"{other}/{token}/")

        self.assertEqual(response.status_code, 400)

    def test_a_malformed_user_id_is_refused(self) -> None:
        for uidb64 in ("zzzz", "!!", "MTIzNDU2Nzg5"):
            response = self.client.get(f"/set-password/{uidb64}/abc-def/")
            self.assertEqual(response.status_code, 400, uidb64)

    def test_the_placeholder_without_a_session_is_refused(self) -> None:
        url = self.path.rstrip("/").rsplit("/", 1)[0] + PLACEHOLDER_SUFFIX

        response = self.client.post(url, {"new_password1": NEW_PASSWORD})

        self.assertContains(response, "This link has expired or was already used", status_code=400)
        self.assert_unchanged()

    def test_a_deactivated_member_cannot_use_their_link(self) -> None:
        Membership.objects.filter(user=self.invitee).update(is_active=False)
        User.objects.filter(pk=self.invitee.pk).update(is_active=False)

        response = self.client.get(self.path)

        self.assertEqual(response.status_code, 400)

    def test_a_weak_password_is_refused(self) -> None:
        url = self.open_form()
        cases = {
            "short-one": "This password is too short. It must contain at least 12 characters.",
            "password1234": "This password is too common.",
            "123456789012345": "This password is entirely numeric.",
        }
        for password, message in cases.items():
            response = self.post(url, password)
            self.assertContains(response, message, msg_prefix=password)
            self.assertContains(response, 'class="error" id="id_new_password2_error"')
        self.assert_unchanged()

    def test_mismatched_passwords_are_refused(self) -> None:
        url = self.open_form()

        response = self.post(url, NEW_PASSWORD, NEW_PASSWORD + "x")

        self.assertContains(response, "The two password fields didn\u2019t match.")
        self.assert_unchanged()
        # The link still works after a mistake.
        self.assertEqual(self.client.get(url).status_code, 200)
