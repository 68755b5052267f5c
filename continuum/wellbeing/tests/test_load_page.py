"""/me/load/: the therapist's own numbers, trends and what stands out; private; constant queries."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from continuum.accounts.models import Role
from continuum.care.models import Client
from continuum.measures.models import Alert
from continuum.testing.base import make_client, make_staff
from continuum.wellbeing.models import WellbeingSettings
from continuum.wellbeing.tests.world import LONDON, WellbeingTestCase, attended, rate

NOW = datetime(2026, 11, 19, 17, 0, tzinfo=LONDON)  # Thursday afternoon
MONDAY = datetime(2026, 11, 16, 0, 0, tzinfo=LONDON)
URL = "/me/load/"


def make_alert(client: Client, kind: str = "safety", cause: str = "c", **extra: Any) -> Alert:
    return Alert.objects.create(
        client=client,
        kind=kind,
        severity="high" if kind == "safety" else "medium",
        severity_rank=0 if kind == "safety" else 1,
        cause=cause,
        message="m",
        **extra,
    )


@time_machine.travel(NOW, tick=False)
class LoadPageTests(WellbeingTestCase):
    def test_it_requires_login(self) -> None:
        response = self.client.get(URL)
        self.assertRedirects(
            response, f"/accounts/login/?next={URL}", fetch_redirect_response=False
        )

    def test_it_is_for_clinicians_only(self) -> None:
        admin = make_staff(
            self.riverside, "ada@example.org", "Ada", role=Role.OWNER, clinical=False
        )
        self.login(admin)
        self.assertEqual(self.client.get(URL).status_code, 404)

    def test_it_shows_this_week_in_numbers(self) -> None:
        heavy = attended(self.dana, MONDAY + timedelta(hours=10), minutes=60)
        rate(heavy, 5)
        rate(attended(self.dana, MONDAY + timedelta(days=1, hours=10)), 2)
        attended(self.dana, MONDAY + timedelta(days=2, hours=10))  # not rated
        self.login(self.alice)

        response = self.client.get(URL)

        week = response.context["page"].this_week
        self.assertEqual((week.sessions, week.minutes, week.rated, week.heavy), (3, 160, 2, 1))
        self.assertContains(response, "<dt>Sessions</dt><dd>3</dd>", html=True)
        self.assertContains(response, "2.7 of your limit of 25")
        self.assertContains(response, "3.5 of 5 (2 rated)")
        self.assertContains(response, "Weight 5 of 5")
        self.assertContains(response, "only for you", count=0)
        # The unrated session offers the one-tap form, back to this page.
        self.assertContains(response, 'name="next" value="/me/load/"')
        self.assertContains(response, "Dana Dawson")

    def test_it_shows_only_my_own_sessions(self) -> None:
        rate(attended(self.finn, MONDAY + timedelta(hours=9)), 5)  # Bob's session
        self.login(self.alice)
        response = self.client.get(URL)
        self.assertEqual(response.context["page"].this_week.sessions, 0)
        self.assertNotContains(response, "Finn")
        self.assertContains(response, "No attended sessions this week yet.")

    def test_clients_who_need_thought_and_alerts_handled(self) -> None:
        ned = make_client(self.alice, "Ned", "Norris")
        tess = make_client(self.alice, "Tess", "Turner")
        make_alert(self.dana, "safety", "s1")
        make_alert(self.dana, "safety", "s2")  # Dana once
        make_alert(ned, "not_on_track", "n")
        make_alert(tess, "deterioration", "d")
        make_alert(self.finn, "safety", "f")  # Bob's client: not here
        make_alert(
            tess,
            "overdue",
            "o",
            status="acknowledged",
            acknowledged_by=self.alice,
            acknowledged_at=NOW - timedelta(days=1),
        )
        make_alert(
            ned,
            "overdue",
            "o2",
            status="resolved",
            resolved_by=self.alice,
            resolved_at=NOW - timedelta(days=8),
        )
        self.login(self.alice)

        response = self.client.get(URL)

        clients = response.context["page"].clients
        self.assertEqual(clients.safety, [self.dana])
        self.assertEqual(clients.not_on_track, [ned])
        self.assertEqual(clients.deteriorating, [tess])
        self.assertNotContains(response, "Finn")
        weeks = response.context["page"].weeks
        self.assertEqual([w.week.alerts_handled for w in weeks[-2:]], [1, 1])

    def test_hours_over_the_limit_and_sentences(self) -> None:
        WellbeingSettings.objects.create(therapist=self.alice, weekly_hours_limit=2)
        for day in range(3):
            rate(attended(self.dana, MONDAY + timedelta(days=day, hours=9), minutes=60), 4)
        self.login(self.alice)
        response = self.client.get(URL)
        self.assertContains(response, "You worked 3 hours this week, above your limit of 2.")
        self.assertContains(response, "Three heavy sessions this week.")
        self.assertContains(response, "over your limit")

    def test_steady_weeks_say_nothing_stands_out(self) -> None:
        self.login(self.alice)
        self.assertContains(self.client.get(URL), "Nothing stands out")

    def test_charts_are_data_uri_images_without_inline_script_or_style(self) -> None:
        self.fill_weeks(self.dana, MONDAY, 3)
        self.login(self.alice)
        response = self.client.get(URL)
        body = response.content.decode()
        self.assertEqual(body.count('<img src="data:image/svg+xml;base64,'), 3)
        self.assertNotIn("<script>", body)
        self.assertNotIn(" style=", body)
        self.assertContains(response, "Bar chart of hours worked per week")
        self.assertEqual(len(response.context["page"].weeks), 12)

    def test_query_count_is_the_same_for_one_and_twelve_weeks_of_data(self) -> None:
        ned = make_client(self.alice, "Ned", "Norris")
        make_alert(ned, "safety", "x")
        self.login(self.alice)
        counts = []
        for weeks in (1, 12):
            # This week and the weeks before it: 1 week of data, then 12 more.
            self.fill_weeks(self.dana, MONDAY + timedelta(weeks=1), weeks)
            for i in range(weeks):
                make_alert(
                    make_client(self.alice, f"C{weeks}-{i}", "Load"),
                    "not_on_track",
                    f"n{weeks}-{i}",
                    status="acknowledged",
                    acknowledged_by=self.alice,
                    acknowledged_at=NOW - timedelta(days=i),
                )
            # 1. session, 2. user, 3. membership, 4. wellbeing settings, 5. attended sessions
            # with my weights (and their clients), 6. alerts I handled, 7. open alerts of my
            # clients (with the clients).
            with self.assertNumQueries(7):
                response = self.client.get(URL)
            counts.append(response.context["page"].totals.sessions)
        self.assertEqual(counts, [5, 5 + 60])

    def test_it_never_writes_a_settings_row_on_a_read(self) -> None:
        self.login(self.alice)
        with CaptureQueriesContext(connection) as queries:
            self.client.get(URL)
        self.assertFalse(any(q["sql"].startswith("INSERT") for q in queries.captured_queries))
        self.assertFalse(WellbeingSettings.objects.exists())
