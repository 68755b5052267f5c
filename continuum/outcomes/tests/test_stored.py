"""Stored outcomes stay true through the actions that change them, and the query over them
agrees with the scoring engine (scoring.outcome_rates) over the same episodes."""

from __future__ import annotations

import json
from datetime import date, timedelta
from io import StringIO
from typing import Any

from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from continuum.accounts.actors import actor_for
from continuum.accounts.models import User
from continuum.care.models import Appointment, AppointmentStatus, Episode
from continuum.care.services.appointments import change_status
from continuum.care.services.episodes import transition_episode, update_episode
from continuum.followup.services import reopen_care
from continuum.measures import scoring
from continuum.measures.models import Administration, AdministrationStatus
from continuum.measures.queries import episode_outcome
from continuum.measures.services import correct_administration, enter_in_session
from continuum.measures.tests.world import make_score, phq9_answers
from continuum.outcomes import rules, services
from continuum.outcomes.models import EpisodeOutcome
from continuum.outcomes.queries import COUNTS, GROUPINGS, RATES, Cell, make_cell, practice_outcomes
from continuum.outcomes.tests.world import finished_episode
from continuum.testing.base import BaseTestCase, make_client, make_episode


def _row(episode_id: int, code: str = "phq9_gad7") -> EpisodeOutcome:
    return EpisodeOutcome.objects.get(episode_id=episode_id, instrument_set=code)


class StoredOutcomeTests(BaseTestCase):
    def test_ending_an_episode_writes_its_rows_in_the_same_action(self) -> None:
        episode = finished_episode(self.alice, phq9=(18, 8), gad7=(12, 5), status="active")
        episode.end_date = None
        episode.save()
        assert not EpisodeOutcome.objects.filter(episode=episode).exists()
        transition_episode(episode, "ended", self.alice, end_date=date(2026, 3, 20))
        row = _row(episode.pk)
        assert (row.paired, row.recovered, row.reliably_recovered) == (True, True, True)
        assert row.end_date == date(2026, 3, 20)
        assert row.end_quarter == "2026Q1"
        assert row.therapist_id == self.alice.pk
        assert row.practice_id == self.riverside.pk
        assert row.referral == "GP referral"
        assert row.attended == 3
        assert row.finished_treatment
        assert {r.instrument_set for r in EpisodeOutcome.objects.filter(episode=episode)} == {
            "phq9_gad7",
            "phq9",
            "gad7",
        }

    def test_a_corrected_score_rewrites_the_row(self) -> None:
        episode = finished_episode(self.alice, phq9=(18, 9))
        services.refresh_episode(episode.pk)
        assert _row(episode.pk).recovered
        last = Administration.objects.filter(episode=episode).order_by("due_at").last()
        assert last is not None
        correct_administration(
            last, phq9_answers(14), actor=actor_for(self.alice), reason="Misread item 2"
        )
        row = _row(episode.pk)
        assert not row.recovered
        assert row.end_a == 14
        assert row.category == "no_reliable_change"

    def test_a_score_added_after_the_end_counts(self) -> None:
        episode = finished_episode(self.alice, phq9=(18,))
        services.refresh_episode(episode.pk)
        assert not _row(episode.pk).paired
        # A questionnaire sent before the ending, answered after it.
        pending = make_score(
            episode, "phq9", None, timezone.now(), status=AdministrationStatus.PENDING
        )
        enter_in_session(pending, phq9_answers(4), actor=actor_for(self.alice))
        row = _row(episode.pk)
        assert row.paired
        assert row.reliably_recovered

    def test_attendance_decides_finished_treatment(self) -> None:
        episode = finished_episode(self.alice, phq9=(18, 4), attended=2)
        services.refresh_episode(episode.pk)
        assert _row(episode.pk).finished_treatment
        appointment = Appointment.objects.filter(episode=episode).order_by("starts_at").last()
        assert appointment is not None
        Appointment.objects.filter(pk=appointment.pk).update(starts_at=timezone.now())
        appointment.refresh_from_db()
        change_status(appointment, target=AppointmentStatus.NO_SHOW, actor=actor_for(self.alice))
        row = _row(episode.pk)
        assert row.attended == 1
        assert not row.finished_treatment

    def test_a_reopened_episode_keeps_the_finished_one_and_adds_none_until_it_ends(self) -> None:
        client = make_client(self.alice, "Robin")
        old = finished_episode(self.alice, phq9=(18, 4), client=client)
        services.refresh_episode(old.pk)
        new = reopen_care(
            client,
            actor=actor_for(self.alice),
            referral_reason="Self-referral: returning",
            start_date=date(2026, 4, 1),
        )
        assert _row(old.pk).recovered  # closed now, still finished: its outcome stands
        assert not EpisodeOutcome.objects.filter(episode=new).exists()

    def test_changing_the_end_date_moves_the_row(self) -> None:
        episode = finished_episode(self.alice, phq9=(18, 4))
        services.refresh_episode(episode.pk)
        update_episode(
            episode,
            by=self.alice,
            referral_reason="Self-referral: worry",
            start_date=episode.start_date,
            end_date=date(2026, 5, 2),
        )
        row = _row(episode.pk)
        assert (row.end_date, row.end_quarter, row.referral) == (
            date(2026, 5, 2),
            "2026Q2",
            "Self-referral",
        )

    def test_an_open_episode_has_no_row(self) -> None:
        episode = make_episode(self.dana)
        services.refresh_episode(episode.pk)
        assert not EpisodeOutcome.objects.filter(episode=episode).exists()

    def test_backfill_command_rebuilds_every_finished_episode(self) -> None:
        finished_episode(self.alice, phq9=(18, 4))
        finished_episode(self.bob, gad7=(12, 3))
        EpisodeOutcome.objects.all().delete()
        out = StringIO()
        call_command("backfill_outcomes", stdout=out)
        assert "4 outcome row(s)" in out.getvalue()  # each: phq9_gad7 and the one it used
        assert EpisodeOutcome.objects.filter(instrument_set="phq9_gad7").count() == 2


# A spread of episodes across the rules, for agreement with the engine.
SERIES: list[dict[str, tuple[float, ...]]] = [
    {"phq9": (18, 9), "gad7": (12, 7)},  # reliable recovery
    {"phq9": (10, 9)},  # caseness at exactly 10, recovery without reliable change
    {"phq9": (9, 3)},  # not at caseness, reliably improved
    {"gad7": (8, 4)},  # caseness exactly 8, change exactly 4: reliable recovery
    {"gad7": (8, 5)},  # change 3: recovered, not reliably
    {"phq9": (12, 18)},  # reliable deterioration
    {"phq9": (20, 14), "gad7": (6, 11)},  # mixed change
    {"phq9": (20,)},  # unpaired
    {},  # no scores
    {"phq9": (15, 15), "gad7": (10, 10)},  # no change
]


class AgreementTests(BaseTestCase):
    episodes: list[Episode]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.episodes = []
        for i, series in enumerate(SERIES * 2):
            who = cls.alice if i % 2 else cls.bob
            episode = finished_episode(
                who,
                phq9=series.get("phq9", ()),
                gad7=series.get("gad7", ()),
                attended=1 if i == 19 else 3,  # one did not finish treatment
                end=date(2026, 2, 1) + timedelta(days=7 * i),
            )
            cls.episodes.append(episode)
        services.backfill(cls.riverside.pk)

    def test_it_agrees_with_scoring_outcome_rates(self) -> None:
        summaries = [episode_outcome(e) for e in self.episodes]
        outcomes = [s.outcome or scoring.classify_episode(first={}, last={}) for s in summaries]
        engine = scoring.outcome_rates(outcomes, [s.finished_treatment for s in summaries])
        ours = practice_outcomes(self.riverside).practice.overall
        assert ours.paired == engine.finished
        assert ours.finished - ours.paired == engine.unpaired
        assert ours.at_caseness == engine.finished_at_caseness
        assert ours.recovered == engine.recovered
        assert ours.reliably_improved == engine.reliably_improved
        assert ours.rates["recovery_rate"].value == engine.recovery_rate
        assert ours.rates["reliable_improvement_rate"].value == engine.reliable_improvement_rate
        # And the stored category is the one the episode page shows.
        for episode, summary in zip(self.episodes, summaries, strict=True):
            stored = _row(episode.pk).category
            assert stored == (summary.category if summary.outcome else "no_paired_scores")

    def test_the_counts(self) -> None:
        o = practice_outcomes(self.riverside).practice.overall
        assert (o.finished, o.paired, o.at_caseness) == (19, 15, 13)
        assert o.rates["completeness"].value == 15 / 19
        assert not o.suppressed

    def test_groups_use_one_query_whatever_the_number_of_therapists(self) -> None:
        with CaptureQueriesContext(connection) as two:
            practice_outcomes(self.riverside, by="therapist")
        for n in range(3):
            carol = self.alice.__class__.objects.create_user(f"t{n}@example.org", "x" * 20)
            self.riverside.memberships.create(user=carol)
            finished_episode(carol, phq9=(18, 4))
        services.backfill(self.riverside.pk)
        with CaptureQueriesContext(connection) as five:
            report = practice_outcomes(self.riverside, by="therapist").practice
        assert len(two) == len(five) == 2  # the pass (groups, summed into the overall), names
        assert len(report.groups) == 5
        assert [g.suppressed for g in report.groups].count(True) == 3

    def test_periods_and_groupings(self) -> None:
        q1 = practice_outcomes(
            self.riverside, start=date(2026, 1, 1), end=date(2026, 3, 31), by="quarter"
        ).practice
        assert [g.key for g in q1.groups] == ["2026Q1"]
        by_band = practice_outcomes(self.riverside, by="band").practice
        assert "" in [g.key for g in by_band.groups]  # no PHQ-9 at intake
        by_referral = practice_outcomes(self.riverside, by="referral").practice
        assert [g.key for g in by_referral.groups] == ["GP referral"]
        gad7 = practice_outcomes(self.riverside, instrument="gad7").practice
        assert gad7.overall.finished == 9  # 10 used GAD-7; one did not finish treatment

    def test_the_one_pass_gives_each_tables_own_numbers(self) -> None:
        # practice_outcomes sums one grouped pass into every table; each table counted row by
        # row here gives the same cells, for every grouping and none, the owner's view and a
        # therapist's, with the trend starting before the period and after it, or none.
        ranges: list[tuple[date | None, date | None, date | None]] = [
            (date(2026, 3, 1), date(2026, 5, 31), date(2025, 7, 1)),
            (date(2026, 1, 1), date(2026, 6, 30), date(2026, 4, 1)),
            (date(2026, 3, 1), date(2026, 5, 31), None),
            (None, None, None),
        ]
        for (start, end, trend_start), by, who in [
            (r, by, who) for r in ranges for by in (*GROUPINGS, None) for who in (None, self.alice)
        ]:
            figures = practice_outcomes(
                self.riverside, start=start, end=end, by=by, trend_start=trend_start, therapist=who
            )
            practice = _by_hand(self.riverside.pk, start=start, end=end, by=by)
            assert figures.practice.overall == practice[0]
            if who is None:
                assert figures.practice.groups == practice[1]
                assert figures.own is None
            else:
                assert figures.practice.groups == []
                assert figures.own is not None
                mine = _by_hand(self.riverside.pk, start=start, end=end, by=by, therapist=who.pk)
                assert (figures.own.overall, figures.own.groups) == mine
            funnel = _by_hand(self.riverside.pk, start=start, end=end, by="therapist")[1]
            assert figures.funnel == funnel
            if trend_start is None:
                assert figures.trend == []
            else:
                trend = _by_hand(self.riverside.pk, start=trend_start, end=end, by="quarter")[1]
                assert figures.trend == trend
                assert figures.trend
            assert figures.practice.overall.finished > 0

    def test_the_command_agrees_with_the_page_and_the_engine(self) -> None:
        """`outcomes_report --json`, run, against the page the owner sees for the same period,
        grouping and instrument set, and against scoring.outcome_rates over the episodes."""
        self.login(self.olivia)
        names = {self.alice.pk: "Alice Adams", self.bob.pk: "Bob Brown"}
        for instrument, by in (("phq9_gad7", "therapist"), ("gad7", "therapist"), ("phq9", "band")):
            out = StringIO()
            call_command(
                "outcomes_report",
                "--practice=Riverside Therapy",
                "--from=2026-01-01",
                "--to=2026-12-31",
                f"--by={by}",
                f"--instrument={instrument}",
                "--json",
                stdout=out,
            )
            printed = json.loads(out.getvalue())
            page = self.client.get(
                reverse("outcomes:page"),
                {
                    "period": "custom",
                    "start": "2026-01-01",
                    "end": "2026-12-31",
                    "instrument": instrument,
                    "by": by,
                },
            )
            assert page.status_code == 200
            body = page.content.decode()
            _same(printed["overall"], page.context["overall_cell"], body)
            rows = page.context["groups"]
            assert [g["key"] for g in printed["groups"]] == [r["cell"].key for r in rows]
            for group, row in zip(printed["groups"], rows, strict=True):
                _same(group, row["cell"], "" if row["cell"].suppressed else body)
                if by == "therapist":
                    assert group["name"] == row["label"] == names[group["key"]]
            assert printed["overall"]["finished"] == sum(g["finished"] for g in printed["groups"])
            # The engine, over the same episodes: the practice's and each therapist's.
            cells = [(None, printed["overall"])]
            if by == "therapist":
                cells += [(g["key"], g) for g in printed["groups"]]
            for key, cell in cells:
                engine = self._engine(instrument, therapist=key)
                assert cell["paired"] == engine.finished
                assert cell["finished"] - cell["paired"] == engine.unpaired
                assert cell["at_caseness"] == engine.finished_at_caseness
                assert cell["recovered"] == engine.recovered
                assert cell["reliably_improved"] == engine.reliably_improved
                assert cell["recovery_rate"] == engine.recovery_rate
                assert cell["reliable_improvement_rate"] == engine.reliable_improvement_rate
        # The figures are not trivial: recoveries, deteriorations, some unpaired.
        overall = practice_outcomes(self.riverside).practice.overall
        assert overall.recovered
        assert overall.reliably_deteriorated
        assert overall.finished > overall.paired

    def _engine(self, instrument: str, therapist: int | None) -> scoring.OutcomeRates:
        measures = rules.INSTRUMENT_SETS[instrument]
        outcomes, finished = [], []
        for i, episode in enumerate(self.episodes):
            if therapist is not None and episode.client.therapist_id != therapist:
                continue
            series = SERIES[i % len(SERIES)]
            if instrument == "phq9_gad7":
                summary = episode_outcome(episode)
                outcome = summary.outcome or scoring.classify_episode(first={}, last={})
                done = summary.finished_treatment
            elif not series.get(instrument):
                continue  # no row for an instrument the episode never used
            else:
                scores = series[instrument]
                paired = len(scores) > 1
                outcome = scoring.classify_episode(
                    first={instrument: scores[0]} if paired else {},
                    last={instrument: scores[-1]} if paired else {},
                    measures=measures,
                )
                done = i != 19  # the one with a single attended appointment
            outcomes.append(outcome)
            finished.append(done)
        return scoring.outcome_rates(outcomes, finished)

    def test_the_command_refuses_an_unknown_practice(self) -> None:
        with self.assertRaisesMessage(CommandError, "No practice is called “Nowhere”"):
            call_command("outcomes_report", practice="Nowhere", json=True, stdout=StringIO())
        with self.assertRaisesMessage(CommandError, "is not a date"):
            call_command(
                "outcomes_report", practice="Riverside Therapy", start="2026-13-01", json=True
            )

    def test_rates_are_none_when_the_denominator_is_0(self) -> None:
        empty = practice_outcomes(self.hilltop).practice.overall
        assert empty.finished == 0
        assert empty.suppressed
        assert all(r.value is None and r.low is None for r in empty.rates.values())


def _same(printed: dict[str, Any], cell: Cell, body: str) -> None:
    """The command's JSON cell has the page's figures: every count and rate, and (unless the
    page suppresses the cell) each rate's "k of n" is in the page's text."""
    assert {c: printed[c] for c in COUNTS} == {c: getattr(cell, c) for c in COUNTS}
    assert printed["suppressed"] == cell.suppressed
    for name, (num, den) in RATES.items():
        rate = cell.rates[name]
        assert (printed[num], printed[den]) == (rate.numerator, rate.denominator)
        assert printed[name] == rate.value
        assert printed[f"{name}_ci95"] == (None if rate.low is None else [rate.low, rate.high])
        if body:
            assert f"{rate.numerator} of {rate.denominator}" in body


_FIELDS = {"therapist": "therapist_id", "quarter": "end_quarter", "referral": "referral"}


def _by_hand(
    practice: int,
    *,
    start: date | None,
    end: date | None,
    by: str | None,
    therapist: int | None = None,
    instrument: str = "phq9_gad7",
) -> tuple[Cell, list[Cell]]:
    """The overall cell and the groups counted one stored row at a time, in Python: the
    reference that practice_outcomes' grouped pass and sums are checked against."""
    rows = EpisodeOutcome.objects.filter(
        practice_id=practice, instrument_set=instrument, finished_treatment=True
    )
    total = dict.fromkeys(COUNTS, 0)
    groups: dict[Any, dict[str, int]] = {}
    for row in rows:
        if (start and row.end_date < start) or (end and row.end_date > end):
            continue
        if therapist is not None and row.therapist_id != therapist:
            continue
        case = row.paired and row.caseness_start
        counts = {
            "finished": True,
            "paired": row.paired,
            "at_caseness": case,
            "recovered": case and row.recovered,
            "reliably_improved": row.paired and row.reliably_improved,
            "reliably_recovered": case and row.reliably_recovered,
            "reliably_deteriorated": row.paired and row.reliably_deteriorated,
        }
        key = getattr(row, _FIELDS.get(by or "", "intake_band"))
        into = groups.setdefault(key, dict.fromkeys(COUNTS, 0))
        for c in COUNTS:
            total[c] += int(counts[c])
            into[c] += int(counts[c])
    people = User.objects.filter(pk__in=list(groups) if by == "therapist" else [])
    names = {u.pk: u.full_name for u in people}
    cells = [
        make_cell(k, groups[k], name=names[k] if by == "therapist" else "") for k in sorted(groups)
    ]
    if by == "therapist":
        cells.sort(key=lambda c: c.name.casefold())
    return make_cell(None, total), cells if by else []
