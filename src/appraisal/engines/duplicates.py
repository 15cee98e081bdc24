"""Repeated keys: which rows to drop so that each key keeps its first row in file order.

`find` writes the row numbers to drop into a table and says how many there are. The exact
reference form, `grouped`, groups every key (a hash table of every distinct key: at 10 million
rows most of loading's time). `find` first tries `ordered`, which costs a streaming pass over
the key and, only when keys go down somewhere, a second pass that looks up a few keys:

1. One pass in file order compares each key with the one before (a streaming window, no sort,
   no hash table). The pass proves its own order: every row number must exceed the previous
   one, or the form gives up and `grouped` decides. Keys that never go down are all distinct.
2. Where a key is not above the one before (a *descent*), a new run of rising keys starts.
   A row that repeats an earlier key is never above every key before it, so if each run's
   second row is above every key before its run, only the descents can be repeats (a run's
   later rows rise from there). Each run's second row is kept by the pass for that check;
   when it fails, `grouped` decides.
3. The second pass gathers every row whose key is one of the descents' keys (a small hash
   table, looked up once per row): those rows hold every repeated key whole, and each key's
   first row among them is kept.

Rows with no key (NULL; for raw text also the empty text) are never repeats. For raw text
keys (`as_text`), a key with surrounding spaces (Unicode's too) makes both forms stop and say
so: the caller then compares the typed (trimmed) keys instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from appraisal.engines.coercion import edged
from appraisal.sql.dialect import quote_identifier as q


@dataclass(frozen=True)
class Repeats:
    """`rows` to drop (written to the table `find` was given), up to three of the repeated keys
    as text, smallest first; `spaced`: a raw text key had surrounding spaces and nothing was
    written (compare the typed keys)."""

    rows: int
    examples: tuple[str, ...] = ()
    spaced: bool = False


# A run's first rows that the streaming pass keeps: its descent and the rows after it. A repeat
# that is not a descent lies among them when the last kept row is above every key before the run.
RUN_HEAD = 5


def _spaced(value: str) -> str:
    # a raw key its typing would change (a space at an end, Unicode's included): `trim` runs only
    # on the `edged` keys, whose LIKE and length tests cost the one-thread streaming pass 7% at 10M
    # rows where trimming every key would cost 75%
    return f"CASE WHEN {edged(value)} THEN trim({value}) <> {value} ELSE FALSE END"


def _keyed(key: str, as_text: bool) -> str:
    """SQL true for a row that has a key (the key column quoted)."""
    return f"{key} IS NOT NULL" + (f" AND {key} <> ''" if as_text else "")


def find(connection: duckdb.DuckDBPyConnection, source: str, key: str, row: str, into: str, *,
         as_text: bool = False) -> Repeats:
    """Write into the new table `into` (column `file_row`) the numbers (`row`, a column of
    `source` in file order: the file's row number or the table's rowid) of the rows of `source`
    whose `key` repeats an earlier row's; see the module docstring."""
    found = ordered(connection, source, key, row, into, as_text=as_text)
    return found if found is not None else grouped(connection, source, key, row, into, as_text=as_text)


def ordered(connection: duckdb.DuckDBPyConnection, source: str, key: str, row: str, into: str, *,
            as_text: bool = False) -> Repeats | None:
    """The streaming form (module docstring); None when it cannot prove its answer."""
    scan, hits = f"{into}__scan", f"{into}__hits"
    spaced = _spaced("k") if as_text else "FALSE"
    near = " ".join(f", lag(d, {i}) OVER () AS d{i}" for i in range(1, RUN_HEAD))
    near_any = " OR ".join(f"d{i}" for i in range(1, RUN_HEAD))
    try:
        connection.execute(
            f"CREATE OR REPLACE TEMP TABLE {q(scan)} AS SELECT r, k, pk, d AS descent, "
            f"coalesce(pr >= r, FALSE) AS disorder, spaced FROM (SELECT *{near} FROM ("
            f"SELECT k, r, pk, k <= pk AS d, pr, {spaced} AS spaced FROM (SELECT k, r, lag(k) OVER () AS pk, "
            f"lag(r) OVER () AS pr FROM (SELECT {q(key)} AS k, {q(row)} AS r FROM {q(source)} "
            f"WHERE {_keyed(q(key), as_text)})))) WHERE d OR {near_any} OR pr >= r OR spaced"
        ).fetchall()
    except (duckdb.BinderException, duckdb.NotImplementedException):  # a key type with no order
        return None
    try:
        [(disorder, with_spaces, descents)] = connection.execute(
            f"SELECT count(*) FILTER (WHERE disorder), count(*) FILTER (WHERE spaced), "
            f"count(*) FILTER (WHERE descent) FROM {q(scan)}").fetchall()
        if disorder:
            return None
        if with_spaces:
            return Repeats(0, spaced=True)
        if not descents:
            connection.execute(f"CREATE TABLE {q(into)} AS SELECT {q(row)} AS file_row FROM {q(source)} LIMIT 0"
                               ).fetchall()
            return Repeats(0)
        # Per run (rows from a descent to the next): `before`, the greatest key before it (the
        # last key of each earlier run is the key before each descent so far); its rows kept by
        # the scan (`head`: the descent's next RUN_HEAD - 1 rows, fewer when the run is shorter).
        runs = (f"SELECT r, k, descent, sum(CASE WHEN descent THEN 1 ELSE 0 END) OVER w AS run, "
                f"max(CASE WHEN descent THEN pk END) OVER w AS before FROM {q(scan)} "
                f"WINDOW w AS (ORDER BY r ROWS UNBOUNDED PRECEDING)")
        [(unproven,)] = connection.execute(  # a run whose kept rows may not reach above `before`
            f"SELECT count(*) FROM (SELECT count(*) FILTER (WHERE NOT descent) AS head, "
            f"max(k) FILTER (WHERE NOT descent) AS top, max(before) AS before FROM ({runs}) WHERE run > 0 "
            f"GROUP BY run) WHERE head >= {RUN_HEAD - 1} AND top <= before"
        ).fetchall()
        if unproven:
            return None
        connection.execute(
            f"CREATE OR REPLACE TEMP TABLE {q(hits)} AS SELECT {q(key)} AS k, {q(row)} AS r FROM {q(source)} "
            f"WHERE {q(key)} IN (SELECT k FROM ({runs}) WHERE descent OR (run > 0 AND k <= before))").fetchall()
        connection.execute(
            f"CREATE TABLE {q(into)} AS SELECT r AS file_row FROM (SELECT r, min(r) OVER (PARTITION BY k) AS first_row "
            f"FROM {q(hits)}) WHERE r > first_row").fetchall()
        [(rows, examples)] = connection.execute(
            f"SELECT (SELECT count(*) FROM {q(into)}), min(CAST(k AS VARCHAR), 3) FROM (SELECT k FROM {q(hits)} "
            f"GROUP BY k HAVING count(*) > 1)").fetchall()
        return Repeats(int(rows), tuple(examples or ()))
    finally:
        connection.execute(f"DROP TABLE IF EXISTS {q(scan)}").fetchall()
        connection.execute(f"DROP TABLE IF EXISTS {q(hits)}").fetchall()


def grouped(connection: duckdb.DuckDBPyConnection, source: str, key: str, row: str, into: str, *,
            as_text: bool = False) -> Repeats:
    """The exact reference form: one group per key. Dropped are the last row of each key seen
    twice, which the grouping already knows, or, when a key comes three times or more, every
    row but the first, found among the rows with a repeated key."""
    repeated, k = f"{into}__repeated", q(key)
    having = f" OR {_spaced(k)}" if as_text else ""
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {q(repeated)} AS SELECT {k} AS k, max({q(row)}) AS last_row, count(*) AS n "
        f"FROM {q(source)} WHERE {_keyed(k, as_text)} GROUP BY {k} HAVING count(*) > 1{having}"
    ).fetchall()
    try:
        with_spaces = f"count(*) FILTER (WHERE {_spaced('k')})" if as_text else "0"
        [(extra, many, spaced_keys, examples)] = connection.execute(
            f"SELECT coalesce(sum(n - 1), 0), count(*) FILTER (WHERE n > 2), {with_spaces}, "
            f"min(CAST(k AS VARCHAR), 3) FILTER (WHERE n > 1) FROM {q(repeated)}"
        ).fetchall()
        if spaced_keys:
            return Repeats(0, spaced=True)
        if many:
            connection.execute(
                f"CREATE TABLE {q(into)} AS SELECT file_row FROM (SELECT a.{q(row)} AS file_row, "
                f"min(a.{q(row)}) OVER (PARTITION BY a.{k}) AS first_row "
                f"FROM {q(source)} AS a SEMI JOIN {q(repeated)} AS r ON a.{k} = r.k) WHERE file_row > first_row"
            ).fetchall()
        else:
            connection.execute(f"CREATE TABLE {q(into)} AS SELECT last_row AS file_row FROM {q(repeated)}").fetchall()
        return Repeats(int(extra), tuple(examples or ()))
    finally:
        connection.execute(f"DROP TABLE IF EXISTS {q(repeated)}").fetchall()
