"""`measure --csv`: the measured values copied out of the engine (appraisal.results.copying), a
row per appraisee and indicator, without a Python object per cell."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from appraisal.results.copying import copy_csv, number, text
from appraisal.scheme.model import INSUFFICIENT, OK
from appraisal.sql.dialect import inline_literal

if TYPE_CHECKING:
    from pathlib import Path

    from appraisal.engines.duckdb_engine import Engine
    from appraisal.measuring.tables import Wide

HEADER = ("appraisee", "indicator", "value", "rows", "status", "source", "flags")


def write_values(
    engine: Engine, wide: Wide, path: Path, flags: Mapping[str, tuple[str, ...]], tail: Sequence[Sequence[Any]] = (),
) -> None:
    """Write `wide`'s cells to `path`, a row per key and indicator in the keys' order, each
    indicator's cells with `flags` added; then the rows of `tail` (group rows, few)."""
    parts, flag_texts = [], []
    for n, column in enumerate(wide.columns):
        # joined with the measured flags, then judged whole with them (a data text)
        added = ", ".join(inline_literal(flag) for flag in flags.get(column.indicator, ()))
        joined = f"list_concat(f{n}, [{added}])" if added else f"f{n}"
        flag_texts.append(f"SELECT DISTINCT array_to_string({joined}, ';') AS flags FROM {wide.table}")
        parts.append(
            f"SELECT __row, {n} AS __n, appraisee, {text(column.indicator)} AS indicator,"
            f" {number(f'v{n}')} AS value, r{n} AS rows,"
            f" CASE WHEN v{n} IS NULL THEN {text(INSUFFICIENT)} ELSE {text(OK)} END AS status,"
            f" {text(column.source)} AS source, array_to_string({joined}, ';') AS flags"
            f" FROM {wide.table}")
    select = f"SELECT * FROM ({' UNION ALL '.join(parts)}) ORDER BY __row, __n"
    # every text of the two data columns, from a row per key (not one per key and indicator)
    texts = (f"SELECT appraisee, CAST(NULL AS VARCHAR) AS flags FROM {wide.table}"
             f" UNION ALL SELECT NULL, flags FROM ({' UNION ALL '.join(flag_texts)})")
    copy_csv(engine, select, HEADER, ("appraisee", "flags"), path, tail, texts_from=texts if parts else None)
