"""The exchange pages in a real browser: axe clean; a feed made, an import previewed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from continuum.accounts.models import Practice
from continuum.care.models import Client
from continuum.testing.base import PASSWORD, make_client, make_portal_user, make_staff
from continuum.testing.browser import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_calendar_feed_and_import_pages(live_server: Any, page: Any, tmp_path: Path) -> None:
    practice = Practice.objects.create(name="Riverside Therapy", time_zone="Europe/London")
    make_staff(practice, "alice@example.org", "Alice Adams")
    login(page, live_server.url, "alice@example.org", PASSWORD)

    page.goto(f"{live_server.url}/me/calendar/")
    assert_accessible(page)
    page.get_by_role("button", name="Make my feed address").click()
    assert "/calendar/" in page.get_by_label("Your feed address").input_value()
    assert_accessible(page)

    csv_file = tmp_path / "clients.csv"
    csv_file.write_text("first_name,last_name,date_of_birth\nSam,Stone,30/04/1990\n,Bad,x\n")
    page.goto(f"{live_server.url}/clients/import/")
    assert_accessible(page)
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Upload and preview").click()
    assert page.get_by_text("will create a client").is_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Import").click()
    page.wait_for_load_state("networkidle")
    assert Client.objects.filter(last_name="Stone").exists()


def test_portal_record_and_calendar_pages(live_server: Any, page: Any) -> None:
    practice = Practice.objects.create(name="Riverside Therapy", time_zone="Europe/London")
    alice = make_staff(practice, "alice@example.org", "Alice Adams")
    dana = make_client(alice, "Dana", "Dawson")
    make_portal_user(dana, email="dana@example.net")
    login(page, live_server.url, "dana@example.net", PASSWORD)
    for path in ("/portal/record/", "/portal/calendar/"):
        page.goto(f"{live_server.url}{path}")
        assert_accessible(page)
    page.goto(f"{live_server.url}/portal/record/")
    page.get_by_role("button", name="Ask for my record").click()
    assert page.get_by_text("Your request was sent to your therapist.").is_visible()
