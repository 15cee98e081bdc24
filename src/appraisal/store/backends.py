"""The two databases a run store lives in: a SQLite file (the default) or a PostgreSQL database.

`RunStore` and the modules that write appeals, calibrations and the audit log speak one SQL (`?`
parameters, numbered `?1` where one is used twice, `INSERT ... ON CONFLICT DO NOTHING`,
`json_object`); a backend runs it on its database and supplies what differs: how a writer excludes
the others (SQLite's `BEGIN IMMEDIATE`; PostgreSQL: a transaction holding an advisory lock, so two
runs storing at once both land, one after the other), where the store's identity and format are
kept (SQLite's header: application id and user_version; PostgreSQL: the one-row table
`appraisal_store`), which tables exist, and the guards of `store.guards`.

A PostgreSQL store is named by its URL (`postgresql://user@host:port/database`; libpq's
parameters such as `?options=-csearch_path%3Dappraisal` choose a schema). Messages show the URL
without its password.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from appraisal.errors import AppraisalError
from appraisal.store.guards import REFUSE_FUNCTION, Statement, postgres_statements, sqlite_statements

URL_SCHEMES = ("postgresql://", "postgres://")
META_TABLE = "appraisal_store"  # PostgreSQL: the store's application id and format, one row


class Database(Protocol):
    """What the store's modules call: a DB-API connection's `execute` and `executemany`."""

    def execute(self, sql: str, parameters: Any = (), /) -> Any: ...

    def executemany(self, sql: str, parameters: Any, /) -> Any: ...


def is_url(place: object) -> bool:
    """Whether `place` names a PostgreSQL database rather than a file."""
    return isinstance(place, str) and place.startswith(URL_SCHEMES)


def shown(url: str) -> str:
    """`url` without its password, for messages and listings."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


class Backend(ABC):
    """One open store database (see the module docstring); SQLite's behaviour unless overridden."""

    name = "SQLite"
    db: Database
    errors: tuple[type[Exception], ...] = (sqlite3.Error,)
    unusable: tuple[type[Exception], ...] = (sqlite3.OperationalError,)  # locked, read-only, a full disk

    def begin_write(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.db.execute("COMMIT")

    def roll_back(self) -> None:
        if self.in_transaction:
            with contextlib.suppress(*self.errors):
                self.db.execute("ROLLBACK")

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads in the block see one state of the store, whatever is stored meanwhile."""
        if self.in_transaction:
            yield
            return
        self.db.execute(self.read_only_begin)
        try:
            yield
        finally:
            self.roll_back()

    read_only_begin = "BEGIN"

    @property
    @abstractmethod
    def in_transaction(self) -> bool: ...

    @abstractmethod
    def blank(self, kept: Sequence[str]) -> bool:
        """No store here yet (the store's tables are `kept`)."""

    @abstractmethod
    def header(self) -> tuple[int, int]:
        """The store's application id and format; (0, 0) when it has none."""

    @abstractmethod
    def create(self, schema: Sequence[Statement], application: int, format_: int) -> None:
        """Make the store's tables and header; the caller holds the write transaction."""

    @abstractmethod
    def upgrade(self, schema: Sequence[Statement], format_: int) -> None:
        """Add `schema` and set the format; the caller holds the write transaction."""

    @abstractmethod
    def tables(self) -> list[str]: ...

    @abstractmethod
    def opened(self) -> None:
        """Settings for a store found sound."""

    @abstractmethod
    def integrity_problems(self) -> list[str]: ...

    @abstractmethod
    def close(self) -> None: ...


class SqliteBackend(Backend):
    """A store file: WAL so readers go on beside a writer, a busy timeout for a second writer."""

    def __init__(self, path: Path, busy_ms: int) -> None:
        self.path, self.busy_ms = path, busy_ms
        self.connection = sqlite3.connect(path, timeout=busy_ms / 1000, isolation_level=None)
        self.db = self.connection

    @property
    def in_transaction(self) -> bool:
        return self.connection.in_transaction

    def blank(self, kept: Sequence[str]) -> bool:
        """No store here yet: a missing or empty file."""
        return self.header() == (0, 0) and not (self.path.exists() and self.path.stat().st_size)

    def header(self) -> tuple[int, int]:
        """The application id and format, read in one statement (one snapshot of the file)."""
        [(application, format_)] = self.db.execute(
            "SELECT * FROM pragma_application_id(), pragma_user_version()").fetchall()
        return int(application), int(format_)

    def create(self, schema: Sequence[Statement], application: int, format_: int) -> None:
        for statement in (f"PRAGMA application_id = {application}", f"PRAGMA user_version = {format_}",
                          *sqlite_statements(schema)):
            self.db.execute(statement)

    def upgrade(self, schema: Sequence[Statement], format_: int) -> None:
        for statement in sqlite_statements(schema):
            self.db.execute(statement)
        self.db.execute(f"PRAGMA user_version = {format_}")

    def tables(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]

    def opened(self) -> None:
        self.db.execute(f"PRAGMA busy_timeout = {self.busy_ms}")
        [(mode,)] = self.db.execute("PRAGMA journal_mode").fetchall()
        if mode != "wal":  # readers beside a writer; kept by the file once set
            with contextlib.suppress(sqlite3.OperationalError):  # another connection holds it: the next open sets it
                self.db.execute("PRAGMA journal_mode = WAL")

    def integrity_problems(self) -> list[str]:
        """Pages SQLite finds damaged (an error: damaged past what the check can walk)."""
        return [f"SQLite: {row[0]}" for row in self.db.execute("PRAGMA integrity_check") if row[0] != "ok"]

    def close(self) -> None:
        self.connection.close()


class _Parameters:
    """A psycopg connection spoken to in the store's SQL: `?` and `?N` become psycopg's placeholders."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return self.connection.execute(*_placeholders(_sql(sql), parameters))

    def executemany(self, sql: str, parameters: Any, /) -> Any:
        rows = list(parameters)
        cursor = self.connection.cursor()
        if rows:
            translated = [_placeholders(sql, row) for row in rows]
            cursor.executemany(translated[0][0], [values for _, values in translated])
        return cursor


def _sql(text: str) -> str:
    """The store's SQL in PostgreSQL's words: json_object is json_build_object there."""
    return text.replace("json_object(", "json_build_object(")


def _placeholders(sql: str, parameters: Sequence[Any]) -> tuple[str, Any]:
    if not parameters:
        return sql, None
    sql = sql.replace("%", "%%")
    if re.search(r"\?\d", sql):
        return re.sub(r"\?(\d+)", r"%(p\1)s", sql), {f"p{n}": value for n, value in enumerate(parameters, 1)}
    return sql.replace("?", "%s"), parameters


class PostgresBackend(Backend):
    """A store in a PostgreSQL database (see the module docstring)."""

    name = "PostgreSQL"
    read_only_begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

    def __init__(self, url: str, busy_ms: int, lock_key: int) -> None:
        try:
            import psycopg  # an extra, loaded only for a store in PostgreSQL
        except ImportError:
            raise AppraisalError(f"a run store in PostgreSQL ({shown(url)}) needs psycopg: "
                                 "pip install 'appraisal[postgres]'") from None
        self.psycopg, self.lock_key = psycopg, lock_key
        self.errors = (psycopg.Error,)
        self.unusable = (psycopg.OperationalError,)
        try:
            self.connection = psycopg.connect(url, autocommit=True, application_name="appraisal",
                                              connect_timeout=30)
        except psycopg.Error as exc:
            raise AppraisalError(f"cannot open the run store {shown(url)}: {one_line(exc)}") from None
        self.db = _Parameters(self.connection)
        self.db.execute(f"SET lock_timeout = '{int(busy_ms)}ms'")  # another writer: wait this long for it

    @property
    def in_transaction(self) -> bool:
        return bool(self.connection.info.transaction_status != self.psycopg.pq.TransactionStatus.IDLE)

    def begin_write(self) -> None:
        self.db.execute("BEGIN")
        self.db.execute(f"SELECT pg_advisory_xact_lock({self.lock_key})")  # the writers of this store, one at a time

    def blank(self, kept: Sequence[str]) -> bool:
        """No store here yet: none of the store's tables in the schema."""
        return not {META_TABLE, *kept} & set(self.tables())

    def header(self) -> tuple[int, int]:
        if META_TABLE not in self.tables():
            return 0, 0
        row = self.db.execute(f"SELECT application, format FROM {META_TABLE}").fetchone()
        return (0, 0) if row is None else (int(row[0]), int(row[1]))

    def create(self, schema: Sequence[Statement], application: int, format_: int) -> None:
        self.db.execute(f"CREATE TABLE {META_TABLE} (application BIGINT NOT NULL, format INTEGER NOT NULL)")
        self.db.execute(f"INSERT INTO {META_TABLE} VALUES (?, ?)", (application, format_))
        if "appraisal_refuse" not in self._functions():
            self.db.execute(REFUSE_FUNCTION)
        for statement in postgres_statements(schema):
            self.db.execute(statement)

    def upgrade(self, schema: Sequence[Statement], format_: int) -> None:
        for statement in postgres_statements(schema):
            self.db.execute(statement)
        self.db.execute(f"UPDATE {META_TABLE} SET format = ?", (format_,))

    def tables(self) -> list[str]:
        return [row[0] for row in self.db.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")]

    def _functions(self) -> list[str]:
        return [row[0] for row in self.db.execute(
            "SELECT routine_name FROM information_schema.routines WHERE routine_schema = current_schema()")]

    def opened(self) -> None:
        pass

    def integrity_problems(self) -> list[str]:
        """None to add: PostgreSQL checks its own pages; the kept files and the audit chain are checked."""
        return []

    def close(self) -> None:
        self.connection.close()


def one_line(exc: BaseException) -> str:
    """A database's error in one line (PostgreSQL's carry hints on more)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
