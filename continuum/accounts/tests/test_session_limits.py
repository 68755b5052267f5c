"""SECURITY.md promise 6: automatic log-off, and sessions that end when they should."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import time_machine
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from continuum.accounts.models import User
from continuum.accounts.session_limits import KIND, LOGIN_AT, SEEN_AT
from continuum.audit.models import AuditEvent
from continuum.care.models import Client as CareClient
from continuum.testing.base import PASSWORD, TOTP_SECRET, BaseTestCase

T0 = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
CASELOAD = reverse("care:caseload")
LOGIN = reverse("account_login")
NEW_PASSWORD = "a-new-and-longer-passphrase-42"
SECOND_FACTOR = "/accounts/2fa/authenticate/"


def minutes(m: float) -> timedelta:
    return timedelta(minutes=m)


class SessionLimitTestCase(BaseTestCase):
    def setUp(self) -> None:
        cache.clear()  # allauth's login rate limits live in the cache
        traveller = time_machine.travel(T0, tick=False)
        self.clock = traveller.start()
        self.addCleanup(traveller.stop)

    def wait(self, delta: timedelta) -> None:
        self.clock.shift(delta)

    def assert_signed_in(self, url: str = CASELOAD, client: Browser | None = None) -> None:
        response = (client or self.client).get(url)
        self.assertEqual(response.status_code, 200, response.get("Location"))

    def assert_signed_out(
        self, message: str, url: str = CASELOAD, client: Browser | None = None
    ) -> None:
        client = client or self.client
        response = client.get(url)
        self.assertRedirects(response, f"{LOGIN}?next={url}", fetch_redirect_response=False)
        page = client.get(response["Location"])
        self.assertContains(page, message)
        self.assertNotIn("_auth_user_id", client.session)


class IdleTests(SessionLimitTestCase):
    def test_a_staff_session_survives_14_minutes_59_idle(self) -> None:
        self.login(self.alice)
        self.wait(minutes(14) + timedelta(seconds=59))
        self.assert_signed_in()

    def test_a_staff_session_ends_after_15_minutes_01_idle(self) -> None:
        self.login(self.alice)
        self.assert_signed_in()
        self.wait(minutes(15) + timedelta(seconds=1))

        self.assert_signed_out("You were signed out after 15 minutes without activity.")

        event = AuditEvent.objects.get(action="session.expire")
        self.assertEqual((event.actor, event.detail), (self.alice, {"reason": "idle"}))

    def test_activity_keeps_a_session_alive(self) -> None:
        self.login(self.alice)
        for _ in range(8):  # two hours of work, a request every 14 minutes 59
            self.wait(minutes(14) + timedelta(seconds=59))
            self.assert_signed_in()

    def test_an_expired_session_is_gone_from_the_database(self) -> None:
        self.login(self.alice)
        key = self.client.cookies["sessionid"].value
        self.wait(minutes(16))

        self.client.get(CASELOAD)

        self.assertFalse(Session.objects.filter(session_key=key).exists())
        # The old cookie, replayed, is anonymous.
        replay = Browser()
        replay.cookies["sessionid"] = key
        response = replay.get(CASELOAD)
        self.assertRedirects(response, f"{LOGIN}?next={CASELOAD}", fetch_redirect_response=False)

    def test_htmx_requests_are_sent_to_the_login_page_whole(self) -> None:
        self.login(self.alice)
        self.wait(minutes(16))

        response = self.client.get(CASELOAD, headers={"HX-Request": "true"})

        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["HX-Redirect"], LOGIN)
        self.assertEqual(response.content, b"")

    def test_a_post_after_expiry_writes_nothing(self) -> None:
        self.login(self.alice)
        self.wait(minutes(16))

        response = self.client.post(
            reverse("care:client_create"), {"first_name": "Gail", "last_name": "Green"}
        )

        self.assertTrue(response["Location"].startswith(f"{LOGIN}?next="))
        self.assertFalse(CareClient.objects.filter(first_name="Gail").exists())
        actions = list(AuditEvent.objects.values_list("action", flat=True))
        self.assertEqual(actions, ["session.expire"])

    def test_the_idle_limit_is_a_setting(self) -> None:
        with self.settings(SESSION_IDLE_SECONDS=300):
            self.login(self.alice)
            self.wait(minutes(5) + timedelta(seconds=1))
            self.assert_signed_out("You were signed out after 5 minutes without activity.")


class AbsoluteLimitTests(SessionLimitTestCase):
    def test_a_busy_session_still_ends_12_hours_after_login(self) -> None:
        self.login(self.alice)
        for _ in range(51):  # 11 h 54 min of steady work
            self.wait(minutes(14))
            self.assert_signed_in()
        self.wait(minutes(5))  # 11 h 59 min
        self.assert_signed_in()

        self.wait(minutes(2))  # 12 h 01 min

        self.assert_signed_out(
            "You were signed out because sessions end 12 hours after logging in."
        )
        event = AuditEvent.objects.get(action="session.expire")
        self.assertEqual(event.detail, {"reason": "absolute"})


class PortalLimitTests(SessionLimitTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.dana_user = User.objects.create_user("dana@example.net", PASSWORD, full_name="Dana")
        self.dana.user = self.dana_user
        self.dana.save()

    def test_a_client_gets_the_longer_portal_idle_limit(self) -> None:
        self.login(self.dana_user)
        self.assertEqual(self.client.session[KIND], "portal")

        self.wait(minutes(59))
        response = self.client.get("/")
        self.assertFalse(response.get("Location", "").startswith(LOGIN))

        self.wait(minutes(61))
        self.assert_signed_out("You were signed out after 1 hour without activity.", url="/")

    def test_staff_keep_the_short_limit(self) -> None:
        self.login(self.alice)
        self.assertEqual(self.client.session[KIND], "staff")
        self.wait(minutes(16))
        self.assert_signed_out("after 15 minutes without activity")


class SessionLifecycleTests(SessionLimitTestCase):
    def log_in(self, client: Browser, password: str = PASSWORD) -> None:
        """A real login through the pages: the password, then the authenticator code."""
        response = client.post(LOGIN, {"login": "alice@example.org", "password": password})
        self.assertEqual(response.status_code, 302)
        if response["Location"].startswith(SECOND_FACTOR):
            response = client.post(SECOND_FACTOR, {"code": pyotp.TOTP(TOTP_SECRET).now()})
            self.assertEqual(response.status_code, 302)
        self.assertEqual(client.session["_auth_user_id"], str(self.alice.pk))
        # A TOTP code works once: the next login waits for the next 30-second window.
        self.wait(timedelta(seconds=30))

    def test_the_session_key_changes_at_login(self) -> None:
        self.client.get(LOGIN)
        session = self.client.session
        session["before_login"] = True
        session.save()
        before = self.client.cookies["sessionid"].value

        self.log_in(self.client)

        after = self.client.cookies["sessionid"].value
        self.assertNotEqual(before, after)
        self.assertFalse(Session.objects.filter(session_key=before).exists())
        self.assertEqual(self.client.session["_auth_user_id"], str(self.alice.pk))
        # A real login stamps the session's start for the limits.
        self.assertEqual(self.client.session[LOGIN_AT], int(T0.timestamp()))

    def test_a_logged_out_session_cookie_replayed_is_anonymous(self) -> None:
        self.log_in(self.client)
        stolen = self.client.cookies["sessionid"].value
        self.assert_signed_in()

        self.client.post(reverse("account_logout"))

        replay = Browser()
        replay.cookies["sessionid"] = stolen
        response = replay.get(CASELOAD)
        self.assertRedirects(response, f"{LOGIN}?next={CASELOAD}", fetch_redirect_response=False)
        self.assertFalse(Session.objects.filter(session_key=stolen).exists())

    def test_a_password_change_ends_the_other_sessions(self) -> None:
        laptop, phone = Browser(), Browser()
        self.log_in(laptop)
        self.log_in(phone)
        self.assert_signed_in(client=phone)

        response = laptop.post(
            reverse("account_change_password"),
            {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )

        self.assertEqual(response.status_code, 302)
        self.alice.refresh_from_db()
        self.assertTrue(self.alice.check_password(NEW_PASSWORD))
        self.assert_signed_in(client=laptop)  # where the change was made
        response = phone.get(CASELOAD)
        self.assertRedirects(response, f"{LOGIN}?next={CASELOAD}", fetch_redirect_response=False)


class SessionBookkeepingTests(SessionLimitTestCase):
    def session_writes(self) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            self.assert_signed_in()
        return [
            q["sql"] for q in queries if "django_session" in q["sql"] and "SELECT" not in q["sql"]
        ]

    def test_a_request_soon_after_the_last_writes_nothing_extra(self) -> None:
        self.login(self.alice)
        self.wait(timedelta(seconds=9))
        self.assertEqual(self.session_writes(), [])

    def test_activity_is_recorded_at_most_every_ten_seconds(self) -> None:
        self.login(self.alice)
        self.wait(timedelta(seconds=10))

        self.assertEqual(len(self.session_writes()), 1)
        self.assertEqual(self.client.session[SEEN_AT], int(T0.timestamp()) + 10)
        self.assertEqual(self.session_writes(), [])

    def test_a_session_from_before_the_limits_is_stamped_not_ended(self) -> None:
        self.login(self.alice)
        session = self.client.session
        for key in (LOGIN_AT, SEEN_AT, KIND):
            del session[key]
        session.save()
        self.wait(minutes(30))

        self.assert_signed_in()

        self.assertEqual(self.client.session[LOGIN_AT], int(T0.timestamp()) + 30 * 60)
