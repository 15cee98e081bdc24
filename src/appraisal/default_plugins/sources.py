"""The built-in sources: CSV, Parquet, JSON/NDJSON, Excel (.xlsx) and SQLite.

DuckDB reads CSV, Parquet and JSON itself. Excel and SQLite are read with Python libraries
(DuckDB's own extensions for them download at run time, which cannot be assumed) and handed
to DuckDB as Arrow record batches, column by column, never as one insert per row. CSV, Excel
and SQLite cells arrive as text, exactly as written; the engine coerces declared columns.
"""

from __future__ import annotations

import codecs
import shutil
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from time import monotonic
from typing import TYPE_CHECKING, Any

from appraisal.errors import DataError
from appraisal.hookspecs import hookimpl
from appraisal.model import Source
from appraisal.sources import SourceReader
from appraisal.sql_emitter import inline_literal, quote_identifier

if TYPE_CHECKING:  # imported where used: plugin registration must not slow every CLI command
    import duckdb
    import pyarrow as pa

BATCH_ROWS = 65_536
# Encodings DuckDB's CSV reader decodes itself; any other is transcoded to UTF-8 first.
_DUCKDB_ENCODINGS = {"utf-8": "utf-8", "utf-16": "utf-16", "latin-1": "latin-1", "iso8859-1": "latin-1"}
_CHUNK_CHARS = 1 << 20


def _option(source: Source, name: str, default: Any = None) -> Any:
    return source.options.get(name, default)


def _from_arrow(
    connection: duckdb.DuckDBPyConnection, table: str, reader: pa.RecordBatchReader
) -> None:
    view = f"{table}__arrow"
    connection.register(view, reader)
    try:
        connection.execute(
            f"CREATE TABLE {quote_identifier(table)} AS SELECT * FROM {quote_identifier(view)}"
        ).fetchall()
    finally:
        connection.unregister(view)


def _view(connection: duckdb.DuckDBPyConnection, table: str, reader_sql: str) -> None:
    """The raw rows as a view over the file: read once, when the engine types them, never copied."""
    connection.execute(f"CREATE VIEW {quote_identifier(table)} AS SELECT * FROM {reader_sql}").fetchall()


# --- csv ---------------------------------------------------------------------------------------


def load_csv(
    connection: duckdb.DuckDBPyConnection, table: str, source: Source, scratch: Path
) -> None:
    """`options`: `encoding` (default utf-8; a BOM is skipped), `delimiter`, `header` (true)."""
    name = str(_option(source, "encoding", "utf-8"))
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise DataError(f"unknown encoding {name!r}; try utf-8 or gb18030") from None
    path = source.path
    encoding = _DUCKDB_ENCODINGS.get(codec.replace("_", "-"))
    if codec == "utf-8-sig":
        encoding = "utf-8"  # DuckDB skips a UTF-8 byte-order mark itself
    if encoding is None:
        path, encoding = _transcode(source.path, codec, scratch), "utf-8"
    options = [
        "all_varchar = true",
        f"header = {inline_literal(bool(_option(source, 'header', True)))}",
        f"encoding = {inline_literal(encoding)}",
    ]
    if "delimiter" in source.options:
        options.append(f"delim = {inline_literal(str(source.options['delimiter']))}")
    _view(connection, table, f"read_csv({inline_literal(str(path))}, {', '.join(options)})")


def _transcode(path: Path, codec: str, scratch: Path) -> Path:
    """Copy `path` into `scratch` as UTF-8, a megabyte of text at a time."""
    target = scratch / f"{path.stem}.utf8{path.suffix}"
    n = 1
    while target.exists():
        n += 1
        target = scratch / f"{path.stem}.utf8-{n}{path.suffix}"
    with (
        path.open("r", encoding=codec, newline="") as text_in,
        target.open("w", encoding="utf-8", newline="") as text_out,
    ):
        try:
            shutil.copyfileobj(text_in, text_out, _CHUNK_CHARS)
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{path.name} is not valid {codec} (byte {exc.start} of a chunk); check options.encoding"
            ) from None
    return target


# --- parquet and json --------------------------------------------------------------------------


def load_parquet(connection: duckdb.DuckDBPyConnection, table: str, source: Source) -> None:
    # The file's row numbers let the engine keep the data in the file (a view) and still
    # tell which of two rows with one key came first.
    _view(connection, table, f"(SELECT * EXCLUDE (file_row_number), file_row_number AS __file_row "
                             f"FROM read_parquet({inline_literal(str(source.path))}, file_row_number = true))")


_JSON_FORMATS = {"auto": "auto", "array": "array", "ndjson": "newline_delimited",
                 "newline_delimited": "newline_delimited", "jsonl": "newline_delimited"}


def load_json(connection: duckdb.DuckDBPyConnection, table: str, source: Source) -> None:
    """`options.format`: `auto` (default), `array` (one JSON array) or `ndjson` (one per line)."""
    wanted = str(_option(source, "format", "auto"))
    fmt = _JSON_FORMATS.get(wanted)
    if fmt is None:
        raise DataError(f"unknown json format {wanted!r}; expected auto, array or ndjson")
    _view(connection, table, f"read_json_auto({inline_literal(str(source.path))}, format = {inline_literal(fmt)})")


# --- xlsx ----------------------------------------------------------------------------------------


def _cell_text(value: object) -> str | None:
    """A cell as the text a CSV export would hold; dates ISO, durations h:mm:ss."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
        hours, rest = divmod(seconds, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{sign}{int(hours)}:{int(minutes):02d}:{secs:02.0f}" if secs == int(secs) else (
            f"{sign}{int(hours)}:{int(minutes):02d}:{secs:06.3f}"
        )
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _header(row: Sequence[object]) -> list[str]:
    names = [str(v).strip() if v is not None else f"column{i}" for i, v in enumerate(row)]
    seen: dict[str, int] = {}
    for i, name in enumerate(names):  # duplicate headers get a suffix, as DuckDB's CSV reader does
        if name in seen:
            seen[name] += 1
            names[i] = f"{name}_{seen[name]}"
        else:
            seen[name] = 0
    return names


def _text_batches(
    names: list[str], rows: Iterator[Sequence[object]], to_text: Any
) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa

    width = len(names)
    while True:
        chunk = []
        for row in rows:
            if any(v is not None for v in row):
                chunk.append(tuple(row[:width]) + (None,) * (width - len(row)))
            if len(chunk) >= BATCH_ROWS:
                break
        if not chunk:
            return
        columns = zip(*chunk, strict=True)
        yield pa.RecordBatch.from_arrays(
            [pa.array([to_text(v) for v in col] if to_text else col, type=pa.string()) for col in columns],
            names=names,
        )


def load_xlsx(connection: duckdb.DuckDBPyConnection, table: str, source: Source) -> None:
    """`options.sheet`: the sheet's name (default: the first sheet). Row 1 holds the names."""
    import openpyxl
    import pyarrow as pa

    try:
        book = openpyxl.load_workbook(source.path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise DataError(f"{source.path.name} is not a readable .xlsx workbook: {exc}") from None
    try:
        sheet_name = _option(source, "sheet")
        if sheet_name is None:
            sheet = book.worksheets[0]
        elif sheet_name in book.sheetnames:
            sheet = book[sheet_name]
        else:
            raise DataError(
                f"{source.path.name} has no sheet {sheet_name!r}; sheets: {', '.join(book.sheetnames)}"
            )
        rows = sheet.iter_rows(values_only=True)
        first = next(rows, None)
        if first is None:
            raise DataError(f"{source.path.name}: sheet {sheet.title!r} is empty")
        names = _header(first)
        schema = pa.schema([(name, pa.string()) for name in names])
        reader = pa.RecordBatchReader.from_batches(schema, _text_batches(names, rows, _cell_text))
        _from_arrow(connection, table, reader)
    finally:
        book.close()


# --- sqlite ------------------------------------------------------------------------------------


# A query the scheme supplies may never end (a recursive CTE) or never stop returning rows.
SQLITE_TIME_LIMIT = 600.0  # seconds; options.time_limit
SQLITE_ROW_LIMIT = 100_000_000  # options.row_limit
_PROGRESS_STEPS = 10_000  # SQLite instructions between two looks at the clock


def load_sqlite(connection: duckdb.DuckDBPyConnection, table: str, source: Source) -> None:
    """`options.table` (a table or view) or `options.query` (a SELECT), read-only.

    SQLite itself turns every value into text (`CAST(... AS TEXT)`), so a column whose cells
    mix numbers and text still arrives whole and the engine coerces it like a CSV column.
    The query stops after `options.time_limit` seconds or `options.row_limit` rows (a clear
    message), and when the run is stopped (Ctrl-C, SIGTERM, --timeout: appraisal.interrupts).
    """
    import pyarrow as pa

    wanted_table, query = _option(source, "table"), _option(source, "query")
    if (wanted_table is None) == (query is None):
        raise DataError("a sqlite source needs exactly one of options.table or options.query")
    seconds = _positive(source, "time_limit", SQLITE_TIME_LIMIT)
    most = int(_positive(source, "row_limit", SQLITE_ROW_LIMIT))
    # DuckDB pulls the batches from its own worker thread, one pull at a time.
    db = sqlite3.connect(f"{source.path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
    limits = _SqliteLimits(seconds, most)
    db.set_progress_handler(limits.progress, _PROGRESS_STEPS)
    try:
        inner = f"SELECT * FROM {quote_identifier(str(wanted_table))}" if query is None else str(query)
        try:
            probe = db.execute(f"SELECT * FROM ({inner}) LIMIT 0")
            names = _header([d[0] for d in probe.description])
            originals = [d[0] for d in probe.description]
            selects = ", ".join(f"CAST({quote_identifier(o)} AS TEXT)" for o in originals)
            cursor = db.execute(f"SELECT {selects} FROM ({inner})")
        except sqlite3.Error as exc:
            limits.failed = exc
            limits.raise_failure(source)

        def rows() -> Iterator[Sequence[object]]:
            # Runs in DuckDB's thread: a failure is kept and raised once DuckDB has returned.
            try:
                while batch := cursor.fetchmany(BATCH_ROWS):
                    limits.rows += len(batch)
                    if limits.rows > limits.most:
                        limits.failed = limits.too_many
                        return
                    yield from batch
            except sqlite3.Error as exc:
                limits.failed = exc

        schema = pa.schema([(name, pa.string()) for name in names])
        reader = pa.RecordBatchReader.from_batches(schema, _text_batches(names, rows(), None))
        _from_arrow(connection, table, reader)
        limits.raise_failure(source)
    finally:
        db.close()


def _positive(source: Source, name: str, default: float) -> float:
    value = _option(source, name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise DataError(f"options.{name} must be a number above 0, not {value!r}")
    return float(value)


class _SqliteLimits:
    """The SQLite query's clock and row count, checked by its progress handler and row reader."""

    too_many = "rows"

    def __init__(self, seconds: float, most: int) -> None:
        from appraisal import interrupts

        self.interrupts = interrupts
        self.seconds, self.most = seconds, most
        self.deadline = monotonic() + seconds
        self.rows = 0
        self.stopped_by: str | None = None
        self.failed: sqlite3.Error | str | None = None

    def progress(self) -> int:
        """SQLite's progress handler: nonzero ends the query (`interrupted`)."""
        if self.interrupts.stop_requested():
            self.stopped_by = "stop"
        elif monotonic() > self.deadline:
            self.stopped_by = "time"
        return 1 if self.stopped_by else 0

    def raise_failure(self, source: Source) -> None:
        """Raise what ended the query early, if anything did."""
        if self.stopped_by == "stop":
            self.interrupts.check()
        if self.stopped_by == "time":
            raise DataError(f"{source.path.name}: the query ran longer than {self.seconds:g} s (options.time_limit)")
        if self.failed == self.too_many:
            raise DataError(f"{source.path.name}: the query returned more than {self.most} rows (options.row_limit)")
        if isinstance(self.failed, sqlite3.Error):
            raise DataError(f"{source.path.name}: {self.failed}") from None


@hookimpl
def register_sources(register):  # type: ignore[no-untyped-def]
    register(SourceReader("csv", load_csv, (".csv", ".txt", ".tsv"), "CSV; options: encoding, delimiter, header"))
    register(SourceReader("parquet", load_parquet, (".parquet",), "Parquet"))
    register(SourceReader("json", load_json, (".json", ".ndjson", ".jsonl"), "JSON or NDJSON; options: format"))
    register(SourceReader("xlsx", load_xlsx, (".xlsx",), "Excel workbook; options: sheet"))
    register(SourceReader("sqlite", load_sqlite, (".db", ".sqlite", ".sqlite3"), "SQLite; options: table or query, time_limit, row_limit"))
