"""CSV of the outcomes page's tables (csv module; formula injection neutralised)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

# A cell a spreadsheet would read as a formula (or a control character that starts one) gets
# a leading apostrophe (OWASP "CSV injection"; SECURITY.md promise 27).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()
