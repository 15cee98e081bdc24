"""Data that lives in a database, for the tests of `source: table`: typed rows put into a real
PostgreSQL schema or a Spark database, and the same rows as Parquet files beside them.

The Parquet file is the reference: DuckDB reads it as typed values, in file order, exactly as
the engine reads the table's typed columns, so a scheme reading the file on DuckDB and the same
scheme reading the table on another engine must give the same result. Every table carries
`loaded_row`, the rows' order in the file, which a scheme names as `first_by`.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from appraisal.engines.postgres_engine import _column_type
from appraisal.sql.dialect import inline_literal
from appraisal.sql.dialect import quote_identifier as q


def parquet(folder: Path, name: str, rows: pa.Table) -> Path:
    """`rows` as `<folder>/<name>.parquet`, with `loaded_row`: their order, from 1."""
    path = folder / f"{name}.parquet"
    numbered = rows.append_column("loaded_row", pa.array(range(1, rows.num_rows + 1), pa.int64()))
    with duckdb.connect() as con:  # written by DuckDB, as the engine's own Parquet files are
        con.register("rows", numbered)
        con.execute(f"COPY (SELECT * FROM rows) TO {inline_literal(str(path))} (FORMAT parquet)")
    return path


@contextlib.contextmanager
def postgres_schema(server: Any, files: dict[str, Path]) -> Iterator[str]:
    """A schema of the server holding each Parquet file as a table of its name, with PostgreSQL's
    types for DuckDB's; dropped after the block."""
    schema = f"w_{uuid.uuid4().hex[:10]}"
    with server.connect() as pg, duckdb.connect() as con:
        pg.execute("SET client_encoding = 'UTF8'")  # the rows go over as DuckDB writes them, in UTF-8
        pg.execute(f"CREATE SCHEMA {q(schema)}")
        try:
            for name, path in files.items():
                rows = f"SELECT * FROM read_parquet({inline_literal(str(path))})"
                described = con.execute(f"DESCRIBE {rows}").fetchall()
                columns = ", ".join(f"{q(str(c))} {_plain_type(str(t))}" for c, t, *_ in described)
                pg.execute(f"CREATE TABLE {q(schema)}.{q(name)} ({columns})")
                csv = path.with_suffix(".csv")
                con.execute(f"COPY ({rows}) TO {inline_literal(str(csv))} (FORMAT csv, HEADER false)")
                with pg.cursor().copy(f"COPY {q(schema)}.{q(name)} FROM STDIN (FORMAT csv)") as copy:
                    copy.write(csv.read_bytes())
            yield schema
        finally:
            pg.execute(f"DROP SCHEMA {q(schema)} CASCADE")


@contextlib.contextmanager
def spark_database(spark: Any, files: dict[str, Path]) -> Iterator[str]:
    """A database of the Spark session holding each Parquet file as an external table of its
    name; dropped after the block (the files stay the test's)."""
    database = f"w_{uuid.uuid4().hex[:10]}"
    home = next(iter(files.values())).parent / f"{database}.db"  # Spark deletes it with the database
    spark.sql(f"CREATE DATABASE {database} LOCATION {inline_literal(home.as_uri())}")
    try:
        for name, path in files.items():
            spark.sql(f"CREATE TABLE {database}.`{name}` USING parquet LOCATION {inline_literal(path.as_uri())}")
        yield database
    finally:
        spark.sql(f"DROP DATABASE {database} CASCADE")


def _plain_type(duckdb_type: str) -> str:
    """PostgreSQL's type for a DuckDB column, texts in the database's own collation (as a
    warehouse's are; the engine compares them by code point itself)."""
    return _column_type(duckdb_type).replace(' COLLATE "C"', "")


@contextlib.contextmanager
def connect_database(spark: Any, files: dict[str, Path]) -> Iterator[str]:
    """A database of a Spark Connect server holding each Parquet file's rows as a managed table
    of its name (sent through the connection: the server cannot read this machine's files);
    dropped after the block."""
    import pyarrow.parquet as pq

    database = f"w_{uuid.uuid4().hex[:10]}"
    spark.sql(f"CREATE DATABASE {database}")
    try:
        for name, path in files.items():
            spark.createDataFrame(pq.read_table(path)).write.saveAsTable(f"{database}.`{name}`")
        yield database
    finally:
        spark.sql(f"DROP DATABASE {database} CASCADE")
