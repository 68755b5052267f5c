"""What each migration does to a live PostgreSQL database (docs/deployment.md, "Upgrading").

`manage.py migrate` runs while the old app servers still serve requests. An operation is safe
then when it takes its table lock only for a moment (catalogue changes) and the old code still
works against the new schema. `review(...)` sorts every operation of every migration into:

- `instant`: catalogue only (a new table, a nullable column, a column with a constant default on
  PostgreSQL 11+, dropping a default, a larger varchar);
- `blocks-writes`: builds an index or checks a constraint over the whole table while holding a
  lock that blocks writes (CREATE INDEX without CONCURRENTLY, a foreign key's validation, a
  NOT NULL check, a CHECK constraint): seconds per million rows;
- `rewrite`: rewrites the table under ACCESS EXCLUSIVE (a column's type changes): blocks reads
  too, for as long as the copy takes;
- `data`: runs Python or SQL over rows (RunPython, RunSQL): as long as the rows take; the
  migration's own docstring must say how it batches;
- `breaks-old-code`: renames or removes a column or table the previous release still reads:
  run it only after every app server runs the new release (or ship it a release later).

Each finding names the table, so the operator can weigh it by the table's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps as django_apps
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import connection, models
from django.db.migrations import operations as ops
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState

INSTANT = "instant"
BLOCKS_WRITES = "blocks-writes"
REWRITE = "rewrite"
DATA = "data"
BREAKS_OLD_CODE = "breaks-old-code"


@dataclass(frozen=True)
class Finding:
    app: str
    migration: str
    operation: str
    table: str
    kind: str
    why: str

    @property
    def name(self) -> str:
        return f"{self.app}.{self.migration}"


def _table(state: ProjectState, app: str, model: str) -> str:
    try:
        return str(state.apps.get_model(app, model)._meta.db_table)
    except LookupError:
        return f"{app}_{model.lower()}"


def _field_kinds(
    old: models.Field[Any, Any] | None, new: models.Field[Any, Any]
) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    indexed = bool(getattr(new, "db_index", False) or new.unique) and not new.primary_key
    was_indexed = bool(old is not None and (getattr(old, "db_index", False) or old.unique))
    if indexed and not was_indexed:
        found.append((BLOCKS_WRITES, "builds an index (CREATE INDEX, not CONCURRENTLY)"))
    if (
        new.remote_field is not None
        and getattr(new, "db_constraint", False)
        and (old is None or old.remote_field is None)
    ):
        found.append((BLOCKS_WRITES, "adds a foreign key, validated over every row"))
    if old is None:
        # A new column, NOT NULL or not, is catalogue-only on PostgreSQL 11+: Django adds it
        # with its default computed once (a constant), then drops the default.
        return found
    old_type, new_type = old.db_type(connection), new.db_type(connection)
    if old_type != new_type:
        grows = (
            isinstance(old, models.CharField)
            and isinstance(new, models.CharField)
            and (new.max_length or 0) >= (old.max_length or 0)
        )
        if not grows:
            found.append((REWRITE, f"changes the column type {old_type} -> {new_type}"))
    if old.null and not new.null:
        found.append((BLOCKS_WRITES, "sets NOT NULL (a scan of every row)"))
    return found


def _classify(state: ProjectState, app: str, op: Any) -> list[tuple[str, str, str]]:
    """(table, kind, why) for one operation, given the state before it."""
    if isinstance(op, ops.CreateModel):
        return [(_table(state, app, op.name), INSTANT, "a new table")]
    if isinstance(op, ops.DeleteModel):
        return [(_table(state, app, op.name), BREAKS_OLD_CODE, "drops a table")]
    if isinstance(op, ops.RenameModel):
        return [(_table(state, app, op.old_name), BREAKS_OLD_CODE, "renames a table")]
    if isinstance(op, ops.AddField | ops.AlterField):
        table = _table(state, app, op.model_name)
        old = None
        if isinstance(op, ops.AlterField):
            old = state.apps.get_model(app, op.model_name)._meta.get_field(op.name)
        kinds = _field_kinds(old, op.field)
        return [(table, k, why) for k, why in kinds] or [(table, INSTANT, "catalogue only")]
    if isinstance(op, ops.RemoveField):
        return [(_table(state, app, op.model_name), BREAKS_OLD_CODE, "drops a column")]
    if isinstance(op, ops.RenameField):
        return [(_table(state, app, op.model_name), BREAKS_OLD_CODE, "renames a column")]
    if isinstance(op, AddIndexConcurrently):
        return [(_table(state, app, op.model_name), INSTANT, "builds an index concurrently")]
    if isinstance(op, ops.AddIndex):
        return [(_table(state, app, op.model_name), BLOCKS_WRITES, "builds an index")]
    if isinstance(op, ops.AddConstraint):
        table = _table(state, app, getattr(op, "model_name", ""))
        if isinstance(getattr(op, "constraint", None), models.UniqueConstraint):
            return [(table, BLOCKS_WRITES, "builds a unique index")]
        return [(table, BLOCKS_WRITES, "checks a constraint over every row")]
    if isinstance(op, ops.AlterUniqueTogether | ops.AlterIndexTogether):
        return [(_table(state, app, op.name), BLOCKS_WRITES, "builds an index")]
    if isinstance(op, ops.RunPython):
        return [("", DATA, "runs Python over rows")]
    if isinstance(op, ops.RunSQL):
        return [("", DATA, "runs SQL")]
    table = _table(state, app, getattr(op, "model_name", getattr(op, "name", "")) or "")
    return [(table, INSTANT, "catalogue only")]


def review(prefix: str = "continuum.") -> list[Finding]:
    """Every operation of every migration of our apps, in the order `migrate` applies them."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    graph = loader.graph
    ours = {
        config.label for config in django_apps.get_app_configs() if config.name.startswith(prefix)
    }
    findings: list[Finding] = []
    order: list[tuple[str, str]] = []
    for leaf in graph.leaf_nodes():
        for node in graph.forwards_plan(leaf):
            if node not in order:
                order.append(node)
    for app, name in order:
        if app not in ours:
            continue
        migration = loader.get_migration(app, name)
        state = loader.project_state((app, name), at_end=False)
        created: set[str] = set()  # tables this migration creates: empty, nothing to lock
        for op in migration.operations:
            for table, kind, why in _classify(state, app, op):
                if table in created and kind in {BLOCKS_WRITES, REWRITE}:
                    kind, why = INSTANT, f"{why}, on a table created in this migration"
                if isinstance(op, ops.CreateModel):
                    created.add(table)
                findings.append(Finding(app, name, type(op).__name__, table, kind, why))
            op.state_forwards(app, state)
    return findings
