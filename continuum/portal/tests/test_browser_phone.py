"""On a 390x844 phone: the questionnaire (by link and from the portal) and every portal page.

Measured in the browser, not guessed from the CSS: nothing is wider than the viewport, every
answer option is a tap target at least 44 px tall, no option's label is broken over more than
two lines, the 0-10 check-in scales sit on one row and choosing "Skip" moves none of them, the
chosen answer is marked, and axe finds nothing serious."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from continuum.accounts.actors import actor_for
from continuum.accounts.models import Practice
from continuum.boundaries.models import Direction, Message
from continuum.measures import services as measures
from continuum.measures.tests.world import make_score
from continuum.portal.models import CheckinCadence, PortalSettings
from continuum.portal.tests.world import make_checkin, make_pending
from continuum.testing.base import (
    PASSWORD,
    make_appointment,
    make_client,
    make_episode,
    make_portal_user,
    make_staff,
)
from continuum.testing.browser import PHONE, assert_fits_phone, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def scale_boxes(page: Any, legend: str) -> list[dict[str, Any]]:
    group = page.get_by_role("group", name=legend)
    boxes: list[dict[str, Any]] = group.locator("label").evaluate_all(
        "labels => labels.map(l => { const r = l.getBoundingClientRect();"
        " return {text: l.innerText.trim(), x: r.x, y: r.y, w: r.width, h: r.height}; })"
    )
    return boxes


def test_questionnaire_and_portal_on_a_phone(
    live_server: Any, phone_page: Any, page_problems: Any
) -> None:
    practice = Practice.objects.create(name="Riverside Therapy", time_zone="Europe/London")
    alice = make_staff(practice, "alice@example.org", "Alice Adams")
    dana = make_client(alice, "Dana", "Dawson", email="dana@example.net")
    episode = make_episode(dana, start_date=timezone.localdate() - timedelta(days=30))
    make_appointment(dana, timezone.now() + timedelta(days=3), episode=episode)
    make_score(episode, "phq9", 16, timezone.now() - timedelta(days=14), band="moderately_severe")
    make_portal_user(dana)
    PortalSettings.objects.create(client=dana, checkin_cadence=CheckinCadence.WEEKLY)
    done = make_checkin(dana, mood=6)
    written = Message.objects.create(
        client=dana,
        episode=episode,
        sender=alice,
        direction=Direction.TO_CLIENT,
        body="Thank you for your check-in. Shall we look at the sleep diary on Thursday?",
        idempotency_key="phone-test-message-0001",
    )
    linked = make_pending(episode, "who5")
    measures.issue_link(linked, actor=actor_for(alice))
    in_portal = make_pending(episode, "gad7")
    link = measures.link_path(linked)
    assert link is not None
    assert phone_page.viewport_size == PHONE

    # The questionnaire by its one-time link (WHO-5: six long answers an item): one
    # full-width row per answer.
    phone_page.goto(live_server.url + link)
    assert assert_fits_phone(phone_page) == 5 * 6
    first = phone_page.get_by_role("group", name="1. I have felt cheerful and in good spirits")
    rows = first.locator("label").evaluate_all(
        "ls => ls.map(l => { const r = l.getBoundingClientRect(); return [r.x, r.y, r.width]; })"
    )
    assert len({x for x, _, _ in rows}) == 1, f"options are not one per line: {rows}"
    assert len({y for _, y, _ in rows}) == 6
    assert all(w >= 300 for _, _, w in rows), f"options are not full width: {rows}"
    # The whole row is the tap target, and the chosen one is marked without script.
    choice = first.locator("label").nth(2)
    unchosen = choice.evaluate("l => getComputedStyle(l).backgroundColor")
    choice.click(position={"x": 280, "y": 20})
    assert first.get_by_label("Less than half of the time").is_checked()
    assert choice.evaluate("l => getComputedStyle(l).backgroundColor") != unchosen
    screenshot(phone_page, "questionnaire-phone")

    # Dana logs in on her phone and opens the portal's questionnaire: the same page.
    login(phone_page, live_server.url, "dana@example.net", PASSWORD)
    phone_page.goto(f"{live_server.url}/portal/questionnaires/{in_portal.pk}/")
    assert_fits_phone(phone_page)
    phone_page.get_by_role("button", name="Start the questionnaire").click()
    assert phone_page.locator("form.questionnaire").is_visible()
    assert assert_fits_phone(phone_page) == 7 * 4

    # The check-in: each 0-10 scale on one row, "Skip" on its own, so choosing it moves nothing.
    phone_page.goto(live_server.url + "/portal/check-in/")
    assert assert_fits_phone(phone_page) > 0
    before = scale_boxes(phone_page, "How have you been sleeping?")
    numbers = [box for box in before if box["text"] != "Skip"]
    assert [box["text"] for box in numbers] == [str(n) for n in range(11)]
    assert len({round(box["y"]) for box in numbers}) == 1, f"the scale wraps: {numbers}"
    group = phone_page.get_by_role("group", name="How have you been sleeping?")
    group.get_by_label("7", exact=True).check()
    chosen = scale_boxes(phone_page, "How have you been sleeping?")
    group.get_by_label("Skip").check()
    assert scale_boxes(phone_page, "How have you been sleeping?") == chosen == before
    screenshot(phone_page, "checkin-phone")

    # Every other portal page a client in therapy reaches.
    for path in (
        "/portal/",
        f"/portal/check-ins/{done.pk}/",
        "/portal/progress/",
        "/portal/help/",
        "/portal/messages/",
        "/portal/messages/new/",
        f"/portal/messages/{written.pk}/",
        "/portal/record/",
        "/portal/calendar/",
        "/portal/homework/",
        "/portal/plan/",
        "/portal/reminders/",
    ):
        response = phone_page.goto(live_server.url + path)
        assert response.status == 200, path
        assert_fits_phone(phone_page)
    page_problems.assert_none()
