"""The client's measures page and the episode's measures page."""

from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone

from continuum.audit.models import AuditEvent
from continuum.care.models import AppointmentStatus
from continuum.measures.models import Administration, AdministrationStatus, Alert
from continuum.measures.queries import measures_summary_for_client
from continuum.measures.tests.world import MeasuresTestCase, make_score
from continuum.testing.base import make_appointment

START = datetime(2026, 1, 12, 10, 0, tzinfo=ZoneInfo("Europe/London"))


def chart_svgs(body: str) -> list[str]:
    return [
        base64.b64decode(m).decode()
        for m in re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', body)
    ]


class ClientMeasuresPageTests(MeasuresTestCase):
    def url(self) -> str:
        return reverse("measures:client_measures", args=[self.dana.pk])

    def history(self, n: int) -> None:
        """n weekly PHQ-9 and GAD-7 scores with attended appointments, a superseded score,
        a pending questionnaire and an alert."""
        for week in range(n):
            when = START + timedelta(weeks=week)
            make_appointment(
                self.dana, when, episode=self.episode, status=AppointmentStatus.ATTENDED
            )
            make_score(
                self.episode,
                "phq9",
                max(20 - week, 0),
                when,
                session=week + 1,
                band="moderate",
                entered_by=self.alice if week % 2 else None,
            )
            make_score(self.episode, "gad7", max(15 - week, 0), when, session=week + 1)
        make_score(
            self.episode,
            "phq9",
            25,
            START - timedelta(days=1),
            status=AdministrationStatus.SUPERSEDED,
        )
        self.pending("who5")
        Alert.objects.create(
            client=self.dana,
            episode=self.episode,
            kind="overdue",
            severity="low",
            severity_rank=2,
            cause=f"h{n}",
            message="Overdue",
        )

    def test_it_requires_login(self) -> None:
        response = self.client.get(self.url())
        self.assertRedirects(response, f"{reverse('account_login')}?next={self.url()}")

    def test_it_rejects_other_therapists(self) -> None:
        self.history(2)
        for outsider in (self.bob, self.olivia, self.charlie):
            self.login(outsider)
            self.assertEqual(self.client.get(self.url()).status_code, 404)
        self.assertFalse(AuditEvent.objects.filter(action="measures.client_view").exists())

    def test_it_shows_charts_and_tables_of_the_same_scores(self) -> None:
        self.history(3)
        self.login(self.alice)
        response = self.client.get(self.url())
        body = response.content.decode()
        self.assertIn("Dana Dawson: measures", body)
        self.assertIn("<caption>PHQ-9 scores: latest 18", body)
        self.assertIn("<caption>GAD-7 scores: latest 13", body)
        self.assertIn("Baseline", body)
        self.assertIn("down 2: no reliable change", body)
        self.assertIn("Corrected later", body)  # the superseded score stays visible
        # Folded, and open by itself once something is overdue (read first).
        self.assertIn(
            '<details class="history">\n    <summary>Still to be answered (1; next: WHO-5 due',
            body,
        )
        self.assertIn("Overdue", body)
        self.assertIn("Assign a measure", body)
        svgs = chart_svgs(body)
        self.assertEqual(len(svgs), 2)
        values = re.findall(r'data-value="([0-9.]+)"', svgs[0])
        self.assertEqual(values, ["20", "19", "18"])  # the superseded 25 is not charted
        self.assertEqual(svgs[0].count('class="appointment"'), 3)
        self.assertNotIn("<script", body.split("</head>")[1])
        self.assertNotIn('style="', body)
        event = AuditEvent.objects.get(action="measures.client_view")
        self.assertEqual((event.actor, event.object_id), (self.alice, str(self.dana.pk)))
        past = timezone.now() - timedelta(days=2)
        Administration.objects.filter(instrument="who5").update(
            due_at=past, window_ends_at=past + timedelta(days=1)
        )
        again = self.client.get(self.url()).content.decode()
        self.assertIn(
            '<details class="history" open>\n    <summary>Still to be answered (1, 1 overdue;',
            again,
        )

    def test_a_client_without_measures_gets_a_calm_empty_page(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.url())
        self.assertContains(response, "No completed measures yet.")

    def _count(self, n: int) -> None:
        self.history(n)
        self.login(self.alice)
        # 1. session  2. user  3. membership (clinician_required)
        # 4. the client (get_client_for)
        # 5. administrations (seven columns)  6. the rows shown  7. attended appointments
        # 8. active assignments  9. open alerts (measures_summary_for_client; charts come
        # from the cache)  10. the open episode (assign button)  11. the audit row
        with self.assertNumQueries(11):
            response = self.client.get(self.url())
        self.assertEqual(response.status_code, 200)

    def test_the_query_count_is_constant_in_history_length(self) -> None:
        self._count(1)

    def test_the_query_count_is_constant_for_a_long_history(self) -> None:
        self._count(40)

    def test_the_summary_itself_runs_five_queries(self) -> None:
        self.history(25)
        with self.assertNumQueries(5):
            summary = measures_summary_for_client(self.dana, recent=None)
        self.assertEqual([m.code for m in summary.measures], ["phq9", "gad7"])
        self.assertEqual(len(summary.measures[0].rows), 26)
        self.assertEqual(summary.measures[0].earlier, 0)

    def test_goal_ratings_take_their_items_from_the_latest_ratings_labels(self) -> None:
        self.history(3)
        make_score(self.episode, "goal_rating", 4, START, goal_labels=["Sleep through"])
        make_score(
            self.episode,
            "goal_rating",
            6,
            START + timedelta(weeks=1),
            goal_labels=["Sleep through", "Walk daily"],
        )
        # The same five: the goal labels come with the rows shown.
        with self.assertNumQueries(5):
            summary = measures_summary_for_client(self.dana)
        goals = next(m for m in summary.measures if m.code == "goal_rating")
        self.assertEqual(
            [item.wording for item in goals.instrument.items], ["Sleep through", "Walk daily"]
        )
        self.assertEqual([r.total for r in goals.rows], ["4", "6"])

    def test_the_client_page_tables_keep_the_latest_scores_and_link_to_all(self) -> None:
        self.history(25)
        summary = measures_summary_for_client(self.dana)
        phq9 = summary.measures[0]
        # The latest six of 26 (25 weekly scores and the superseded one), oldest first; the
        # chart still plots all 25 current scores; the baseline is the first of the episode.
        self.assertEqual([r.total for r in phq9.rows], ["1", "0", "0", "0", "0", "0"])
        self.assertEqual(phq9.earlier, 20)
        assert phq9.baseline is not None
        assert phq9.latest is not None
        self.assertEqual((phq9.baseline.total, phq9.latest.total), ("20", "0"))
        self.login(self.alice)
        page = self.client.get(reverse("care:client_detail", args=[self.dana.pk]))
        self.assertContains(page, "The latest 6 of 26 scores; baseline 20 on")
        self.assertContains(
            page,
            f'href="{self.url()}#measure-phq9">All 26'
            '<span class="visually-hidden"> PHQ-9</span> scores</a>',
            html=False,
        )
        everything = self.client.get(self.url()).content.decode()
        self.assertNotIn("The latest 6 of", everything)
        # Every row: PHQ-9 26, GAD-7 25, and the pending WHO-5.
        self.assertEqual(everything.count("/measures/administrations/"), 26 + 25 + 1)

    def test_each_measure_leads_with_its_latest_score_and_change_in_words(self) -> None:
        """Summaries first (issue 14): the latest score, its band, the change since the
        baseline in words and the chart; the table one click away in a <details>."""
        self.history(3)
        for when, score in ((START, 9.0), (START + timedelta(weeks=1), 9.5)):
            make_score(self.episode, "session_feedback", score, when)
        self.login(self.alice)
        for url in (self.url(), reverse("care:client_detail", args=[self.dana.pk])):
            with self.subTest(url=url):
                body = self.client.get(url).content.decode()
                phq9 = body[body.index('id="measure-phq9"') : body.index('id="measure-gad7"')]
                summary, history = phq9.split('<details class="history">')
                self.assertIn('<strong class="score">18</strong>', summary)
                self.assertIn('<span class="band">Moderate</span>', summary)
                self.assertIn(
                    "Down 2 since the baseline of 20 on 12 Jan 2026: no reliable change.",
                    summary,
                )
                self.assertIn("<img", summary)
                self.assertIn("<summary>All 4 scores</summary>", history)
                self.assertIn("<caption>PHQ-9 scores: latest 18", history)
                # A measure without a reliable-change rule says so once, not on every row.
                feedback = body[body.index('id="measure-session_feedback"') :]
                feedback = feedback.split("</article>")[0]
                self.assertIn("Up 0.5 since the baseline of 9 on 12 Jan 2026.", feedback)
                self.assertEqual(feedback.count("reliable-change rule"), 1)
                self.assertIn('<td class="note">up 0.5</td>', feedback)
                self.assertIn("No reliable-change rule for this measure.", feedback)


class EpisodeMeasuresPageTests(MeasuresTestCase):
    def url(self) -> str:
        return reverse("measures:episode_measures", args=[self.episode.pk])

    def test_it_requires_login(self) -> None:
        response = self.client.get(self.url())
        self.assertRedirects(response, f"{reverse('account_login')}?next={self.url()}")

    def test_it_rejects_other_therapists(self) -> None:
        for outsider in (self.bob, self.olivia, self.charlie):
            self.login(outsider)
            self.assertEqual(self.client.get(self.url()).status_code, 404)

    def test_it_shows_the_outcome_assignments_and_questionnaires(self) -> None:
        for n, (phq, gad) in enumerate([(18, 12), (12, 9), (8, 6)]):
            when = START + timedelta(weeks=n)
            make_appointment(
                self.dana, when, episode=self.episode, status=AppointmentStatus.ATTENDED
            )
            make_score(self.episode, "phq9", phq, when, band="")
            make_score(self.episode, "gad7", gad, when)
        self.pending("core10")
        self.login(self.alice)
        response = self.client.get(self.url())
        body = response.content.decode()
        self.assertIn("Reliably recovered: recovered and reliably improved", body)
        self.assertIn(
            "PHQ-9: 18 at the start, 8 at the latest, down 10 points: a reliable improvement.", body
        )
        self.assertIn("Once", body)  # the CORE-10 assignment
        self.assertIn("Pending", body)
        event = AuditEvent.objects.get(action="measures.episode_view")
        self.assertEqual(event.object_id, str(self.episode.pk))
