from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.urls import reverse

from continuum.accounts import services
from continuum.accounts.actors import actor_for
from continuum.accounts.models import Membership, Role, User
from continuum.audit.models import AuditEvent
from continuum.testing.base import (
    PASSWORD,
    BaseTestCase,
    make_client,
    make_episode,
    make_staff,
    session_keys_of,
)
from continuum.testing.tasks import queued, run_worker

NEW_PASSWORD = "a-long-and-unusual-passphrase-42"


class MembersPageTests(BaseTestCase):
    url = reverse("accounts:members")

    def test_it_requires_login(self) -> None:
        response = self.client.get(self.url)
        self.assertRedirects(
            response, f"/accounts/login/?next={self.url}", fetch_redirect_response=False
        )

    def test_it_rejects_therapists_who_are_not_owners(self) -> None:
        for person in (self.alice, self.bob):
            self.login(person)
            self.assertEqual(self.client.get(self.url).status_code, 404)

    def test_it_lists_the_owners_practice_only(self) -> None:
        self.login(self.olivia)

        response = self.client.get(self.url)

        self.assertContains(response, "Members of Riverside Therapy")
        for text in ("Olivia Owner", "alice@example.org", "Bob Brown", "Owner", "Therapist"):
            self.assertContains(response, text)
        self.assertNotContains(response, "Charlie")
        self.assertContains(response, "1 client</a>", count=2)  # Alice (Dana), Bob (Finn)
        self.assertContains(response, "0 clients</a>", count=1)  # Olivia
        # Olivia cannot deactivate herself; the others can be.
        self.assertContains(response, 'aria-label="Deactivate Alice Adams"')
        self.assertNotContains(response, 'aria-label="Deactivate Olivia Owner"')

    def test_it_shows_pending_and_deactivated_members(self) -> None:
        services.invite_member(
            self.riverside,
            email="ivy@example.org",
            full_name="Ivy Invited",
            actor=actor_for(self.olivia),
        )
        self.bob.membership.is_active = False
        self.bob.membership.save()
        self.login(self.olivia)

        response = self.client.get(self.url)

        self.assertContains(response, "Invitation pending")
        self.assertContains(response, 'aria-label="Resend invitation to Ivy Invited"')
        self.assertContains(response, "Deactivated")
        self.assertContains(response, 'aria-label="Reactivate Bob Brown"')
        self.assertContains(response, "to reassign")  # Bob still has Finn

    def _count_queries(self) -> None:
        self.login(self.olivia)
        # 1 session, 2 user, 3 the owner's membership (decorator), 4 members with their users
        # and client counts, 5 the practice (page title)
        with self.assertNumQueries(5):
            response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)

    def test_its_query_count_is_constant_for_a_small_practice(self) -> None:
        self._count_queries()

    def test_its_query_count_is_constant_for_a_large_practice(self) -> None:
        for i in range(30):
            person = make_staff(self.riverside, f"t{i}@example.org", f"Therapist {i}")
            for j in range(3):
                make_episode(make_client(person, f"C{i}-{j}"))
        self._count_queries()


class InviteTests(BaseTestCase):
    url = reverse("accounts:invite")

    def invite(self, **data: object) -> Any:
        payload = {"full_name": "Ivy Invited", "email": "ivy@example.org", "clinical": "on"}
        payload.update({k: str(v) for k, v in data.items()})
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post(self.url, payload)

    def test_it_requires_login(self) -> None:
        response = self.client.post(self.url, {"email": "x@example.org"})
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith("/accounts/login/"))
        self.assertFalse(User.objects.filter(email="x@example.org").exists())

    def test_it_rejects_non_owners(self) -> None:
        self.login(self.alice)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        response = self.invite()
        self.assertEqual(response.status_code, 404)
        self.assertFalse(User.objects.filter(email="ivy@example.org").exists())
        self.assertEqual(mail.outbox, [])

    def test_it_shows_the_form(self) -> None:
        self.login(self.olivia)
        response = self.client.get(self.url)
        self.assertContains(response, "Invite a therapist")
        self.assertContains(response, '<label for="id_email">Email address')
        self.assertContains(response, "expires after 72 hours")

    def test_it_creates_the_member_and_emails_a_link(self) -> None:
        self.login(self.olivia)

        response = self.invite()

        self.assertRedirects(response, reverse("accounts:members"))
        user = User.objects.get(email="ivy@example.org")
        self.assertEqual(user.full_name, "Ivy Invited")
        self.assertEqual(user.time_zone, "Europe/London")  # the practice's zone
        self.assertFalse(user.has_usable_password())
        membership = user.membership
        self.assertEqual(
            (membership.practice, membership.role, membership.is_clinical, membership.invited_by),
            (self.riverside, Role.THERAPIST, True, self.olivia),
        )
        event = AuditEvent.objects.get(action="member.invite")
        self.assertEqual(event.actor, self.olivia)
        self.assertEqual(event.practice, self.riverside)
        self.assertEqual(event.detail, {"user_id": user.pk, "role": "therapist", "clinical": True})

        # Queued on commit, sent by the task worker.
        self.assertEqual(mail.outbox, [])
        [task] = queued("continuum.accounts.services.email_invitation")
        self.assertEqual(task.args_kwargs["args"], [membership.pk, self.olivia.pk])
        run_worker()
        self.assertEqual(len(mail.outbox), 1)
        email = mail.outbox[0]
        self.assertEqual(email.to, ["ivy@example.org"])
        self.assertEqual(email.subject, "You are invited to Riverside Therapy on Continuum")
        self.assertIn("Olivia Owner has invited you to join Riverside Therapy", email.body)
        self.assertIn(f"{settings.SITE_URL}/set-password/", email.body)
        assert isinstance(email, EmailMultiAlternatives)
        self.assertEqual(email.alternatives, [])  # plain text only
        for clinical in ("Dana", "Finn", "Low mood"):
            self.assertNotIn(clinical, email.body)

    def test_the_emailed_link_lets_the_member_in(self) -> None:
        self.login(self.olivia)
        self.invite()
        run_worker()
        self.client.logout()
        link = re.search(r"https?://\S+/set-password/\S+/", str(mail.outbox[0].body))
        assert link is not None

        form_page = self.client.get(link.group(0).removeprefix(settings.SITE_URL), follow=True)
        response = self.client.post(
            form_page.redirect_chain[-1][0],
            {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )

        self.assertRedirects(response, "/", fetch_redirect_response=False)
        self.assertTrue(User.objects.get(email="ivy@example.org").check_password(NEW_PASSWORD))

    def test_it_can_invite_an_owner(self) -> None:
        self.login(self.olivia)
        self.invite(owner="on")
        self.assertEqual(Membership.objects.get(user__email="ivy@example.org").role, Role.OWNER)

    def test_it_can_invite_a_non_clinical_member(self) -> None:
        self.login(self.olivia)
        self.invite(clinical="")
        self.assertFalse(Membership.objects.get(user__email="ivy@example.org").is_clinical)

    def test_a_duplicate_email_is_a_form_error(self) -> None:
        self.login(self.olivia)
        before = User.objects.count()

        for email in ("Alice@Example.org", "charlie@example.org"):
            response = self.invite(email=email)
            self.assertContains(response, "This email address already has a Continuum account.")
            self.assertContains(response, 'id="id_email_error"')

        self.assertEqual(User.objects.count(), before)
        self.assertEqual(mail.outbox, [])
        self.assertFalse(AuditEvent.objects.exists())

    def test_bad_input_is_a_form_error(self) -> None:
        self.login(self.olivia)
        cases = {
            "email": ("not-an-email", "Enter a valid email address."),
            "full_name": ("", "This field is required."),
        }
        for field, (value, message) in cases.items():
            response = self.invite(**{field: value})
            self.assertContains(response, message)
        response = self.invite(full_name="x" * 151)
        self.assertContains(response, "at most 150 characters")
        self.assertFalse(User.objects.filter(email="ivy@example.org").exists())
        self.assertEqual(mail.outbox, [])

    def test_the_name_is_escaped(self) -> None:
        self.login(self.olivia)
        self.invite(full_name="<script>alert(1)</script>")
        response = self.client.get(reverse("accounts:members"))
        self.assertNotContains(response, "<script>alert(1)</script>")
        self.assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt;")


class ResendInvitationTests(BaseTestCase):
    def setUp(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            self.pending = services.invite_member(
                self.riverside,
                email="ivy@example.org",
                full_name="Ivy Invited",
                actor=actor_for(self.olivia),
            )
        run_worker()
        mail.outbox.clear()
        self.url = reverse("accounts:resend_invite", args=[self.pending.pk])

    def test_it_requires_login(self) -> None:
        response = self.client.post(self.url)
        self.assertTrue(response["Location"].startswith("/accounts/login/"))
        self.assertEqual(mail.outbox, [])

    def test_it_rejects_other_practices_and_non_owners(self) -> None:
        for person in (self.charlie, self.alice, self.bob):
            self.login(person)
            self.assertEqual(self.client.post(self.url).status_code, 404, person.email)
        self.assertEqual(mail.outbox, [])

    def test_it_sends_a_new_link(self) -> None:
        self.login(self.olivia)

        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(self.url, follow=True)

        self.assertContains(response, "A new invitation is on its way to ivy@example.org.")
        self.assertEqual(mail.outbox, [])
        run_worker()
        self.assertEqual(len(mail.outbox), 1)
        self.assertIn("/set-password/", mail.outbox[0].body)
        event = AuditEvent.objects.get(action="member.invite_resend")
        self.assertEqual((event.actor, event.object_id), (self.olivia, str(self.pending.pk)))

    def test_it_refuses_a_member_who_has_a_password(self) -> None:
        self.login(self.olivia)

        response = self.client.post(
            reverse("accounts:resend_invite", args=[self.alice.membership.pk]), follow=True
        )

        self.assertContains(response, "already set a password")
        self.assertEqual(mail.outbox, [])
        self.assertFalse(AuditEvent.objects.filter(action="member.invite_resend").exists())

    def test_get_is_not_allowed(self) -> None:
        self.login(self.olivia)
        self.assertEqual(self.client.get(self.url).status_code, 405)


class DeactivateTests(BaseTestCase):
    def url(self, user: User, action: str = "deactivate") -> str:
        return reverse(f"accounts:{action}", args=[user.membership.pk])

    def assert_active(self, user: User, active: bool) -> None:
        user.refresh_from_db()
        user.membership.refresh_from_db()
        self.assertEqual((user.is_active, user.membership.is_active), (active, active))

    def test_it_requires_login(self) -> None:
        response = self.client.post(self.url(self.alice))
        self.assertTrue(response["Location"].startswith("/accounts/login/"))
        self.assert_active(self.alice, True)

    def test_it_rejects_other_practices_owner(self) -> None:
        self.login(self.charlie)
        self.assertEqual(self.client.post(self.url(self.alice)).status_code, 404)
        self.assert_active(self.alice, True)

    def test_it_rejects_non_owner_therapists(self) -> None:
        self.login(self.bob)
        self.assertEqual(self.client.post(self.url(self.alice)).status_code, 404)
        self.assert_active(self.alice, True)

    def test_an_owner_cannot_deactivate_a_member_of_another_practice(self) -> None:
        self.login(self.olivia)
        self.assertEqual(self.client.post(self.url(self.charlie)).status_code, 404)
        self.assert_active(self.charlie, True)

    def test_a_missing_member_is_404(self) -> None:
        self.login(self.olivia)
        response = self.client.post(reverse("accounts:deactivate", args=[99999]))
        self.assertEqual(response.status_code, 404)

    def test_it_asks_first_and_changes_nothing_until_confirmed(self) -> None:
        self.login(self.olivia)
        response = self.client.post(self.url(self.alice))
        self.assertContains(response, "Deactivate Alice Adams?")
        self.assertContains(response, "Alice Adams can no longer log in")
        self.assertContains(response, '<input type="hidden" name="confirmed" value="yes">')
        self.assert_active(self.alice, True)
        self.assertFalse(AuditEvent.objects.filter(action="member.deactivate").exists())

    def test_it_deactivates_and_lists_the_clients_to_reassign(self) -> None:
        self.login(self.olivia)

        response = self.client.post(self.url(self.alice), {"confirmed": "yes"})

        roster = reverse("accounts:roster") + f"?therapist={self.alice.membership.pk}"
        self.assertRedirects(response, roster, fetch_redirect_response=False)
        self.assert_active(self.alice, False)
        self.assertIsNotNone(self.alice.membership.deactivated_at)
        event = AuditEvent.objects.get(action="member.deactivate")
        self.assertEqual(event.actor, self.olivia)
        self.assertEqual(event.detail, {"user_id": self.alice.pk})

        page = self.client.get(roster)
        self.assertContains(page, "Clients of Alice Adams")
        self.assertContains(page, "Alice Adams can no longer log in.")
        self.assertContains(page, "Dana Dawson")
        self.assertContains(page, reverse("accounts:reassign", args=[self.dana.pk]))
        self.assertNotContains(page, "Finn")

    def test_an_owner_cannot_deactivate_themselves(self) -> None:
        self.login(self.olivia)

        response = self.client.post(self.url(self.olivia), follow=True)

        self.assertContains(response, "You cannot deactivate yourself.")
        self.assert_active(self.olivia, True)
        self.assertFalse(AuditEvent.objects.filter(action="member.deactivate").exists())

    def test_get_is_not_allowed(self) -> None:
        self.login(self.olivia)
        self.assertEqual(self.client.get(self.url(self.alice)).status_code, 405)
        self.assert_active(self.alice, True)

    def test_it_needs_a_csrf_token(self) -> None:
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(self.olivia)
        for action in ("deactivate", "reactivate", "resend_invite"):
            self.assertEqual(browser.post(self.url(self.alice, action)).status_code, 403)
        self.assert_active(self.alice, True)
        self.assertFalse(AuditEvent.objects.exists())

    def test_a_deactivated_members_session_ends(self) -> None:
        self.login(self.alice)
        self.assertEqual(self.client.get("/").status_code, 302)
        services.deactivate_member(self.alice.membership, actor=actor_for(self.olivia))

        response = self.client.get(reverse("accounts:members"))

        self.assertTrue(response["Location"].startswith("/accounts/login/"))

    def test_deactivation_ends_the_members_sessions_for_good(self) -> None:
        alice, bob = Client(), Client()
        alice.force_login(self.alice)
        bob.force_login(self.bob)
        caseload = reverse("care:caseload")
        self.login(self.olivia)

        self.client.post(self.url(self.alice), {"confirmed": "yes"})

        # Her sessions are gone from the database, not merely unusable while she is inactive:
        # reactivating her brings none of them back.
        self.assertEqual(session_keys_of(self.alice), set())
        self.alice.membership.refresh_from_db()
        services.reactivate_member(self.alice.membership, actor=actor_for(self.olivia))
        response = alice.get(caseload)
        self.assertRedirects(
            response, f"/accounts/login/?next={caseload}", fetch_redirect_response=False
        )
        self.assertNotIn("_auth_user_id", alice.session)
        # A colleague and the owner stay logged in.
        self.assertEqual(bob.get(caseload).status_code, 200)
        self.assertEqual(self.client.get(reverse("accounts:members")).status_code, 200)
        self.assertEqual(AuditEvent.objects.filter(action="member.deactivate").count(), 1)

    def test_it_reactivates(self) -> None:
        services.deactivate_member(self.alice.membership, actor=actor_for(self.olivia))
        self.login(self.olivia)

        response = self.client.post(self.url(self.alice, "reactivate"), follow=True)

        self.assertContains(response, "Alice Adams can log in again.")
        self.assert_active(self.alice, True)
        self.assertIsNone(self.alice.membership.deactivated_at)
        event = AuditEvent.objects.get(action="member.reactivate")
        self.assertEqual((event.actor, event.detail), (self.olivia, {"user_id": self.alice.pk}))

    def test_reactivating_an_active_member_changes_nothing(self) -> None:
        self.login(self.olivia)
        response = self.client.post(self.url(self.alice, "reactivate"), follow=True)
        self.assertContains(response, "already active")
        self.assertFalse(AuditEvent.objects.filter(action="member.reactivate").exists())

    def test_reactivate_rejects_outsiders(self) -> None:
        services.deactivate_member(self.alice.membership, actor=actor_for(self.olivia))
        for person in (self.charlie, self.bob):
            self.login(person)
            self.assertEqual(self.client.post(self.url(self.alice, "reactivate")).status_code, 404)
        self.assert_active(self.alice, False)


class DeactivatedLoginTests(BaseTestCase):
    """Through the real login form, with email and password."""

    def setUp(self) -> None:
        from django.core.cache import cache

        cache.clear()  # allauth's login rate limits live in the cache

    def test_a_deactivated_member_cannot_log_in(self) -> None:
        services.deactivate_member(self.alice.membership, actor=actor_for(self.olivia))

        response = self.client.post(
            "/accounts/login/", {"login": "alice@example.org", "password": PASSWORD}
        )

        self.assertNotIn("_auth_user_id", self.client.session)
        self.assertRedirects(response, reverse("account_inactive"), fetch_redirect_response=False)
        page = self.client.get(reverse("account_inactive"))
        self.assertContains(page, "This account is deactivated")
        self.assertEqual(self.client.get("/").status_code, 302)  # still anonymous
        event = AuditEvent.objects.get(action="login.failed")
        self.assertEqual(event.detail, {"user_id": self.alice.pk})

    def test_a_reactivated_member_can_log_in_again(self) -> None:
        services.deactivate_member(self.alice.membership, actor=actor_for(self.olivia))
        services.reactivate_member(self.alice.membership, actor=actor_for(self.olivia))

        self.password_login("alice@example.org", PASSWORD)

        self.assertEqual(self.client.session["_auth_user_id"], str(self.alice.pk))


class InvitationTaskTests(BaseTestCase):
    def test_a_queued_invitation_is_not_sent_to_someone_who_has_set_a_password(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            pending = services.invite_member(
                self.riverside,
                email="ivy@example.org",
                full_name="Ivy",
                actor=actor_for(self.olivia),
            )
        pending.user.set_password("a long passphrase here")
        pending.user.save()
        run_worker()
        self.assertEqual(mail.outbox, [])

    def test_a_rolled_back_invitation_queues_nothing(self) -> None:
        with self.assertRaises(services.EmailInUse), self.captureOnCommitCallbacks(execute=True):
            services.invite_member(
                self.riverside,
                email="alice@example.org",
                full_name="Al",
                actor=actor_for(self.olivia),
            )
        self.assertEqual(queued("continuum.accounts.services.email_invitation"), [])
