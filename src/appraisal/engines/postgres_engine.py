"""PostgreSQL as the engine of a measurement: typed tables shipped in, one row per appraisee back.

The session is one psycopg connection (autocommit), set up so the numbers cannot depend on the
server's configuration: results are read in binary (a double arrives as its bits, whatever
`extra_float_digits` says), JIT compilation is off (it compiles the long guarded expressions of
the dialect for seconds and changes nothing), and the session's time zone is UTC (timestamps are
wall-clock times without a zone, so none is ever converted). Tables are shipped as temporary
tables, dropped when the session closes: the server keeps nothing.

Connection settings come from the caller (`settings["dsn"]`, a libpq connection string) and
otherwise from libpq's own environment (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD,
PGPASSFILE...); a password is never part of a message.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
import pyarrow as pa
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from appraisal import interrupts
from appraisal.errors import DataError
from appraisal.sql.dialect import SPACES, Dialect, inline_literal
from appraisal.sql.dialect import quote_identifier as q
from appraisal.sql.postgres import POSTGRES, fitted, numbered, short_name

if TYPE_CHECKING:
    import duckdb

# DuckDB's column types and PostgreSQL's for them; any other (a list, a struct) goes over as text
_TYPES = {
    "BOOLEAN": "BOOLEAN", "TINYINT": "SMALLINT", "SMALLINT": "SMALLINT", "INTEGER": "INTEGER", "BIGINT": "BIGINT",
    "UTINYINT": "INTEGER", "USMALLINT": "INTEGER", "UINTEGER": "BIGINT", "UBIGINT": "NUMERIC", "HUGEINT": "NUMERIC",
    "FLOAT": "REAL", "DOUBLE": "DOUBLE PRECISION", "VARCHAR": 'TEXT COLLATE "C"', "DATE": "DATE", "TIME": "TIME",
    "TIMESTAMP": "TIMESTAMP", "TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ", "INTERVAL": "INTERVAL",
}
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")
_CHUNK = 1 << 20  # bytes per write while copying a table in
MINIMUM_VERSION = 140000


def _column_type(duckdb_type: str) -> str:
    if (found := _DECIMAL.fullmatch(duckdb_type)) is not None:
        return f"NUMERIC({found.group(1)}, {found.group(2)})"
    return _TYPES.get(duckdb_type, "TEXT")


def _message(exc: BaseException) -> str:
    """The first line of a driver or server error, without the connection string."""
    text = " ".join(str(exc).split("\n", 1)[0].split())
    return re.sub(r"password=\S+", "password=***", text)


def _spaces_held(connection: psycopg.Connection[Any]) -> str:
    """The SPACES a typed text loses here: all of them in a UTF-8 database; in another encoding
    those it can hold (LATIN1: the no-break space; EUC_JP: the ideographic one), since a query
    cannot name the others; in SQL_ASCII the ASCII space alone (its btrim cuts bytes, not characters)."""
    encoding = connection.info.parameter_status("server_encoding")
    if encoding == "UTF8":
        return SPACES
    if encoding in (None, "SQL_ASCII"):
        return " "
    held = []
    for space in SPACES:
        try:
            connection.execute("SELECT CAST(%s AS TEXT)", [space])
        except psycopg.DataError:  # "character ... has no equivalent in encoding ..."
            continue
        held.append(space)
    return "".join(held)


class PostgresSession:
    """A measurement's connection to PostgreSQL (see the module docstring)."""

    name = "postgres"
    dialect: Dialect = POSTGRES

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self.connection = connection
        interrupts.register_connection(self)  # Ctrl-C and the time limit cancel the running query
        info = connection.info
        self.version = f"{info.server_version // 10000}.{info.server_version % 10000}"
        if (spaces := _spaces_held(connection)) != SPACES:
            self.dialect = replace(POSTGRES, trim="btrim({x}, " + inline_literal(spaces) + ")")

    def interrupt(self) -> None:
        """Cancel the running statement (called by `appraisal.interrupts` from its thread): from
        a thread of its own, since reaching a server that stopped answering can take minutes,
        and the interrupts' watchdog must keep its second."""
        threading.Thread(target=self._cancel, name="appraisal-postgres-cancel", daemon=True).start()

    def _cancel(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self.connection.cancel_safe(timeout=5)

    cancel = interrupt

    def ship(self, connection: duckdb.DuckDBPyConnection, tables: Mapping[str, str], folder: Path) -> None:
        for table, rows_sql in tables.items():
            described = connection.execute(f"DESCRIBE {rows_sql}").fetchall()
            columns = ", ".join(f"{q(short_name(str(name)))} {_column_type(str(kind))}" for name, kind, *_ in described)
            staged = folder / f"ship-{len(list(folder.iterdir()))}.csv"
            connection.execute(f"COPY ({rows_sql}) TO {inline_literal(str(staged))}"
                               " (FORMAT csv, HEADER false)").fetchall()
            try:
                with self.connection.transaction():
                    name = q(short_name(table))
                    self.connection.execute(f"CREATE TEMPORARY TABLE {name} ({columns})")
                    with self.connection.cursor().copy(f"COPY {name} FROM STDIN (FORMAT csv)") as copy, \
                            staged.open("rb") as rows:
                        while chunk := rows.read(_CHUNK):
                            copy.write(chunk)
                    self.connection.execute(f"ANALYZE {name}")
            except psycopg.Error as exc:
                raise DataError(f"cannot copy table {table!r} into PostgreSQL: {_message(exc)}") from None
            finally:
                staged.unlink(missing_ok=True)

    def columns(self, table: str) -> list[tuple[str, str]]:
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(f"SELECT * FROM {table} LIMIT 0")
                description = cursor.description or []
                names = {c.type_code: c.type_display for c in description}
        except psycopg.Error as exc:
            raise DataError(f"PostgreSQL cannot read {table}: {_message(exc)}") from None
        return [(c.name, _KINDS.get(c.type_code, f"other:{names[c.type_code]}")) for c in description]

    def stage(self, name: str, sql: str) -> None:
        table, (query, _) = q(short_name(name)), fitted(sql)
        try:
            with self.connection.transaction():
                self.connection.execute(f"CREATE TEMPORARY TABLE {table} AS {query}")
                self.connection.execute(f"ANALYZE {table}")
        except psycopg.Error as exc:
            raise DataError(f"PostgreSQL could not type the table of {name!r}: {_message(exc)}") from None

    def fetch(self, sql: str, params: Sequence[object]) -> pa.Table:
        query, long = fitted(sql)
        try:
            with self.connection.cursor(binary=True) as cursor:
                cursor.execute(numbered(query), list(params))
                rows = cursor.fetchall()
                description = cursor.description or []
        except psycopg.Error as exc:
            raise DataError(f"PostgreSQL could not measure: {_message(exc)}") from None
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in description]
        arrays = [_array(list(values), column.type_code) for values, column in zip(columns, description, strict=True)]
        return pa.table(arrays, names=[long.get(column.name, column.name) for column in description])

    def close(self) -> None:
        interrupts.unregister_connection(self)
        self.connection.close()  # temporary tables go with the session


_FLOAT8, _NUMERIC, _BOOL, _TEXT, _VARCHAR = 701, 1700, 16, 25, 1043
_INTEGERS = {20, 21, 23}
# a table's column types by oid, as appraisal.engines.tables reads them
_KINDS = {
    _TEXT: "text", _VARCHAR: "text", 1042: "text", 19: "text", **dict.fromkeys(_INTEGERS, "integer"),
    700: "number", _FLOAT8: "number", _NUMERIC: "decimal", _BOOL: "boolean", 1082: "date", 1114: "timestamp",
    1184: "instant", 1186: "interval",
}


def _array(values: list[object], oid: int) -> pa.Array:
    """A column of a result as Arrow: numbers as doubles or 64-bit integers, the rest as read."""
    if oid in (_FLOAT8, 700, _NUMERIC):
        return pa.array([None if v is None else float(v) for v in values], pa.float64())  # type: ignore[arg-type]
    if oid in _INTEGERS:
        return pa.array(values, pa.int64())
    if oid == _BOOL:
        return pa.array(values, pa.bool_())
    if oid in (_TEXT, _VARCHAR):
        return pa.array(values, pa.string())
    return pa.array(values)


def connect(settings: Mapping[str, str]) -> PostgresSession:
    """Open a session with `settings`: `dsn` (a libpq connection string; empty: libpq's
    environment variables) and any libpq keyword (`host`, `password`, `sslmode`...) over it."""
    keywords = {key: value for key, value in settings.items() if key != "dsn"}
    try:
        given = conninfo_to_dict(settings.get("dsn", ""))
        keywords.setdefault("connect_timeout", str(given.get("connect_timeout", "30")))
        conninfo = make_conninfo(settings.get("dsn", ""), **keywords, application_name="appraisal")
    except psycopg.Error:  # its message may quote a part of the string: a password
        raise DataError("the PostgreSQL connection settings are not a libpq connection string"
                        " (key=value pairs: host=... port=... dbname=... user=...)") from None
    try:
        connection = psycopg.connect(conninfo, autocommit=True)
    except psycopg.Error as exc:
        raise DataError(f"cannot connect to PostgreSQL: {_message(exc)}") from None
    if connection.info.server_version < MINIMUM_VERSION:  # EXTRACT(EPOCH ...) is a double before 14
        connection.close()
        raise DataError(f"the postgres engine needs PostgreSQL 14 or later; the server is "
                        f"{connection.info.server_version // 10000}")
    try:
        for setting in ("SET jit = off", "SET TIME ZONE 'UTC'", "SET extra_float_digits = 1",
                        "SET client_encoding = 'UTF8'", "SET DateStyle = 'ISO, YMD'", "SET IntervalStyle = 'postgres'"):
            connection.execute(setting)
    except psycopg.Error as exc:
        connection.close()
        raise DataError(f"cannot set up the PostgreSQL session: {_message(exc)}") from None
    return PostgresSession(connection)
