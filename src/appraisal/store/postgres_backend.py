"""A run store in a PostgreSQL database: the store's SQL spoken to psycopg, its writers taking turns.

Loaded only for a `postgresql://` store (psycopg is the `postgres` extra). What differs from a
store file (`store.backends`):

- Writers take turns on an advisory lock held by their transaction, one per schema: two runs
  storing at once both land, one after the other (waiting up to `lock_timeout`).
- The store's identity and format are rows of `appraisal_store`, which only grows (an upgrade
  adds the new format's row); it refuses change like every other table.
- A store is made only in an empty schema: tables of another program are never written beside.
- A run takes an hour; the connection opened before it may have been closed by the server or a
  proxy meanwhile: a statement outside a transaction that finds it broken is sent again on a new
  one (a transaction broken off is not: it is rolled back, and said).
- A COMMIT whose answer is lost (the connection dropped) may have landed: it is looked for.
- Messages never show a password (`backends.scrubbed`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from appraisal.errors import AppraisalError
from appraisal.store.backends import Backend, one_line, scrubbed, shown
from appraisal.store.guards import REFUSE_FUNCTION, Guard, Statement, postgres_statements

META_TABLE = "appraisal_store"
LANDED_WAIT_S = 30  # how long a COMMIT whose answer was lost may still be finishing on the server
META_SCHEMA: list[Statement] = [
    f"CREATE TABLE {META_TABLE} (application BIGINT NOT NULL, format INTEGER NOT NULL, PRIMARY KEY (format))",
    Guard(META_TABLE, "the run store's identity cannot be changed", ""),
]


class _Parameters:
    """The backend's connection spoken to in the store's SQL (`?` and `?N` parameters, json_object)."""

    def __init__(self, backend: PostgresBackend) -> None:
        self.backend = backend

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        backend = self.backend
        between = not backend.in_transaction  # a statement of its own (or a BEGIN): safe to send again
        try:
            return backend.connection.execute(*placeholders(_sql(sql), parameters))
        except psycopg.OperationalError:
            if not (between and backend.connection.broken):
                raise
        # the connection was closed by the server or a proxy (a run measured for an hour): another
        backend.reconnect()
        return backend.connection.execute(*placeholders(_sql(sql), parameters))

    def executemany(self, sql: str, parameters: Any, /) -> Any:
        rows = list(parameters)
        cursor = self.backend.connection.cursor()
        if rows:
            translated = [placeholders(_sql(sql), row) for row in rows]
            cursor.executemany(translated[0][0], [values for _, values in translated])
        return cursor


def _sql(text: str) -> str:
    """The store's SQL in PostgreSQL's words: json_object is json_build_object there."""
    return text.replace("json_object(", "json_build_object(")


_TOKENS = re.compile(r"'(?:[^']|'')*'|\?(\d*)|%")


def placeholders(sql: str, parameters: Sequence[Any]) -> tuple[str, Any]:
    """`sql` with psycopg's placeholders for `?` (positional) or `?N` (numbered, may repeat),
    and `%` doubled; text in quotes is left as it is."""
    if not parameters:
        return sql, None
    numbered = False

    def replace(match: re.Match[str]) -> str:
        nonlocal numbered
        token = match.group(0)
        if token == "%":
            return "%%"
        if token.startswith("'"):
            return token.replace("%", "%%")
        if match.group(1):
            numbered = True
            return f"%(p{match.group(1)})s"
        return "%s"

    translated = _TOKENS.sub(replace, sql)
    if numbered:
        if "%s" in _TOKENS.sub(lambda m: "" if m.group(0).startswith("'") else m.group(0), translated):
            raise ValueError(f"both ? and ?N in one statement: {sql}")
        return translated, {f"p{n}": value for n, value in enumerate(parameters, 1)}
    return translated, parameters


class PostgresBackend(Backend):
    """A store in a PostgreSQL database (see the module docstring)."""

    name = "PostgreSQL"
    read_only_begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
    errors: tuple[type[Exception], ...] = (psycopg.Error,)
    unusable: tuple[type[Exception], ...] = (psycopg.OperationalError, pg_errors.InsufficientPrivilege,
                                             pg_errors.InvalidSchemaName, pg_errors.ReadOnlySqlTransaction)
    unreachable: tuple[type[Exception], ...] = (psycopg.OperationalError,)

    def __init__(self, url: str, busy_ms: int, application: int) -> None:
        self.url, self.busy_ms, self.application = url, busy_ms, application
        self.db = _Parameters(self)
        self._connect()

    def _connect(self) -> None:
        try:
            # keepalives: a connection dropped silently (a NAT, a failover) during an hour-long
            # run is found broken within two minutes, not after TCP's fifteen
            connection = psycopg.connect(self.url, autocommit=True, application_name="appraisal", connect_timeout=30,
                                         keepalives=1, keepalives_idle=60, keepalives_interval=10, keepalives_count=6)
        except (psycopg.Error, ValueError) as exc:  # refused, unknown host, a malformed URL
            raise AppraisalError(f"cannot open the run store {shown(self.url)}: "
                                 f"{scrubbed(one_line(exc), self.url)}") from None
        try:
            connection.execute(f"SET lock_timeout = '{int(self.busy_ms)}ms'")  # another writer: wait this long
        except psycopg.Error as exc:
            connection.close()
            raise AppraisalError(f"cannot use the run store {shown(self.url)}: {one_line(exc)}") from None
        self.connection = connection

    @property
    def in_transaction(self) -> bool:
        """Inside a transaction (a broken connection holds none: the server rolled it back)."""
        status = psycopg.pq.TransactionStatus
        return self.connection.info.transaction_status in (status.ACTIVE, status.INTRANS, status.INERROR)

    def begin_write(self) -> None:
        self.db.execute("BEGIN")
        self.writer = self.connection.info.backend_pid  # the server's process that will COMMIT
        # the writers of this store (this schema's), one at a time
        self.db.execute("SELECT pg_advisory_xact_lock(CAST(? AS INTEGER), hashtext(coalesce(current_schema(), '')))",
                        (self.application,))

    def reconnect(self) -> None:
        """A connection closed by the server or a proxy while a run was measuring: open another."""
        self.connection.close()
        self._connect()

    def check_writable(self, kept: Sequence[str]) -> None:
        read_only, standby, denied = self.db.execute(
            "SELECT current_setting('transaction_read_only'), pg_is_in_recovery(), array(SELECT t FROM"
            " unnest(CAST(? AS TEXT[])) AS t WHERE NOT has_table_privilege(quote_ident(current_schema()) || '.'"
            " || quote_ident(t), 'INSERT'))", (list(kept),)).fetchone()
        if read_only == "on" or standby:
            raise AppraisalError(f"cannot use the run store {shown(self.url)}: the database is read-only here"
                                 + (" (a standby server)" if standby else " (default_transaction_read_only)"))
        if denied:
            raise AppraisalError(f"cannot use the run store {shown(self.url)}: its user may not write to "
                                 f"{', '.join(sorted(denied))}")
        super().check_writable(kept)

    def blank(self, kept: Sequence[str]) -> bool:
        """No store here yet: an empty schema (a store is never made beside another program's tables)."""
        return not self.tables()

    def header(self) -> tuple[int, int]:
        if META_TABLE not in self.tables():
            return 0, 0
        [(first, last, format_)] = self.db.execute(
            f"SELECT min(application), max(application), max(format) FROM {META_TABLE}").fetchall()
        return (0, 0) if first is None or first != last else (int(first), int(format_))

    def foreign(self) -> str:
        found = sorted(self.tables())
        return (f"the schema {self._schema()} holds {', '.join(found[:5])}{' ...' if len(found) > 5 else ''}"
                f" and no {META_TABLE} table: keep the store in a database or schema of its own, e.g."
                " ?options=-csearch_path%3Dappraisal")

    def create(self, schema: Sequence[Statement], application: int, format_: int) -> None:
        if not self._functions():
            self.db.execute(REFUSE_FUNCTION)
        for statement in postgres_statements([*META_SCHEMA, *schema]):
            self.db.execute(statement)
        self.db.execute(f"INSERT INTO {META_TABLE} VALUES (?, ?)", (application, format_))

    def upgrade(self, schema: Sequence[Statement], format_: int) -> None:
        for statement in postgres_statements(schema):
            self.db.execute(statement)
        self.db.execute(f"INSERT INTO {META_TABLE} VALUES (?, ?)", (self.application, format_))

    def tables(self) -> list[str]:
        """The tables, views and the like in the current schema (from the catalog: whatever the
        user's privileges on them)."""
        self._schema()
        return [row[0] for row in self.db.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname ="
            " current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f')")]

    def _schema(self) -> str:
        [(schema,)] = self.db.execute("SELECT current_schema()").fetchall()
        if schema is None:
            raise AppraisalError(f"cannot use the run store {shown(self.url)}: its search_path names no schema "
                                 "that exists (create it, or name another with ?options=-csearch_path%3DSCHEMA)")
        return str(schema)

    def _functions(self) -> list[str]:
        return [row[0] for row in self.db.execute(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname ="
            " current_schema() AND p.proname = 'appraisal_refuse'")]

    def now(self) -> datetime:
        [(now,)] = self.db.execute("SELECT now()").fetchall()
        return now.astimezone(UTC)

    writer = 0

    def landed(self, sql: str, parameters: Sequence[Any]) -> bool | None:
        """The server answered (the connection holds): the COMMIT failed there, nothing landed.
        The connection broke: on a new one, once the server's process that held the transaction
        has ended (committed or rolled back, up to LANDED_WAIT_S), look."""
        if not self.connection.broken:
            return False
        try:
            self.reconnect()
            deadline = time.monotonic() + LANDED_WAIT_S
            while self.db.execute("SELECT 1 FROM pg_stat_activity WHERE pid = ?", (self.writer,)).fetchone():
                if time.monotonic() > deadline:
                    return None
                time.sleep(0.1)
            return self.db.execute(sql, parameters).fetchone() is not None
        except (psycopg.Error, AppraisalError):
            return None

    def integrity_problems(self) -> list[str]:
        """None to add: PostgreSQL checks its own pages; the kept files and the audit chain are checked."""
        return []

    def close(self) -> None:
        self.connection.close()
