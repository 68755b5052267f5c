"""`migrate` while the app runs (docs/deployment.md, "Upgrading"): every migration operation
that locks a table for longer than a catalogue change, rewrites one, runs code over rows or
breaks the code still running has been looked at, and the list below says why it is
acceptable. A new one fails here until it is reviewed (and the docs' table updated)."""

from __future__ import annotations

from django.db import migrations, models
from django.db.migrations.state import ModelState, ProjectState
from django.test import SimpleTestCase

from continuum.ops.migration_locks import (
    BLOCKS_WRITES,
    BREAKS_OLD_CODE,
    DATA,
    INSTANT,
    REWRITE,
    _classify,
    review,
)

# (migration, operation, table) -> why it is acceptable on a live database. Sizes from the
# 5,000-client bench database (docs/performance.md): administrations ~490,000 rows, alerts
# ~6,400 to 11,800, episodes ~5,100.
REVIEWED = {
    ("care.0002_one_open_episode_per_client", "AddConstraint", "care_episode"): (
        "a unique index on ~5,000 rows: well under a second"
    ),
    ("accounts.0005_encrypt_mfa_secrets", "RunPython", ""): "one row per enrolled member",
    ("audit.0002_chain", "RunPython", ""): "creates the trigger; seals what exists, once",
    ("measures.0002_curves_index", "AddIndex", "measures_administration"): (
        "applied before any large installation existed"
    ),
    ("measures.0003_reband_core10", "RunPython", ""): "batches of 2,000 rows, each committed",
    ("measures.0004_alert_lifecycle_and_safety_prompt", "AddField", "measures_administration"): (
        "a new nullable foreign key: its index and validation read ~490,000 rows (timed in "
        "docs/deployment.md); writes to questionnaires wait that long"
    ),
    ("measures.0004_alert_lifecycle_and_safety_prompt", "AddField", "measures_alert"): (
        "a new nullable foreign key on ~6,000 to 12,000 rows"
    ),
    ("measures.0005_backfill_safety_unanswered", "RunPython", ""): "one UPDATE, timed",
    ("measures.0006_safety_blank_index", "AddIndex", "measures_administration"): (
        "a partial index over ~490,000 rows (timed in docs/deployment.md)"
    ),
    ("measures.0008_client_completed_index", "AddIndex", "measures_administration"): (
        "a three-column index over ~497,000 rows: 0.5 to 0.8 s (docs/deployment.md); writes "
        "to questionnaires wait that long"
    ),
    ("outcomes.0002_outcome_index_by_day_and_therapist", "AddIndex", "outcomes_episodeoutcome"): (
        "one row per finished episode (2,637 in the bench database: 0.2 to 0.3 s; a "
        "provider's 1,000,000 rows not timed, docs/deployment.md): only episode endings "
        "wait, nothing a client does"
    ),
    ("care.0004_progressnote_author_status_index", "AddIndex", "care_progressnote"): (
        "a two-column index over ~131,000 notes: 0.2 to 0.5 s (docs/deployment.md); note "
        "writes wait that long"
    ),
}


class MigrationReviewTests(SimpleTestCase):
    def test_every_operation_that_is_not_catalogue_only_has_been_reviewed(self) -> None:
        findings = review()
        self.assertGreater(len(findings), 100)
        notable = {(f.name, f.operation, f.table) for f in findings if f.kind != INSTANT}
        self.assertEqual(notable - set(REVIEWED), set(), "review these (docs/deployment.md)")
        # None renames or drops what running code reads, and none rewrites a table.
        kinds = {f.kind for f in findings}
        self.assertNotIn(BREAKS_OLD_CODE, kinds)
        self.assertNotIn(REWRITE, kinds)


def state_with(*fields: tuple[str, models.Field]) -> ProjectState:  # type: ignore[type-arg]
    state = ProjectState()
    state.add_model(
        ModelState("shop", "Thing", [("id", models.BigAutoField(primary_key=True)), *fields])
    )
    return state


class ClassifierTests(SimpleTestCase):
    def kinds(self, op: object, *fields: tuple[str, models.Field]) -> list[str]:  # type: ignore[type-arg]
        return [kind for _, kind, _ in _classify(state_with(*fields), "shop", op)]

    def test_catalogue_changes_are_instant(self) -> None:
        self.assertEqual(
            self.kinds(migrations.AddField("thing", "note", models.TextField(null=True))),
            [INSTANT],
        )
        self.assertEqual(
            self.kinds(migrations.AddField("thing", "n", models.IntegerField(default=0))),
            [INSTANT],
        )
        self.assertEqual(
            self.kinds(
                migrations.AlterField("thing", "code", models.CharField(max_length=40)),
                ("code", models.CharField(max_length=20)),
            ),
            [INSTANT],
        )

    def test_what_locks_or_rewrites_is_named(self) -> None:
        self.assertEqual(
            self.kinds(
                migrations.AlterField("thing", "code", models.IntegerField()),
                ("code", models.CharField(max_length=20)),
            ),
            [REWRITE],
        )
        self.assertEqual(
            self.kinds(
                migrations.AlterField("thing", "code", models.CharField(max_length=20)),
                ("code", models.CharField(max_length=20, null=True)),
            ),
            [BLOCKS_WRITES],
        )
        self.assertEqual(
            self.kinds(
                migrations.AddIndex("thing", models.Index(fields=["id"], name="thing_id_idx"))
            ),
            [BLOCKS_WRITES],
        )
        self.assertEqual(
            self.kinds(
                migrations.AddField("thing", "n", models.IntegerField(null=True, db_index=True))
            ),
            [BLOCKS_WRITES],
        )
        self.assertEqual(
            self.kinds(
                migrations.RenameField("thing", "code", "label"), ("code", models.TextField())
            ),
            [BREAKS_OLD_CODE],
        )
        self.assertEqual(self.kinds(migrations.RunPython(migrations.RunPython.noop)), [DATA])
