"""The demo's follow-up clients (demo/followup.py)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from continuum.demo.followup import seed_followup
from continuum.followup.models import BoosterRequest, FollowUpCheckIn, FollowUpConsent
from continuum.measures.models import Alert
from continuum.measures.tests.world import make_score
from continuum.testing.base import BaseTestCase, make_client, make_episode, make_staff

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


class DemoTests(BaseTestCase):
    def test_two_ended_clients_go_into_follow_up_one_deteriorated_with_a_booster(self) -> None:
        therapist = make_staff(self.riverside, "therapist@example.org", "Demo Therapist")
        for n, end in enumerate((date(2026, 7, 31), date(2026, 6, 30), date(2026, 5, 1))):
            client = make_client(therapist, f"Client{n}", "Demo")
            episode = make_episode(
                client, status="ended", start_date=end - timedelta(days=120), end_date=end
            )
            make_score(episode, "phq9", 6, datetime(end.year, end.month, end.day, tzinfo=UTC))

        counts = seed_followup(self.riverside, NOW, random.Random(1))

        self.assertEqual(counts["followup.consents"], 2)
        self.assertEqual(FollowUpConsent.objects.filter(status="active").count(), 2)
        well, worse = FollowUpConsent.objects.order_by("-episode__end_date")
        self.assertEqual(well.episode.status, "follow_up")
        self.assertEqual(
            list(well.checkins.values_list("status", flat=True)),
            ["answered", "answered", "scheduled", "scheduled"],
        )
        flagged = FollowUpCheckIn.objects.get(consent=worse, status="answered")
        self.assertIn("deterioration:phq9", flagged.flags)
        self.assertEqual(flagged.administrations.get(instrument="phq9").total, 14)
        self.assertEqual(BoosterRequest.objects.get().checkin, flagged)
        self.assertTrue(Alert.objects.filter(cause=f"followup:{flagged.pk}:phq9").exists())

    def test_no_demo_therapist_no_rows(self) -> None:
        self.assertEqual(seed_followup(self.hilltop, NOW, random.Random(1)), {})
