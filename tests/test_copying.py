"""A CSV copied out of the engine (appraisal.results.copying) keeps the rows in its query's order
when data texts in it are escaped: over several row groups (122,880 rows each) a join onto the
escaped texts gave DuckDB leave to write them in another order (scores.csv, totals.csv and
`measure --csv` at scale with an id such as `=1`). Up to `_CASED` escaped texts go in by a CASE,
more by a join after which the rows are put back in their numbered order; both are tested here,
on 500,000 rows (at 100,000 the old form kept the order by chance)."""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from appraisal.results import copying

ROWS = 500_000


def _copied(folder: Path, escaped_every: int) -> list[list[str]]:
    """`copy_csv` (into the new `folder`) of ROWS rows in descending `n` whose id, every
    `escaped_every`-th, is formula-like; the file's rows."""
    folder.mkdir()
    connection = duckdb.connect()
    connection.execute(
        f"CREATE TABLE t AS SELECT CASE WHEN i % {escaped_every} = 0 THEN '=' ELSE 'A' END || i AS id, i AS n"
        f" FROM range({ROWS}) AS r(i) ORDER BY hash(i)")  # stored in no order: the query's ORDER BY is all
    (spill := folder / "spill").mkdir()
    engine = SimpleNamespace(connection=connection, spill=spill)
    path = folder / "out.csv"
    copying.copy_csv(engine, "SELECT id, n FROM t ORDER BY n DESC", ("id", "n"), ("id",), path)  # type: ignore[arg-type]
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))[1:]


def _check(rows: list[list[str]], escaped_every: int) -> None:
    assert [int(n) for _, n in rows] == list(range(ROWS - 1, -1, -1))
    for text, n in rows:
        assert text == (f"'={n}" if int(n) % escaped_every == 0 else f"A{n}")


def test_a_few_escaped_texts_keep_the_rows_in_order(tmp_path: Path) -> None:
    every = ROWS // 50  # 50 escaped ids: put in by a CASE
    assert ROWS // every <= copying._CASED
    _check(_copied(tmp_path / "out", every), every)


def test_many_escaped_texts_keep_the_rows_in_order(tmp_path: Path) -> None:
    every = 4  # 125,000 escaped ids: joined, then put back in order
    assert ROWS // every > copying._CASED
    _check(_copied(tmp_path / "out", every), every)


def test_the_join_writes_the_bytes_the_case_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    every = ROWS // 50
    _copied(tmp_path / "cased", every)
    monkeypatch.setattr(copying, "_CASED", 0)  # the same 50 escaped ids, joined
    _copied(tmp_path / "joined", every)
    assert (tmp_path / "joined" / "out.csv").read_bytes() == (tmp_path / "cased" / "out.csv").read_bytes()
