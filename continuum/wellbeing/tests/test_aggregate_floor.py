"""Finding 5 of issue 18: the aggregate floor counts contributors, not sign-ups.

Five therapists share their numbers, but only one held (and rated) sessions in the window:
the practice "average" would be that one person's figures. Each figure is shown only when at
least the floor's number of therapists have data in it.
"""

from __future__ import annotations

from datetime import timedelta

from django.test import override_settings
from django.utils import timezone

from continuum.accounts.models import Role
from continuum.care.models import AppointmentStatus
from continuum.testing.base import BaseTestCase, make_appointment, make_client, make_staff
from continuum.wellbeing.models import SessionWeight, WellbeingSettings
from continuum.wellbeing.queries import practice_aggregate


@override_settings(WELLBEING_AGGREGATE_FLOOR=3)
class ContributorFloorTests(BaseTestCase):
    def setUp(self) -> None:
        others = [
            make_staff(self.riverside, f"t{i}@example.org", f"T {i}", role=Role.THERAPIST)
            for i in range(2)
        ]
        for person in (self.alice, self.bob, *others):
            WellbeingSettings.objects.create(therapist=person, share_anonymous_aggregates=True)
        self.when = timezone.now() - timedelta(days=10)

    def _session(self, therapist, weight: int) -> None:  # type: ignore[no-untyped-def]
        client = make_client(therapist, "C")
        appt = make_appointment(client, self.when, status=AppointmentStatus.ATTENDED)
        SessionWeight.objects.create(therapist=therapist, appointment=appt, weight=weight)

    def test_one_persons_figures_are_not_shown_as_an_average(self) -> None:
        self._session(self.alice, 5)
        aggregate = practice_aggregate(self.riverside)
        self.assertEqual(aggregate.opted_in, 4)
        self.assertIsNone(aggregate.average_weight)
        self.assertIsNone(aggregate.heavy_share)
        self.assertIsNone(aggregate.average_hours)

    def test_enough_contributors_show_the_figures(self) -> None:
        for person, weight in ((self.alice, 5), (self.bob, 3), (self.olivia, 4)):
            WellbeingSettings.objects.get_or_create(
                therapist=person, defaults={"share_anonymous_aggregates": True}
            )
            self._session(person, weight)
        aggregate = practice_aggregate(self.riverside)
        self.assertAlmostEqual(aggregate.average_weight or 0, 4.0)
        self.assertIsNotNone(aggregate.average_hours)
