"""The two databases a run store lives in: a SQLite file (the default) or a PostgreSQL database.

`RunStore` and the modules that write appeals, calibrations and the audit log speak one SQL (`?`
parameters, numbered `?1` where one is used twice, `INSERT ... ON CONFLICT DO NOTHING`,
`json_object`); a backend runs it on its database and supplies what differs: how a writer excludes
the others (SQLite's `BEGIN IMMEDIATE`; PostgreSQL: a transaction holding an advisory lock, so two
runs storing at once both land, one after the other), where the store's identity and format are
kept (SQLite's header: application id and user_version; PostgreSQL: the table
`appraisal_store`), which tables exist, and the guards of `store.guards`.

A PostgreSQL store is named by its URL (`postgresql://user@host:port/database`; libpq's
parameters such as `?options=-csearch_path%3Dappraisal` choose a schema); it lives in
`store.postgres_backend`, loaded only for such a URL. Messages show the URL without its password.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit, urlunsplit

from appraisal.store.guards import Statement, sqlite_statements

URL_SCHEMES = ("postgresql://", "postgres://")


class Database(Protocol):
    """What the store's modules call: a DB-API connection's `execute` and `executemany`."""

    def execute(self, sql: str, parameters: Any = (), /) -> Any: ...

    def executemany(self, sql: str, parameters: Any, /) -> Any: ...


def is_url(place: object) -> bool:
    """Whether `place` names a PostgreSQL database rather than a file."""
    return isinstance(place, str) and place.startswith(URL_SCHEMES)


SECRET_KEYS = ("password", "sslpassword")  # libpq's parameters that hold a secret


def shown(url: str) -> str:
    """`url` without its password (in the user part or as a `password` parameter, however its
    name is escaped), for messages and listings."""
    try:
        parts = urlsplit(url)
        if parts.password is not None:
            host = parts.netloc.rsplit("@", 1)[1]
            parts = parts._replace(netloc=f"{parts.username or ''}:***@{host}")
    except ValueError:  # malformed (an unclosed [ of an IPv6 host): nothing of it is shown
        return url.split("://", 1)[0] + "://..."
    pairs = [p.partition("=") for p in parts.query.split("&")] if parts.query else []
    query = "&".join(f"{k}=***" if sep and unquote(k).strip().lower() in SECRET_KEYS else k + sep + v
                     for k, sep, v in pairs)
    return urlunsplit(parts._replace(query=query))


def secrets(url: str) -> list[str]:
    """The passwords `url` holds, as written and decoded, whole and cut at an unescaped @ (libpq
    ends the password at the first): kept out of any message."""
    found = [v for k, sep, v in (p.partition("=") for p in url.partition("?")[2].split("&"))
             if sep and unquote(k).strip().lower() in SECRET_KEYS]
    if (userinfo := re.match(r"^[a-z]+://([^/?#]*)@", url)) and ":" in userinfo.group(1):
        password = userinfo.group(1).split(":", 1)[1]
        found += [password, *(part for part in password.split("@") if len(part) > 2)]
    try:
        from psycopg.conninfo import conninfo_to_dict  # an extra; libpq's own reading of the URL
    except ImportError:
        pass
    else:
        with contextlib.suppress(Exception):  # a URL libpq cannot read: the readings above stand
            given = conninfo_to_dict(url)
            found += [str(given[key]) for key in SECRET_KEYS if given.get(key)]
    found += [unquote(p) for p in found]
    return sorted({p for p in found if p}, key=len, reverse=True)


def scrubbed(text: str, url: str) -> str:
    """`text` with every password of `url` replaced by ***."""
    for secret in secrets(url):
        text = text.replace(secret, "***")
    return text


class Backend(ABC):
    """One open store database (see the module docstring): what every database does alike here,
    and what each must say for itself (abstract)."""

    name: str  # for messages: "SQLite", "PostgreSQL"
    db: Database
    errors: tuple[type[Exception], ...]  # any error of the database's driver
    unusable: tuple[type[Exception], ...]  # the store cannot be used now: locked, read-only, a full disk
    unreachable: tuple[type[Exception], ...] = ()  # a read that failed for want of the server, not damage
    read_only_begin: str  # starts a transaction that reads one state of the store

    def check_writable(self, kept: Sequence[str]) -> None:
        """Refuse a store (its tables `kept`) that cannot be written, before a run spends an hour measuring."""
        self.begin_write()
        self.roll_back()

    def now(self) -> datetime:
        """The store's clock: when a run is stored (one clock for every machine storing into it)."""
        return datetime.now(UTC)

    @abstractmethod
    def landed(self, sql: str, parameters: Sequence[Any]) -> bool | None:
        """Whether a write whose COMMIT failed is in the store after all (`sql` finds a row only
        it wrote); None when that cannot be known."""

    @abstractmethod
    def foreign(self) -> str:
        """What a store without the store's identity is, for the message refusing it."""

    @abstractmethod
    def begin_write(self) -> None:
        """Start the transaction of a write, excluding every other writer until it ends."""

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

    def opened(self) -> None:
        """Settings for a store found sound; a database whose connection holds them all has none."""
        return None  # PostgreSQL's are set as it connects (lock_timeout)

    @abstractmethod
    def integrity_problems(self) -> list[str]: ...

    @abstractmethod
    def close(self) -> None: ...


class SqliteBackend(Backend):
    """A store file: WAL so readers go on beside a writer, a busy timeout for a second writer."""

    name = "SQLite"
    errors: tuple[type[Exception], ...] = (sqlite3.Error,)
    unusable: tuple[type[Exception], ...] = (sqlite3.OperationalError,)  # locked, read-only, a full disk
    read_only_begin = "BEGIN"

    def __init__(self, path: Path, busy_ms: int) -> None:
        self.path, self.busy_ms = path, busy_ms
        self.connection = sqlite3.connect(path, timeout=busy_ms / 1000, isolation_level=None)
        self.db = self.connection

    @property
    def in_transaction(self) -> bool:
        return self.connection.in_transaction

    def landed(self, sql: str, parameters: Sequence[Any]) -> bool | None:
        """A local file's COMMIT that failed did not land."""
        return False

    def foreign(self) -> str:
        return "another program's SQLite database, or an empty file"

    def begin_write(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")  # the write lock now: a second writer waits its busy timeout

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


def one_line(exc: BaseException) -> str:
    """A database's error in one line (PostgreSQL's carry hints on more)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
