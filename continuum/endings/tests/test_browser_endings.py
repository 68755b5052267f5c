"""In a real browser: the therapist reviews readiness and sends the questions; the client
answers on a phone; the therapist agrees a tapering ending plan; the client reads and accepts
it on the phone; the final session ends the episode; both versions of the summary read well.
axe-clean on every page, no console errors or CSP violations."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from continuum.accounts.models import Practice
from continuum.care.episodes import EpisodeStatus
from continuum.care.models import Episode
from continuum.endings.models import ReadinessRequest, TerminationPlan
from continuum.endings.tests.world import fill_history
from continuum.plans.tests.world import make_goal, make_intervention, make_plan, make_review
from continuum.testing.base import PASSWORD, make_client, make_episode, make_portal_user, make_staff
from continuum.testing.browser import assert_accessible, assert_fits_phone, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_readiness_plan_acceptance_and_summary(
    live_server: Any, page: Any, phone_page: Any, page_problems: Any
) -> None:
    practice = Practice.objects.create(name="Riverside Therapy", time_zone="Europe/London")
    alice = make_staff(practice, "alice@example.org", "Alice Adams")
    dana = make_client(alice, "Dana", "Dawson", email="dana@example.net", preferred_name="Dee")
    episode = make_episode(
        dana, start_date=timezone.localdate() - timedelta(weeks=10), referral_reason="Low mood"
    )
    plan = make_plan(episode, focus="Getting back to the things that matter")
    goal = make_goal(plan, "Feel like myself again")
    make_goal(plan, "Worry less", instrument="gad7", target_value=8)
    intervention = make_intervention(plan, goals=[goal])
    make_review(intervention, client_response="The walks helped most")
    fill_history(episode)
    make_portal_user(dana)
    base = live_server.url

    # The therapist reviews readiness and sends the client the questions.
    login(page, base, "alice@example.org", PASSWORD)
    page.goto(f"{base}/episodes/{episode.pk}/")
    page.get_by_role("link", name="Readiness review").click()
    expect(page.get_by_role("heading", name=re.compile("Readiness review"))).to_be_visible()
    expect(page.get_by_text("All goals are met and PHQ-9 has been below caseness")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Send the readiness questions").click()
    expect(page.get_by_text("The readiness questions are in the client's portal.")).to_be_visible()

    # Dana answers on her phone.
    login(phone_page, base, "dana@example.net", PASSWORD)
    phone_page.get_by_role("link", name="Ending well").click()
    assert_fits_phone(phone_page)
    phone_page.get_by_role("link", name="Answer the questions").click()
    assert_fits_phone(phone_page)
    phone_page.get_by_role("group", name=re.compile("How ready do you feel")).get_by_label(
        "8", exact=True
    ).check()
    phone_page.get_by_label("What worries you about ending").fill("Coping on my own")
    assert_accessible(phone_page)
    phone_page.get_by_role("button", name="Send my answers").click()
    expect(phone_page.get_by_text("Your therapist will talk it through with you.")).to_be_visible()
    assert ReadinessRequest.objects.get().readiness == 8

    # The therapist sees her view and agrees a tapering plan with her.
    page.reload()
    expect(page.get_by_text("the client feels 8/10 ready")).to_be_visible()
    expect(page.get_by_text("Coping on my own")).to_be_visible()
    page.get_by_role("link", name="Plan the ending").click()
    first = timezone.localdate() + timedelta(days=7)
    final = first + timedelta(weeks=6)
    page.get_by_label("Reason for ending").select_option("goals_met")
    page.get_by_label("Agreed final session date").fill(final.isoformat())
    page.get_by_label("We discussed ending together").check()
    page.get_by_label("We explored the client's feelings about ending").check()
    page.get_by_label("We reviewed the gains made").check()
    page.get_by_label("First tapering session").fill(first.isoformat())
    page.get_by_label("Start time").fill("09:00")
    page.get_by_label("Step 1: sessions").fill("2")
    page.get_by_label("Step 2: how often").select_option("2")
    page.get_by_label("Step 2: sessions").fill("2")
    assert_accessible(page)
    page.get_by_role("button", name="Agree the plan").click()
    expect(
        # Four tapering sessions and the agreed final session (issue 14).
        page.get_by_text("The ending plan is agreed, and 5 tapering sessions were booked.")
    ).to_be_visible()
    assert_accessible(page)
    assert Episode.objects.get(pk=episode.pk).status == EpisodeStatus.ENDING

    # Dana reads the plan on her phone and accepts it.
    phone_page.get_by_role("link", name="Ending well").click()
    expect(phone_page.get_by_text("You have reached the goals we set together.")).to_be_visible()
    expect(phone_page.get_by_role("heading", name="Your sessions until the end")).to_be_visible()
    assert_fits_phone(phone_page)
    phone_page.get_by_role("button", name="I agree with this plan").click()
    expect(phone_page.get_by_text("You agreed this plan on")).to_be_visible()
    assert_accessible(phone_page)
    assert TerminationPlan.objects.get().accepted

    # After the final session the therapist ends the episode and reads the summary.
    page.reload()
    expect(page.get_by_text("Accepted this version in the portal on")).to_be_visible()
    page.get_by_role("button", name="Move to Ended").click()
    expect(page.get_by_role("heading", name="Move this episode to Ended?")).to_be_visible()
    page.get_by_role("button", name="Move to Ended").click()
    expect(page.get_by_text("The episode is now Ended.")).to_be_visible()
    page.get_by_role("link", name="Summary", exact=True).first.click()
    expect(page.get_by_role("heading", name="Termination summary")).to_be_visible()
    expect(page.get_by_role("cell", name="Reliable improvement").first).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Chart of PHQ-9"))).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="The client's version").click()
    expect(page.get_by_role("heading", name="Your therapy summary")).to_be_visible()
    assert_accessible(page)

    # Dana reads her summary in the portal.
    phone_page.get_by_role("link", name="Ending well").click()
    phone_page.get_by_role("link", name="Your therapy summary").click()
    expect(phone_page.get_by_role("heading", name="Your therapy summary")).to_be_visible()
    expect(phone_page.get_by_text("The walks helped most")).to_be_visible()
    assert_fits_phone(phone_page)
    # Her relapse-prevention plan, on the same phone.
    assert phone_page.goto(base + "/portal/relapse-prevention/").status == 200
    assert_fits_phone(phone_page)
    page_problems.assert_none()


def test_ending_as_unplanned_asks_first(live_server: Any, page: Any, page_problems: Any) -> None:
    """Issue 14: "End as unplanned" cannot be undone, so a page says so before it happens."""
    practice = Practice.objects.create(name="Riverside Therapy", time_zone="Europe/London")
    alice = make_staff(practice, "alice@example.org", "Alice Adams")
    dana = make_client(alice, "Dana", "Dawson", email="dana@example.net")
    episode = make_episode(dana, start_date=timezone.localdate() - timedelta(weeks=10))
    base = live_server.url
    login(page, base, "alice@example.org", PASSWORD)
    page.goto(f"{base}/episodes/{episode.pk}/unplanned/")
    page.get_by_role("textbox", name="Closing note").fill("No contact since October")
    page.get_by_role("button", name="End as unplanned").click()
    expect(page.get_by_role("heading", name="End this episode as unplanned?")).to_be_visible()
    expect(page.get_by_text("cannot be made active again")).to_be_visible()
    assert_accessible(page)
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.ACTIVE
    page.get_by_role("button", name="End as unplanned").click()
    expect(page.get_by_text("The episode has ended as unplanned.")).to_be_visible()
    episode.refresh_from_db()
    assert (episode.status, episode.ended_unplanned) == (EpisodeStatus.ENDED, True)
    page_problems.assert_none()
