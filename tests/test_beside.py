"""A query beside other work (appraisal.engines.beside): a keyed CSV file's type checks run on a
second cursor while the file is typed on one thread; either failing stops the other."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb
import pytest

from appraisal import interrupts
from appraisal.engines.beside import beside
from appraisal.engines.duckdb_engine import open_engine
from appraisal.pipeline import load_scheme
from appraisal.plugins import extensions

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


def test_a_keyed_csv_file_checked_beside_its_typing_counts_each_bad_cell_and_skipped_row_once(tmp_path: Path):
    (tmp_path / "roster.csv").write_text("agent\nA01\nA02\n", encoding="utf-8")
    (tmp_path / "tickets.csv").write_text(
        "id,agent,at,score\n1,A01,2026-03-02 10:00,5\n2,A01,not a time,6\n2,A02,2026-03-03 10:00,x\n"
        "3,A02,2026-03-04 10:00,7,extra\n4,A02,2026-03-05 10:00,8\n", encoding="utf-8")
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text(
        "scheme: beside\nversion: 1\ntitle: Beside\nperiod: month\ntimezone: Asia/Shanghai\n"
        "roster: {source: csv, path: roster.csv, key: agent}\n"
        "datasets:\n  tickets:\n    source: csv\n    path: tickets.csv\n    key: id\n    appraisee: agent\n"
        "    period_by: at\n    columns: {id: text, agent: text, at: timestamp, score: integer}\n"
        "indicators:\n  - id: n\n    title: N\n    measure: {dataset: tickets, agg: count}\n    target: 1\n"
        "    score: {curve: linear, worst: 0, best: 2}\n    weight: 100\ngrades: {A: 90, B: 0}\n", encoding="utf-8")
    with open_engine(load_scheme(scheme), extensions().sources) as engine:
        found = {(c.dataset, c.cause, c.column): c.count for c in engine.quality}
        [(rows,)] = engine.connection.execute("SELECT count(*) FROM tickets").fetchall()
    assert found == {("tickets", "unparseable timestamp", "at"): 1, ("tickets", "unparseable integer", "score"): 1,
                     ("tickets", "duplicate key", "id"): 1, ("tickets", "ragged row", ""): 1}
    assert rows == 3  # 1, 2 (its first row), 4
