"""The therapist invites a client to the portal, re-sends the link, revokes access, and chooses
the portal settings."""

from __future__ import annotations

import re
from datetime import timedelta

from django.core import mail
from django.utils import timezone

from continuum.accounts.models import User
from continuum.audit.models import AuditEvent
from continuum.measures.tests.world import make_score
from continuum.portal.models import PortalSettings
from continuum.testing.base import BaseTestCase, make_client, make_episode, make_portal_user

NEW_PASSWORD = "a-calm-river-at-dawn"


def portal_url(client_id: int) -> str:
    return f"/clients/{client_id}/portal/"


class InviteTests(BaseTestCase):
    def _invite(self) -> None:
        self.login(self.alice)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(portal_url(self.dana.pk))
        self.assertRedirects(response, portal_url(self.dana.pk))

    def test_it_requires_login(self) -> None:
        for url in (
            portal_url(self.dana.pk),
            f"/clients/{self.dana.pk}/portal/revoke/",
            f"/clients/{self.dana.pk}/portal/settings/",
        ):
            for method in (self.client.get, self.client.post):
                response = method(url)
                self.assertRedirects(
                    response, f"/accounts/login/?next={url}", fetch_redirect_response=False
                )
        self.assertIsNone(User.objects.filter(email="dana@example.net").first())

    def test_it_rejects_other_therapists_and_the_owner(self) -> None:
        for outsider in (self.bob, self.olivia, self.charlie):
            self.login(outsider)
            for url in (
                portal_url(self.dana.pk),
                f"/clients/{self.dana.pk}/portal/revoke/",
                f"/clients/{self.dana.pk}/portal/settings/",
            ):
                self.assertEqual(self.client.get(url).status_code, 404)
                self.assertEqual(self.client.post(url).status_code, 404)
        self.dana.refresh_from_db()
        self.assertIsNone(self.dana.user_id)
        self.assertEqual(len(mail.outbox), 0)

    def test_it_shows_not_invited(self) -> None:
        self.login(self.alice)
        response = self.client.get(portal_url(self.dana.pk))
        self.assertContains(response, "Not invited yet.")
        self.assertContains(response, "The link goes to dana@example.net.")
        self.assertContains(response, "Invite to the portal</button>")
        self.assertNotContains(response, "Revoke portal access")

    def test_invite_creates_a_login_and_emails_a_working_link(self) -> None:
        self._invite()
        self.dana.refresh_from_db()
        user = self.dana.user
        assert user is not None
        self.assertEqual(user.email, "dana@example.net")
        self.assertFalse(user.has_usable_password())
        self.assertEqual(user.time_zone, "Europe/London")
        self.assertFalse(hasattr(user, "membership") and user.membership)  # no staff role
        portal = PortalSettings.objects.get(client=self.dana)
        self.assertIsNotNone(portal.invited_at)
        self.assertEqual(portal.invited_by, self.alice)

        event = AuditEvent.objects.get(action="portal.invite")
        self.assertEqual(event.actor, self.alice)
        self.assertEqual(event.object_id, str(self.dana.pk))
        self.assertEqual(event.detail, {"user_id": user.pk})

        self.assertEqual(len(mail.outbox), 1)
        message = mail.outbox[0]
        self.assertEqual(message.to, ["dana@example.net"])
        self.assertIn("Riverside Therapy", message.subject)
        self.assertIn("Alice Adams at Riverside Therapy has invited you", message.body)
        link = re.search(r"https?://[^/]+(/set-password/\S+/)", str(message.body))
        assert link is not None, message.body

        # The client follows the link, chooses a password and lands on the portal.
        self.client.logout()
        response = self.client.get(link.group(1), follow=True)
        self.assertContains(response, "New password")
        response = self.client.post(
            response.redirect_chain[-1][0],
            {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
            follow=True,
        )
        self.assertEqual(response.redirect_chain[-1][0], "/portal/")
        self.assertContains(response, "Hello, Dana")
        user.refresh_from_db()
        self.assertTrue(user.check_password(NEW_PASSWORD))

        # And the therapist sees the portal as active.
        self.login(self.alice)
        response = self.client.get(portal_url(self.dana.pk))
        self.assertContains(response, "Active since")
        self.assertContains(response, "Revoke portal access")
        self.assertNotContains(response, "Invite to the portal")

    def test_a_second_post_resends_the_link_to_the_same_login(self) -> None:
        self._invite()
        response = self.client.get(portal_url(self.dana.pk))
        self.assertContains(response, "Invited on")
        self.assertContains(response, "Send the link again")
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(portal_url(self.dana.pk), follow=True)
        self.assertContains(response, "A new set-password link was sent to the client.")
        self.assertEqual(User.objects.filter(email="dana@example.net").count(), 1)
        self.assertEqual(len(mail.outbox), 2)
        self.assertEqual(AuditEvent.objects.filter(action="portal.invite_resend").count(), 1)

    def test_it_refuses_a_client_without_an_email(self) -> None:
        gail = make_client(self.alice, "Gail", "Green")
        self.login(self.alice)
        response = self.client.post(portal_url(gail.pk))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Add the client&#x27;s email address to their details first.")
        gail.refresh_from_db()
        self.assertIsNone(gail.user_id)
        self.assertFalse(AuditEvent.objects.filter(action__startswith="portal.").exists())
        self.assertEqual(len(mail.outbox), 0)

    def test_it_refuses_an_email_that_belongs_to_staff(self) -> None:
        gail = make_client(self.alice, "Gail", "Green", email="BOB@example.org")
        self.login(self.alice)
        response = self.client.post(portal_url(gail.pk))
        self.assertContains(response, "already belongs to another Continuum account")
        gail.refresh_from_db()
        self.assertIsNone(gail.user_id)
        self.assertEqual(User.objects.filter(email__iexact="bob@example.org").count(), 1)
        self.assertEqual(len(mail.outbox), 0)

    def test_it_refuses_an_email_that_belongs_to_another_client(self) -> None:
        make_portal_user(self.finn, email="shared@example.net")
        gail = make_client(self.alice, "Gail", "Green", email="shared@example.net")
        self.login(self.alice)
        response = self.client.post(portal_url(gail.pk))
        self.assertContains(response, "already belongs to another Continuum account")
        gail.refresh_from_db()
        self.assertIsNone(gail.user_id)
        self.assertEqual(len(mail.outbox), 0)

    def test_it_refuses_to_invite_a_client_who_already_uses_the_portal(self) -> None:
        make_portal_user(self.dana)
        self.login(self.alice)
        response = self.client.post(portal_url(self.dana.pk))
        self.assertContains(response, "The client already uses the portal.")
        self.assertEqual(len(mail.outbox), 0)

    def test_revoke_ends_access_and_open_sessions(self) -> None:
        dana_user = make_portal_user(self.dana)
        self.login(dana_user)
        self.assertEqual(self.client.get("/portal/").status_code, 200)

        self.login(self.alice)
        # First the question, which changes nothing.
        response = self.client.post(f"/clients/{self.dana.pk}/portal/revoke/")
        self.assertContains(response, "Revoke Dana Dawson&#x27;s portal access?")
        self.assertContains(response, "can no longer log in to the portal")
        dana_user.refresh_from_db()
        self.assertTrue(dana_user.is_active)
        self.assertFalse(AuditEvent.objects.filter(action="portal.revoke").exists())
        response = self.client.post(
            f"/clients/{self.dana.pk}/portal/revoke/", {"confirmed": "yes"}, follow=True
        )
        self.assertContains(response, "The client can no longer log in to the portal.")
        self.assertContains(response, "Access revoked on")
        self.assertContains(response, "Invite again")
        dana_user.refresh_from_db()
        self.assertFalse(dana_user.is_active)
        self.assertEqual(AuditEvent.objects.filter(action="portal.revoke").count(), 1)

        # Dana's open session is anonymous now.
        self.client.force_login(dana_user)
        response = self.client.get("/portal/")
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith("/accounts/login/"))

    def test_revoke_without_access_is_refused(self) -> None:
        self.login(self.alice)
        response = self.client.post(f"/clients/{self.dana.pk}/portal/revoke/")
        self.assertContains(response, "The client has no portal access to revoke.")
        self.assertFalse(AuditEvent.objects.filter(action="portal.revoke").exists())
        self.assertEqual(
            self.client.get(f"/clients/{self.dana.pk}/portal/revoke/").status_code, 405
        )

    def test_invite_after_revoke_needs_a_new_password(self) -> None:
        dana_user = make_portal_user(self.dana)
        self.login(self.alice)
        self.client.post(f"/clients/{self.dana.pk}/portal/revoke/", {"confirmed": "yes"})
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(portal_url(self.dana.pk))
        dana_user.refresh_from_db()
        self.assertTrue(dana_user.is_active)
        self.assertFalse(dana_user.has_usable_password())
        self.assertEqual(len(mail.outbox), 1)


class PortalSettingsTests(BaseTestCase):
    def setUp(self) -> None:
        self.episode = make_episode(self.dana)
        when = timezone.now() - timedelta(days=3)
        make_score(self.episode, "phq9", 14, when, band="moderate")
        make_score(self.episode, "gad7", 9, when, band="mild")

    def test_it_offers_the_measures_the_client_has_completed(self) -> None:
        self.login(self.alice)
        response = self.client.get(portal_url(self.dana.pk))
        self.assertContains(response, 'value="phq9"')
        self.assertContains(response, "PHQ-9")
        self.assertContains(response, 'value="gad7"')
        self.assertNotContains(response, 'value="core10"')

    def test_it_saves_the_cadence_and_shared_measures(self) -> None:
        self.login(self.alice)
        response = self.client.post(
            f"/clients/{self.dana.pk}/portal/settings/",
            {"checkin_cadence": "twice_weekly", "shared_measures": ["phq9"]},
            follow=True,
        )
        self.assertContains(response, "The portal settings were saved.")
        portal = PortalSettings.objects.get(client=self.dana)
        self.assertEqual(portal.checkin_cadence, "twice_weekly")
        self.assertEqual(portal.shared_measures, ["phq9"])
        event = AuditEvent.objects.get(action="portal.settings")
        self.assertEqual(
            event.detail,
            {"client_id": self.dana.pk, "cadence": "twice_weekly", "shared_measures": ["phq9"]},
        )

    def test_bad_settings_change_nothing(self) -> None:
        self.login(self.alice)
        for data, error in (
            ({"checkin_cadence": "hourly"}, "Select a valid choice."),
            (
                {"checkin_cadence": "weekly", "shared_measures": ["core10"]},
                "Share only measures this client has completed.",
            ),
        ):
            response = self.client.post(f"/clients/{self.dana.pk}/portal/settings/", data)
            self.assertEqual(response.status_code, 200)
            self.assertContains(response, error)
        self.assertFalse(PortalSettings.objects.filter(client=self.dana).exists())
        self.assertFalse(AuditEvent.objects.filter(action="portal.settings").exists())
        self.assertEqual(
            self.client.get(f"/clients/{self.dana.pk}/portal/settings/").status_code, 405
        )
