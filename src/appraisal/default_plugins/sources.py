"""The built-in sources: CSV, Parquet, JSON/NDJSON, Excel (.xlsx) and SQLite.

DuckDB reads CSV, Parquet and JSON itself. Excel and SQLite are read with Python libraries
(DuckDB's own extensions for them download at run time, which cannot be assumed) and handed
to DuckDB as Arrow record batches, column by column, never as one insert per row. CSV, Excel
and SQLite cells arrive as text, exactly as written; the engine coerces declared columns.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import shutil
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from time import monotonic
from typing import TYPE_CHECKING, Any

from appraisal import interrupts
from appraisal.engines.sources import SourceReader
from appraisal.errors import DataError
from appraisal.hookspecs import hookimpl
from appraisal.scheme.model import Source
from appraisal.sql.dialect import inline_literal, quote_identifier

if TYPE_CHECKING:  # imported where used: plugin registration must not slow every CLI command
    import duckdb
    import pyarrow as pa

BATCH_ROWS = 65_536
# Encodings DuckDB's CSV reader decodes itself; any other is transcoded to UTF-8 first.
_DUCKDB_ENCODINGS = {"utf-8": "utf-8", "utf-16": "utf-16", "latin-1": "latin-1", "iso8859-1": "latin-1"}
_CHUNK_CHARS = 1 << 20
_MAX_HEADER_CHARS = 1 << 20


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
    """`options`: `encoding` (default utf-8; a BOM is skipped), `delimiter`, `header` (true).

    The dialect is fixed before DuckDB reads a row: the delimiter as given (else sniffed),
    `"` quotes with `""` inside them, and the column names from the first record, read by
    Python's csv module. So a malformed row cannot make DuckDB guess another dialect (and
    read the header as one column): a row with too many or too few fields, an unterminated
    quote or invalid text is skipped and recorded, and `csv_rejected` says which, by line.
    """
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
    header = bool(_option(source, "header", True))
    delimiter = str(source.options["delimiter"]) if "delimiter" in source.options else _sniffed_delimiter(
        connection, path, encoding)
    first = _first_record(path, "utf-8-sig" if encoding == "utf-8" else encoding, delimiter, source.path.name)
    if first is None:
        raise DataError(f"{source.path.name} is empty: it has no header line and no rows")
    names = _header(first) if header else [f"column{i}" for i in range(len(first))]
    columns = "{" + ", ".join(f"{inline_literal(n)}: 'VARCHAR'" for n in names) + "}"
    options = [
        "auto_detect = false",
        f"header = {inline_literal(header)}",
        f"delim = {inline_literal(delimiter)}",
        "quote = '\"'",
        "escape = '\"'",
        f"columns = {columns}",
        f"encoding = {inline_literal(encoding)}",
        "store_rejects = true",
        f"rejects_table = {inline_literal(_rejects_table(table))}",
        f"rejects_scan = {inline_literal(_rejects_table(table) + '_scans')}",
    ]
    _view(connection, table, f"read_csv({inline_literal(str(path))}, {', '.join(options)})")


# DuckDB's reasons for skipping a CSV row, as data-quality causes.
_REJECT_CAUSES = {
    "MISSING COLUMNS": "ragged row",
    "TOO MANY COLUMNS": "ragged row",
    "UNQUOTED VALUE": "unterminated quote",
    "LINE SIZE OVER MAXIMUM": "line too long",
    "INVALID ENCODING": "invalid text encoding",
    "INVALID UNICODE": "invalid text encoding",
}


def csv_rejected(connection: duckdb.DuckDBPyConnection, table: str) -> str | None:
    """SQL of the rows `load_csv` skipped, one per line: (line, cause); None when none was.

    DuckDB records them at every scan of the file; the first scan is the one that typed the rows.
    """
    errors = _rejects_table(table)
    [(found,)] = connection.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [errors]).fetchall()
    if not found:
        return None
    cases = " ".join(f"WHEN {inline_literal(k)} THEN {inline_literal(v)}" for k, v in _REJECT_CAUSES.items())
    e = quote_identifier(errors)
    return (f"SELECT line, min(CASE CAST(error_type AS VARCHAR) {cases} ELSE 'unreadable row' END) AS cause "
            f"FROM {e} WHERE scan_id = (SELECT min(scan_id) FROM {e}) GROUP BY line")


def _rejects_table(table: str) -> str:
    """Where DuckDB records the skipped rows of `table`: a plain name, as its option demands
    (a dataset named 工单 is not one)."""
    return f"csv_rejects_{hashlib.sha256(table.encode()).hexdigest()[:16]}"


def _sniffed_delimiter(connection: duckdb.DuckDBPyConnection, path: Path, encoding: str) -> str:
    """The delimiter DuckDB's sniffer finds, leaving malformed rows out of its vote; a comma when
    it finds none (the file is then most likely no CSV at all, which the header check says)."""
    import duckdb  # heavy: loaded when a file is read, not when plugins register

    try:
        [(delimiter,)] = connection.execute(
            f"SELECT Delimiter FROM sniff_csv({inline_literal(str(path))}, encoding = {inline_literal(encoding)}, "
            "ignore_errors = true)"
        ).fetchall()
    except duckdb.InvalidInputException:
        return ","
    return str(delimiter) or ","


def _first_record(path: Path, encoding: str, delimiter: str, shown: str) -> list[str] | None:
    """The first non-blank record of the file (the header), or None when there is none."""
    csv.field_size_limit(_MAX_HEADER_CHARS)
    with path.open("r", encoding=encoding, errors="replace", newline="") as handle:
        try:
            for record in csv.reader(handle, delimiter=delimiter, quotechar='"', doublequote=True, strict=False):
                if any(cell.strip() for cell in record):  # a NUL ends an SQL literal in DuckDB before 2.0
                    return [cell.replace("\x00", "\ufffd") for cell in record]
        except csv.Error as exc:  # its messages name the limit broken, never the text
            raise DataError(f"{shown}: cannot read its first line as CSV ({exc})") from None
    return None


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
    """A cell as the text a CSV export would hold; dates ISO (a date cell as a date), durations h:mm:ss."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):  # a workbook has no dates, only datetimes: midnight is a date
        return value.date().isoformat() if value.time() == time() and value.tzinfo is None else value.isoformat(sep=" ")
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
    """Column names as DuckDB's CSV reader makes them: trimmed, `column<i>` for a blank one."""
    names = [str(v).strip() if v is not None and str(v).strip() else f"column{i}" for i, v in enumerate(row)]
    seen: dict[str, int] = {}
    taken = {name.lower() for name in names}
    for i, name in enumerate(names):  # duplicate headers get a suffix, as DuckDB's CSV reader does;
        if name.lower() in seen:      # DuckDB's names ignore case, so `Agent` repeats `agent`
            while f"{name}_{seen[name.lower()] + 1}".lower() in taken:
                seen[name.lower()] += 1
            seen[name.lower()] += 1
            names[i] = f"{name}_{seen[name.lower()]}"
            taken.add(names[i].lower())
        else:
            seen[name.lower()] = 0
    return names


def _text_batches(
    names: list[str], rows: Iterator[Sequence[object]], to_text: Any
) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa  # heavy: loaded when an Excel or SQLite file is read

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
    import openpyxl  # heavy: loaded when an Excel file is read
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
    import pyarrow as pa  # heavy: loaded when an Excel or SQLite file is read

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
def register_sources(register: Callable[[SourceReader], None]) -> None:
    register(SourceReader("csv", load_csv, (".csv", ".txt", ".tsv"), "CSV; options: encoding, delimiter, header",
                          rejected=csv_rejected))
    register(SourceReader("parquet", load_parquet, (".parquet",), "Parquet"))
    register(SourceReader("json", load_json, (".json", ".ndjson", ".jsonl"), "JSON or NDJSON; options: format"))
    register(SourceReader("xlsx", load_xlsx, (".xlsx",), "Excel workbook; options: sheet"))
    register(SourceReader("sqlite", load_sqlite, (".db", ".sqlite", ".sqlite3"),
                          "SQLite; options: table or query, time_limit, row_limit"))
