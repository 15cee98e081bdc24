"""A query beside other work (appraisal.engines.beside): a keyed CSV file's type checks run on a
second cursor while the file is typed on one thread; either failing stops the other."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from appraisal import hookspecs, interrupts, plugins
from appraisal.engines.beside import beside
from appraisal.engines.duckdb_engine import open_engine
from appraisal.engines.sources import SourceReader
from appraisal.pipeline import load_scheme
from appraisal.plugins import extensions
from appraisal.scheme.model import Source

ENDLESS = "SELECT count(*) FROM range(1000000000000) AS t(i) WHERE i % 7 = 3"  # hours, unless stopped


def test_the_query_runs_while_the_work_does_and_its_rows_come_back():
    connection = duckdb.connect()
    connection.execute("CREATE TABLE t AS SELECT range AS i FROM range(1000)")
    seen: list[int] = []

    def work() -> None:
        seen.append(connection.execute("SELECT count(*) FROM t").fetchall()[0][0])

    assert beside(connection, "SELECT sum(i) FROM t WHERE i > ?", [499], work) == [(sum(range(500, 1000)),)]
    assert seen == [1000]


def test_work_that_fails_stops_the_query_beside_it_and_its_error_is_raised():
    connection = duckdb.connect()
    registered = dict(interrupts._state.connections)
    started = time.monotonic()

    def work() -> None:
        time.sleep(0.3)  # the endless query is under way
        raise ValueError("the typing failed")

    with pytest.raises(ValueError, match="the typing failed"):
        beside(connection, ENDLESS, [], work)
    assert time.monotonic() - started < 30
    assert interrupts._state.connections == registered  # the cursor is no longer stopped with the run


def test_work_that_fails_at_once_stops_the_query_even_before_it_has_started():
    connection = duckdb.connect(config={"threads": 1})
    long = "SELECT count(*) FROM range(3000000000) AS t(i) WHERE i % 7 = 3"  # seconds on one thread

    def fail_at_once() -> None:
        raise ValueError("no memory for the typed table")

    for _ in range(20):  # an interrupt sent before the query starts would be lost without a retry
        started = time.monotonic()
        with pytest.raises(ValueError):
            beside(connection, long, [], fail_at_once)
        assert time.monotonic() - started < 1.5


def test_a_relation_only_this_connection_sees_is_read_here_after_the_work():
    connection = duckdb.connect()
    connection.execute("CREATE TEMP TABLE rows_read AS SELECT range AS i FROM range(10)")  # a reader's temporary table
    connection.register("arrow_rows", pa.table({"i": [1]}))  # or its Arrow data
    done = threading.Event()
    assert beside(connection, "SELECT count(*) FROM rows_read, arrow_rows", [], done.set) == [(10,)]
    assert done.is_set()


def test_a_query_that_fails_raises_once_the_work_is_done():
    connection = duckdb.connect()
    done = threading.Event()
    with pytest.raises(duckdb.Error, match="bad cell"):
        beside(connection, "SELECT error('bad cell')", [], done.set)
    assert done.is_set()


def test_a_stopped_run_interrupts_the_query_beside_the_work():
    connection = duckdb.connect()

    def work() -> None:
        time.sleep(0.3)
        interrupts._state.interrupt_all()  # what Ctrl-C, SIGTERM and the time limit do

    with pytest.raises(duckdb.InterruptException):
        beside(connection, ENDLESS, [], work)


def _scheme(folder: Path, source: str, path: str) -> Path:
    (folder / "roster.csv").write_text("agent\nA01\nA02\n", encoding="utf-8")
    scheme = folder / "scheme.yaml"
    scheme.write_text(
        "scheme: beside\nversion: 1\ntitle: Beside\nperiod: month\ntimezone: Asia/Shanghai\n"
        "roster: {source: csv, path: roster.csv, key: agent}\n"
        f"datasets:\n  tickets:\n    source: {source}\n    path: {path}\n    key: id\n    appraisee: agent\n"
        "    period_by: at\n    columns: {id: text, agent: text, at: timestamp, score: integer}\n"
        "indicators:\n  - id: n\n    title: N\n    measure: {dataset: tickets, agg: count}\n    target: 1\n"
        "    score: {curve: linear, worst: 0, best: 2}\n    weight: 100\ngrades: {A: 90, B: 0}\n", encoding="utf-8")
    return scheme


def _counts(scheme: Path) -> tuple[dict[tuple[str, str, str], int], int]:
    with open_engine(load_scheme(scheme), extensions().sources) as engine:
        found = {(c.dataset, c.cause, c.column): c.count for c in engine.quality}
        [(rows,)] = engine.connection.execute("SELECT count(*) FROM tickets").fetchall()
    return found, rows


def test_a_keyed_csv_file_checked_beside_its_typing_counts_each_bad_cell_and_skipped_row_once(tmp_path: Path):
    (tmp_path / "tickets.csv").write_text(
        "id,agent,at,score\n1,A01,2026-03-02 10:00,5\n2,A01,not a time,6\n2,A02,2026-03-03 10:00,x\n"
        "3,A02,2026-03-04 10:00,7,extra\n4,A02,2026-03-05 10:00,8\n", encoding="utf-8")
    found, rows = _counts(_scheme(tmp_path, "csv", "tickets.csv"))
    assert found == {("tickets", "unparseable timestamp", "at"): 1, ("tickets", "unparseable integer", "score"): 1,
                     ("tickets", "duplicate key", "id"): 1, ("tickets", "ragged row", ""): 1}
    assert rows == 3  # 1, 2 (its first row), 4


class ArrowReader:
    """A plugin's reader that hands its rows over as registered Arrow data (docs/plugins.md), which
    a second cursor cannot see."""

    @hookspecs.hookimpl
    def register_sources(self, register):  # type: ignore[no-untyped-def]
        def load(connection: duckdb.DuckDBPyConnection, table: str, source: Source) -> None:
            rows = [line.split("|") for line in source.path.read_text(encoding="utf-8").split()]
            columns = zip(*rows, strict=True)
            connection.register(table, pa.table(dict(zip(["id", "agent", "at", "score"], map(list, columns),
                                                         strict=True))))

        register(SourceReader("pipes", load, (".txt",)))


def test_a_keyed_dataset_a_reader_registered_as_arrow_is_checked_after_its_typing(tmp_path: Path):
    (tmp_path / "t.txt").write_text("1|A01|2026-03-02T10:00|5\n2|A01|bad|6\n2|A02|2026-03-03T10:00|x\n",
                                    encoding="utf-8")
    manager = plugins.get_plugin_manager()
    manager.register(ArrowReader(), name="arrow-reader")
    try:
        found, rows = _counts(_scheme(tmp_path, "pipes", "t.txt"))
    finally:
        manager.unregister(name="arrow-reader")
    assert found == {("tickets", "unparseable timestamp", "at"): 1, ("tickets", "unparseable integer", "score"): 1,
                     ("tickets", "duplicate key", "id"): 1}
    assert rows == 2
