"""CORE-10's published bands, and migration measures 0003 that re-bands what was stored.

The catalogue once followed an earlier, wrong CLINICAL.md (five bands, 0-10 healthy). The
published bands (Barkham et al. 2013) are 0-5 healthy, 6-10 low level, 11-14 mild, 15-19
moderate, 20-24 moderate-to-severe, 25-40 severe; the boundaries through the scoring engine
are in test_scoring.test_it_bands_every_boundary.
"""

from __future__ import annotations

from datetime import datetime
from importlib import import_module
from types import SimpleNamespace
from typing import Any
from unittest import mock

from django.apps import apps
from django.db import connection

from continuum.measures import scoring
from continuum.measures.instruments import get_instrument
from continuum.measures.models import Administration, AdministrationStatus, ExpectedCurves
from continuum.measures.presenters import score_text
from continuum.measures.tests import answers_for_total
from continuum.measures.tests.world import MeasuresTestCase, make_score

MIGRATION = import_module("continuum.measures.migrations.0003_reband_core10")
WHEN = datetime.fromisoformat("2026-03-02T10:00:00+00:00")

# Every edge of both tables, and what each total was stored as before and is now.
BEFORE_AND_AFTER = [
    (0, "healthy", "healthy"),
    (5, "healthy", "healthy"),
    (6, "healthy", "low_level"),
    (10, "healthy", "low_level"),
    (11, "low_level", "mild"),
    (14, "low_level", "mild"),
    (15, "mild", "moderate"),
    (19, "mild", "moderate"),
    (20, "moderate", "moderately_severe"),
    (24, "moderate", "moderately_severe"),
    (25, "severe", "severe"),
    (40, "severe", "severe"),
]


def run_migration(function: Any) -> None:
    function(apps, SimpleNamespace(connection=connection))


def test_the_labels_read_as_the_published_bands() -> None:
    core10 = get_instrument("core10")
    assert [(b.label, b.low, b.below) for b in core10.bands] == [
        ("Healthy", 0, 6),
        ("Low level", 6, 11),
        ("Mild", 11, 15),
        ("Moderate", 15, 20),
        ("Moderate-to-severe", 20, 25),
        ("Severe", 25, None),
    ]


def test_the_cutoff_stays_11_and_is_the_start_of_mild() -> None:
    core10 = get_instrument("core10")
    assert core10.caseness_cutoff == 11
    mild = core10.band("mild")
    assert mild is not None
    assert mild.low == core10.caseness_cutoff
    assert scoring.score("core10", answers_for_total("core10", 10)).caseness is False
    assert scoring.score("core10", answers_for_total("core10", 11)).caseness is True


def test_a_prorated_total_is_banded_after_rounding() -> None:
    # Nine items answered, adding up to 5: prorated 5 x 10 / 9 = 5.6, rounded to 6.
    answers: dict[str, int | None] = dict(answers_for_total("core10", 5))
    answers["10"] = None
    s = scoring.score("core10", answers)
    assert (s.total, s.prorated, s.band, s.band_label) == (6, True, "low_level", "Low level")


def test_the_migration_carries_todays_table() -> None:
    # The migration keeps its own copy so that later catalogue changes leave it alone; today
    # the two must agree.
    catalogue = tuple((b.name, b.low, b.below) for b in get_instrument("core10").bands)
    assert catalogue == MIGRATION.NEW_BANDS


class RebandTestCase(MeasuresTestCase):
    def stored(self, total: float | None, band: str, **extra: Any) -> Administration:
        return make_score(self.episode, "core10", total, WHEN, band=band, **extra)

    def test_a_score_entered_now_is_stored_in_the_published_band(self) -> None:
        admin = self.complete_in_session(dict(answers_for_total("core10", 6)), "core10")
        self.assertEqual(admin.band, "low_level")
        self.assertEqual(score_text(get_instrument("core10"), admin), "6 (low level)")
        admin = self.complete_in_session(dict(answers_for_total("core10", 20)), "core10")
        self.assertEqual(admin.band, "moderately_severe")
        self.assertEqual(score_text(get_instrument("core10"), admin), "20 (moderate-to-severe)")

    def test_the_migration_rebands_every_stored_core10_score_from_its_total(self) -> None:
        rows = [(self.stored(total, old), new) for total, old, new in BEFORE_AND_AFTER]
        superseded = self.stored(8, "healthy", status=AdministrationStatus.SUPERSEDED)
        no_total = self.stored(None, "", reason="2 of 10 items missing; at most 1 allowed")
        phq9 = make_score(self.episode, "phq9", 8, WHEN, band="mild")

        run_migration(MIGRATION.reband_forward)

        for admin, new in rows:
            admin.refresh_from_db()
            self.assertEqual(admin.band, new, f"total {admin.total}")
            # And the band the engine gives that total today.
            assert admin.total is not None
            band = get_instrument("core10").band_for(admin.total)
            self.assertEqual(band.name if band else None, new)
        superseded.refresh_from_db()
        self.assertEqual(superseded.band, "low_level")  # corrected scores keep their history
        no_total.refresh_from_db()
        self.assertEqual(no_total.band, "")
        phq9.refresh_from_db()
        self.assertEqual(phq9.band, "mild")  # other instruments are left alone

    def test_it_works_in_batches_and_a_second_run_changes_nothing(self) -> None:
        rows = [self.stored(total, old) for total, old, _ in BEFORE_AND_AFTER]
        with mock.patch.object(MIGRATION, "BATCH", 5):
            run_migration(MIGRATION.reband_forward)
            # 12 rows in batches of 5, each batch: the SELECT of its ids, then in its own
            # transaction (a savepoint here) one UPDATE per band (6); then the empty SELECT
            # that ends the loop; then the curves rows' SELECT in its own transaction.
            with self.assertNumQueries(3 * (1 + 1 + 6 + 1) + 1 + (1 + 1 + 1)):
                run_migration(MIGRATION.reband_forward)
        self.assertEqual(
            [Administration.objects.get(pk=a.pk).band for a in rows],
            [new for _, _, new in BEFORE_AND_AFTER],
        )

    def test_backwards_it_restores_the_old_bands(self) -> None:
        rows = [self.stored(total, old) for total, old, _ in BEFORE_AND_AFTER]
        run_migration(MIGRATION.reband_forward)
        run_migration(MIGRATION.reband_backward)
        self.assertEqual(
            [Administration.objects.get(pk=a.pk).band for a in rows],
            [old for _, old, _ in BEFORE_AND_AFTER],
        )

    def test_the_practices_curves_move_to_the_bands_they_were_computed_for(self) -> None:
        def curve(p90: float) -> dict[str, Any]:
            return {"source": "practice", "episodes": 210, "points": [[1, 210, 1, 2, 3, 4, p90]]}

        old = {
            "healthy": curve(9),  # 0-10: half of new healthy, half of low level
            "low_level": curve(14),  # 11-14: new mild
            "mild": curve(19),  # 15-19: new moderate
            "moderate": curve(24),  # 20-24: new moderately severe
            "severe": curve(40),
        }
        row = ExpectedCurves.objects.create(
            practice=self.riverside, instrument="core10", curves=old, n_episodes=900
        )
        phq9 = ExpectedCurves.objects.create(
            practice=self.riverside, instrument="phq9", curves={"mild": curve(12)}
        )

        run_migration(MIGRATION.reband_forward)

        row.refresh_from_db()
        self.assertEqual(
            row.curves,
            {
                "mild": curve(14),
                "moderate": curve(19),
                "moderately_severe": curve(24),
                "severe": curve(40),
            },
        )
        phq9.refresh_from_db()
        self.assertEqual(phq9.curves, {"mild": curve(12)})

        run_migration(MIGRATION.reband_backward)
        row.refresh_from_db()
        # The old healthy curve cannot be rebuilt from its halves: recompute_curves does that.
        self.assertEqual(row.curves, {k: v for k, v in old.items() if k != "healthy"})
