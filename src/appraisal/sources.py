"""Source readers: how a declared file becomes a table of raw rows inside DuckDB.

A reader is registered by a plugin through `register_sources(register)`, built-ins included
(`default_plugins.sources`). It only loads rows, every column as read; the engine checks the
files, locks DuckDB down and coerces the declared columns (see `appraisal.engine`). The
registry refuses a name registered twice and names both plugins, as the function registry does.
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from appraisal.errors import DataError, PluginError

if TYPE_CHECKING:
    import duckdb
    import pluggy

    from appraisal.model import Source

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
    """

    name: str
    load: Loader
    suffixes: tuple[str, ...] = ()
    doc: str = ""
    plugin: str = ""

    def run(
        self, connection: duckdb.DuckDBPyConnection, table: str, source: Source, scratch: Path
    ) -> None:
        """Call `load` with the arguments it accepts, by keyword."""
        offered = {"connection": connection, "table": table, "source": source, "scratch": scratch}
        try:
            wanted = inspect.signature(self.load).parameters
        except (TypeError, ValueError):  # a builtin or C callable: give it the three basics
            wanted = {name: None for name in ("connection", "table", "source")}  # type: ignore[misc]
        self.load(**{name: value for name, value in offered.items() if name in wanted})


class SourceRegistry:
    """Readers by name; a second registration of a name is a `PluginError`."""

    def __init__(self, readers: Iterable[SourceReader] = ()) -> None:
        self._readers: dict[str, SourceReader] = {}
        for reader in readers:
            self.register(reader)

    def register(self, reader: SourceReader, *, plugin: str | None = None) -> None:
        """Add `reader`, recording which plugin supplied it."""
        if plugin is not None:
            reader = dataclasses.replace(reader, plugin=plugin)
        clash = self._readers.get(reader.name)
        if clash is not None:
            raise PluginError(
                f"source '{reader.name}' is registered twice, by plugin "
                f"'{clash.plugin or 'unknown'}' and by plugin '{reader.plugin or 'unknown'}'; "
                "rename one of them or disable one plugin"
            )
        self._readers[reader.name] = reader

    def get(self, name: str) -> SourceReader:
        """The reader called `name`; a `DataError` with a did-you-mean when there is none."""
        reader = self._readers.get(name)
        if reader is not None:
            return reader
        close = difflib.get_close_matches(name, list(self._readers), n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"known sources: {', '.join(self.names())}"
        raise DataError(f"unknown source '{name}'; {hint}")

    def __contains__(self, name: object) -> bool:
        return name in self._readers

    def __iter__(self) -> Iterator[SourceReader]:
        return iter(self._readers.values())

    def __len__(self) -> int:
        return len(self._readers)

    def names(self) -> list[str]:
        return sorted(self._readers)


def collect_sources(manager: pluggy.PluginManager) -> SourceRegistry:
    """Call every plugin's `register_sources` with a callback that knows the plugin's name."""
    registry = SourceRegistry()
    for impl in manager.hook.register_sources.get_hookimpls():
        name = impl.plugin_name

        def register(reader: SourceReader, _plugin: str = name) -> None:
            registry.register(reader, plugin=_plugin)

        impl.function(register=register)
    return registry
