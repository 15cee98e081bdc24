"""What every demo generator shares: seeded randomness inside DuckDB, and CSV files.

Demo rows are computed in SQL from `hash(row, draw, seed)` rather than drawn in Python, so
no Python object is made per row and the same seed gives the same bytes. `u(i, k)` is draw
`k` of row `i`, uniform in (0, 1); `z(i, k)` a standard normal from draws `k` and `k + 1`.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from appraisal.sql.dialect import inline_literal


def seeded(con: duckdb.DuckDBPyConnection, seed: int) -> duckdb.DuckDBPyConnection:
    """Give `con` the macros `u(i, k)` and `z(i, k)` for `seed`; returns `con`."""
    con.execute(f"CREATE MACRO u(i, k) AS (CAST(hash(i, k, {int(seed)}) AS DOUBLE) + 0.5) / 18446744073709551616.0")
    con.execute("CREATE MACRO z(i, k) AS sqrt(-2 * ln(u(i, k))) * cos(2 * pi() * u(i, k + 1))")
    return con


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    """A small table (a roster, ratings) from Python: UTF-8, `\\n` line ends."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def copy_csv(con: duckdb.DuckDBPyConnection, select: str, path: Path) -> None:
    """A large table straight from DuckDB, with a header row."""
    con.execute(f"COPY ({select}) TO {inline_literal(path)} (HEADER, DELIMITER ',')")


def expand(con: duckdb.DuckDBPyConnection, table: str, per_person: int) -> None:
    """`table`: about `per_person` rows per row of `people` (scaled by its load), numbered `i` from 1."""
    con.execute(
        f"CREATE TABLE {table} AS SELECT row_number() OVER (ORDER BY idx, j) AS i, * FROM "
        f"(SELECT p.*, unnest(range(CAST(round({per_person} * p.load) AS BIGINT))) AS j FROM people AS p)"
    )
