"""The embedded engine: declared files loaded into DuckDB, locked down, columns coerced.

`open_engine(scheme, sources)` checks that every declared file exists, opens an in-memory DuckDB that
may read those files and nothing else (no extension is installed or loaded behind our back),
loads each source through its plugin into `<name>__raw`, and builds the typed table `<name>`
(`roster` for the roster) by coercing the declared columns in SQL. Undeclared columns pass
through as read, but for the ids that name people, texts (`appraisal.engines.id_texts`), and
the roster's employment dates. Cells that are not empty but do not coerce become NULL and are
counted per column and cause (`unparseable date`, ...), in one query per table.

Typed values: `date` is DATE; `timestamp` is TIMESTAMP, wall-clock time in the scheme's zone
(a value written with an offset, `...T10:00+08:00`, is converted into that zone); `duration`
is seconds as DOUBLE (`h:mm[:ss]`, a time of day, or a plain number of seconds), because
seconds aggregate and compare the same way in every SQL dialect where INTERVAL does not; a
negative duration becomes NULL and is counted; `flag` is BOOLEAN; `text` is trimmed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from appraisal import interrupts
from appraisal.engines import duplicates
from appraisal.engines.beside import beside
from appraisal.engines.coercion import always_fits, blank, coerce_sql, present
from appraisal.engines.file_columns import built_columns, drop_relation, named_view, rejected_counts, scheme_names
from appraisal.engines.id_texts import roster_columns, undeclared_ids
from appraisal.engines.locked import locked_connection
from appraisal.engines.memory import (
    engine_limit,
    is_out_of_memory,
    memory_limit,
    out_of_memory,
    parse_size,
    spill_dir,
)
from appraisal.engines.pulled import pulling
from appraisal.engines.sources import SourceRegistry
from appraisal.errors import AppraisalError, DataError
from appraisal.scheme.data_roots import check_source
from appraisal.scheme.model import RATING_COLUMNS, RATINGS, ROSTER, ColumnFormat, Scheme, Source
from appraisal.sql.dialect import DUCKDB, Dialect
from appraisal.sql.dialect import quote_identifier as q
from appraisal.sql.repeats import derive_all

if TYPE_CHECKING:
    import pyarrow as pa

    from appraisal.engines.remote import RemoteSession
    from appraisal.sql.query import CompiledQuery


@dataclass(frozen=True)
class QualityCount:
    """`count` cells of `dataset`.`column` that a cause (`unparseable date`) turned into NULL.

    `cause` is always English words; `cause_parts` ({key, ...}, see appraisal.rendering.phrasing) is there
    when the cause carries a text the scheme gives per language (an exclusion's reason). `rows`
    is how many rows the cause was looked for among (the share's denominator; None: not known),
    `examples` up to three of the raw values concerned, as text, smallest first. A row that
    could not be read at all (`ragged row`) has no column (`column` is empty) and no examples
    (its content is never quoted), but `lines`: the first few line numbers."""

    dataset: str
    cause: str
    column: str
    count: int
    cause_parts: Mapping[str, Any] | None = None
    rows: int | None = None
    examples: tuple[str, ...] = ()
    lines: tuple[int, ...] = ()  # for rows a reader skipped: the first few line numbers


CALENDAR = "__calendar"  # the working days, for the business-hours functions


@dataclass
class Engine:
    """An open, locked-down DuckDB connection with the scheme's tables loaded and typed; with a
    `remote` session attached, the datasets' queries run there (`appraisal.engines.remote`)."""

    connection: duckdb.DuckDBPyConnection
    tables: dict[str, str] = field(default_factory=dict)
    quality: list[QualityCount] = field(default_factory=list)
    spill: Path | None = None
    # rows read per dataset (and roster, ratings), duplicates included
    rows: dict[str, int] = field(default_factory=dict)
    memory_limit: int | None = None  # bytes DuckDB may hold before it spills: its share (appraisal.engines.memory)
    remote: RemoteSession | None = None

    @property
    def dialect(self) -> Dialect:
        """The dialect the datasets' queries are written in: the remote engine's, if any."""
        return self.remote.dialect if self.remote is not None else DUCKDB

    def described(self) -> dict[str, str]:
        """The engine the datasets were measured on, for provenance: name, version, dialect."""
        if self.remote is None:
            return {"name": DUCKDB.name, "version": duckdb.__version__, "dialect": DUCKDB.name}
        return {"name": self.remote.name, "version": self.remote.version, "dialect": self.remote.dialect.name}

    def attach(self, remote: RemoteSession, tables: Sequence[str], as_text: Mapping[str, Sequence[str]]) -> None:
        """Run the datasets' queries on `remote` from now on: `tables` (typed) are shipped to it,
        staged in the private spill folder; the columns of `as_text` (the ids the queries turn
        into text: roster keys, appraisees) go as DuckDB's text of them, since every engine
        writes a number as text its own way (DuckDB `1001.0`, PostgreSQL `1001`). The session is
        closed with the engine."""
        self.remote = remote
        assert self.spill is not None
        sources = {}
        for table in tables:
            types = dict(self.connection.execute(f"SELECT column_name, column_type FROM (DESCRIBE {q(table)})")
                         .fetchall())
            texts = [c for c in as_text.get(table, ()) if c in types and types[c] != "VARCHAR"]
            replaced = ", ".join(f"CAST({q(c)} AS VARCHAR) AS {q(c)}" for c in dict.fromkeys(texts))
            sources[table] = f"SELECT * {f'REPLACE ({replaced}) ' if replaced else ''}FROM {q(table)}"
        remote.ship(self.connection, sources, self.spill)

    def keep(self, query: CompiledQuery, table: str, *, here: bool = False) -> None:
        """Run `query` into the temporary table `table` of the embedded engine: on the remote
        engine if one is attached (a query in its dialect), with only the result copied back,
        else (or `here`) in DuckDB."""
        if self.remote is None or here:
            assert query.dialect == DUCKDB.name
            self.connection.execute(f"CREATE TEMP TABLE {table} AS {query.sql}", list(query.params)).fetchall()
            return
        assert query.dialect == self.remote.dialect.name
        self.connection.register("__fetched", self.remote.fetch(query.sql, query.params))
        try:
            self.connection.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM __fetched").fetchall()
        finally:
            self.connection.unregister("__fetched")

    def fetch(self, sql: str, params: Sequence[object] = ()) -> pa.Table:
        """The rows of one query as Arrow: on the remote engine if one is attached (`sql` in
        its dialect), else here; `?` placeholders either way."""
        if self.remote is not None:
            return self.remote.fetch(sql, params)
        try:
            result = self.connection.sql(sql, params=list(params))
            # DuckDB 2.0 calls it to_arrow_table, 1.4 fetch_arrow_table
            arrow = getattr(result, "to_arrow_table", None) or result.fetch_arrow_table
            table: pa.Table = arrow()
            return table
        except duckdb.Error as exc:
            if is_out_of_memory(exc):
                raise out_of_memory() from exc
            raise DataError(f"DuckDB could not run the query: {' '.join(str(exc).split())}") from None

    def close(self) -> None:
        try:
            if self.remote is not None:
                self.remote.close()
        finally:  # a remote session that fails to close still leaves nothing here
            interrupts.unregister_connection(self.connection)
            self.connection.close()
        if self.spill is not None:
            shutil.rmtree(self.spill, ignore_errors=True)
            interrupts.unregister_path(self.spill)

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, kind: object, exc: BaseException | None, traceback: object) -> None:
        self.close()
        if isinstance(exc, duckdb.Error) and is_out_of_memory(exc):
            raise out_of_memory() from exc  # a query of the engine's user (measuring) did not fit


def open_engine(
    scheme: Scheme, sources: SourceRegistry, *, threads: int | None = None, remote: RemoteSession | None = None,
    checked: Callable[[], object] | None = None,
) -> Engine:
    """Load and type every table the scheme declares, each through its reader in `sources` (the
    plugins' source readers); see the module docstring. With `remote`, a roster or ratings
    that live in its database (`source: table`) are read from there and typed here as a file's.
    `checked` is called once every file has passed the checks (inside the data roots, a file),
    before any is read: `run` starts hashing them then."""
    registry = sources if remote is None else pulling(sources, remote)
    base = Path(scheme.source).resolve().parent
    declared = _declared(scheme)
    for label, source in declared:
        registry.get(source.source)  # an unknown source name fails before any file is read
        if source.in_database:
            continue
        check_source(label, source, base)  # only inside the scheme's folder and the data roots
        if source.path.is_dir():
            raise DataError(f"{label}: {_shown(source.path, base)} is a folder, not a file")
        if not source.path.is_file():
            raise DataError(f"{label}: file not found: {_shown(source.path, base)}")
    if checked is not None:
        checked()
    # a bad setting fails before any folder is made; DuckDB gets the limit less the rest of the process
    limit, spill_parent = engine_limit(parse_size(memory_limit())), spill_dir()
    with interrupts.deferred():  # removed even when a signal stops the run (appraisal.interrupts)
        scratch = Path(tempfile.mkdtemp(prefix="appraisal-"))
        interrupts.register_path(scratch)
        spill = Path(tempfile.mkdtemp(prefix="appraisal-spill-", dir=spill_parent))
        interrupts.register_path(spill)
    try:
        files = sorted({str(s.path) for _, s in declared if not s.in_database})
        connection = locked_connection(files, scratch, spill, threads, limit)
        engine = Engine(connection, spill=spill, memory_limit=limit)
        try:
            _load_all(engine, scheme, registry, base, scratch)
            _load_calendar(engine, scheme)
            _derive_repeats(engine, scheme)
            connection.execute("SET lock_configuration = true").fetchall()
        except duckdb.Error as exc:
            engine.close()
            if is_out_of_memory(exc):
                raise out_of_memory() from exc
            raise
        except BaseException:
            engine.close()
            raise
    except BaseException:
        shutil.rmtree(spill, ignore_errors=True)
        interrupts.unregister_path(spill)
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        interrupts.unregister_path(scratch)
    return engine


def _derive_repeats(engine: Engine, scheme: Scheme) -> None:
    """Add each file dataset's repeat-problem column (see appraisal.sql.repeats) once its rows are
    clean (a table's are added where it lives: appraisal.engines.tables)."""
    derive_all(engine.connection, {name: d for name, d in scheme.datasets.items() if not d.source.in_database})


def _load_calendar(engine: Engine, scheme: Scheme) -> None:
    """`__calendar`: one row per working day from 2000 to 2099 with its opening and closing
    time, for the business-hours functions; every literal bound."""
    cal = scheme.calendar
    engine.connection.execute(
        f"CREATE TABLE {CALENDAR} AS SELECT CAST(d AS DATE) AS day,"
        " CAST(d AS DATE) + CAST($1 AS TIME) AS opens_at, CAST(d AS DATE) + CAST($2 AS TIME) AS closes_at"
        " FROM range(DATE '2000-01-01', DATE '2100-01-01', INTERVAL 1 DAY) AS t(d)"
        " WHERE (isodow(d) IN (SELECT unnest($3::INTEGER[])) AND CAST(d AS DATE) NOT IN (SELECT unnest($4::DATE[])))"
        " OR CAST(d AS DATE) IN (SELECT unnest($5::DATE[]))",
        [cal.opens, cal.closes, list(cal.days), list(cal.holidays), list(cal.workdays)],
    ).fetchall()


def _declared(scheme: Scheme) -> list[tuple[str, Source]]:
    found = [("roster", scheme.roster.source)] if scheme.roster else []
    found += [("ratings", scheme.ratings)] if scheme.ratings else []
    return found + [(f"dataset '{name}'", d.source) for name, d in scheme.datasets.items()
                    if not d.source.in_database]  # a table of the database is typed there


def _shown(path: Path, base: Path) -> str:
    """The path as the scheme wrote it: relative to the scheme's folder, with `/`."""
    return Path(os.path.relpath(path, base)).as_posix()


def _load_all(engine: Engine, scheme: Scheme, registry: SourceRegistry, base: Path, scratch: Path) -> None:
    tz = scheme.timezone
    if scheme.roster is not None:
        r = scheme.roster
        needed = [r.key, *r.fields.values(), *r.columns]
        _load_one(engine, registry, "roster", ROSTER, ROSTER, r.source, roster_columns(r), needed, tz, base, scratch,
                  r.key, r.formats)
        _count_empty_ids(engine, r.key)
    if scheme.ratings is not None:
        # A 360-degree review also says which rater group each rating comes from.
        grouped = any(i.raters for i in scheme.indicators)
        columns = {**RATING_COLUMNS, "group": "text"} if grouped else RATING_COLUMNS
        _load_one(engine, registry, "ratings", RATINGS, RATINGS, scheme.ratings, columns, list(columns), tz, base,
                  scratch)
    ids = undeclared_ids(scheme)
    for name, dataset in scheme.datasets.items():
        if dataset.source.in_database:
            continue
        needed = [c for c in (dataset.key, dataset.appraisee, dataset.placed_by) if c]
        needed += [dataset.via.on] if dataset.via else []
        needed += list(dataset.columns)
        columns = {**dict.fromkeys(ids[name], "text"), **dataset.columns}
        _load_one(engine, registry, f"dataset '{name}'", name, name, dataset.source, columns,
                  needed, tz, base, scratch, dataset.key, dataset.formats)


def _count_empty_ids(engine: Engine, key: str) -> None:
    """Roster rows without an id (empty or blank) appraise nobody: counted as `empty id` and
    left out (a streamed roster, a view, keeps them to the measuring query's own filter)."""
    connection, blank_id = engine.connection, blank(f"CAST({q(key)} AS VARCHAR)")
    [(empty,)] = connection.execute(f"SELECT count(*) FROM {q(ROSTER)} WHERE {blank_id}").fetchall()
    if not empty:
        return
    engine.quality.append(QualityCount(ROSTER, "empty id", key, int(empty)))
    [(is_table,)] = connection.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary", [ROSTER]).fetchall()
    if is_table:
        connection.execute(f"DELETE FROM {q(ROSTER)} WHERE {blank_id}").fetchall()


def _drop_duplicates(engine: Engine, table: str, key: str) -> None:
    """Keep the first row of each key in file order (the table's rowid order); count the others
    as `duplicate key` (appraisal.engines.duplicates finds them).

    Rows with no key are kept: nothing says they repeat another row. A table loses its few
    repeats in place (a DELETE is far cheaper than a rewrite); a streamed dataset is handled
    by `_drop_streamed_duplicates`.
    """
    connection, dropped = engine.connection, f"{table}__dropped"
    found = duplicates.find(connection, table, key, "rowid", dropped)
    if found.rows:
        connection.execute(f"DELETE FROM {q(table)} WHERE rowid IN (SELECT file_row FROM {q(dropped)})").fetchall()
        engine.quality.append(QualityCount(table, "duplicate key", key, found.rows, examples=found.examples))
    connection.execute(f"DROP TABLE {q(dropped)}").fetchall()


def _drop_streamed_duplicates(engine: Engine, table: str, key: str, raw: str, raw_type: str, kind: str | None) -> None:
    """`_drop_duplicates` for a streamed dataset: the view `table` over `<table>__all` (the typed
    rows, a view over the file) without the repeats, told apart by their file row numbers.

    When the typed key is the file's own value (an undeclared key, or a text key with no
    surrounding spaces: empty cells type as no key and are left out, and the search stops at
    a key with spaces), the raw values are compared, which is much cheaper than computing the
    typed ones; otherwise the typed key. The view filters on row numbers alone, so that queries
    over it never read or compare the key column again.
    """
    connection = engine.connection
    typed, dropped = f"{table}__all", f"{table}__dropped"
    if kind == "text" and raw_type == "VARCHAR":  # typed: trimmed, blank as no key
        found = duplicates.find(connection, raw, key, "__file_row", dropped, as_text=True)
        if found.spaced:  # trimming may make two keys one: compare the typed keys after all
            found = duplicates.find(connection, typed, key, "__file_row", dropped)
    else:  # an undeclared column passes through as read
        found = duplicates.find(connection, raw if kind is None else typed, key, "__file_row", dropped)
    if not found.rows:
        connection.execute(f"DROP TABLE IF EXISTS {q(dropped)}").fetchall()
        connection.execute(f"CREATE VIEW {q(table)} AS SELECT * EXCLUDE (__file_row) FROM {q(typed)}").fetchall()
        return
    connection.execute(
        f"CREATE VIEW {q(table)} AS SELECT a.* EXCLUDE (__file_row) FROM {q(typed)} AS a "
        f"ANTI JOIN {q(dropped)} AS d ON a.__file_row = d.file_row"
    ).fetchall()
    engine.quality.append(QualityCount(table, "duplicate key", key, found.rows, examples=found.examples))


def _load_one(
    engine: Engine, registry: SourceRegistry, label: str, dataset: str, table: str, source: Source,
    columns: Mapping[str, str], needed: Iterable[str], tz: str, base: Path, scratch: Path,
    key: str | None = None, formats: Mapping[str, ColumnFormat] | None = None,
) -> None:
    raw = f"{table}__raw"
    reader = registry.get(source.source)
    shown = f"the table {source.table}" if source.in_database else _shown(source.path, base)
    where = f"{label}: cannot read {shown} as {source.source}"
    try:
        reader.run(engine.connection, raw, source, scratch)
    except AppraisalError as exc:
        raise DataError(f"{where}: {exc}") from exc
    except (duckdb.Error, OSError, ValueError) as exc:
        if is_out_of_memory(exc):
            raise out_of_memory() from exc
        raise DataError(f"{where}: {_without_lines(str(exc))}") from exc
    described = engine.connection.execute(f"DESCRIBE {q(raw)}").fetchall()
    file_types = {row[0]: str(row[1]).upper() for row in described}
    built = built_columns(formats or {})
    names = scheme_names(label, [c for c in file_types if c != "__file_row"], source.rename, needed, built)
    named = named_view(engine.connection, raw, file_types, names, built)
    raw_types = file_types if named == raw else {
        row[0]: str(row[1]).upper() for row in engine.connection.execute(f"DESCRIBE {q(named)}").fetchall()}
    declared = dict(columns)
    patterns = {name: f.formats for name, f in (formats or {}).items() if f.formats}
    _type_table(engine, dataset, table, named, raw_types, declared, tz, key, patterns)
    # the reader records the rows it skipped while the rows were typed (the file's first scan)
    skipped = reader.rejected(engine.connection, raw) if reader.rejected is not None else None
    rejected = rejected_counts(engine.connection, skipped) if skipped is not None else []
    total = engine.rows.get(dataset, 0) + sum(count for _, count, _ in rejected)  # every row of the file
    for cause, count, lines in rejected:
        engine.quality.append(QualityCount(dataset, cause, "", count, rows=total, lines=lines))
    if named != raw and "__file_row" not in file_types:
        drop_relation(engine.connection, raw)


def _checks(raw_types: dict[str, str], declared: dict[str, str], tz: str,
            formats: Mapping[str, tuple[str, ...]]) -> list[tuple[str, str, str, list[object]]]:
    """Per declared column and cause: (column, cause, SQL true for its cells, parameters)."""
    checks: list[tuple[str, str, str, list[object]]] = []
    for column, kind in declared.items():
        if kind == "text" or always_fits(raw_types[column], kind):
            continue
        typed, bound = coerce_sql(q(column), raw_types[column], kind, tz, formats=formats.get(column, ()))
        failed = f"{present(q(column), raw_types[column])} AND ({typed}) IS NULL"
        if kind == "duration":
            signed, _ = coerce_sql(q(column), raw_types[column], "signed_duration", "")
            checks.append((column, "negative duration", f"{failed} AND coalesce({signed} < 0, FALSE)", bound))
            failed += f" AND NOT coalesce({signed} < 0, FALSE)"
        checks.append((column, f"unparseable {kind}", failed, bound))
    return checks


def _without_lines(message: str) -> str:
    """An engine's message on one line, without the file's own lines (`Original Line: ...`): a
    file that did not read as declared is never quoted."""
    kept = " ".join(line for line in message.splitlines() if not line.lstrip().startswith("Original Line:"))
    return " ".join(kept.split())


def _type_table(
    engine: Engine, dataset: str, table: str, raw: str, raw_types: dict[str, str],
    declared: dict[str, str], tz: str, key: str | None = None, formats: Mapping[str, tuple[str, ...]] | None = None,
) -> None:
    """The typed rows: a table, or for a source that streams (a reader's view with the file's
    row numbers, as Parquet gives them) a view, so a large file is never held in memory.
    `formats`: the declared formats of date and timestamp columns, by column."""
    connection = engine.connection
    formats = formats or {}
    streamed = "__file_row" in raw_types
    selects, params = [], []
    for column, raw_type in raw_types.items():
        if column == "__file_row":
            if key:
                selects.append(q(column))
            continue
        kind = declared.get(column)
        if kind is None:
            selects.append(q(column))
            continue
        sql, bound = coerce_sql(q(column), raw_type, kind, tz, inline=streamed,  # a view takes no parameters
                                formats=formats.get(column, ()))
        selects.append(f"{sql} AS {q(column)}")
        params.extend(bound)
    typed = f"{table}__all" if streamed and key else table
    relation = "VIEW" if streamed else "TABLE"
    create = f"CREATE {relation} {q(typed)} AS SELECT {', '.join(selects)} FROM {q(raw)}"
    # Count what did not coerce from the raw rows alone (coercing again is cheaper than
    # keeping a second copy of the data to compare against), with the rows read and, per
    # column and cause, the three smallest distinct raw values concerned (a bounded top-3,
    # never a list of every bad cell; only when a bad value repeats among them does a second
    # pass over the bad cells find three distinct ones).
    checks = _checks(raw_types, declared, tz, formats)
    counts, check_params = ["count(*)"], []
    for column, _, failed, bound in checks:
        counts += [f"count(*) FILTER (WHERE {failed})",
                   f"min(CAST({q(column)} AS VARCHAR), 3) FILTER (WHERE {failed})"]
        check_params += [*bound, *bound]
    counting = f"SELECT {', '.join(counts)} FROM {q(raw)}"
    if key and not streamed:
        # The first row of a repeated key is the first by rowid, so the table must hold the
        # file's order. A parallel CREATE TABLE AS over the typing expressions does not always
        # keep it (DuckDB 2.0, a CSV of 1M rows with flag columns: another row order, and so
        # another kept copy, on every run), so this one statement runs on one thread, and the
        # checks, which read the raw rows alone, run beside it on another (appraisal.engines.beside).
        [(threads,)] = connection.execute("SELECT current_setting('threads')").fetchall()
        connection.execute("SET threads = 1").fetchall()
        try:
            counted = beside(connection, counting, check_params, lambda: connection.execute(create, params).fetchall())
        finally:
            connection.execute(f"SET threads = {int(threads)}").fetchall()
    else:
        connection.execute(create, params).fetchall()
        counted = None
    if key and streamed:
        _drop_streamed_duplicates(engine, table, key, raw, raw_types[key], declared.get(key))
    elif key:
        _drop_duplicates(engine, table, key)
    engine.tables[dataset] = table
    # fetchall, not fetchone: DuckDB refuses new work while a result is half-read.
    [(read, *row)] = counted if counted is not None else connection.execute(counting, check_params).fetchall()
    engine.rows[dataset] = int(read)
    for (column, cause, failed, bound), count, examples in zip(checks, row[::2], row[1::2], strict=True):
        if count:
            shown = tuple(dict.fromkeys(examples or ()))
            if len(shown) < min(3, count):  # a value repeated: the three smallest distinct, from the bad cells alone
                distinct = f"SELECT DISTINCT CAST({q(column)} AS VARCHAR) AS v FROM {q(raw)} WHERE {failed}"
                [(examples,)] = connection.execute(f"SELECT min(v, 3) FROM ({distinct})", bound).fetchall()
                shown = tuple(examples or ())
            engine.quality.append(QualityCount(dataset, cause, column, int(count), rows=int(read), examples=shown))
    engine.quality[:] = [  # the duplicates just dropped were looked for among the same rows
        replace(c, rows=int(read)) if c.dataset == table and c.cause == "duplicate key" and c.rows is None else c
        for c in engine.quality
    ]
    if not streamed:  # a streamed dataset's views read the raw view at every query
        [(kind_of_raw,)] = connection.execute(
            "SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND NOT internal", [raw]
        ).fetchall()
        connection.execute(f"DROP {'VIEW' if kind_of_raw else 'TABLE'} {q(raw)}").fetchall()
