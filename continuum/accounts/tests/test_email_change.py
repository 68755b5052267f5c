"""Finding 1 of issue 18: email addresses change only through our own flow.

allauth's email management page (/accounts/email/) is not routable for anyone; a member or a
portal client asks for a change, a link goes to the new address (task queue), following it
applies the change, a notice goes to the old address, and each step leaves an audit row. An
owner can change a member's address (audited). An address another account uses is a clear
form error, never a 500.
"""

from __future__ import annotations

import re

from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from continuum.audit.models import AuditEvent
from continuum.testing.base import PASSWORD, BaseTestCase, make_portal_user
from continuum.testing.tasks import run_worker

LINK = re.compile(r"https?://[^/\s]+(/me/email/confirm/[^\s]+/)")


class AllauthEmailPageTests(BaseTestCase):
    def test_it_is_not_routable_for_anyone(self) -> None:
        dana_portal = make_portal_user(self.dana)
        for person in (self.olivia, self.alice, dana_portal):
            self.login(person)
            self.assertEqual(self.client.get("/accounts/email/").status_code, 404)
            response = self.client.post(
                "/accounts/email/", {"action_add": "", "email": "colleague@example.org"}
            )
            self.assertEqual(response.status_code, 404)
        self.assertFalse(EmailAddress.objects.filter(email="colleague@example.org").exists())

    def test_anonymous_people_are_sent_to_log_in(self) -> None:
        response = self.client.get("/accounts/email/")
        self.assertEqual(response.status_code, 302)
        self.assertIn("/accounts/login/", response["Location"])


class EmailChangeTests(BaseTestCase):
    url = "/me/email/"

    def _confirm_link(self, to: str) -> str:
        sent = [m for m in mail.outbox if m.to == [to]]
        self.assertEqual(len(sent), 1)
        match = LINK.search(str(sent[0].body))
        assert match is not None
        return match.group(1)

    def test_it_requires_login(self) -> None:
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 302)

    def test_a_member_changes_their_address_through_the_new_one(self) -> None:
        self.login(self.alice)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                self.url, {"email": "Alice.New@example.org", "password": PASSWORD}
            )
        self.assertRedirects(response, self.url, fetch_redirect_response=False)
        self.alice.refresh_from_db()
        self.assertEqual(self.alice.email, "alice@example.org")  # not yet
        self.assertEqual(mail.outbox, [])  # through the task queue
        run_worker()
        link = self._confirm_link("alice.new@example.org")
        self.assertNotIn("alice.new", link)  # no address in the URL

        self.assertContains(self.client.get(link), "alice.new@example.org")
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(link)
        self.assertEqual(response.status_code, 302)
        self.alice.refresh_from_db()
        self.assertEqual(self.alice.email, "alice.new@example.org")
        run_worker()
        notice = [m for m in mail.outbox if m.to == ["alice@example.org"]]
        self.assertEqual(len(notice), 1)
        self.assertNotIn("alice.new@example.org", notice[0].body)
        actions = list(
            AuditEvent.objects.filter(actor_id=self.alice.pk, action__startswith="email.")
            .order_by("pk")
            .values_list("action", flat=True)
        )
        self.assertEqual(actions, ["email.change_request", "email.change"])
        # The link works once.
        self.assertEqual(self.client.post(link).status_code, 400)
        # allauth's own record of the address follows (password reset finds the new one).
        self.assertEqual(
            list(EmailAddress.objects.filter(user=self.alice).values_list("email", flat=True)),
            ["alice.new@example.org"],
        )

    def test_a_wrong_password_changes_nothing(self) -> None:
        self.login(self.alice)
        response = self.client.post(self.url, {"email": "x@example.org", "password": "nope"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "password is not correct")
        run_worker()
        self.assertEqual(mail.outbox, [])

    def test_an_address_another_account_uses_is_a_form_error(self) -> None:
        self.login(self.alice)
        response = self.client.post(self.url, {"email": "BOB@example.org", "password": PASSWORD})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "already has a Continuum account")
        run_worker()
        self.assertEqual(mail.outbox, [])

    def test_an_address_taken_before_the_link_is_followed_is_a_clear_error(self) -> None:
        self.login(self.alice)
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(self.url, {"email": "taken@example.org", "password": PASSWORD})
        run_worker()
        link = self._confirm_link("taken@example.org")
        self.bob.email = "taken@example.org"
        self.bob.save()
        response = self.client.post(link)
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "already has a Continuum account", status_code=400)
        self.alice.refresh_from_db()
        self.assertEqual(self.alice.email, "alice@example.org")

    def test_only_the_requester_can_follow_the_link(self) -> None:
        self.login(self.alice)
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(self.url, {"email": "alice2@example.org", "password": PASSWORD})
        run_worker()
        link = self._confirm_link("alice2@example.org")
        self.login(self.bob)
        self.assertEqual(self.client.post(link).status_code, 400)
        self.bob.refresh_from_db()
        self.assertEqual(self.bob.email, "bob@example.org")

    def test_a_portal_client_changes_their_address(self) -> None:
        dana_portal = make_portal_user(self.dana)
        self.login(dana_portal)
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(self.url, {"email": "dana.new@example.net", "password": PASSWORD})
        run_worker()
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(self._confirm_link("dana.new@example.net"))
        dana_portal.refresh_from_db()
        self.assertEqual(dana_portal.email, "dana.new@example.net")


class OwnerChangesMemberEmailTests(BaseTestCase):
    def test_the_owner_changes_a_members_address(self) -> None:
        self.login(self.olivia)
        url = reverse("accounts:member_email", args=[self.alice.membership.pk])
        self.assertContains(self.client.get(url), "alice@example.org")
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(url, {"email": "alice@new.example.org"})
        self.assertEqual(response.status_code, 302)
        self.alice.refresh_from_db()
        self.assertEqual(self.alice.email, "alice@new.example.org")
        row = AuditEvent.objects.get(action="member.email_change")
        self.assertEqual(row.actor_id, self.olivia.pk)
        self.assertEqual(row.detail, {"user_id": self.alice.pk})
        run_worker()
        self.assertEqual([m.to for m in mail.outbox], [["alice@example.org"]])

    def test_a_taken_address_is_a_form_error(self) -> None:
        self.login(self.olivia)
        url = reverse("accounts:member_email", args=[self.alice.membership.pk])
        response = self.client.post(url, {"email": "charlie@example.org"})
        self.assertContains(response, "already has a Continuum account")

    def test_therapists_and_other_practices_get_404(self) -> None:
        url = reverse("accounts:member_email", args=[self.alice.membership.pk])
        for person in (self.bob, self.charlie):
            self.login(person)
            self.assertEqual(self.client.get(url).status_code, 404)
            self.assertEqual(self.client.post(url, {"email": "z@example.org"}).status_code, 404)
