"""Datasets whose rows live in the engine's database (`source: table`): typed, checked and kept there.

A warehouse's table is measured where it is: only the appraisee x indicator table comes back.
So its rows are typed in the engine's dialect, from the table's own column types (a table
holds typed values; casting text is the database's work, in a view), into a temporary table of
the session named after the dataset, read by the measures as a shipped file's would be:

- a declared kind takes the matching column types (`number` from any number, `timestamp` from
  a timestamp, a date or an instant, the latter as wall-clock time in the scheme's zone); any
  other pairing is refused before a row is read, naming the column and both types;
- a value that does not fit becomes null and is counted as for a file: `unparseable number`
  (NaN, infinity), `unparseable integer` (a fraction, out of range), `negative duration`,
  with up to three examples as DuckDB writes them (the smallest, by that text);
- a repeated `key` keeps the first row by `first_by` (default: every declared column in
  order, nulls last, texts by code point), since a table has no file order, and the others
  are counted as `duplicate key`;
- `repeats` within the dataset are marked as `appraisal.sql.repeats` does for a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from appraisal.engines.duckdb_engine import QualityCount
from appraisal.engines.remote import DatabaseTables, reference
from appraisal.engines.table_repeats import marked, marked_in
from appraisal.errors import DataError
from appraisal.scheme.model import Dataset, Scheme
from appraisal.sql.dialect import Dialect, inline_literal

if TYPE_CHECKING:
    from appraisal.engines.duckdb_engine import Engine

_TEXTS = ("text",)
_NUMBERS = ("integer", "number", "decimal")
_ROW = "__n"  # a row's place among the rows of its key


@dataclass(frozen=True)
class Check:
    """A cell that failed to type: `cause` when the raw column is present and `failed` holds."""

    column: str  # the scheme's name
    raw: str  # the table's column, quoted
    cause: str
    failed: str


def in_database(scheme: Scheme) -> dict[str, Dataset]:
    """The datasets of `scheme` whose rows live in the engine's database."""
    return {name: d for name, d in scheme.datasets.items() if d.source.in_database}


@dataclass(frozen=True)
class Typed:
    """A table dataset's rows in the dialect: `typed` (every row, typed), `rows` (one per key),
    their quoted `columns`, the table's `source` reference and the `checks` of its cells."""

    source: str
    typed: str
    rows: str
    columns: list[str]
    checks: list[Check]


def stage_all(engine: Engine, scheme: Scheme) -> None:
    """Type, check and keep every table dataset of `scheme` in `engine`'s remote session; the
    counts join the engine's quality counts and rows read."""
    remote = engine.remote
    assert remote is not None
    if not all(callable(getattr(remote, method, None)) for method in ("columns", "stage")):
        raise DataError(f"the {remote.name} engine cannot read tables of its database (source: table)")
    tables = cast(DatabaseTables, remote)
    for name, dataset in in_database(scheme).items():
        typed = _typed_rows(tables, name, dataset, scheme.timezone, engine.dialect)
        rows, repeats = typed.rows, dataset.repeats
        if repeats is not None and dataset.period_by is not None:
            if repeats.looked_in is None:
                rows = marked(rows, dataset, typed.columns, engine.dialect)
            else:
                other = scheme.datasets[repeats.looked_in]
                looked = _typed_rows(tables, repeats.looked_in, other, scheme.timezone, engine.dialect).rows
                rows = marked_in(rows, typed.columns, dataset, other, looked, engine.dialect)
        tables.stage(name, rows)
        engine.tables[name] = name
        _count(engine, name, typed.source, typed.typed, dataset, typed.checks, engine.dialect)


def _typed_rows(remote: DatabaseTables, name: str, dataset: Dataset, tz: str, dialect: Dialect) -> Typed:
    assert dataset.source.table is not None
    source = reference(dataset.source.table, dialect)
    found = dict(remote.columns(source))
    renamed = {dataset.source.rename.get(column, column): column for column in found}
    label = f"dataset '{name}' (table {dataset.source.table})"
    needed = [c for c in (dataset.key, dataset.appraisee, dataset.placed_by) if c]
    needed += [dataset.via.on] if dataset.via else []
    needed += [*dataset.repeats.same, *([dataset.repeats.after] if dataset.repeats.after else [])] \
        if dataset.repeats else []
    missing = [c for c in dict.fromkeys([*dataset.columns, *needed]) if c not in renamed]
    if missing:
        raise DataError(f"{label} has no column {', '.join(repr(c) for c in missing)}; it has "
                        f"{', '.join(sorted(renamed)) or 'none'}")
    selects, checks = [], []
    for column in dict.fromkeys([*dataset.columns, *needed]):
        raw = dialect.quote_identifier(renamed[column])
        category = found[renamed[column]]
        kind = dataset.columns.get(column)
        if kind is None:  # not declared: as the table holds it, ids as text
            typed = dialect.text_of.format(x=raw) if column == dataset.appraisee and category == "integer" else raw
        else:
            typed, failing = _typed(raw, category, kind, tz, dialect, f"{label}: column '{column}'")
            checks += [Check(column, raw, cause, failed) for cause, failed in failing]
        selects.append(f"{typed} AS {dialect.quote_identifier(column)}")
    typed_rows = f"SELECT {', '.join(selects)} FROM {source}"
    columns = [dialect.quote_identifier(c) for c in dict.fromkeys([*dataset.columns, *needed])]
    rows = _first_of_each_key(typed_rows, dataset, columns, dialect) if dataset.key else typed_rows
    return Typed(source, typed_rows, rows, columns, checks)


def _typed(
    raw: str, category: str, kind: str, tz: str, dialect: Dialect, where: str,
) -> tuple[str, list[tuple[str, str]]]:
    """SQL of a column of `category` as the declared `kind`, and (cause, SQL true for a cell that
    does not fit) for each way it can fail."""
    double, x = dialect.double, raw
    finite = dialect.is_finite.format(x=x)
    if kind == "text" and category in _TEXTS:
        return f"nullif(trim({dialect.text_of.format(x=x)}), '')", []
    if kind == "text" and category == "integer":
        return dialect.text_of.format(x=x), []
    if kind == "integer" and category == "integer":
        return f"CAST({x} AS BIGINT)", []
    if kind == "integer" and category in ("number", "decimal"):
        fits = (f"{x} = {dialect.floor.format(x=x) if category == 'number' else f'floor({x})'}"
                f" AND {x} >= CAST(-9223372036854775808 AS {double}) AND {x} < CAST(9223372036854775808 AS {double})")
        fits = f"{finite} AND {fits}" if category == "number" else fits
        return f"CASE WHEN {fits} THEN CAST({x} AS BIGINT) END", [("unparseable integer", f"NOT ({fits})")]
    if kind == "number" and category in ("integer", "decimal"):
        return f"CAST({x} AS {double})", []
    if kind == "number" and category == "number":
        return f"CASE WHEN {finite} THEN CAST({x} AS {double}) END", [("unparseable number", f"NOT {finite}")]
    if kind == "flag" and category == "boolean":
        return x, []
    if kind == "date" and category in ("date", "timestamp"):
        return f"CAST({x} AS DATE)", []
    if kind == "timestamp" and category in ("date", "timestamp"):
        return f"CAST({x} AS {dialect.types['timestamp']})", []
    if kind == "timestamp" and category == "instant":
        return dialect.local_time.format(x=x, zone=inline_literal(tz)), []
    seconds = None
    if kind == "duration" and category in _NUMBERS:
        seconds = f"CAST({x} AS {double})"
    elif kind == "duration" and category == "interval" and dialect.interval_seconds is not None:
        seconds = dialect.interval_seconds.format(x=x)
    if seconds is not None:
        fine = dialect.is_finite.format(x=seconds)
        return (f"CASE WHEN {fine} AND {seconds} >= 0 THEN {seconds} END",
                [("negative duration", f"{fine} AND {seconds} < 0"), ("unparseable duration", f"NOT {fine}")])
    shown = category.removeprefix("other:")
    raise DataError(f"{where} is declared {kind} but the table holds {shown} values; declare the kind it holds, "
                    "or cast it in a view")


def _first_of_each_key(rows: str, dataset: Dataset, columns: list[str], dialect: Dialect) -> str:
    """`rows` with one row per key: the first by `first_by` (see the module docstring)."""
    assert dataset.key is not None
    key = dialect.quote_identifier(dataset.key)
    order = [dialect.quote_identifier(c) for c in dataset.first_by] or columns
    ordered = ", ".join(f"{c} NULLS LAST" for c in order)
    return (f"SELECT {', '.join(columns)} FROM (SELECT t.*, row_number() OVER (PARTITION BY {key} ORDER BY "
            f"{ordered}) AS {_ROW} FROM ({rows}) AS t) AS d WHERE {key} IS NULL OR {_ROW} = 1")


def _rows(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    found = engine.fetch(sql)
    return list(zip(*(column.to_pylist() for column in found.columns), strict=True))


def _count(engine: Engine, name: str, source: str, typed_rows: str, dataset: Dataset, checks: list[Check],
           dialect: Dialect) -> None:
    """Count the rows read, the repeated keys and the cells that failed to type, in two queries
    (the failing cells' examples in one more per cause found), in the order a file's are."""
    failing = [f"sum(CASE WHEN {c.raw} IS NOT NULL AND ({c.failed}) THEN 1 ELSE 0 END)" for c in checks]
    [(read, *counts)] = _rows(engine, f"SELECT {', '.join(['count(*)', *failing])} FROM {source}")
    engine.rows[name] = read = int(read or 0)
    if dataset.key:
        key = dialect.quote_identifier(dataset.key)
        [(repeated,)] = _rows(engine, f"SELECT count({key}) - count(DISTINCT {key}) FROM ({typed_rows}) AS t")
        if repeated:
            text = dialect.text_of.format(x=key)
            keys = (f"SELECT k FROM (SELECT {text} AS k, count(*) AS c FROM ({typed_rows}) AS t WHERE {key} IS NOT "
                    f"NULL GROUP BY {text}) AS g WHERE c > 1 ORDER BY k LIMIT 3")
            engine.quality.append(_quality(name, "duplicate key", dataset.key, int(repeated), read,
                                           tuple(str(k) for (k,) in _rows(engine, keys))))
    for check, count in zip(checks, counts, strict=True):
        if count:
            engine.quality.append(_quality(name, check.cause, check.column, int(count), read,
                                           _examples(engine, source, check, dialect)))


def _examples(engine: Engine, source: str, check: Check, dialect: Dialect) -> tuple[str, ...]:
    """The three smallest distinct failing values as DuckDB writes them (as for a file), from the
    first thousand by the engine's own text of them."""
    text = dialect.text_of.format(x="v")
    values = engine.fetch(f"SELECT v FROM (SELECT DISTINCT {check.raw} AS v FROM {source} WHERE {check.raw} "
                          f"IS NOT NULL AND ({check.failed})) AS d ORDER BY {text} LIMIT 1000")
    engine.connection.register("__examples", values)
    try:
        shown = engine.connection.execute("SELECT DISTINCT CAST(v AS VARCHAR) FROM __examples").fetchall()
    finally:
        engine.connection.unregister("__examples")
    return tuple(sorted(str(v) for (v,) in shown)[:3])


def _quality(dataset: str, cause: str, column: str, count: int, read: int, examples: tuple[str, ...]) -> QualityCount:
    return QualityCount(dataset, cause, column, count, rows=read, examples=examples)
