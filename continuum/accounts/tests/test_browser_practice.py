"""The owner's first visit in a real browser: set a password, invite, roster, audit log."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest

from continuum.accounts import services
from continuum.testing.base import make_client, make_episode, make_staff
from continuum.testing.browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a-long-and-unusual-passphrase-42"


def test_an_owner_sets_up_their_practice(live_server: Any, page: Any, page_problems: Any) -> None:
    owner = services.create_practice(
        name="Lakeside Psychology",
        owner_email="nora@example.org",
        owner_name="Nora North",
        time_zone="Europe/London",
        clinical=False,
    )
    alice = make_staff(owner.practice, "alice@example.org", "Alice Adams")
    make_episode(make_client(alice, "Dana", "Dawson"))
    make_staff(owner.practice, "bob@example.org", "Bob Brown")

    # The one-time link: a labelled form, then the members page.
    page.goto(live_server.url + services.set_password_path(owner.user))
    assert page.get_by_role("heading", name="Choose your password").is_visible()
    assert_accessible(page)
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password and log in").click()
    page.wait_for_load_state("networkidle")
    # A member of a practice sets up a second factor before anything else (promise 7).
    assert page.url.endswith("/accounts/2fa/totp/activate/")
    assert page.get_by_role("img", name="QR code for your authenticator app").is_visible()
    assert_accessible(page)
    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("Authenticator code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Activate").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Recovery codes").is_visible()
    assert page.get_by_role("list", name="Unused recovery codes").locator("li").count() == 10
    assert_accessible(page)
    page.goto(live_server.url + "/practice/members/")
    assert page.get_by_role("heading", name="Members of Lakeside Psychology").is_visible()
    assert_accessible(page)

    # Invite a colleague.
    page.get_by_role("link", name="Invite a therapist").click()
    assert_accessible(page)
    page.get_by_label("Full name").fill("Ivy Invited")
    page.get_by_label("Email address").fill("ivy@example.org")
    page.get_by_role("button", name="Send invitation").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("ivy@example.org is invited").is_visible()
    assert page.get_by_role("button", name="Resend invitation to Ivy Invited").is_visible()

    # Deactivate Alice: the roster then lists Dana for reassignment.
    page.get_by_role("button", name="Deactivate Alice Adams").click()
    assert page.get_by_role("heading", name="Deactivate Alice Adams?").is_visible()
    page.get_by_role("button", name="Deactivate Alice Adams").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Clients of Alice Adams").is_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Reassign Dana Dawson").click()
    assert_accessible(page)
    page.get_by_label("New therapist").select_option(label="Bob Brown")
    page.get_by_role("button", name="Reassign").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Dana Dawson is now with Bob Brown.").is_visible()

    # The audit log shows what happened.
    page.get_by_role("link", name="Audit log").click()
    assert page.get_by_role("cell", name="Client reassigned").is_visible()
    assert_accessible(page)

    # Chromium asks for /favicon.ico, which the project does not serve (yet).
    page_problems.errors = [e for e in page_problems.errors if "404" not in e]
    page_problems.assert_none()

    # Nonsense filters get a message (and a 400, which chromium reports on the console).
    page.goto(live_server.url + "/practice/audit/?date_from=2026-02-30")
    assert page.get_by_text("Enter a valid date.").is_visible()
    assert_accessible(page)


def test_an_expired_link_page_is_accessible(live_server: Any, page: Any) -> None:
    page.goto(live_server.url + "/set-password/MQ/not-a-token/")
    assert page.get_by_role(
        "heading", name="This link has expired or was already used"
    ).is_visible()
    assert_accessible(page)
