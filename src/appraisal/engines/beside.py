"""A query run on a second DuckDB cursor while this thread does other work in the same database.

A keyed CSV file is typed into its table on one thread (the table must keep the file's order:
appraisal.engines.duckdb_engine), which leaves the other cores idle; the file's type checks read
the raw rows again and need nothing from that table, so they run beside it. DuckDB releases the
GIL while it works. The cursor is a connection of its own: it sees the database's views and
tables, not this connection's temporary ones (a CSV reader's rejected rows among them: those of
the typing scan stay the only ones recorded; a plugin's reader may also leave its rows in a
registered Arrow table or a temporary one, which the cursor cannot read: the query is then run
here, after the work), and a stopped run interrupts it with the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from threading import Event
from typing import Any

import duckdb

from appraisal import interrupts

# How often a failed work's interrupt is repeated until the query beside it has stopped: an
# interrupt reaches only a query that has started.
_RETRY_S = 0.02


def beside(connection: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any],
           work: Callable[[], object]) -> list[tuple[Any, ...]]:
    """The rows of `sql` (with `params`), run on a cursor of `connection` while `work()` runs
    here. A failing `work` stops the query and is raised; a failing query is raised once the
    work is done (the work is not stopped)."""
    cursor = connection.cursor()
    interrupts.register_connection(cursor)
    stopped = Event()

    def query() -> list[tuple[Any, ...]] | None:
        if stopped.is_set():
            return None
        try:
            return cursor.execute(sql, list(params)).fetchall()
        except duckdb.CatalogException:  # reads what only `connection` sees
            return None

    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="appraisal-beside") as pool:
            pending = pool.submit(query)
            try:
                work()
            except BaseException:
                stopped.set()
                while not pending.done():
                    cursor.interrupt()
                    wait([pending], timeout=_RETRY_S)
                raise  # the query's own error, if any, is dropped
            rows = pending.result()
    finally:
        interrupts.unregister_connection(cursor)
        cursor.close()
    return rows if rows is not None else connection.execute(sql, list(params)).fetchall()
