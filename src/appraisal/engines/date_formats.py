"""SQL reading a date or timestamp written in a declared format: strptime formats or Excel serials.

A scheme declares `columns: {created_at: {type: timestamp, format: "%m/%d/%Y %H:%M"}}` for an
export that writes US dates (`7/4/2026 9:05`), `%Y年%m月%d日` for Chinese ones, or `excel` for
the serial numbers a spreadsheet writes when a date cell loses its format (45123.5 is
2023-07-16 12:00: days since 1899-12-30, the fraction the time of day). A cell that does not
fit gives NULL, which the engine counts as `unparseable date` or `unparseable timestamp`.
"""

from __future__ import annotations

from collections.abc import Sequence

from appraisal.scheme.model import EXCEL
from appraisal.sql.dialect import inline_literal

# Excel's serial days run from 1 (1900-01-01) to 2958465 (9999-12-31); 0 is its "day 0".
_EXCEL_LAST_DAY = 2958465


def formatted_sql(text: str, kind: str, formats: Sequence[str]) -> str:
    """SQL of `text` (an SQL text expression, blank already NULL) read as `kind` in `formats`."""
    if list(formats) == [EXCEL]:
        days = f"TRY_CAST({text} AS DOUBLE)"
        fits = f"isfinite({days}) AND {days} >= 0 AND {days} < {_EXCEL_LAST_DAY + 1}"
        if kind == "date":
            return f"CASE WHEN {fits} THEN DATE '1899-12-30' + CAST(floor({days}) AS INTEGER) END"
        # to the millisecond: Excel keeps times to the millisecond, and a binary fraction
        # of a day is never exact
        return (f"CASE WHEN {fits} THEN TIMESTAMP '1899-12-30' + "
                f"to_microseconds(CAST(round({days} * 86400000) AS BIGINT) * 1000) END")
    patterns = "[" + ", ".join(inline_literal(f) for f in formats) + "]"
    parsed = f"try_strptime({text}, {patterns})"
    return f"CAST({parsed} AS DATE)" if kind == "date" else parsed
