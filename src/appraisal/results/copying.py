"""CSV (and Parquet) files copied out of the engine, byte for byte the files Python's csv module writes:
CRLF line ends, minimal quoting, doubles as `repr` writes them, nothing for no value (and for
an empty text), `nan` for every NaN. At 100,000 appraisees a Python object per cell costs
seconds; `COPY` costs a fraction of one.

Exported text stays data (appraisal.results.inert): columns holding text from the data (ids,
names, teams, flags) are judged by `csv_text` like every exported text. The engine lists their
distinct values that could be formula-like (those not beginning with a letter, a digit or `_`;
a handful at most), Python judges them, and the escaped forms are joined back in. Constant
texts (indicator ids, statuses, sources, rules) are judged in Python before they go into SQL.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import duckdb

from appraisal.errors import AppraisalError
from appraisal.results.inert import csv_text, write_rows
from appraisal.results.replacing import io_reason, replacing
from appraisal.sql.dialect import inline_literal
from appraisal.sql.dialect import quote_identifier as q

if TYPE_CHECKING:
    from pathlib import Path

    from appraisal.engines.duckdb_engine import Engine

# A text beginning with one of these is never formula-like (see appraisal.results.inert).
_SAFE_START = r"^[\p{L}\p{N}_]"
# Python writes every NaN as `nan`; DuckDB writes one with its sign bit set as `-nan`.
NAN = "CAST('nan' AS DOUBLE)"
# Up to this many escaped texts are put in by a CASE; more, by a join (`copy_csv`): a CASE of
# 1,000 texts costs 0.08 s per 100,000 rows and column, the join and the sort after it less.
_CASED = 64
# The csv module's CRLF line ends; no comment character (DuckDB would quote a text holding `#`).
_OPTIONS = "HEADER, NEW_LINE '\\r\\n', COMMENT ''"


def text(value: str) -> str:
    """A constant text as an SQL literal, escaped as `csv_text` escapes it."""
    return inline_literal(csv_text(value))


def number(column: str) -> str:
    """A DOUBLE column as the csv module writes it (`nan` for every NaN)."""
    return f"CASE WHEN isnan({column}) THEN {NAN} ELSE {column} END"


def copy_csv(
    engine: Engine, select: str, columns: Sequence[str], data_texts: Sequence[str], path: Path,
    tail: Sequence[Sequence[Any]] = (), texts_from: str | None = None,
) -> None:
    """Write the rows of `select` (in its order; its columns named `columns`, the CSV's header)
    to `path`, whole or not at all, then the rows of `tail` (few, written by the csv module).
    `data_texts`: the columns holding text from the data, escaped where formula-like; every
    empty text of those is written as nothing, as the csv module writes it. `texts_from`: a
    cheaper query than `select` whose columns of those names take every value theirs do (the
    ids of a table of a row per appraisee and indicator are those of the appraisees)."""
    escaped = _escapes(engine, texts_from or select, data_texts)
    shown, joins = [], []
    for k, column in enumerate(columns):
        name = q(column)
        if column not in data_texts:
            shown.append(f"t.{name}")
        elif len(escaped) <= _CASED:  # a projection: the rows keep `select`'s order
            cases = " ".join(f"WHEN {inline_literal(raw)} THEN {inline_literal(to)}" for raw, to in escaped.items())
            found = f"CASE t.{name} {cases} ELSE t.{name} END" if escaped else f"t.{name}"
            shown.append(f"nullif({found}, '') AS {name}")
        else:
            joins.append(f" LEFT JOIN __escaped AS e{k} ON e{k}.raw = t.{name}")
            shown.append(f"nullif(coalesce(e{k}.shown, t.{name}), '') AS {name}")
    if joins:  # a join keeps no order: the rows are numbered first, and put back in it
        engine.connection.execute(
            "CREATE OR REPLACE TEMP TABLE __escaped AS"
            " SELECT unnest($1::VARCHAR[]) AS raw, unnest($2::VARCHAR[]) AS shown",
            [list(escaped), list(escaped.values())]).fetchall()
        numbered = f"SELECT *, row_number() OVER () AS __order FROM ({select})"
        query = f"SELECT {', '.join(shown)} FROM ({numbered}) AS t{''.join(joins)} ORDER BY t.__order"
    else:
        query = f"SELECT {', '.join(shown)} FROM ({select}) AS t"
    with _copying(engine, query, _OPTIONS, path, ".csv") as temp:
        if tail:
            with temp.open("a", newline="", encoding="utf-8") as handle:
                write_rows(handle, tail)


def copy_parquet(engine: Engine, select: str, path: Path) -> None:
    """Write the rows of `select` (in its order) to `path` as Parquet, whole or not at all."""
    with _copying(engine, select, "FORMAT PARQUET, COMPRESSION ZSTD", path, ".parquet"):
        pass


@contextmanager
def _copying(engine: Engine, select: str, options: str, path: Path, suffix: str) -> Iterator[Path]:
    """COPY `select` with `options` into the engine's own folder, then move it to a temporary
    name beside `path`, handed to the caller before it becomes `path` (`results.replacing`)."""
    assert engine.spill is not None  # the engine's private folder, the one place it may write
    copied = engine.spill / f"copied{suffix}"
    with replacing(path) as temp:  # first: a folder that cannot be written fails before the work
        try:
            engine.connection.execute(f"COPY ({select}) TO {inline_literal(str(copied))} ({options})")
            try:
                os.replace(copied, temp)  # the engine's folder and `path` on one file system
            except OSError:
                shutil.copyfile(copied, temp)
        except duckdb.IOException as exc:
            raise AppraisalError(f"cannot write {path}: {io_reason(str(exc))}") from None
        finally:
            copied.unlink(missing_ok=True)
        yield temp


def _escapes(engine: Engine, select: str, data_texts: Sequence[str]) -> dict[str, str]:
    """The texts of the `data_texts` columns that `csv_text` changes, with their changed form."""
    if not data_texts:
        return {}
    # One pass over `select` for all the columns (a UNION ALL would compute it once per column).
    texts = f"SELECT unnest([{', '.join(q(c) for c in data_texts)}]) AS text FROM ({select})"
    candidates = engine.connection.execute(
        f"SELECT DISTINCT text FROM ({texts}) WHERE text IS NOT NULL AND NOT regexp_matches(text, '{_SAFE_START}')"
    ).fetchall()
    return {found: changed for (found,) in candidates if (changed := csv_text(found)) != found}
