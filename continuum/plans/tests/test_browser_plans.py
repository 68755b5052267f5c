"""In a real browser: the therapist writes and publishes a plan, adapts an intervention and sets
homework; the client, on a phone, reads and acknowledges the plan and reports the homework;
the therapist sees both. axe-clean at every step, no console errors or CSP violations."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from continuum.accounts.models import Practice
from continuum.plans.models import Homework, Intervention, TreatmentPlan
from continuum.testing.base import (
    PASSWORD,
    make_client,
    make_episode,
    make_portal_user,
    make_staff,
)
from continuum.testing.browser import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_plan_homework_and_the_portal(
    live_server: Any, page: Any, phone_page: Any, page_problems: Any
) -> None:
    practice = Practice.objects.create(name="Riverside", time_zone="Europe/London")
    alice = make_staff(practice, "alice@example.org", "Alice Adams")
    dana = make_client(alice, "Dana", "Dawson", email="dana@example.net")
    make_portal_user(dana)
    episode = make_episode(dana, start_date=date(2026, 1, 5))
    today = timezone.localdate()
    base = live_server.url

    # The therapist starts a plan, adds a goal and an intervention, and publishes it.
    login(page, base, "alice@example.org", PASSWORD)
    page.goto(f"{base}/episodes/{episode.pk}/plan/")
    assert_accessible(page)
    page.get_by_role("link", name="Start a plan").click()
    assert_accessible(page)
    page.get_by_label("Problems and focus areas").fill("Low mood since the move")
    page.get_by_label("Review the plan by").fill((today + timedelta(days=60)).isoformat())
    page.get_by_role("button", name="Start the draft").click()
    assert_accessible(page)
    page.get_by_role("link", name="Add a goal").click()
    assert_accessible(page)
    page.get_by_label("Goal, in the client's own words").fill("Enjoy weekends again")
    page.get_by_label("Questionnaire").select_option("phq9")
    page.get_by_label("Score should be").select_option("below")
    page.get_by_label("Target score").fill("10")
    page.get_by_label("Target date").fill((today + timedelta(days=90)).isoformat())
    page.get_by_role("button", name="Add the goal").click()
    page.get_by_role("link", name="Add an intervention").click()
    assert_accessible(page)
    page.locator("#id_technique").select_option("behavioural_activation")
    page.get_by_label("Rationale").fill("Withdrawal keeps the low mood going")
    page.get_by_label("Start date").fill(today.isoformat())
    page.get_by_label("Enjoy weekends again").check()
    page.get_by_role("button", name="Add the intervention").click()
    assert_accessible(page)
    page.get_by_role("button", name="Publish this version").click()
    assert page.get_by_text("Version 1 is now the current plan.").is_visible()
    assert_accessible(page)

    # A review adapts the intervention; the plan shows v1 → v2.
    page.get_by_role("link", name="Review Behavioural activation").click()
    assert_accessible(page)
    page.get_by_label("What happened").fill("Two walks, mornings were hard")
    page.get_by_label("How the client responded").fill("Liked the walks")
    page.get_by_label("Decision").select_option("adapt")
    page.locator("#id_reason").fill("Mornings are too hard")
    page.get_by_label("New version: technique", exact=True).select_option("behavioural_activation")
    page.get_by_label("New version: what changes and why").fill("Afternoon activities")
    page.get_by_role("button", name="Save the review").click()
    assert page.get_by_text("v2: Behavioural activation").is_visible()
    assert_accessible(page)
    assert Intervention.objects.filter(status="adapted").count() == 1

    # Homework linked to the goal.
    page.goto(f"{base}/clients/{dana.pk}/homework/")
    assert_accessible(page)
    page.locator("#id_title").fill("Walk after lunch twice")
    page.get_by_label("Linked to").select_option(label="Goal: Enjoy weekends again")
    page.get_by_label("Due date").fill((today + timedelta(days=7)).isoformat())
    page.get_by_role("button", name="Set the task").click()
    assert page.get_by_text("The task was set.").is_visible()
    assert_accessible(page)

    # The client, on a phone, reads and acknowledges the plan and reports the homework.
    login(phone_page, base, "dana@example.net", PASSWORD)
    phone_page.goto(f"{base}/portal/plan/")
    assert_accessible(phone_page)
    assert phone_page.get_by_text("Afternoon activities").is_visible()
    phone_page.get_by_role("button", name="I've read this plan").click()
    assert phone_page.get_by_text("Your therapist will see that you have read it.").is_visible()
    assert_accessible(phone_page)
    phone_page.get_by_role("link", name="Homework").first.click()
    assert_accessible(phone_page)
    phone_page.get_by_label("Partly done").check()
    phone_page.get_by_label("Anything you want to add (optional)").fill("Managed one walk")
    phone_page.get_by_role("button", name="Send how “Walk after lunch twice” went").click()
    assert phone_page.get_by_text("your therapist will see how it went").is_visible()
    assert_accessible(phone_page)
    task = Homework.objects.get()
    assert (task.status, task.client_note) == ("partly", "Managed one walk")

    # The therapist sees both.
    page.goto(f"{base}/episodes/{episode.pk}/plan/")
    assert page.get_by_text("Acknowledged by the client on").is_visible()
    assert TreatmentPlan.objects.get().client_acknowledged_at is not None
    page.goto(f"{base}/clients/{dana.pk}/homework/")
    assert page.get_by_text("Managed one walk").is_visible()
    page_problems.assert_none()
