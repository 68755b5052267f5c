"""Mark the completed administrations that left a safety item blank (issue 13), so the day asks
the therapist to ask it. The safety items as the catalogue had them when this was written."""

from __future__ import annotations

from typing import Any

from django.db import migrations

SAFETY_ITEMS = {"phq9": ("9",), "core10": ("6",)}


def forwards(apps: Any, schema_editor: Any) -> None:
    administration = apps.get_model("measures", "Administration")
    for code, keys in SAFETY_ITEMS.items():
        blank = []
        rows = administration.objects.filter(
            instrument=code, status__in=("completed", "superseded")
        ).only("pk", "answers")
        for row in rows.iterator(chunk_size=2000):
            if any((row.answers or {}).get(key) is None for key in keys):
                blank.append(row.pk)
        for start in range(0, len(blank), 500):
            administration.objects.filter(pk__in=blank[start : start + 500]).update(
                safety_unanswered=True
            )


class Migration(migrations.Migration):
    dependencies = [("measures", "0004_alert_lifecycle_and_safety_prompt")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
