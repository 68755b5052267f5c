from django.db import migrations, transaction

# CORE-10's severity bands followed an earlier, wrong version of CLINICAL.md (five bands, 0-10
# healthy). The published bands (Barkham et al. 2013) are six. This re-bands every stored
# CORE-10 administration from its stored total, and renames the band keys of the practices'
# recomputed CORE-10 curves.
#
# Both tables are copied here rather than read from the catalogue, so this migration does the
# same thing however the catalogue changes later. Each row is (code, low, below):
# low <= total < below, below None = up to the maximum, as instruments.Band.
OLD_BANDS = (
    ("healthy", 0, 11),
    ("low_level", 11, 15),
    ("mild", 15, 20),
    ("moderate", 20, 25),
    ("severe", 25, None),
)
NEW_BANDS = (
    ("healthy", 0, 6),
    ("low_level", 6, 11),
    ("mild", 11, 15),
    ("moderate", 15, 20),
    ("moderately_severe", 20, 25),
    ("severe", 25, None),
)

# Every old band but "healthy" is exactly one new band (old low_level 11-14 is new mild, and so
# on), so a curve computed from episodes that started in it is that new band's curve under its
# new name. Old "healthy" (0-10) is split in two and new healthy / low_level are each half of
# it: their curves cannot be carried across, so they are dropped and those bands use the
# shipped defaults until `manage.py recompute_curves` runs again.
CURVE_KEYS_FORWARD = {
    "low_level": "mild",
    "mild": "moderate",
    "moderate": "moderately_severe",
    "severe": "severe",
}
CURVE_KEYS_BACKWARD = {new: old for old, new in CURVE_KEYS_FORWARD.items()}

INSTRUMENT = "core10"
BATCH = 2000


def _reband_administrations(apps, schema_editor, bands):
    """Set `band` from `total` in batches of BATCH rows, each batch its own transaction.

    One SELECT of the batch's ids and one set-based UPDATE per band: the same SQL on SQLite
    and PostgreSQL, and no row is loaded into Python. Re-banding from the total is idempotent,
    so an interrupted run can simply be run again.
    """
    Administration = apps.get_model("measures", "Administration")
    db = schema_editor.connection.alias
    rows = Administration.objects.using(db).filter(instrument=INSTRUMENT, total__isnull=False)
    after = 0
    while True:
        ids = list(
            rows.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            break
        batch = rows.filter(pk__gt=after, pk__lte=ids[-1])
        with transaction.atomic(using=db):
            for code, low, below in bands:
                in_band = batch.filter(total__gte=low)
                if below is not None:
                    in_band = in_band.filter(total__lt=below)
                in_band.exclude(band=code).update(band=code)
        after = ids[-1]


def _rename_curve_keys(apps, schema_editor, keys):
    ExpectedCurves = apps.get_model("measures", "ExpectedCurves")
    db = schema_editor.connection.alias
    # One row per recompute per practice: few rows, each a small JSON object.
    with transaction.atomic(using=db):
        for row in ExpectedCurves.objects.using(db).filter(instrument=INSTRUMENT).order_by("pk"):
            curves = row.curves if isinstance(row.curves, dict) else {}
            renamed = {keys[band]: curve for band, curve in curves.items() if band in keys}
            if renamed != curves:
                row.curves = renamed
                row.save(update_fields=["curves"])


def reband_forward(apps, schema_editor):
    _reband_administrations(apps, schema_editor, NEW_BANDS)
    _rename_curve_keys(apps, schema_editor, CURVE_KEYS_FORWARD)


def reband_backward(apps, schema_editor):
    _reband_administrations(apps, schema_editor, OLD_BANDS)
    _rename_curve_keys(apps, schema_editor, CURVE_KEYS_BACKWARD)


class Migration(migrations.Migration):
    # Batches commit one by one, so a large table is not held in one long transaction.
    atomic = False

    dependencies = [
        ("measures", "0002_curves_index"),
    ]

    operations = [
        migrations.RunPython(reband_forward, reband_backward, elidable=False),
    ]
