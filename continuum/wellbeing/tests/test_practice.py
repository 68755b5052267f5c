"""The owner sees anonymous practice aggregates only, and only when five or more opted in."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import time_machine

from continuum.accounts.models import User
from continuum.testing.base import make_client, make_staff
from continuum.wellbeing.models import WellbeingSettings
from continuum.wellbeing.tests.world import LONDON, WellbeingTestCase, attended, rate

NOW = datetime(2026, 11, 19, 12, 0, tzinfo=LONDON)
LAST_MONDAY = datetime(2026, 11, 9, 10, 0, tzinfo=LONDON)
URL = "/practice/wellbeing/"
FLOOR_MESSAGE = "Not enough therapists have chosen to share (at least five are needed)."


@time_machine.travel(NOW, tick=False)
class PracticeAggregateTests(WellbeingTestCase):
    def share(self, user: User, weight: int, sessions: int = 2) -> None:
        WellbeingSettings.objects.create(therapist=user, share_anonymous_aggregates=True)
        client = make_client(user, f"Client of {user.full_name.split()[0]}", "Share")
        for i in range(sessions):
            rate(attended(client, LAST_MONDAY + timedelta(hours=i), minutes=60), weight, by=user)

    def test_it_is_for_owners_only(self) -> None:
        self.assertRedirects(
            self.client.get(URL), f"/accounts/login/?next={URL}", fetch_redirect_response=False
        )
        for therapist in (self.alice, self.bob):
            self.login(therapist)
            self.assertEqual(self.client.get(URL).status_code, 404)

    def test_four_sharing_is_not_enough(self) -> None:
        for i, weight in enumerate((5, 4, 3, 2)):
            user = (
                self.alice if i == 0 else make_staff(self.riverside, f"t{i}@example.org", f"T{i} X")
            )
            self.share(user, weight)
        self.login(self.olivia)
        response = self.client.get(URL)
        self.assertContains(response, FLOOR_MESSAGE)
        self.assertNotContains(response, "Average session weight")
        self.assertNotContains(response, "of 5")

    def test_five_sharing_shows_averages_and_nobodys_own(self) -> None:
        users = [self.alice, self.bob] + [
            make_staff(self.riverside, f"t{i}@example.org", f"T{i} X") for i in range(3)
        ]
        for user, weight in zip(users, (5, 4, 3, 2, 1), strict=True):
            self.share(user, weight)
        # Olivia did not opt in: her session is not counted; another practice's neither.
        olivias = make_client(self.olivia, "Oona", "Owen")
        rate(attended(olivias, LAST_MONDAY + timedelta(days=1)), 5)
        self.share(self.charlie, 5)
        self.login(self.olivia)

        response = self.client.get(URL)

        self.assertNotContains(response, FLOOR_MESSAGE)
        self.assertContains(response, "across 5 therapists")
        aggregate = response.context["aggregate"]
        # (5*2 + 4*2 + 3*2 + 2*2 + 1*2) / 10; heavy: Alice's and Bob's four of ten.
        self.assertAlmostEqual(aggregate.average_weight, 3.0)
        self.assertAlmostEqual(aggregate.heavy_share, 40.0)
        self.assertAlmostEqual(aggregate.average_hours, 10 / 4 / 5)
        self.assertContains(response, "3.0 of 5")
        self.assertContains(response, "40%")
        self.assertContains(response, "<dd>0.5</dd>", html=True)
        # The page without its CSRF tokens: a random token may contain "T0" by chance.
        page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.text)
        for name in ("Alice", "Bob", "T0 X", "Oona", "Client of"):
            self.assertNotIn(name, page)

    def test_a_therapist_who_stops_sharing_hides_the_aggregate_again(self) -> None:
        users = [self.alice, self.bob] + [
            make_staff(self.riverside, f"t{i}@example.org", f"T{i} X") for i in range(3)
        ]
        for user in users:
            self.share(user, 3)
        self.login(self.olivia)
        self.assertNotContains(self.client.get(URL), FLOOR_MESSAGE)
        WellbeingSettings.objects.filter(therapist=self.bob).update(
            share_anonymous_aggregates=False
        )
        self.assertContains(self.client.get(URL), FLOOR_MESSAGE)

    def test_query_count(self) -> None:
        users = [self.alice, self.bob] + [
            make_staff(self.riverside, f"t{i}@example.org", f"T{i} X") for i in range(3)
        ]
        for user in users:
            self.share(user, 3)
        self.login(self.olivia)
        # 1. session, 2. user, 3. membership, 4. practice, 5. who opted in,
        # 6. their sessions' hours, 7. their weights.
        with self.assertNumQueries(7):
            self.client.get(URL)
