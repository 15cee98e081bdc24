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

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from appraisal.engines.duckdb_engine import QualityCount
from appraisal.engines.id_texts import undeclared_ids
from appraisal.engines.remote import DatabaseTables, cut, reference
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
    category: str = "number"  # the table's kind of values in the column


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
    counts join the engine's quality counts and rows read. Every table is read and counted
    before the first is kept, so no temporary table can stand in for a table it is named after."""
    remote = engine.remote
    assert remote is not None
    if not in_database(scheme):
        return
    if not all(callable(getattr(remote, method, None)) for method in ("columns", "stage")):
        raise DataError(f"the {remote.name} engine cannot read tables of its database (source: table)")
    tables = cast(DatabaseTables, remote)
    typed = {name: _typed_rows(tables, name, scheme, engine.dialect) for name in in_database(scheme)}
    repeated = {name: _count(engine, name, found.source, found.typed, scheme.datasets[name], found.checks,
                             engine.dialect) for name, found in typed.items()}
    for name, found in typed.items():
        dataset = scheme.datasets[name]
        # no repeated key: no window to keep the first of each (a sort of the whole table)
        rows, repeats = found.rows if repeated[name] else found.typed, dataset.repeats
        if repeats is not None and dataset.period_by is not None:
            if repeats.looked_in is None:
                rows = marked(rows, dataset, found.columns, engine.dialect)
            else:
                other = scheme.datasets[repeats.looked_in]
                rows = marked_in(rows, found.columns, dataset, other, typed[repeats.looked_in].rows, engine.dialect)
        tables.stage(name, rows)
        engine.tables[name] = name


def _needed(name: str, scheme: Scheme) -> list[str]:
    """The columns of dataset `name` the measures read beyond the declared ones: its ids and
    times, and what other datasets read of it (a `via` order, a comeback's time)."""
    dataset = scheme.datasets[name]
    found = [c for c in (dataset.key, dataset.appraisee, dataset.placed_by) if c]
    found += [dataset.via.on] if dataset.via else []
    if dataset.repeats:
        found += [*dataset.repeats.same, *([dataset.repeats.after] if dataset.repeats.after else [])]
    for other in scheme.datasets.values():
        if other.via is not None and other.via.dataset == name:
            found += [other.via.on, *([other.via.order_by] if other.via.order_by else [])]
        if other.repeats is not None and other.repeats.looked_in == name:
            found += [*other.repeats.same, *([other.repeats.at] if other.repeats.at else [])]
    return found


def _typed_rows(remote: DatabaseTables, name: str, scheme: Scheme, dialect: Dialect) -> Typed:
    dataset, tz, ids = scheme.datasets[name], scheme.timezone, undeclared_ids(scheme)[name]
    assert dataset.source.table is not None
    label = f"dataset '{name}' (table {dataset.source.table})"
    source = reference(dataset.source.table, dialect)
    found = dict(remote.columns(source))
    rename = {cut(old, dialect): new for old, new in dataset.source.rename.items()}
    wanted = list(dict.fromkeys([*dataset.columns, *_needed(name, scheme)]))
    _one_cut_each(label, [*dataset.source.rename, *wanted], dialect)
    renamed = _renamed(label, list(found), rename)
    for column in wanted:  # a name longer than the engine keeps is the table's cut one
        if column not in renamed and cut(column, dialect) in renamed:
            renamed[column] = renamed[cut(column, dialect)]
    if missing := [c for c in wanted if c not in renamed]:
        raise DataError(f"{label} has no column {', '.join(repr(c) for c in missing)}; it has "
                        f"{', '.join(sorted(renamed)) or 'none'}")
    selects, checks = [], []
    for column in wanted:
        raw = dialect.quote_identifier(renamed[column])
        category = found[renamed[column]]
        kind = dataset.columns.get(column)
        if kind is None and column in ids and category in (*_TEXTS, "integer"):
            kind = "text"  # an id compared with the roster's key, trimmed as a file's (engines.id_texts)
        if kind is None:  # not declared: as the table holds it; texts and ids compare by code point
            typed = dialect.text_of.format(x=raw) if category in _TEXTS else raw
        else:
            typed, failing = _typed(raw, category, kind, tz, dialect, f"{label}: column '{column}'")
            checks += [Check(column, raw, cause, failed, category) for cause, failed in failing]
        selects.append(f"{typed} AS {dialect.quote_identifier(column)}")
    typed_rows = f"SELECT {', '.join(selects)} FROM {source}"
    columns = [dialect.quote_identifier(c) for c in wanted]
    rows = _first_of_each_key(typed_rows, dataset, columns, dialect) if dataset.key else typed_rows
    return Typed(source, typed_rows, rows, columns, checks)


def _one_cut_each(label: str, names: list[str], dialect: Dialect) -> None:
    """Two names the engine keeps alike (PostgreSQL: the same first 63 bytes) would read one column."""
    seen: dict[str, str] = {}
    for name in dict.fromkeys(names):
        if (short := cut(name, dialect)) in seen and seen[short] != name:
            raise DataError(f"{label}: columns {seen[short]!r} and {name!r} begin with the same "
                            f"{dialect.name_bytes} bytes, which is all of a name {dialect.name} keeps; rename one")
        seen[short] = name


def _renamed(label: str, columns: list[str], rename: Mapping[str, str]) -> dict[str, str]:
    """The scheme's name of each column -> the table's; a `rename` of a column the table lacks,
    or one that gives two columns one name, is refused as for a file."""
    if unknown := [c for c in rename if c not in columns]:
        raise DataError(f"{label}: rename names {', '.join(repr(c) for c in unknown)}, which the table does not "
                        f"have; it has {', '.join(sorted(columns)) or 'none'}")
    named: dict[str, str] = {}
    for column in columns:
        scheme_name = rename.get(column, column)
        if scheme_name in named:
            raise DataError(f"{label}: columns {named[scheme_name]!r} and {column!r} would both be called "
                            f"{scheme_name!r}; rename one of them")
        named[scheme_name] = column
    return named


def _typed(
    raw: str, category: str, kind: str, tz: str, dialect: Dialect, where: str,
) -> tuple[str, list[tuple[str, str]]]:
    """SQL of a column of `category` as the declared `kind`, and (cause, SQL true for a cell that
    does not fit) for each way it can fail."""
    double, x = dialect.double, raw
    finite = dialect.is_finite.format(x=x)
    if kind == "text" and category in _TEXTS:
        return f"nullif({dialect.trim.format(x=dialect.text_of.format(x=x))}, '')", []
    if kind == "text" and category == "integer":
        return dialect.text_of.format(x=x), []
    if kind == "integer" and category == "integer":
        return f"CAST({x} AS BIGINT)", []
    if kind == "integer" and category == "number":
        fits = (f"{finite} AND {x} = {dialect.floor.format(x=x)} AND {x} >= CAST(-9223372036854775808 AS {double})"
                f" AND {x} < CAST(9223372036854775808 AS {double})")
        return f"CASE WHEN {fits} THEN CAST({x} AS BIGINT) END", [("unparseable integer", f"NOT ({fits})")]
    if kind == "integer" and category == "decimal":  # compared exactly; PostgreSQL's numeric has NaN
        fits = f"{finite} AND {x} = floor({x}) AND {x} >= -9223372036854775808 AND {x} <= 9223372036854775807"
        return f"CASE WHEN {fits} THEN CAST({x} AS BIGINT) END", [("unparseable integer", f"NOT ({fits})")]
    if kind == "number" and category == "integer":
        return f"CAST({x} AS {double})", []
    if kind == "number" and category in ("number", "decimal"):
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
    # ties in `first_by` are broken by the other columns, so the row kept never depends on the scan
    order = list(dict.fromkeys([*(dialect.quote_identifier(c) for c in dataset.first_by), *columns]))
    ordered = ", ".join(f"{c} NULLS LAST" for c in order)
    return (f"SELECT {', '.join(columns)} FROM (SELECT t.*, row_number() OVER (PARTITION BY {key} ORDER BY "
            f"{ordered}) AS {_ROW} FROM ({rows}) AS t) AS d WHERE {key} IS NULL OR {_ROW} = 1")


def _rows(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    found = engine.fetch(sql)
    return list(zip(*(column.to_pylist() for column in found.columns), strict=True))


def _count(engine: Engine, name: str, source: str, typed_rows: str, dataset: Dataset, checks: list[Check],
           dialect: Dialect) -> int:
    """Count the rows read, the repeated keys and the cells that failed to type, in two queries
    (the failing cells' examples in one more per cause found), in the order a file's are; the
    rows a repeated key adds (0 without a key)."""
    failing = [f"sum(CASE WHEN {c.raw} IS NOT NULL AND ({c.failed}) THEN 1 ELSE 0 END)" for c in checks]
    [(read, *counts)] = _rows(engine, f"SELECT {', '.join(['count(*)', *failing])} FROM {source}")
    engine.rows[name] = read = int(read or 0)
    repeated = 0
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
    return int(repeated or 0)


def _examples(engine: Engine, source: str, check: Check, dialect: Dialect) -> tuple[str, ...]:
    """The three smallest distinct failing values as DuckDB writes them (as for a file), from the
    first thousand by the engine's own text of them. A decimal is its text everywhere (2.500);
    a double's differs (NaN, 1.0E20), so doubles come back as numbers and DuckDB writes them."""
    text = dialect.text_of.format(x="v")
    shown_as = text if check.category == "decimal" else "v"
    values = engine.fetch(f"SELECT {shown_as} AS v FROM (SELECT DISTINCT {check.raw} AS v FROM {source} WHERE "
                          f"{check.raw} IS NOT NULL AND ({check.failed})) AS d ORDER BY {text} LIMIT 1000")
    engine.connection.register("__examples", values)
    try:
        shown = engine.connection.execute("SELECT DISTINCT CAST(v AS VARCHAR) FROM __examples").fetchall()
    finally:
        engine.connection.unregister("__examples")
    return tuple(sorted(str(v) for (v,) in shown)[:3])


def _quality(dataset: str, cause: str, column: str, count: int, read: int, examples: tuple[str, ...]) -> QualityCount:
    return QualityCount(dataset, cause, column, count, rows=read, examples=examples)
