"""Limits on what one run may take: DuckDB threads, and a SQLite source's time and rows.

A scheme's `options.query` for a SQLite source may never end (a recursive query that counts
forever) or never stop returning rows; SQLite's progress handler gives it a time limit
(`options.time_limit`, seconds), the row reader a row limit (`options.row_limit`), and both stop
when the run is stopped (`--timeout`). `--threads` beyond the machine's cores is capped.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from appraisal.engines.duckdb_engine import open_engine
from appraisal.engines.locked import usable_cores
from appraisal.pipeline import load_scheme
from appraisal.plugins import extensions

FOREVER = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)"

SCHEME = """\
scheme: sqlite-limits
version: 1
title: SQLite limits
period: month
roster: {source: csv, path: roster.csv, key: agent_id}
datasets:
  tickets:
    source: sqlite
    path: tickets.db
    options: OPTIONS
    appraisee: agent_id
    period_by: created_at
    columns: {agent_id: text, created_at: timestamp, status: text}
indicators:
  - id: resolved
    title: Resolved tickets
    measure: {dataset: tickets, agg: count, where: "status == 'resolved'"}
    target: 10
    score: {curve: linear, worst: 0, best: 20}
    weight: 100
grades: {A: 90, B: 60, C: 0}
"""


def sqlite_scheme(folder: Path, options: str) -> Path:
    """The scheme above with `options` (YAML flow text) for its SQLite dataset, and its files."""
    with sqlite3.connect(folder / "tickets.db") as db:
        db.execute("CREATE TABLE tickets (agent_id TEXT, created_at TEXT, status TEXT)")
        db.execute("INSERT INTO tickets VALUES ('a1', '2026-09-01 10:00', 'resolved')")
    (folder / "roster.csv").write_text("agent_id\na1\n", encoding="utf-8")
    scheme = folder / "limits.yaml"
    scheme.write_text(SCHEME.replace("OPTIONS", options), encoding="utf-8")
    return scheme


def test_a_sqlite_query_that_never_ends_stops_at_its_time_limit(run_cli, tmp_path: Path) -> None:
    query = f"{FOREVER} SELECT 'a1' AS agent_id, '2026-09-01' AS created_at, count(*) AS status FROM c"
    scheme = sqlite_scheme(tmp_path, f'{{query: "{query}", time_limit: 0.5}}')
    started = time.monotonic()
    result = run_cli("measure", str(scheme), "-p", "2026-09")
    assert (result.exit_code, result.stderr) == (
        1, "dataset 'tickets': cannot read tickets.db as sqlite: tickets.db: the query ran longer than 0.5 s"
           " (options.time_limit)\n")
    assert time.monotonic() - started < 10


def test_a_sqlite_query_that_never_stops_returning_rows_stops_at_its_row_limit(run_cli, tmp_path: Path) -> None:
    query = f"{FOREVER} SELECT 'a1' AS agent_id, '2026-09-01' AS created_at, x AS status FROM c"
    scheme = sqlite_scheme(tmp_path, f'{{query: "{query}", row_limit: 100000}}')
    result = run_cli("measure", str(scheme), "-p", "2026-09")
    assert (result.exit_code, result.stderr) == (
        1, "dataset 'tickets': cannot read tickets.db as sqlite: tickets.db: the query returned more than 100000"
           " rows (options.row_limit)\n")


def test_a_sqlite_query_within_its_limits_is_read_whole(run_cli, tmp_path: Path) -> None:
    scheme = sqlite_scheme(tmp_path, "{table: tickets, time_limit: 30, row_limit: 1}")
    result = run_cli("measure", str(scheme), "-p", "2026-09", "--json")
    assert result.exit_code == 0, result.stderr
    assert '"value": 1.0' in result.stdout


def test_the_run_time_limit_stops_a_sqlite_query(run_cli_subprocess, tmp_path: Path) -> None:
    query = f"{FOREVER} SELECT 'a1' AS agent_id, '2026-09-01' AS created_at, count(*) AS status FROM c"
    scheme = sqlite_scheme(tmp_path, f'{{query: "{query}"}}')
    result = run_cli_subprocess("measure", str(scheme), "-p", "2026-09", "--timeout", "1")
    assert (result.exit_code, result.stderr) == (
        1, "stopped: the time limit of 1 s was reached (--timeout or APPRAISAL_TIMEOUT)\n")


@pytest.mark.parametrize("option", ["time_limit: 0", "row_limit: -5", "time_limit: soon", "row_limit: true"])
def test_a_sqlite_limit_must_be_a_positive_number(run_cli, tmp_path: Path, option: str) -> None:
    scheme = sqlite_scheme(tmp_path, f"{{table: tickets, {option}}}")
    name, value = option.split(": ")
    shown = {"0": "0", "-5": "-5", "soon": "'soon'", "true": "True"}[value]
    result = run_cli("measure", str(scheme), "-p", "2026-09")
    assert (result.exit_code, result.stderr) == (
        1, f"dataset 'tickets': cannot read tickets.db as sqlite: options.{name} must be a number above 0,"
           f" not {shown}\n")


def test_threads_beyond_the_cores_are_capped_at_the_cores(tmp_path: Path) -> None:
    scheme = load_scheme(sqlite_scheme(tmp_path, "{table: tickets}"))
    with open_engine(scheme, extensions().sources, threads=100_000) as engine:
        [(threads,)] = engine.connection.execute("SELECT current_setting('threads')").fetchall()
    assert threads == usable_cores()


def test_measure_with_a_hundred_thousand_threads_runs(run_cli_subprocess, tmp_path: Path) -> None:
    scheme = sqlite_scheme(tmp_path, "{table: tickets}")
    result = run_cli_subprocess("measure", str(scheme), "-p", "2026-09", "--threads", "100000")
    assert result.exit_code == 0, result.stderr
