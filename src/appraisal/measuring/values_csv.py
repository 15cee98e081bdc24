"""`measure --csv`: the measured values copied out of the engine, byte for byte the file Python's
csv module would write from the cells (CRLF line ends, minimal quoting, doubles as `repr`
writes them, nothing for no value), without a Python object per cell.

Exported text stays data (appraisal.results.inert): texts from the data (appraisee ids, flags)
are judged by `csv_text` like every exported text. The engine lists the distinct ones that could
be formula-like (those not beginning with a letter, a digit or `_`; a handful at most), Python
judges them, and the escaped forms are joined back in. Constant texts (indicator ids, statuses,
sources, flags added after measuring) are judged in Python before they go into the query.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import duckdb

from appraisal.errors import AppraisalError
from appraisal.measuring.tables import Wide
from appraisal.results.inert import csv_text, write_rows
from appraisal.results.replacing import io_reason, replacing
from appraisal.scheme.model import INSUFFICIENT, OK
from appraisal.sql.dialect import inline_literal

if TYPE_CHECKING:
    from pathlib import Path

    from appraisal.engines.duckdb_engine import Engine

HEADER = ("appraisee", "indicator", "value", "rows", "status", "source", "flags")
# A text beginning with one of these is never formula-like (see appraisal.results.inert).
_SAFE_START = r"^[\p{L}\p{N}_]"
# The csv module's CRLF line ends; no comment character (DuckDB would quote a text holding `#`).
# Python writes every NaN as `nan`; DuckDB writes one with its sign bit set as `-nan`.
_NAN = "CAST('nan' AS DOUBLE)"
_OPTIONS = "HEADER, NEW_LINE '\\r\\n', COMMENT ''"


def write_values(
    engine: Engine, wide: Wide, path: Path, flags: Mapping[str, tuple[str, ...]], tail: Sequence[Sequence[Any]] = (),
) -> None:
    """Write `wide`'s cells to `path`, a row per key and indicator in the keys' order, each
    indicator's cells with `flags` added; then the rows of `tail` (group rows, few)."""
    assert engine.spill is not None  # the engine's private folder, the one place it may write
    long = _long(wide, flags)
    escaped = _escapes(engine, long)
    if escaped:
        engine.connection.execute(
            "CREATE OR REPLACE TEMP TABLE __escaped AS"
            " SELECT unnest($1::VARCHAR[]) AS raw, unnest($2::VARCHAR[]) AS shown",
            [list(escaped), list(escaped.values())]).fetchall()
        appraisee = "coalesce((SELECT shown FROM __escaped WHERE raw = appraisee), appraisee)"
        flag_text = "coalesce((SELECT shown FROM __escaped WHERE raw = flags), flags)"
    else:
        appraisee, flag_text = "appraisee", "flags"
    select = (f"SELECT nullif({appraisee}, '') AS appraisee, indicator, value, rows, status, source,"
              f" nullif({flag_text}, '') AS flags FROM ({long}) ORDER BY __row, __n")
    copied = engine.spill / "values.csv"
    with replacing(path) as temp:  # first: a folder that cannot be written fails before the work
        try:
            engine.connection.execute(f"COPY ({select}) TO {inline_literal(str(copied))} ({_OPTIONS})")
            try:
                os.replace(copied, temp)  # the engine's folder and `path` on one file system
            except OSError:
                shutil.copyfile(copied, temp)
        except duckdb.IOException as exc:
            raise AppraisalError(f"cannot write {path}: {io_reason(str(exc))}") from None
        finally:
            copied.unlink(missing_ok=True)
        if tail:
            with temp.open("a", newline="", encoding="utf-8") as handle:
                write_rows(handle, tail)


def _long(wide: Wide, flags: Mapping[str, tuple[str, ...]]) -> str:
    """A row per key and column of `wide`: the values CSV's columns before escaping, `__row`, `__n`."""
    parts = []
    for n, column in enumerate(wide.columns):
        added = ", ".join(inline_literal(flag) for flag in flags.get(column.indicator, ()))
        joined = f"list_concat(f{n}, [{added}])" if added else f"f{n}"
        parts.append(
            f"SELECT __row, {n} AS __n, appraisee, {inline_literal(csv_text(column.indicator))} AS indicator,"
            f" CASE WHEN isnan(v{n}) THEN {_NAN} ELSE v{n} END AS value, r{n} AS rows,"
            f" CASE WHEN v{n} IS NULL THEN {inline_literal(INSUFFICIENT)} ELSE {inline_literal(OK)} END AS status,"
            f" {inline_literal(csv_text(column.source))} AS source, array_to_string({joined}, ';') AS flags"
            f" FROM {wide.table}")
    return " UNION ALL ".join(parts)


def _escapes(engine: Engine, long: str) -> dict[str, str]:
    """The texts among the appraisee ids and flags that `csv_text` changes, with their changed form."""
    candidates = engine.connection.execute(
        f"SELECT DISTINCT text FROM (SELECT appraisee AS text FROM ({long}) UNION ALL SELECT flags FROM ({long}))"
        f" WHERE text IS NOT NULL AND NOT regexp_matches(text, '{_SAFE_START}')").fetchall()
    return {text: shown for (text,) in candidates if (shown := csv_text(text)) != text}
