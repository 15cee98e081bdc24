"""A roster or ratings that live in the engine's database (`source: table`), read here.

They are small (a row per person, or per rating) and the embedded engine needs them itself:
the roster decides who is appraised and carries names, teams and employment dates to scoring,
and ratings are averaged here. So their rows are fetched once from the remote session, every
cell as the database's text of it, and typed by DuckDB exactly as a CSV file's cells are
(`appraisal.engines.duckdb_engine`), text coerced, bad values counted, with every check a file
gets; the roster is then shipped back like any other table. A repeated key keeps the first row
in the order of all its columns (a table has no file order).
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
        rows = remote.fetch(_as_text(remote, reference(source.table, remote.dialect)), ())
        view = f"{table}__pulled"
        connection.register(view, rows)
        try:
            connection.execute(f"CREATE TABLE {q(table)} AS SELECT * FROM {q(view)}").fetchall()
        finally:
            connection.unregister(view)

    doc = f"a table of the {remote.name} database the run measures on"
    return SourceRegistry([*sources, SourceReader(TABLE_SOURCE, load, doc=doc, plugin="appraisal")])


def _as_text(remote: RemoteSession, table: str) -> str:
    """Every cell as the database writes it as text (numbers, decimals, dates, an `infinity`), in
    one order whatever the scan's (so the first of a repeated key is the same on every run): the
    rows then type here exactly as a file's cells."""
    columns = getattr(remote, "columns", None)
    if columns is None:  # an engine without `columns`: as its driver gives them
        return f"SELECT * FROM {table}"
    dialect = remote.dialect
    names = [dialect.quote_identifier(name) for name, _ in columns(table)]
    texts = ", ".join(f"{dialect.text_of.format(x=n)} AS {n}" for n in names)
    order = ", ".join(f"{n} NULLS LAST" for n in range(1, len(names) + 1))
    return f"SELECT {texts} FROM {table} ORDER BY {order}"
