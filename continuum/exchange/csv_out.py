"""The one way a CSV leaves Continuum: written by the `csv` module, streamed row by row, and
with formula injection neutralised (SECURITY.md promise 27).

A spreadsheet runs a cell that begins with =, +, -, @, a tab or a carriage return as a
formula; such a text cell gets a leading apostrophe, so it shows as the text it was. Numbers
are written as numbers (a negative score change stays -3, not '-3): only text is a risk.

`csv_response(filename, header, rows)` is the seam for every export, the practice outcomes
table included: give it the header and any iterable of rows.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, tzinfo
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any, tz: tzinfo | None = None) -> Any:
    """A cell as it is safe to write: text starting with a formula character gets a '.
    Instants are written in `tz` (the reader's time zone), to the minute."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return timezone.localtime(value, tz).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(DANGEROUS_FIRST):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write returns what it was given (for streaming)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(
    header: Sequence[str], rows: Iterable[Sequence[Any]], tz: tzinfo | None = None
) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a byte-order mark, so Excel reads the file as UTF-8
    yield writer.writerow([neutralise(h, tz) for h in header])
    for row in rows:
        yield writer.writerow([neutralise(cell, tz) for cell in row])


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """A streamed CSV download (`rows` is read lazily: pass a generator for large sets).

    Times are written in the time zone active now (the reader's): the rows are read after
    the view returns, when the middleware has already deactivated it."""
    lines = csv_lines(header, rows, timezone.get_current_timezone())
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
