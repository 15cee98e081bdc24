"""A query run on a second DuckDB cursor while this thread does other work in the same database.

A keyed CSV file is typed into its table on one thread (the table must keep the file's order:
appraisal.engines.duckdb_engine), which leaves the other cores idle; the file's type checks read
the raw rows again and need nothing from that table, so they run beside it. DuckDB releases the
GIL while it works. The cursor is a connection of its own: it sees the database's views and
tables, not this connection's temporary ones (a CSV reader's rejected rows among them: those of
the typing scan stay the only ones recorded), and a stopped run interrupts it with the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import duckdb

from appraisal import interrupts


def beside(connection: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any],
           work: Callable[[], object]) -> list[tuple[Any, ...]]:
    """The rows of `sql` (with `params`), run on a cursor of `connection` while `work()` runs
    here. If either fails, the other is stopped and waited for, and the first failure raised."""
    cursor = connection.cursor()
    interrupts.register_connection(cursor)
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="appraisal-beside") as pool:
            pending = pool.submit(lambda: cursor.execute(sql, list(params)).fetchall())
            try:
                work()
            except BaseException:
                cursor.interrupt()  # the pool's exit waits for it; the query's own error is dropped
                raise
            return pending.result()
    finally:
        interrupts.unregister_connection(cursor)
        cursor.close()
