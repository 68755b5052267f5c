"""Episode outcomes as data and in words; recomputing expected curves from finished episodes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

from django.core.management import call_command
from django.core.management.base import CommandError

from continuum.audit.models import AuditEvent
from continuum.care.models import AppointmentStatus
from continuum.measures.alerts import curves_for
from continuum.measures.models import AdministrationStatus, ExpectedCurves
from continuum.measures.presenters import outcome_words
from continuum.measures.queries import NOT_PAIRED, episode_outcome
from continuum.measures.tests.world import MeasuresTestCase, make_score
from continuum.testing.base import make_appointment, make_episode

START = datetime(2026, 1, 12, 10, 0, tzinfo=ZoneInfo("Europe/London"))


class EpisodeOutcomeTests(MeasuresTestCase):
    def scores(self, *pairs: tuple[float | None, float | None], attended: int = 3) -> None:
        for n in range(attended):
            make_appointment(
                self.dana,
                START + timedelta(weeks=n, hours=-1),
                episode=self.episode,
                status=AppointmentStatus.ATTENDED,
            )
        for n, (phq, gad) in enumerate(pairs):
            when = START + timedelta(weeks=n)
            if phq is not None:
                make_score(self.episode, "phq9", phq, when)
            if gad is not None:
                make_score(self.episode, "gad7", gad, when)

    def test_reliable_recovery_in_plain_words(self) -> None:
        self.scores((18, 12), (8, 6))
        with self.assertNumQueries(2):
            data = episode_outcome(self.episode)
        # The data: a category code and each measure's pair of scores, for any surface.
        self.assertEqual(data.category, "reliable_recovery")
        self.assertEqual(
            [
                (m.instrument.code, m.baseline.total, m.latest.total, m.change)
                for m in data.measures
            ],
            [("phq9", 18, 8, -10), ("gad7", 12, 6, -6)],
        )
        outcome = outcome_words(data)
        self.assertEqual(outcome.category, "Reliably recovered: recovered and reliably improved")
        self.assertIn("At caseness at the start. Below caseness now.", outcome.explanation)
        phq, gad = outcome.measures
        self.assertEqual(
            phq.words,
            "PHQ-9: 18 at the start, 8 at the latest, down 10 points: a reliable improvement.",
        )
        self.assertEqual(gad.reliable, "improved")
        self.assertTrue(outcome.finished_treatment)

    def test_a_fall_of_exactly_six_is_reliable_and_five_is_not(self) -> None:
        self.scores((16, None), (10, None))
        self.assertEqual(episode_outcome(self.episode).measures[0].reliable, "improved")

    def test_a_fall_of_five_is_no_reliable_change(self) -> None:
        self.scores((16, None), (11, None))
        outcome = episode_outcome(self.episode)
        self.assertEqual(outcome.measures[0].reliable, "no_change")
        self.assertEqual(outcome.category, "no_reliable_change")
        self.assertEqual(outcome_words(outcome).category, "No reliable change")

    def test_deterioration(self) -> None:
        self.scores((10, 8), (16, 9))
        self.assertEqual(
            outcome_words(episode_outcome(self.episode)).category, "Reliably deteriorated"
        )

    def test_superseded_scores_are_left_out(self) -> None:
        self.scores((18, None), (8, None))
        make_score(
            self.episode,
            "phq9",
            27,
            START + timedelta(weeks=3),
            status=AdministrationStatus.SUPERSEDED,
        )
        self.assertEqual(episode_outcome(self.episode).measures[0].latest.total, 8)

    def test_not_enough_scores(self) -> None:
        self.scores((18, 12))
        data = episode_outcome(self.episode)
        self.assertEqual(data.category, NOT_PAIRED)
        self.assertIsNone(data.outcome)
        outcome = outcome_words(data)
        self.assertEqual(outcome.category, "Not enough scores yet")
        self.assertEqual(outcome.measures[0].words, "PHQ-9: one score so far, 18.")

    def test_fewer_than_two_attended_is_provisional(self) -> None:
        self.scores((18, 12), (8, 6), attended=1)
        outcome = outcome_words(episode_outcome(self.episode))
        self.assertFalse(outcome.finished_treatment)
        self.assertIn("provisional", outcome.explanation)

    def test_who5_is_described_in_percent(self) -> None:
        self.scores()
        make_score(self.episode, "who5", 10, START)
        make_score(self.episode, "who5", 15, START + timedelta(weeks=2))
        words = outcome_words(episode_outcome(self.episode)).measures[0].words
        self.assertEqual(
            words,
            "WHO-5: 40% at the start, 60% at the latest, up 20 percentage "
            "points: a reliable improvement.",
        )


class RecomputeCurvesTests(MeasuresTestCase):
    def finished_episode(self, scores: Sequence[float]) -> None:
        episode = make_episode(self.dana, status="ended", start_date=date(2025, 1, 6))
        for session, total in enumerate(scores, start=1):
            make_score(episode, "phq9", total, START + timedelta(weeks=session), session=session)

    def run_command(self, *args: str) -> str:
        out = StringIO()
        call_command("recompute_curves", *args, stdout=out)
        return out.getvalue()

    def test_too_few_episodes_keep_the_defaults(self) -> None:
        self.finished_episode([17, 15, 12])
        out = self.run_command()
        self.assertIn(
            f"practice {self.riverside.pk}, PHQ-9: 1 finished episode(s), fewer than "
            "200 in every intake band; the default curves stay.",
            out,
        )
        self.assertFalse(ExpectedCurves.objects.exists())

    def test_enough_episodes_store_the_practices_own_band(self) -> None:
        for scores in ([17, 15, 12, 10], [16, 14, 13, 9], [18, 18, 16, 14]):
            self.finished_episode(scores)
        # Dana's open episode is not finished: left out.
        for session, total in enumerate([17, 27, 27, 27], start=1):
            make_score(
                self.episode, "phq9", total, START + timedelta(weeks=session), session=session
            )
        out = self.run_command("--min", "3", "--min-per-session", "2")
        self.assertIn("PHQ-9: recomputed moderately_severe (3 episodes, 4 sessions)", out)
        row = ExpectedCurves.objects.get(practice=self.riverside, instrument="phq9")
        self.assertEqual(row.n_episodes, 3)
        self.assertEqual(list(row.curves), ["moderately_severe"])
        curves = curves_for(self.riverside.pk, "phq9")
        curve = curves[("phq9", "moderately_severe")]
        self.assertEqual(curve.source, "practice")
        self.assertEqual(curve.at(2).p50, 15)  # type: ignore[union-attr]
        self.assertEqual(curves[("phq9", "mild")].source, "default")
        # Another practice still uses the defaults.
        self.assertEqual(
            curves_for(self.hilltop.pk, "phq9")[("phq9", "moderately_severe")].source, "default"
        )
        self.assertEqual(AuditEvent.objects.filter(action="measures.curves_recompute").count(), 1)

    def test_bad_options_are_refused(self) -> None:
        with self.assertRaises(CommandError):
            self.run_command("--min", "0")
        with self.assertRaises(CommandError):
            self.run_command("--practice", "999999")
