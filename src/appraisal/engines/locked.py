"""The embedded engine's DuckDB connection: in memory, capped, and able to read only what a run
declares (the files, its private scratch and spill folders), with nothing installed or loaded
behind our back."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from appraisal import interrupts
from appraisal.engines.memory import ALLOCATOR_SETTINGS
from appraisal.errors import DataError


def usable_cores() -> int:
    """The CPU cores this process may run on: the most threads worth asking DuckDB for."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return os.cpu_count() or 1


def locked_connection(
    paths: list[str], scratch: Path, spill: Path, threads: int | None, limit: int
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that installs and loads nothing by itself and reads only `paths`.

    Memory is capped: DuckDB holds at most `limit` bytes, its share of the process's limit
    (`--memory-limit`, APPRAISAL_MEMORY_LIMIT, default 1GB; appraisal.engines.memory), and spills
    beyond it to a private folder (`spill`), so a run over 10 million rows stays under a gigabyte.
    """
    config: dict[str, str | bool | int | float | list[str]] = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "memory_limit": f"{limit}B",
        "temp_directory": str(spill),
        **ALLOCATOR_SETTINGS,
    }
    if threads is not None:
        config["threads"] = min(threads, usable_cores())  # each thread has its own buffers: 100000 would eat memory
    try:
        connection = duckdb.connect(":memory:", config=config)
    except duckdb.Error as exc:
        raise DataError(f"cannot start the engine: {' '.join(str(exc).split())}") from None
    interrupts.register_connection(connection)  # Ctrl-C, SIGTERM and the time limit interrupt its queries
    connection.execute("SET enable_progress_bar = false").fetchall()
    connection.execute("SET allowed_paths = ?", [paths]).fetchall()
    connection.execute("SET allowed_directories = ?", [[f"{scratch}{os.sep}", f"{spill}{os.sep}"]]).fetchall()
    connection.execute("SET enable_external_access = false").fetchall()
    return connection
