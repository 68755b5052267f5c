from __future__ import annotations

from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from continuum.accounts.actors import actor_for
from continuum.care.models import Appointment, AppointmentStatus, Episode
from continuum.measures.services import assign_measure, enter_in_session
from continuum.testing.base import BaseTestCase, make_appointment, make_episode, make_note


class BriefTests(BaseTestCase):
    episode: Episode
    previous: Appointment
    upcoming: Appointment
    url: str

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        now = timezone.now()
        cls.episode = make_episode(cls.dana)
        cls.previous = make_appointment(
            cls.dana,
            now - timedelta(days=7),
            episode=cls.episode,
            status=AppointmentStatus.ATTENDED,
        )
        cls.upcoming = make_appointment(cls.dana, now + timedelta(hours=2), episode=cls.episode)
        cls.url = reverse("continuity:brief", kwargs={"appointment_id": cls.upcoming.pk})

    def test_it_requires_login(self) -> None:
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 302)

    def test_outsiders_get_404(self) -> None:
        for person in (self.bob, self.charlie, self.olivia):
            self.login(person)
            self.assertEqual(self.client.get(self.url).status_code, 404, person.email)

    def test_each_section_says_when_there_is_nothing_new(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.url)
        self.assertContains(response, "Brief for Dana Dawson")
        self.assertContains(response, "No note from the last session yet.")
        self.assertContains(response, "No new scores since the last session.")
        self.assertContains(response, "No open alerts.")
        self.assertContains(response, "No check-ins since the last session.")
        self.assertContains(response, "No homework set or reported since the last session.")
        self.assertContains(response, "No current treatment plan.")

    def test_it_shows_check_ins_since_the_last_session_only(self) -> None:
        from continuum.portal.models import CheckIn

        old = CheckIn.objects.create(client=self.dana, mood=2, note="before", idempotency_key="o")
        old.created_at = self.previous.starts_at - timedelta(days=1)
        old.save()
        CheckIn.objects.create(client=self.dana, mood=4, note="Slept badly", idempotency_key="1")
        CheckIn.objects.create(
            client=self.dana, mood=7, urgent=True, note="Big news to share", idempotency_key="2"
        )
        self.login(self.alice)

        response = self.client.get(self.url)

        self.assertContains(response, "2 check-ins since the last session; mood up 3 (from 4 to 7")
        self.assertContains(response, "Big news to share")
        self.assertContains(response, "Urgent")
        self.assertNotContains(response, "before")

    def test_it_shows_the_last_notes_plan_and_new_scores(self) -> None:
        note = make_note(self.previous, signed=True)
        note.next_session_plan = "Revisit the panic diary together"
        note.save()
        admin = assign_measure(
            self.episode,
            instrument="phq9",
            cadence="once",
            starts_on=timezone.localdate(),
            actor=actor_for(self.alice),
        ).administrations.get()
        enter_in_session(
            admin, {str(i): 2 for i in range(1, 10)} | {"9": 0}, actor=actor_for(self.alice)
        )
        self.login(self.alice)

        response = self.client.get(self.url)

        self.assertContains(response, "Revisit the panic diary together")
        self.assertContains(
            response, "<td>PHQ-9</td><td>16</td><td>moderately severe</td>", html=False
        )

    def test_it_shows_homework_goals_and_the_plan_review(self) -> None:
        from datetime import date

        from continuum.plans.tests.world import make_goal, make_homework, make_plan

        plan = make_plan(self.episode, review_date=date(2020, 1, 1))
        make_goal(plan)
        task = make_homework(self.dana, title="Walk after lunch")
        task.status = "partly"
        task.client_note = "Managed three days"
        task.reported_at = timezone.now()
        task.save()
        self.login(self.alice)

        response = self.client.get(self.url)

        self.assertContains(response, "Walk after lunch")
        self.assertContains(response, "Managed three days")
        self.assertContains(response, "due since 1 January")
        self.assertContains(response, plan.goals.get().statement)

    def test_reflections_to_bring_are_the_authors_only_and_can_be_marked_addressed(self) -> None:
        from continuum.reflections.models import Reflection

        mine = Reflection.objects.create(
            author=self.alice,
            client=self.dana,
            kind="question",
            text="Ask about her sister",
            bring_to_next_session=True,
        )
        Reflection.objects.create(
            author=self.alice,
            client=self.dana,
            kind="concern",
            text="Not for this session",
        )
        self.login(self.alice)

        response = self.client.get(self.url)

        self.assertContains(response, "Ask about her sister")
        self.assertNotContains(response, "Not for this session")
        self.client.post(
            reverse("reflections:reflection_address", kwargs={"reflection_id": mine.pk}),
            {"appointment": self.upcoming.pk, "next": self.url},
        )
        mine.refresh_from_db()
        self.assertEqual(mine.addressed_in, self.upcoming)
        self.assertContains(self.client.get(self.url), "Nothing marked to bring.")

    def test_it_is_audited_once(self) -> None:
        from continuum.audit.models import AuditEvent

        self.login(self.alice)
        self.client.get(self.url)
        self.assertEqual(AuditEvent.objects.filter(action="brief.view").count(), 1)

    @time_machine.travel(timezone.now(), tick=False)  # no session refresh between the two
    def test_query_count_is_constant_in_history_length(self) -> None:
        self.login(self.alice)
        counts = []
        for extra in (1, 40):
            for i in range(extra):
                make_appointment(
                    self.dana,
                    timezone.now() - timedelta(days=30 + i),
                    episode=self.episode,
                    status=AppointmentStatus.ATTENDED,
                )
            from django.db import connection
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as ctx:
                self.client.get(self.url)
            counts.append(len(ctx.captured_queries))
        self.assertEqual(counts[0], counts[1])


class BriefAlertOrderTests(BaseTestCase):
    def test_open_alerts_follow_the_clinical_priority_oldest_first_within_a_tier(self) -> None:
        from continuum.measures.models import Alert

        now = timezone.now()
        episode = make_episode(self.dana)
        upcoming = make_appointment(self.dana, now + timedelta(hours=2), episode=episode)

        def alert(kind: str, message: str, days_ago: int, severity_rank: int) -> None:
            Alert.objects.create(
                client=self.dana,
                kind=kind,
                severity="low",
                severity_rank=severity_rank,
                cause=message,
                message=message,
                created_at=now - timedelta(days=days_ago),
            )

        alert("overdue", "GAD-7 overdue", 30, 0)
        alert("not_on_track", "Newer not on track", 2, 0)
        alert("not_on_track", "Older not on track", 20, 1)
        alert("safety", "Answered 1 to the item about self-harm", 1, 2)
        self.login(self.alice)

        response = self.client.get(
            reverse("continuity:brief", kwargs={"appointment_id": upcoming.pk})
        )

        self.assertEqual(
            [a.message for a in response.context["brief"].alerts],
            [
                "Answered 1 to the item about self-harm",
                "Older not on track",
                "Newer not on track",
                "GAD-7 overdue",
            ],
        )
