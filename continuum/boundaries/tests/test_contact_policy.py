"""The therapist's own contact policy (/me/boundaries/), the phase of a client, and what the
portal's help page and urgent check-ins now take from the policy."""

from __future__ import annotations

import re
from datetime import time
from typing import Any

import time_machine

from continuum.accounts.actors import actor_for
from continuum.accounts.models import Practice
from continuum.audit.models import AuditEvent
from continuum.boundaries import services
from continuum.boundaries.models import ContactPolicy, Phase
from continuum.boundaries.tests.world import (
    WED_EVENING,
    BoundariesTestCase,
    policy_post,
    set_policy,
)
from continuum.lib.keys import new_idempotency_key
from continuum.portal.models import CheckinCadence, PortalSettings
from continuum.testing.base import make_client, make_episode, make_staff

URL = "/me/boundaries/"


def tag(html: str, element_id: str) -> str:
    """The opening tag of the element with this id."""
    match = re.search(rf'<[^<>]*\bid="{re.escape(element_id)}"[^<>]*>', html)
    assert match is not None, element_id
    return match.group(0)


class PolicyPageTests(BoundariesTestCase):
    def test_it_requires_login(self) -> None:
        response = self.client.get(URL)
        self.assertRedirects(
            response, f"/accounts/login/?next={URL}", fetch_redirect_response=False
        )

    def test_clients_and_non_clinical_staff_get_404(self) -> None:
        admin = make_staff(self.riverside, "admin@example.org", "Ada Admin", clinical=False)
        for user in (self.dana_user, admin):
            self.login(user)
            self.assertEqual(self.client.get(URL).status_code, 404)
            self.assertEqual(self.client.post(URL, policy_post()).status_code, 404)
        self.assertEqual(ContactPolicy.objects.count(), 0)

    def test_it_shows_the_defaults_for_both_phases_without_storing_them(self) -> None:
        self.login(self.alice)
        response = self.client.get(URL)
        self.assertContains(response, "<h1>My contact policy</h1>", html=True)
        self.assertContains(response, "Clients in therapy")
        self.assertContains(response, "Clients after therapy")
        html = response.content.decode()
        self.assertIn(" checked", tag(html, "id_in_therapy-portal_messages_enabled"))
        self.assertNotIn(" checked", tag(html, "id_after_therapy-portal_messages_enabled"))
        self.assertIn(" checked", tag(html, "id_in_therapy-working_days_4"))
        self.assertNotIn(" checked", tag(html, "id_in_therapy-working_days_5"))
        self.assertIn('value="09:00"', tag(html, "id_in_therapy-working_hours_start"))
        self.assertIn('value="48"', tag(html, "id_in_therapy-response_time_hours"))
        self.assertContains(response, "Europe/London")
        self.assertEqual(ContactPolicy.objects.count(), 0)

    def test_saving_stores_both_phases_with_one_audit_row(self) -> None:
        self.login(self.alice)
        data = policy_post(
            **{
                "in_therapy-working_days": ["0", "2", "4"],
                "in_therapy-working_hours_start": "08:30",
                "in_therapy-working_hours_end": "18:00",
                "in_therapy-response_time_hours": "24",
                "in_therapy-crisis_resources": "Riverside on-call: 0800 111 222\nA&E",
                "after_therapy-portal_messages_enabled": "on",
            }
        )
        response = self.client.post(URL, data, follow=True)
        self.assertRedirects(response, URL)
        self.assertContains(response, "Your contact policy was saved.")
        rows = {p.phase: p for p in ContactPolicy.objects.filter(therapist=self.alice)}
        during = rows[Phase.IN_THERAPY]
        self.assertEqual(during.days, frozenset({0, 2, 4}))
        self.assertEqual(
            (during.working_hours_start, during.working_hours_end), (time(8, 30), time(18))
        )
        self.assertEqual(during.response_time_hours, 24)
        self.assertEqual(during.crisis_resources, "Riverside on-call: 0800 111 222\nA&E")
        self.assertTrue(during.portal_messages_enabled)
        self.assertTrue(rows[Phase.AFTER_THERAPY].portal_messages_enabled)
        self.assertEqual(rows[Phase.AFTER_THERAPY].after_hours_reply, "I am away from my desk.")

        event = AuditEvent.objects.get(action="boundaries.update")
        self.assertEqual(event.actor, self.alice)
        self.assertEqual(event.practice_id, self.riverside.pk)
        self.assertEqual(
            event.detail["policy_ids"],
            {"in_therapy": during.pk, "after_therapy": rows[Phase.AFTER_THERAPY].pk},
        )
        self.assertIn("working_days", event.detail["changed"]["in_therapy"])
        self.assertNotIn("0800", str(event.detail))
        self.assertNotIn("away from my desk", str(event.detail))

        # Saved again unchanged: the same rows, nothing listed as changed.
        self.client.post(URL, data)
        self.assertEqual(ContactPolicy.objects.count(), 2)
        last = AuditEvent.objects.filter(action="boundaries.update").order_by("-pk").first()
        assert last is not None
        self.assertEqual(last.detail["changed"], {})

    def test_bad_input_is_shown_next_to_the_field_and_nothing_is_stored(self) -> None:
        self.login(self.alice)
        cases: list[tuple[dict[str, Any], str, str, str]] = [
            (
                {"in_therapy-working_hours_end": "08:00"},
                "in_therapy",
                "working_hours_end",
                "The working day must end after it starts.",
            ),
            (
                {"after_therapy-working_hours_end": "09:00"},
                "after_therapy",
                "working_hours_end",
                "The working day must end after it starts.",
            ),
            (
                {"in_therapy-working_days": None},
                "in_therapy",
                "working_days",
                "Choose at least one working day.",
            ),
            (
                {"in_therapy-working_days": ["7"]},
                "in_therapy",
                "working_days",
                "Choose days of the week.",
            ),
            (
                {"in_therapy-working_hours_start": "9am"},
                "in_therapy",
                "working_hours_start",
                "Enter a time like 09:00.",
            ),
            (
                {"in_therapy-response_time_hours": "0"},
                "in_therapy",
                "response_time_hours",
                "At least 1 hour.",
            ),
            (
                {"in_therapy-response_time_hours": "400"},
                "in_therapy",
                "response_time_hours",
                "At most 336 hours (two weeks).",
            ),
            (
                {"in_therapy-response_time_hours": "two days"},
                "in_therapy",
                "response_time_hours",
                "Enter a whole number of hours.",
            ),
            (
                {"in_therapy-after_hours_reply": "  "},
                "in_therapy",
                "after_hours_reply",
                "Write the reply clients see outside your working hours.",
            ),
            (
                {"in_therapy-after_hours_reply": "x" * 1001},
                "in_therapy",
                "after_hours_reply",
                "Please keep this to 1,000 characters or fewer (it has 1001).",
            ),
            (
                {"after_therapy-crisis_resources": "x" * 2001},
                "after_therapy",
                "crisis_resources",
                "Please keep this to 2,000 characters or fewer (it has 2001).",
            ),
        ]
        for overrides, phase, field, error in cases:
            response = self.client.post(URL, policy_post(**overrides))
            self.assertEqual(response.status_code, 200, overrides)
            form = next(s["form"] for s in response.context["sections"] if s["phase"] == phase)
            self.assertIn(error, form.errors[field], overrides)
            self.assertContains(response, f'id="id_{phase}-{field}_error"')
        self.assertEqual(ContactPolicy.objects.count(), 0)
        self.assertFalse(AuditEvent.objects.filter(action="boundaries.update").exists())

    def test_the_service_refuses_impossible_values(self) -> None:
        good = {
            "portal_messages_enabled": True,
            "working_days": [0],
            "working_hours_start": time(9),
            "working_hours_end": time(17),
            "response_time_hours": 48,
            "after_hours_reply": "Away.",
            "crisis_resources": "",
        }
        bads: list[dict[str, Any]] = [
            {"working_days": []},
            {"working_hours_end": time(8)},
            {"working_hours_start": "09:00"},
            {"response_time_hours": 0},
            {"response_time_hours": True},
            {"after_hours_reply": ""},
        ]
        for bad in bads:
            with self.assertRaises(services.BoundaryError, msg=bad):
                services.update_policies(
                    self.alice, {Phase.IN_THERAPY: {**good, **bad}}, actor=actor_for(self.alice)
                )
        with self.assertRaises(services.BoundaryError):
            services.update_policies(self.alice, {"sometime": good}, actor=actor_for(self.alice))
        self.assertEqual(ContactPolicy.objects.count(), 0)


class PhaseTests(BoundariesTestCase):
    def test_a_client_with_an_open_episode_is_in_therapy(self) -> None:
        phase = services.phase_of(self.dana)
        self.assertEqual((phase.phase, phase.episode_id), (Phase.IN_THERAPY, self.episode.pk))

    def test_a_client_without_episodes_is_in_therapy(self) -> None:
        phase = services.phase_of(self.finn)
        self.assertEqual((phase.phase, phase.episode_id), (Phase.IN_THERAPY, None))

    def test_ended_follow_up_and_closed_are_after_therapy(self) -> None:
        for status in ("ended", "follow_up", "closed"):
            client = make_client(self.alice, "Hana", status)
            episode = make_episode(client, status=status)
            with self.assertNumQueries(1):
                phase = services.phase_of(client)
            self.assertEqual((phase.phase, phase.episode_id), (Phase.AFTER_THERAPY, episode.pk))

    def test_a_reopened_client_is_in_therapy_again(self) -> None:
        client = make_client(self.alice, "Ivo", "Again")
        old = make_episode(client, status="closed")
        new = make_episode(client, status="referral", previous=old)
        self.assertEqual(services.phase_of(client).phase, Phase.IN_THERAPY)
        self.assertEqual(services.phase_of(client).episode_id, new.pk)

    def test_the_after_therapy_default_has_no_messages(self) -> None:
        policies = services.policies_for(self.alice)
        self.assertTrue(policies[Phase.IN_THERAPY].portal_messages_enabled)
        self.assertFalse(policies[Phase.AFTER_THERAPY].portal_messages_enabled)
        self.assertEqual(policies[Phase.IN_THERAPY].hours_text, "Monday to Friday, 9:00 to 17:00")
        self.assertEqual(policies[Phase.IN_THERAPY].response_text, "within 2 days (48 hours)")

    def test_crisis_resources_the_therapists_then_the_practices_then_the_defaults(self) -> None:
        self.dana.refresh_from_db()
        self.assertIn("116 123", " ".join(services.contact_for(self.dana).crisis))
        Practice.objects.filter(pk=self.riverside.pk).update(crisis_resources="Practice line 1")
        self.dana.refresh_from_db()
        self.assertEqual(services.contact_for(self.dana).crisis, ["Practice line 1"])
        set_policy(self.alice, crisis_resources="Alice's line\n\n  Night line  ")
        self.assertEqual(services.contact_for(self.dana).crisis, ["Alice's line", "Night line"])


class PortalPagesFollowThePolicyTests(BoundariesTestCase):
    def test_the_help_page_shows_the_therapists_policy(self) -> None:
        set_policy(
            self.alice,
            days={0, 1, 2},
            working_hours_start=time(8),
            working_hours_end=time(14),
            response_time_hours=72,
            crisis_resources="Alice's crisis line: 0800 555 000",
        )
        self.login(self.dana_user)
        response = self.client.get("/portal/help/")
        self.assertContains(response, "Monday to Wednesday, 8:00 to 14:00 (Europe/London time)")
        self.assertContains(response, "within 3 days (72 hours)")
        self.assertContains(response, "<li>Alice&#x27;s crisis line: 0800 555 000</li>", html=True)
        self.assertNotContains(response, "116 123")

    def test_the_help_page_says_when_messages_are_off(self) -> None:
        self.episode.status = "ended"
        self.episode.save()
        self.login(self.dana_user)
        response = self.client.get("/portal/help/")
        self.assertContains(response, "Portal messages are not part of your care at the moment.")
        self.assertContains(response, "contact Riverside Therapy")

    @time_machine.travel(WED_EVENING, tick=False)
    def test_an_urgent_check_in_is_read_by_the_close_of_the_therapists_next_working_day(
        self,
    ) -> None:
        # Alice works Thursdays only, 10:00 to 13:00.
        set_policy(self.alice, days={3}, working_hours_start=time(10), working_hours_end=time(13))
        PortalSettings.objects.create(client=self.dana, checkin_cadence=CheckinCadence.WEEKLY)
        self.login(self.dana_user)
        response = self.client.post(
            "/portal/check-in/",
            {"mood": "2", "urgent": "on", "idempotency_key": new_idempotency_key()},
            follow=True,
        )
        self.assertContains(
            response,
            '<time datetime="2026-07-09T13:00:00+01:00">Thursday 9 July, 13:00</time>',
        )
