"""A lean INSERT for large numbers of demo rows whose ids nobody needs afterwards.

`bulk_create` sends every value of every row through the field API (pre_save, get_prep_value,
get_db_prep_save, the compiler's checks): for the demo's hundreds of thousands of
questionnaires that costs more than the rest of the generator together. Here each column gets
one converter, chosen once from its field:

- foreign keys: the id of the related object (which earlier steps have saved);
- date-times and dates: the backend's own adapter (`connection.ops`), as the ORM uses;
- JSON: the field's `get_db_prep_save` (the backend's encoding);
- anything else: plain Python values as they are; choices (enums) as their value; other
  types through the field's `get_db_prep_save`.

Rows go in with `executemany` through Django's cursor (so placeholders and parameter
conversion are the backend's). Ids are not read back: use `bulk_create` for rows that later
rows point at. Defaults and `auto_now` are not applied beyond what the model's __init__ set,
which is all the demo's models need.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

from django.db import connections, models, router

CHUNK = 2000  # rows per executemany call

Converter = Callable[[models.Model], Any]


def _converter(field: models.Field[Any, Any], connection: Any) -> Converter:
    attname = field.attname
    if field.is_relation:  # a concrete relation: a foreign key or one-to-one
        name = field.name

        def related_id(obj: models.Model) -> Any:
            value = getattr(obj, attname)
            if value is None:
                related = obj._state.fields_cache.get(name)
                if related is not None:
                    if related.pk is None:
                        raise ValueError(f"{name} is not saved yet; insert it first")
                    value = related.pk
            return value

        return related_id
    kind = field.get_internal_type()
    ops = connection.ops
    if kind == "DateTimeField":
        return lambda obj: ops.adapt_datetimefield_value(getattr(obj, attname))
    if kind == "DateField":
        return lambda obj: ops.adapt_datefield_value(getattr(obj, attname))
    if kind == "JSONField":
        return lambda obj: field.get_db_prep_save(getattr(obj, attname), connection)

    def plain(obj: models.Model) -> Any:
        value = getattr(obj, attname)
        if value is None or type(value) in (str, int, float, bool):
            return value
        if isinstance(value, Enum):
            return value.value
        return field.get_db_prep_save(value, connection)

    return plain


def insert_without_ids(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """INSERT `objs` (unsaved, with every field set) without reading their ids back."""
    if not objs:
        return
    connection = connections[router.db_for_write(model)]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    converters = [_converter(f, connection) for f in fields]
    quote = connection.ops.quote_name
    # Table and column names come from the model's metadata, quoted; values are parameters.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608  # nosec B608
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    with connection.cursor() as cursor:
        for start in range(0, len(objs), CHUNK):
            rows = [
                tuple(convert(obj) for convert in converters) for obj in objs[start : start + CHUNK]
            ]
            cursor.executemany(sql, rows)
