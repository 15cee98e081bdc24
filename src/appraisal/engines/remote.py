"""Engines beyond the embedded one: where the row-level queries of a measurement run.

Every command reads and types the declared files in the embedded DuckDB: one reader for every
engine, so bad rows are counted the same way everywhere. With another engine chosen
(`appraisal run --engine postgres`), the typed tables are shipped to it, each dataset's query is
compiled in that engine's dialect and runs there, and only its result, a row per appraisee,
comes back into DuckDB, where scoring and writing happen (docs/engines.md).

An engine is registered by a plugin through `register_engines(register)`, the built-in
PostgreSQL engine included (`default_plugins.engines`): an `EngineKind` whose `connect(settings)`
opens a `RemoteSession`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from appraisal.registry import Registry, collect
from appraisal.scheme.model import EMBEDDED  # the engine every command has: in the process, no settings

if TYPE_CHECKING:
    import duckdb
    import pluggy
    import pyarrow as pa

    from appraisal.sql.dialect import Dialect

__all__ = ["EMBEDDED", "DatabaseTables", "EngineKind", "EngineRegistry", "RemoteSession", "collect_engines", "cut",
           "reference"]


def reference(table: str, dialect: Dialect) -> str:
    """A table of the engine's database as the scheme names it (`support.tickets`), as the
    dialect names it: each part quoted, and cut as the engine cuts a longer name (so the
    statements' own long names, which are written short, can be told from it)."""
    return ".".join(dialect.quote_identifier(cut(part, dialect)) for part in table.split("."))


def cut(name: str, dialect: Dialect) -> str:
    """`name` as the engine keeps it: PostgreSQL keeps the first 63 bytes of a longer name, so a
    table created with a long column name has the cut one, and a statement naming it long finds it."""
    if dialect.name_bytes is None:
        return name
    return name.encode("utf-8")[:dialect.name_bytes].decode("utf-8", "ignore")


class RemoteSession(Protocol):
    """An open connection to an engine: ship typed tables to it, run compiled queries there."""

    @property
    def name(self) -> str:
        """The engine's name as registered (`postgres`)."""
        ...

    @property
    def dialect(self) -> Dialect: ...

    @property
    def version(self) -> str:
        """The engine's own version (the server's), for provenance."""
        ...

    def ship(self, connection: duckdb.DuckDBPyConnection, tables: Mapping[str, str], folder: Path) -> None:
        """Copy each table into the session (a temporary table or view of that name) from the
        rows of its DuckDB query (`tables`: name -> SELECT on `connection`); `folder` is private
        scratch space the embedded engine may write."""
        ...

    def fetch(self, sql: str, params: Sequence[object]) -> pa.Table:
        """Run a query written in `dialect` (`?` placeholders) and return its rows as Arrow."""
        ...

    def cancel(self) -> None:
        """Stop the running query (Ctrl-C, the time limit); safe from a signal handler."""
        ...

    def close(self) -> None: ...


class DatabaseTables(Protocol):
    """What a session offers beyond `RemoteSession` when datasets may live in its database
    (`source: table`, appraisal.engines.tables); an engine without it refuses such a scheme."""

    def columns(self, table: str) -> list[tuple[str, str]]:
        """Each column of `table` (a reference in the dialect, already quoted) with its kind of
        values: `text`, `integer`, `number` (a double), `decimal`, `boolean`, `date`,
        `timestamp` (wall-clock), `instant` (with a zone), `interval`, or `other:<type>`."""
        ...

    def stage(self, name: str, sql: str) -> None:
        """Keep the rows of `sql` (no parameters) as the temporary table or view `name` for the
        rest of the session, read by the queries that follow."""
        ...


@dataclass(frozen=True)
class EngineKind:
    """One engine a scheme can be measured on.

    `connect(settings)` opens a session; `settings` are the connection's settings (from the
    environment or a profile, never from the scheme). `needs` says what must be installed.
    """

    name: str
    connect: Callable[[Mapping[str, str]], RemoteSession]
    doc: str = ""
    needs: str = ""
    plugin: str = ""


class EngineRegistry(Registry[EngineKind]):
    """Engines by name; a second registration of a name is a `PluginError`."""

    kind = "engine"


def collect_engines(manager: pluggy.PluginManager) -> EngineRegistry:
    """Every plugin's engines, each recorded with the plugin that registered it."""
    return collect(manager, "register_engines", EngineRegistry())
