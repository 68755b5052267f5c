"""SECURITY.md promise 7: staff need a second factor (TOTP, with single-use recovery codes)."""

from __future__ import annotations

import time

import pyotp
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.core.cache import cache
from django.test import Client as Browser
from django.urls import reverse

from continuum.accounts import mfa
from continuum.accounts.models import Practice, Role
from continuum.audit.models import AuditEvent
from continuum.testing.base import (
    PASSWORD,
    TOTP_SECRET,
    BaseTestCase,
    make_staff,
    session_keys_of,
)
from continuum.tests.test_url_sweep import ID_ROUTES, SweepWorld, dummy_kwargs, iter_routes

ENROL = "/accounts/2fa/totp/activate/"
AUTHENTICATE = "/accounts/2fa/authenticate/"
CASELOAD = reverse("care:caseload")


def code_now(secret: str = TOTP_SECRET) -> str:
    return pyotp.TOTP(secret).now()


class MFATestCase(BaseTestCase):
    def setUp(self) -> None:
        cache.clear()  # used TOTP codes and login rate limits live in the cache

    def password_step(self, email: str, password: str = PASSWORD) -> str:
        response = self.client.post("/accounts/login/", {"login": email, "password": password})
        return str(response.get("Location", ""))

    def is_logged_in(self) -> bool:
        return "_auth_user_id" in self.client.session


class SecondFactorLoginTests(MFATestCase):
    def test_a_member_with_totp_is_asked_for_a_code_after_the_password(self) -> None:
        self.assertEqual(self.password_step("alice@example.org"), AUTHENTICATE)
        self.assertFalse(self.is_logged_in())

        page = self.client.get(AUTHENTICATE)
        self.assertContains(page, "Enter your authenticator code")
        self.assertContains(page, '<label for="id_code">')
        self.assertNotContains(page, "<script>")

        response = self.client.post(AUTHENTICATE, {"code": code_now()})
        self.assertRedirects(response, reverse("home"), fetch_redirect_response=False)
        self.assertEqual(self.client.session["_auth_user_id"], str(self.alice.pk))
        self.assertEqual(self.client.get(reverse("care:caseload")).status_code, 200)
        # One login row, written once the second factor passed.
        self.assertEqual(
            list(AuditEvent.objects.filter(action="login").values_list("actor_id", flat=True)),
            [self.alice.pk],
        )

    def test_a_wrong_code_is_refused(self) -> None:
        self.password_step("alice@example.org")
        wrong = f"{(int(code_now()) + 1) % 1_000_000:06d}"

        response = self.client.post(AUTHENTICATE, {"code": wrong})

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Incorrect code.")
        self.assertFalse(self.is_logged_in())

    def test_a_reused_totp_code_is_refused(self) -> None:
        code = code_now()
        self.password_step("alice@example.org")
        self.assertEqual(self.client.post(AUTHENTICATE, {"code": code}).status_code, 302)
        self.assertTrue(self.is_logged_in())
        self.client.post("/accounts/logout/")

        # Same code, same 30-second window, from another browser.
        self.client.cookies.clear()
        self.password_step("alice@example.org")
        response = self.client.post(AUTHENTICATE, {"code": code})

        self.assertContains(response, "Incorrect code.")
        self.assertFalse(self.is_logged_in())

    def test_recovery_codes_work_once_each(self) -> None:
        codes = RecoveryCodes.activate(self.alice).generate_codes()
        self.assertEqual(len(codes), 10)

        self.password_step("alice@example.org")
        self.client.post(AUTHENTICATE, {"code": codes[0]})
        self.assertTrue(self.is_logged_in())
        self.client.post("/accounts/logout/")

        self.client.cookies.clear()
        self.password_step("alice@example.org")
        response = self.client.post(AUTHENTICATE, {"code": codes[0]})
        self.assertContains(response, "Incorrect code.")
        self.assertFalse(self.is_logged_in())
        # Another, unused code still works.
        self.client.post(AUTHENTICATE, {"code": codes[1]})
        self.assertTrue(self.is_logged_in())

    def test_a_member_cannot_switch_their_second_factor_off(self) -> None:
        self.login(self.alice)

        self.client.post(reverse("mfa_deactivate_totp"))

        self.assertTrue(
            Authenticator.objects.filter(user=self.alice, type=Authenticator.Type.TOTP).exists()
        )


class EnrolmentTests(MFATestCase):
    def test_a_member_without_totp_must_enrol_before_anything_else(self) -> None:
        newbie = make_staff(self.riverside, "newbie@example.org", "New Member", totp=False)
        self.password_step("newbie@example.org")
        self.assertTrue(self.is_logged_in())  # no second factor yet: the password is all

        self.assertRedirects(self.client.get(reverse("home")), ENROL, fetch_redirect_response=False)

        page = self.client.get(ENROL)
        self.assertEqual(page.status_code, 200)
        secret = self.client.session[SECRET_SESSION_KEY]
        # The QR code is an <img> with a data: URI (the CSP allows img-src data:), and the
        # key is shown for typing in by hand. No inline script or style anywhere.
        self.assertContains(page, 'src="data:image/svg+xml;base64,')
        self.assertContains(page, f'value="{secret}"')
        body = page.content.decode()
        self.assertNotIn("<script>", body)
        self.assertNotIn('<script type="application/json"', body)
        self.assertNotIn("style=", body)
        self.assertIn("img-src 'self' data:", page["Content-Security-Policy"])

        wrong = self.client.post(ENROL, {"code": "000000" if code_now(secret) != "000000" else "1"})
        self.assertContains(wrong, "Incorrect code.")
        self.assertFalse(Authenticator.objects.filter(user=newbie).exists())

        response = self.client.post(ENROL, {"code": code_now(secret)})
        self.assertRedirects(
            response, reverse("mfa_view_recovery_codes"), fetch_redirect_response=False
        )
        self.assertEqual(
            set(Authenticator.objects.filter(user=newbie).values_list("type", flat=True)),
            {"totp", "recovery_codes"},
        )
        codes = self.client.get(reverse("mfa_view_recovery_codes"))
        self.assertContains(codes, "10 of 10 recovery codes are unused")
        self.assertEqual(self.client.get(reverse("care:caseload")).status_code, 200)

    def test_a_portal_client_needs_no_second_factor(self) -> None:
        from continuum.testing.base import make_portal_user

        dana = make_portal_user(self.dana)
        self.password_step(dana.email)
        self.assertTrue(self.is_logged_in())
        self.assertEqual(self.client.get(reverse("portal:home")).status_code, 200)

    def test_an_htmx_request_is_sent_to_enrolment_by_header(self) -> None:
        make_staff(self.riverside, "newbie@example.org", "New Member", totp=False)
        self.password_step("newbie@example.org")

        response = self.client.get(reverse("care:caseload"), headers={"HX-Request": "true"})

        self.assertEqual(response["HX-Redirect"], ENROL)

    def test_demo_helper_enrols_the_fixed_demo_secret(self) -> None:
        user = make_staff(self.riverside, "demo@example.org", "Demo", totp=False)

        mfa.enrol_demo_totp(user)
        mfa.enrol_demo_totp(user)  # idempotent: still one device

        self.assertEqual(Authenticator.objects.filter(user=user).count(), 1)
        self.assertEqual(mfa.current_code(), pyotp.TOTP(mfa.DEMO_TOTP_SECRET).now())
        at = time.time() - 3600
        self.assertEqual(mfa.current_code(at=at), pyotp.TOTP(mfa.DEMO_TOTP_SECRET).at(at))


class NoRecordRouteWithoutSecondFactor(SweepWorld):
    """A member without a second factor reaches 0 routes outside the enrolment allow-list."""

    def test_every_route_sends_them_to_enrolment(self) -> None:
        Authenticator.objects.filter(user=self.alice).delete()
        self.client.force_login(self.alice)
        reached: list[str] = []
        checked = 0
        for name, params in iter_routes():
            if name.split(":")[-1] in mfa.ALLOWED_URL_NAMES:
                continue
            kwargs = ID_ROUTES[name][1](self) if name in ID_ROUTES else dummy_kwargs(params)
            url = reverse(name, kwargs=kwargs or None)
            for method in ("get", "post"):
                response = getattr(self.client, method)(url)
                checked += 1
                if response.status_code != 302 or response["Location"] != ENROL:
                    reached.append(f"{method.upper()} {name} {response.status_code}")
        self.assertEqual(reached, [])
        self.assertGreater(checked, 150)


class OwnerResetTests(MFATestCase):
    def reset_url(self, user: object) -> str:
        return reverse("accounts:reset_mfa", kwargs={"membership_id": user.membership.pk})  # type: ignore[attr-defined]

    def test_it_requires_login(self) -> None:
        response = self.client.post(self.reset_url(self.alice))
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith(reverse("account_login")))
        self.assertTrue(Authenticator.objects.filter(user=self.alice).exists())

    def test_it_rejects_colleagues_and_other_practices(self) -> None:
        for outsider in (self.bob, self.charlie):
            self.login(outsider)
            self.assertEqual(self.client.post(self.reset_url(self.alice)).status_code, 404)
        self.assertTrue(Authenticator.objects.filter(user=self.alice).exists())
        self.assertFalse(AuditEvent.objects.filter(action="member.mfa_reset").exists())

    def test_get_is_not_allowed(self) -> None:
        self.login(self.olivia)
        self.assertEqual(self.client.get(self.reset_url(self.alice)).status_code, 405)

    def test_the_owner_resets_a_member_who_must_enrol_again(self) -> None:
        RecoveryCodes.activate(self.alice)
        self.login(self.olivia)
        members = self.client.get(reverse("accounts:members"))
        self.assertContains(members, "Reset second factor of Alice Adams")

        response = self.client.post(self.reset_url(self.alice), follow=True)

        self.assertContains(response, "second factor was reset")
        self.assertFalse(Authenticator.objects.filter(user=self.alice).exists())
        event = AuditEvent.objects.get(action="member.mfa_reset")
        self.assertEqual(event.actor, self.olivia)
        self.assertEqual(event.detail, {"user_id": self.alice.pk})
        self.assertEqual(event.object_id, str(self.alice.membership.pk))
        # Other members keep theirs.
        self.assertTrue(Authenticator.objects.filter(user=self.bob).exists())

        self.client.post("/accounts/logout/")
        self.client.cookies.clear()
        self.password_step("alice@example.org")
        self.assertRedirects(self.client.get(reverse("home")), ENROL, fetch_redirect_response=False)

    def test_the_reset_logs_the_member_out_of_every_open_session(self) -> None:
        laptop, phone, colleague = Browser(), Browser(), Browser()
        # Alice logs in for real on her laptop (password, then her authenticator code) and
        # is also logged in on her phone; Bob and Olivia have their own sessions.
        laptop.post("/accounts/login/", {"login": "alice@example.org", "password": PASSWORD})
        laptop.post(AUTHENTICATE, {"code": code_now()})
        phone.force_login(self.alice)
        colleague.force_login(self.bob)
        self.login(self.olivia)
        for browser in (laptop, phone, colleague, self.client):
            self.assertEqual(browser.get(CASELOAD).status_code, 200)
        self.assertEqual(len(session_keys_of(self.alice)), 2)

        response = self.client.post(self.reset_url(self.alice), follow=True)

        self.assertContains(response, "second factor was reset and they were logged out")
        self.assertEqual(session_keys_of(self.alice), set())
        for browser in (laptop, phone):
            response = browser.get(CASELOAD)
            self.assertRedirects(
                response,
                f"{reverse('account_login')}?next={CASELOAD}",
                fetch_redirect_response=False,
            )
            self.assertNotIn("_auth_user_id", browser.session)
            page = browser.get(response["Location"])
            self.assertContains(page, 'name="password"')
            self.assertNotContains(page, "Alice Adams")
        # Everyone else stays logged in, the owner included.
        self.assertEqual(colleague.get(CASELOAD).status_code, 200)
        self.assertEqual(self.client.get(CASELOAD).status_code, 200)
        self.assertEqual(len(session_keys_of(self.bob)), 1)
        event = AuditEvent.objects.get(action="member.mfa_reset")
        self.assertEqual((event.actor, event.detail), (self.olivia, {"user_id": self.alice.pk}))

    def test_an_owner_cannot_reset_their_own(self) -> None:
        self.login(self.olivia)
        self.client.post(self.reset_url(self.olivia))
        self.assertTrue(Authenticator.objects.filter(user=self.olivia).exists())

    def test_the_other_practice_is_untouched(self) -> None:
        other = Practice.objects.get(pk=self.hilltop.pk)
        member = make_staff(other, "hilda@example.org", "Hilda", role=Role.THERAPIST)
        self.login(self.olivia)
        self.assertEqual(self.client.post(self.reset_url(member)).status_code, 404)
        self.assertTrue(Authenticator.objects.filter(user=member).exists())
