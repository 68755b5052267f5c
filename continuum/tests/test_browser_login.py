from __future__ import annotations

from typing import Any

import pytest

from continuum.accounts.models import Practice
from continuum.testing.base import PASSWORD, make_staff
from continuum.testing.browser import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_therapist_logs_in_and_reaches_their_day(
    live_server: Any, page: Any, page_problems: Any
) -> None:
    practice = Practice.objects.create(name="Riverside")
    make_staff(practice, "alice@example.org", "Alice Adams")

    page.goto(live_server.url + "/accounts/login/")
    assert_accessible(page)
    login(page, live_server.url, "alice@example.org", PASSWORD)

    assert page.url.endswith("/day/")
    assert page.get_by_role("link", name="Caseload").is_visible()
    page_problems.assert_none()


def test_a_wrong_password_shows_an_error(live_server: Any, page: Any) -> None:
    practice = Practice.objects.create(name="Riverside")
    make_staff(practice, "alice@example.org", "Alice Adams")

    login(page, live_server.url, "alice@example.org", "not-the-password-at-all")

    assert "/accounts/login/" in page.url
    assert page.get_by_role("alert").is_visible()
