"""A roster or ratings that live in the engine's database (`source: table`), read here.

They are small (a row per person, or per rating) and the embedded engine needs them itself:
the roster decides who is appraised and carries names, teams and employment dates to scoring,
and ratings are averaged here. So their rows are fetched once from the remote session and typed
by DuckDB exactly as a file's typed columns are (`appraisal.engines.duckdb_engine`), text
coerced, bad values counted, with every check a file gets; the roster is then shipped back like
any other table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from appraisal.engines.remote import reference
from appraisal.engines.sources import SourceReader, SourceRegistry
from appraisal.scheme.model import TABLE_SOURCE
from appraisal.sql.dialect import quote_identifier as q

if TYPE_CHECKING:
    import duckdb

    from appraisal.engines.remote import RemoteSession
    from appraisal.scheme.model import Source


def pulling(sources: SourceRegistry, remote: RemoteSession) -> SourceRegistry:
    """`sources` and a reader of `source: table` that fetches the table from `remote`."""

    def load(connection: duckdb.DuckDBPyConnection, table: str, source: Source) -> None:
        assert source.table is not None
        rows = remote.fetch(f"SELECT * FROM {reference(source.table, remote.dialect)}", ())
        view = f"{table}__pulled"
        connection.register(view, rows)
        try:
            connection.execute(f"CREATE TABLE {q(table)} AS SELECT * FROM {q(view)}").fetchall()
        finally:
            connection.unregister(view)

    doc = f"a table of the {remote.name} database the run measures on"
    return SourceRegistry([*sources, SourceReader(TABLE_SOURCE, load, doc=doc, plugin="appraisal")])
