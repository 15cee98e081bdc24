"""Source readers: how a declared file becomes a table of raw rows inside DuckDB.

A reader is registered by a plugin through `register_sources(register)`, built-ins included
(`default_plugins.sources`). It only loads rows, every column as read; the engine checks the
files, locks DuckDB down and coerces the declared columns (see `appraisal.engines.duckdb_engine`). The
registry refuses a name registered twice and names both plugins, as the function registry does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from appraisal.registry import Registry, call_accepting, collect

if TYPE_CHECKING:
    import duckdb
    import pluggy

    from appraisal.scheme.model import Source

Loader = Callable[..., None]


@dataclass(frozen=True)
class SourceReader:
    """One kind of source.

    `load(connection, table, source)` creates the DuckDB table `table` holding the rows of
    `source` (a `model.Source`: the resolved path and the scheme's `options`). It may also take
    `scratch`, a private folder that DuckDB is allowed to read, for a reader that must stage a
    file first (a CSV transcoded to UTF-8); the engine passes only the arguments `load` names.
    Rows are handed over as read: text stays text, so the engine can count what fails to
    coerce. `suffixes` are the file endings the reader expects (`.csv`), for hints.

    `rejected(connection, table)`, for a reader that skips rows it cannot read (a CSV row with
    too many fields), returns SQL of the skipped rows as `(line, cause)`, one per row, or None;
    the engine calls it once the rows are typed and counts them by cause.
    """

    name: str
    load: Loader
    suffixes: tuple[str, ...] = ()
    doc: str = ""
    plugin: str = ""
    rejected: Callable[[duckdb.DuckDBPyConnection, str], str | None] | None = None

    def run(
        self, connection: duckdb.DuckDBPyConnection, table: str, source: Source, scratch: Path
    ) -> None:
        """Call `load` with the arguments it accepts, by keyword."""
        offered = {"connection": connection, "table": table, "source": source, "scratch": scratch}
        call_accepting(self.load, offered, ("connection", "table", "source"))


class SourceRegistry(Registry[SourceReader]):
    """Readers by name; a second registration of a name is a `PluginError`."""

    kind = "source"

    def get(self, name: str) -> SourceReader:
        return self.require(name)


def collect_sources(manager: pluggy.PluginManager) -> SourceRegistry:
    """Every plugin's source readers, each recorded with the plugin that registered it."""
    return collect(manager, "register_sources", SourceRegistry())
