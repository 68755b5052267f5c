"""The demo therapist's 12 weeks of weights carry a Thursday pattern the load page finds."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.test import TestCase

from continuum.accounts.models import Practice
from continuum.demo.wellbeing import seed_wellbeing
from continuum.testing.base import make_client, make_staff
from continuum.wellbeing.models import SessionWeight, WellbeingSettings
from continuum.wellbeing.queries import build_load_page
from continuum.wellbeing.tests.world import LONDON, attended

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=LONDON)  # a Friday


class DemoTests(TestCase):
    def setUp(self) -> None:
        self.practice = Practice.objects.create(name="Demo", time_zone="Europe/London")
        self.therapist = make_staff(self.practice, "therapist@example.org", "Sam Okafor")
        clients = [make_client(self.therapist, f"C{i}", "Demo") for i in range(4)]
        monday = datetime(2026, 8, 31, 9, 0, tzinfo=LONDON)
        for week in range(12):
            for day in range(5):
                for slot, client in enumerate(clients[:3]):
                    starts = monday + timedelta(weeks=week, days=day, hours=2 * slot)
                    if starts < NOW:
                        attended(client, starts)

    def test_the_load_page_finds_the_thursday_pattern(self) -> None:
        for seed in range(5):
            with self.subTest(seed=seed):
                SessionWeight.objects.all().delete()
                counts = seed_wellbeing(self.practice, NOW, random.Random(seed))
                self.assertGreater(counts["wellbeing.session_weights"], 100)
                sentences = build_load_page(self.therapist, NOW).sentences
                self.assertIn("Three heavy sessions in a row on Thursdays.", sentences)
                self.assertTrue(
                    any(s.startswith("Thursdays are your heaviest day") for s in sentences),
                    sentences,
                )
        self.assertTrue(WellbeingSettings.objects.get(therapist=self.therapist).digest_opt_in)

    def test_no_demo_therapist_no_rows(self) -> None:
        other = Practice.objects.create(name="Other")
        self.assertEqual(seed_wellbeing(other, NOW, random.Random(1)), {})
