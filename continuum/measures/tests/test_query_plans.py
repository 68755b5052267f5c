"""The day's tier-2 query stays on its small index (a fix found by profiling the day).

Without it, SQLite answered `unanswered_safety_items` by walking every completed score of the
practice through the status index: about 450 ms a request with 1,000 clients. The plan is
asserted, not the time (timed tests are flaky here; the time is in docs/performance.md).
"""

from __future__ import annotations

from unittest import skipUnless

from django.db import connection

from continuum.measures.queries import unanswered_safety_items
from continuum.measures.tests.world import MeasuresTestCase


@skipUnless(connection.vendor == "sqlite", "SQLite's query planner")
class SafetyItemPlanTests(MeasuresTestCase):
    def test_unanswered_safety_items_use_the_partial_index(self) -> None:
        sql, params = unanswered_safety_items(self.alice).values_list("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = [row[-1] for row in cursor.fetchall()]
        self.assertIn(
            "SEARCH measures_administration USING INDEX administration_safety_blank (client_id=?)",
            plan,
        )
