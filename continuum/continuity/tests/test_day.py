from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.urls import reverse
from django.utils import timezone

from continuum.care.models import AppointmentStatus
from continuum.measures.models import Alert
from continuum.testing.base import BaseTestCase, make_appointment, make_client, make_episode

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 18, 9, 0, tzinfo=LONDON)  # a Wednesday morning


def make_alert(client, kind="safety", severity="high", rank=0, cause="c", message="m"):  # type: ignore[no-untyped-def]
    return Alert.objects.create(
        client=client,
        kind=kind,
        severity=severity,
        severity_rank=rank,
        cause=cause,
        message=message,
    )


@time_machine.travel(NOW, tick=False)
class DayTests(BaseTestCase):
    url = "/day/"

    def test_it_requires_login(self) -> None:
        response = self.client.get(self.url)
        self.assertRedirects(
            response, f"/accounts/login/?next={self.url}", fetch_redirect_response=False
        )

    def test_it_is_for_clinicians_only(self) -> None:
        from continuum.accounts.models import Role
        from continuum.testing.base import make_staff

        admin = make_staff(
            self.riverside, "admin@example.org", "Ada", role=Role.OWNER, clinical=False
        )
        self.login(admin)
        self.assertEqual(self.client.get(self.url).status_code, 404)

    def test_home_sends_a_therapist_to_their_day(self) -> None:
        self.login(self.alice)
        self.assertRedirects(self.client.get("/"), self.url)

    def test_it_lists_today_and_tomorrow_in_the_therapists_zone(self) -> None:
        make_episode(self.dana)
        make_appointment(self.dana, NOW.replace(hour=14))
        make_appointment(self.dana, NOW.replace(hour=10) + timedelta(days=1))
        make_appointment(self.dana, NOW + timedelta(days=2))  # not shown
        cancelled = make_appointment(self.dana, NOW.replace(hour=16))
        cancelled.status = AppointmentStatus.CANCELLED
        cancelled.save()
        make_appointment(self.finn, NOW.replace(hour=11))  # Bob's client
        self.login(self.alice)

        response = self.client.get(self.url)

        self.assertContains(response, "Wednesday 18 November")
        sessions = response.context["day"]
        self.assertEqual(
            [s.starts_at.astimezone(LONDON).hour for s in sessions.today_sessions], [14]
        )
        self.assertEqual(
            [s.starts_at.astimezone(LONDON).hour for s in sessions.tomorrow_sessions], [10]
        )
        self.assertContains(response, "14:00")
        self.assertNotContains(response, "Finn")

    def test_safety_alerts_come_first_and_drifting_clients_are_listed(self) -> None:
        drifting = make_client(self.alice, "Drew", "Drift")
        make_episode(drifting)
        make_appointment(drifting, NOW - timedelta(days=30), status=AppointmentStatus.ATTENDED)
        recent = make_client(self.alice, "Rory", "Recent")
        make_episode(recent)
        make_appointment(recent, NOW - timedelta(days=30), status=AppointmentStatus.ATTENDED)
        make_appointment(recent, NOW + timedelta(days=3))  # booked: not drifting
        make_episode(self.dana)
        make_alert(
            self.dana,
            kind="deterioration",
            severity="medium",
            rank=1,
            cause="d",
            message="PHQ-9 rose 7 points",
        )
        make_alert(self.dana, message="Answered 2 to the item about self-harm")
        make_alert(self.eli, message="Other practice")
        self.login(self.alice)

        response = self.client.get(self.url)

        entries = response.context["day"].on_my_mind
        self.assertEqual(
            [(e.client.first_name, e.rank) for e in entries],
            # Dana too has drifted: an active episode since January and nothing attended.
            [("Dana", 0), ("Dana", 1), ("Drew", 4), ("Dana", 4)],
        )
        self.assertContains(response, "Answered 2 to the item about self-harm")
        self.assertContains(response, "No session for 30 days, and nothing booked.")
        self.assertContains(
            response, reverse("care:appointment_create", kwargs={"client_id": drifting.pk})
        )
        self.assertNotContains(response, "Rory")
        new = make_client(self.alice, "Nia", "New")
        make_episode(new, start_date=NOW.date() - timedelta(days=3))
        self.assertNotContains(self.client.get(self.url), "Nia New")
        self.assertNotContains(response, "Other practice")

    def test_resolving_an_alert_removes_it(self) -> None:
        alert = make_alert(
            self.dana, kind="overdue", severity="low", rank=2, cause="o", message="PHQ-9 overdue"
        )
        self.login(self.alice)
        self.assertContains(self.client.get(self.url), "PHQ-9 overdue")
        alert.status = "resolved"
        alert.resolved_at = timezone.now()
        alert.save()
        self.assertNotContains(self.client.get(self.url), "PHQ-9 overdue")

    def test_nothing_to_do_says_so(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.url)
        self.assertContains(response, "No sessions today.")
        self.assertContains(response, "Nothing needs your attention right now.")

    def _fill(self, n: int) -> None:
        for i in range(n):
            client = make_client(self.alice, f"C{i}", "Load")
            make_episode(client)
            make_appointment(client, NOW.replace(hour=10) + timedelta(minutes=i))
            make_appointment(client, NOW - timedelta(days=40), status=AppointmentStatus.ATTENDED)
            make_alert(client, cause=f"x{i}")

    def test_query_count_is_constant_in_caseload_size(self) -> None:
        self.login(self.alice)
        for n in (2, 30):
            self._fill(n if n == 2 else n - 2)
            # 1. session, 2. user, 3. membership, 4. sessions today and tomorrow,
            # 5. active alerts, 6. drifting clients.
            with self.assertNumQueries(6):
                self.client.get(self.url)
