"""The day view's kind prompt when load stays high: thresholds, snoozing, and the clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import time_machine
from django.utils import timezone

from continuum.accounts.actors import actor_for
from continuum.audit.models import AuditEvent
from continuum.continuity.attention import rebuild
from continuum.measures.models import Alert
from continuum.testing.base import make_client, presented
from continuum.wellbeing import load
from continuum.wellbeing.models import WellbeingSettings
from continuum.wellbeing.prompts import prompt_day_items
from continuum.wellbeing.queries import (
    PROMPT_SECONDS,
    local_midnight,
    prompt_weeks,
    session_loads,
    zone_of,
)
from continuum.wellbeing.services import rate_session, snooze_prompts, update_settings
from continuum.wellbeing.tests.world import LONDON, WellbeingTestCase, attended, rate

NOW = datetime(2026, 11, 19, 9, 0, tzinfo=LONDON)  # Thursday morning
MONDAY = datetime(2026, 11, 16, 10, 0, tzinfo=LONDON)
DAY = "/day/"
PROMPT = "Your sessions have felt heavy for"
PROMPT_WORDS = (
    "Your sessions have felt heavy for three weeks running (an average of 5.0 out of 5). That "
    "is a lot to carry. You might consider talking it through with a peer or in supervision."
)


class PromptTests(WellbeingTestCase):
    def heavy_mondays(self, weeks: range) -> None:
        """One very heavy session each Monday of these weeks (0 is this week)."""
        for w in weeks:
            rate(attended(self.dana, MONDAY + timedelta(weeks=w)), 5)

    def test_no_prompt_when_load_is_ordinary(self) -> None:
        rate(attended(self.dana, MONDAY - timedelta(weeks=1)), 2)
        rate(attended(self.dana, MONDAY), 3)
        self.login(self.alice)
        with time_machine.travel(NOW, tick=False):
            response = self.client.get(DAY)
        self.assertNotContains(response, "For you")
        self.assertNotContains(response, "Snooze for a week")

    def test_the_prompt_appears_after_a_safety_alert_and_snooze_hides_it_for_a_week(self) -> None:
        self.heavy_mondays(range(-2, 2))
        raised = NOW - timedelta(hours=1)
        Alert.objects.create(
            client=self.dana,
            kind="safety",
            severity="high",
            severity_rank=0,
            cause="s",
            message="m",
            created_at=raised,
        )
        Alert.objects.create(
            # Another of Alice's clients: the day shows one entry per client's alerts.
            client=make_client(self.alice, "Gus", "Second"),
            kind="not_on_track",
            severity="medium",
            severity_rank=1,
            cause="n",
            message="Not on track",
            created_at=raised,
        )
        rebuild()  # written straight to the table, not through an action: as the job would
        self.login(self.alice)

        with time_machine.travel(NOW, tick=False):
            response = self.client.get(DAY)
            day = response.context["day"]
            # The clients, by clinical priority; the prompt is never one of them: it has its
            # own section, "For you", below the clinical list.
            self.assertEqual(
                [(e.client_name, e.rank) for e in day.on_my_mind][:2],
                [
                    ("Dana Dawson", 1),
                    ("Gus Second", 4),
                ],
            )
            self.assertEqual(
                [line.reason[: len(PROMPT_WORDS)] for line in day.for_you], [PROMPT_WORDS]
            )
            page = response.content.decode()
            self.assertLess(page.index("Gus Second"), page.index('<h2 id="for-you-heading">'))
            self.assertContains(response, "For you", count=1)
            self.assertContains(response, PROMPT_WORDS)
            self.assertContains(response, '<a href="/me/load/">See my load</a>', html=True)
            self.assertContains(response, 'action="/me/load/snooze/"')

            response = self.client.post("/me/load/snooze/", {"next": DAY})
            self.assertRedirects(response, DAY, fetch_redirect_response=False)
            settings = WellbeingSettings.objects.get(therapist=self.alice)
            self.assertEqual(settings.snooze_until, timezone.now() + timedelta(days=7))
            self.assertNotContains(self.client.get(DAY), PROMPT)
            event = AuditEvent.objects.get(action="wellbeing.prompt.snooze")
            self.assertEqual((event.actor, event.detail), (self.alice, {}))

        with time_machine.travel(NOW + timedelta(days=6, hours=23), tick=False):
            self.login(self.alice)  # the idle session ended long ago
            self.assertNotContains(self.client.get(DAY), PROMPT)
            # The load page still tells the truth, and says the prompt is snoozed.
            load_page = self.client.get("/me/load/")
            self.assertContains(load_page, PROMPT)
            self.assertContains(load_page, "snoozed until Thursday 26 November")

        with time_machine.travel(NOW + timedelta(days=7, minutes=1), tick=False):
            self.login(self.alice)
            self.assertContains(self.client.get(DAY), PROMPT)

    def test_the_prompt_goes_when_load_eases(self) -> None:
        self.heavy_mondays(range(-3, -1))  # two heavy weeks, then an ordinary one
        rate(attended(self.dana, MONDAY - timedelta(weeks=1)), 2)
        self.login(self.alice)
        with time_machine.travel(NOW - timedelta(weeks=1), tick=False):
            self.assertContains(self.client.get(DAY), PROMPT)
        with time_machine.travel(NOW, tick=False):
            self.login(self.alice)
            self.assertNotContains(self.client.get(DAY), PROMPT)

    def test_hours_over_the_limit_two_weeks_running(self) -> None:
        WellbeingSettings.objects.create(therapist=self.alice, weekly_hours_limit=1)
        for w in (-2, -1):
            attended(self.dana, MONDAY + timedelta(weeks=w), minutes=90)
        self.login(self.alice)
        with time_machine.travel(NOW, tick=False):
            response = self.client.get(DAY)
        self.assertContains(
            response, "You have worked more than your limit of 1 hours for two weeks running."
        )
        self.assertContains(response, "a proper break")

    def test_heavy_sessions_this_week_use_the_therapists_threshold(self) -> None:
        for hour in (0, 2, 4):
            rate(attended(self.dana, MONDAY + timedelta(hours=hour)), 4)
        self.login(self.alice)
        with time_machine.travel(NOW, tick=False):
            self.assertContains(self.client.get(DAY), "Three heavy sessions so far this week.")
            # Changed on the load page: the kept prompt goes with the change.
            update_settings(
                self.alice,
                {"heavy_sessions_per_week": 4, "weight_threshold": Decimal("4.5")},
                actor=actor_for(self.alice),
            )
            self.assertNotContains(self.client.get(DAY), "heavy sessions so far")

    def test_turning_prompts_off(self) -> None:
        self.heavy_mondays(range(-2, 1))
        WellbeingSettings.objects.create(therapist=self.alice, prompts_enabled=False)
        self.login(self.alice)
        with time_machine.travel(NOW, tick=False):
            self.assertNotContains(self.client.get(DAY), PROMPT)

    def test_a_colleagues_load_prompts_nobody_else(self) -> None:
        self.heavy_mondays(range(-2, 1))
        with time_machine.travel(NOW, tick=False):
            for other in (self.bob, self.olivia, self.charlie):
                self.login(other)
                self.assertNotContains(self.client.get(DAY), PROMPT)

    def test_the_prompt_is_kept_for_five_minutes_and_read_in_one_query(self) -> None:
        self.heavy_mondays(range(-2, 0))
        with time_machine.travel(NOW, tick=False):
            first = presented(prompt_day_items(self.alice, NOW))[0].reason
            self.assertIn("heavy for two weeks running", first)
            # A heavy session attended this week: the kept prompt stands for now...
            rate(attended(self.dana, MONDAY), 5)
            with self.assertNumQueries(1):  # the kept prompt, from the cache
                kept = presented(prompt_day_items(self.alice, NOW))[0].reason
            self.assertEqual(kept, first)
        later = NOW + timedelta(seconds=PROMPT_SECONDS + 1)
        with time_machine.travel(later, tick=False):
            # ...and the prompt says three weeks once it has been asked again.
            again = presented(prompt_day_items(self.alice, later))[0].reason
        self.assertIn("heavy for three weeks running", again)

    def test_snoozing_forgets_the_kept_prompt_and_a_snoozed_prompt_costs_one_query(self) -> None:
        self.heavy_mondays(range(-2, 1))
        with time_machine.travel(NOW, tick=False):
            self.assertEqual(len(prompt_day_items(self.alice, NOW)), 1)
            snooze_prompts(self.alice, now=NOW, actor=actor_for(self.alice))
            self.assertEqual(prompt_day_items(self.alice, NOW), [])
            with self.assertNumQueries(1):
                self.assertEqual(prompt_day_items(self.alice, NOW), [])

    def test_rating_a_past_session_reaches_the_prompt_at_once(self) -> None:
        self.heavy_mondays(range(-2, 0))
        earlier = attended(self.dana, MONDAY - timedelta(weeks=3))
        with time_machine.travel(NOW, tick=False):
            first = presented(prompt_day_items(self.alice, NOW))[0].reason
            self.assertIn("heavy for two weeks running", first)
            # The past weeks are cached now; rating a session three weeks ago forgets them.
            with self.captureOnCommitCallbacks(execute=True):
                rate_session(earlier, weight=5, actor=actor_for(self.alice))
            again = presented(prompt_day_items(self.alice, NOW))[0].reason
        self.assertIn("heavy for three weeks running", again)

    def test_the_cached_weeks_are_the_same_weeks_the_database_gives(self) -> None:
        self.heavy_mondays(range(-4, 1))
        rate(attended(self.dana, MONDAY - timedelta(weeks=6), minutes=90), 2)
        zone = zone_of(self.alice)
        starts = load.week_starts(NOW.date(), 12)
        fresh = load.weekly(
            session_loads(
                self.alice,
                local_midnight(starts[0], zone),
                local_midnight(starts[-1] + timedelta(days=7), zone),
                zone,
            ),
            starts,
        )
        self.assertEqual(prompt_weeks(self.alice, starts, zone), fresh)  # read and kept
        self.assertEqual(prompt_weeks(self.alice, starts, zone), fresh)  # from the cache
        self.assertEqual(sum(w.sessions for w in fresh), 6)

    def test_snooze_is_a_post(self) -> None:
        self.assertRedirects(
            self.client.post("/me/load/snooze/"),
            "/accounts/login/?next=/me/load/snooze/",
            fetch_redirect_response=False,
        )
        self.login(self.alice)
        self.assertEqual(self.client.get("/me/load/snooze/").status_code, 405)
        self.assertFalse(WellbeingSettings.objects.exists())
