"""Stopping a run: Ctrl-C and SIGTERM end it within a second, the time limit ends it with a message,
and nothing is left behind (temporary copies, spill folders, partial run folders).

Every test starts `python -m appraisal` as a real process with its own temporary folder
(`TMPDIR`), waits until the run is where the test wants it (a long DuckDB query over a generated
file, a transcoded copy on disk, a run folder being written), sends the signal and measures the
time from the signal to the exit.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROWS = 1_500_000  # a load and a query of several seconds on the 2-core machine

SCHEME = """\
scheme: long
version: 1
title: Long
period: month
roster: {source: csv, path: roster.csv, key: agent_id}
datasets:
  tickets:
    source: csv
    path: tickets.csv
    options: {encoding: ENCODING}
    appraisee: agent_id
    period_by: created_at
    columns: {agent_id: text, created_at: timestamp, status: text, cost: number}
indicators:
  - id: resolved
    title: Resolved tickets
    measure: {dataset: tickets, agg: ratio, numerator: {where: "status == 'resolved'"}}
    target: 0.5
    score: {curve: linear, worst: 0, best: 1}
    weight: 50
  - id: cost
    title: Cost
    measure: {dataset: tickets, agg: median, of: "cost"}
    target: 50
    score: {curve: linear, worst: 100, best: 0}
    weight: 50
grades: {A: 90, B: 60, C: 0}
"""


def write_data(folder: Path, rows: int, agents: int, encoding: str = "utf-8") -> Path:
    """The scheme above over `rows` tickets of `agents` agents, all in September 2026; the files
    are written by DuckDB (ASCII text, so any ASCII-compatible encoding reads them)."""
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        con.execute(
            f"COPY (SELECT 'a' || (i % {agents}) AS agent_id, "
            "TIMESTAMP '2026-09-01' + to_seconds(i % 2500000) AS created_at, "
            "CASE WHEN i % 3 = 0 THEN 'resolved' ELSE 'open' END AS status, (i % 97) * 1.5 AS cost "
            f"FROM range({rows}) t(i)) TO '{folder / 'tickets.csv'}' (HEADER)")
        con.execute(f"COPY (SELECT 'a' || i AS agent_id FROM range({agents}) t(i))"
                    f" TO '{folder / 'roster.csv'}' (HEADER)")
    scheme = folder / "long.yaml"
    scheme.write_text(SCHEME.replace("ENCODING", encoding), encoding="utf-8")
    return scheme


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_data(tmp_path_factory.mktemp("big"), ROWS, 200)


@pytest.fixture(scope="module")
def big_gb18030(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same data declared as GB18030: the CSV source transcodes it into a UTF-8 copy first."""
    return write_data(tmp_path_factory.mktemp("big-gb"), ROWS, 200, encoding="gb18030")


def _default_sigint() -> None:
    # A test runner may be started with SIGINT ignored, which a child inherits; a terminal's
    # Ctrl-C reaches a process that has it at the default.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(temp: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """`python -m appraisal ARGS` with `temp` as its temporary folder."""
    temp.mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "appraisal", *args], cwd=ROOT, text=True,
        env={**os.environ, "TMPDIR": str(temp), **(env or {})},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_default_sigint,
    )


def wait_until(proc: subprocess.Popen[str], ready: Callable[[], bool], what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the run ended (exit {proc.returncode}) before {what}:\n{out}{err}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"no {what} after {timeout} s")
        time.sleep(0.01)


def in_engine(temp: Path) -> Callable[[], bool]:
    """True once the engine has opened (its spill folder exists): the loading queries run."""
    return lambda: any(temp.glob("appraisal-spill-*"))


def signal_and_wait(proc: subprocess.Popen[str], signum: int) -> tuple[int, float, str]:
    """Send `signum`; the exit code, the seconds from the signal to the exit, and stderr."""
    sent = time.monotonic()
    proc.send_signal(signum)
    try:
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    seconds = time.monotonic() - sent
    _, err = proc.communicate()
    return proc.returncode, seconds, err


def test_ctrl_c_during_a_long_query_exits_130_within_a_second(big: Path, tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    proc = start(temp, "measure", str(big), "-p", "2026-09")
    wait_until(proc, in_engine(temp), "engine")
    time.sleep(0.5)  # well inside the load of the large file
    code, seconds, err = signal_and_wait(proc, signal.SIGINT)
    assert (code, err) == (130, "interrupted\n")
    assert seconds < 1.0
    assert list(temp.iterdir()) == []  # the scratch and spill folders are gone


def test_sigterm_during_a_long_query_exits_143_within_a_second_and_writes_nothing(big: Path, tmp_path: Path) -> None:
    temp, out = tmp_path / "tmp", tmp_path / "q3"
    proc = start(temp, "run", str(big), "-p", "2026-09", "-o", str(out))
    wait_until(proc, in_engine(temp), "engine")
    time.sleep(0.5)
    code, seconds, err = signal_and_wait(proc, signal.SIGTERM)
    assert (code, err) == (143, "terminated (SIGTERM)\n")
    assert seconds < 1.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tmp"]  # no run folder, no partial one
    assert list(temp.iterdir()) == []


def test_sigterm_removes_the_transcoded_utf8_copy_of_the_data(big_gb18030: Path, tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    proc = start(temp, "measure", str(big_gb18030), "-p", "2026-09")
    wait_until(proc, lambda: any(temp.glob("appraisal-*/tickets.utf8*.csv")), "transcoded copy")
    code, seconds, err = signal_and_wait(proc, signal.SIGTERM)
    assert (code, err) == (143, "terminated (SIGTERM)\n")
    assert seconds < 1.0
    assert list(temp.iterdir()) == []


def test_sigterm_while_the_run_folder_is_written_leaves_no_partial_folder(tmp_path: Path) -> None:
    scheme = write_data(tmp_path / "data", 20_000, 4_000)  # 4,000 scorecards to render
    temp, runs = tmp_path / "tmp", tmp_path / "runs"
    runs.mkdir()
    proc = start(temp, "run", str(scheme), "-p", "2026-09", "-o", str(runs / "q3"))
    wait_until(proc, lambda: any(runs.glob("q3.partial-*")), "partial run folder")
    code, seconds, err = signal_and_wait(proc, signal.SIGTERM)
    assert (code, err) == (143, "terminated (SIGTERM)\n")
    assert seconds < 1.0
    assert list(runs.iterdir()) == []
    assert list(temp.iterdir()) == []


def test_the_time_limit_stops_a_run_with_exit_1_and_writes_nothing(big: Path, tmp_path: Path) -> None:
    temp, out = tmp_path / "tmp", tmp_path / "q3"
    proc = start(temp, "run", str(big), "-p", "2026-09", "-o", str(out), "--timeout", "1")
    started = time.monotonic()
    out_text, err = proc.communicate(timeout=120)
    assert (proc.returncode, out_text, err) == (
        1, "", "stopped: the time limit of 1 s was reached (--timeout or APPRAISAL_TIMEOUT)\n")
    assert time.monotonic() - started < 15  # start-up, one second, the stop: never the whole run
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tmp"]
    assert list(temp.iterdir()) == []


def test_the_time_limit_can_come_from_APPRAISAL_TIMEOUT(big: Path, tmp_path: Path) -> None:
    proc = start(tmp_path / "tmp", "measure", str(big), "-p", "2026-09", env={"APPRAISAL_TIMEOUT": "0.5"})
    _, err = proc.communicate(timeout=120)
    assert (proc.returncode, err) == (
        1, "stopped: the time limit of 0.5 s was reached (--timeout or APPRAISAL_TIMEOUT)\n")


def test_a_negative_time_limit_is_a_usage_error(run_cli) -> None:
    result = run_cli("measure", "x.yaml", "-p", "2026-09", "--timeout", "-1")
    assert result.exit_code == 2
    assert "Invalid value for '--timeout'" in result.stderr


# A third-party source stuck in C code that neither returns nor looks at signals: a SQLite query
# that never ends, run without a progress handler (the built-in sqlite source has one).
STUCK_PLUGIN = """\
import sqlite3

from appraisal.hookspecs import hookimpl
from appraisal.engines.sources import SourceReader

RUNAWAY = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"


def load(connection, table, source):
    sqlite3.connect(":memory:").execute(RUNAWAY).fetchall()


@hookimpl
def register_sources(register):
    register(SourceReader("stuck", load, (".csv",)))
"""


def test_code_stuck_outside_duckdb_is_ended_within_a_second(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "stuck.py").write_text(STUCK_PLUGIN, encoding="utf-8")
    scheme = write_data(tmp_path / "data", 10, 2)
    text = scheme.read_text(encoding="utf-8")
    text = text.replace("source: csv\n    path: tickets", "source: stuck\n    path: tickets")
    scheme.write_text(text, encoding="utf-8")
    temp = tmp_path / "tmp"
    proc = start(temp, "--plugins-dir", str(plugins), "measure", str(scheme), "-p", "2026-09",
                 env={"APPRAISAL_LOAD_PLUGINS": "stuck"})
    wait_until(proc, in_engine(temp), "engine")
    time.sleep(0.5)
    code, seconds, err = signal_and_wait(proc, signal.SIGINT)
    assert (code, err) == (130, "interrupted\n")
    assert seconds < 1.0
    assert list(temp.iterdir()) == []


def test_ctrl_c_stops_a_runaway_sqlite_query_within_a_second(tmp_path: Path) -> None:
    import sqlite3

    with sqlite3.connect(tmp_path / "d.db") as db:
        db.execute("CREATE TABLE t (x)")
    (tmp_path / "roster.csv").write_text("agent_id\na1\n", encoding="utf-8")
    runaway = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
               "SELECT 'a1' AS agent_id, '2026-09-01' AS created_at, count(*) AS status, 1 AS cost FROM c")
    scheme = tmp_path / "s.yaml"
    scheme.write_text(SCHEME.replace("source: csv\n    path: tickets.csv\n    options: {encoding: ENCODING}",
                                     f'source: sqlite\n    path: d.db\n    options: {{query: "{runaway}"}}'),
                      encoding="utf-8")
    temp = tmp_path / "tmp"
    proc = start(temp, "measure", str(scheme), "-p", "2026-09")
    wait_until(proc, in_engine(temp), "engine")
    time.sleep(0.5)
    code, seconds, err = signal_and_wait(proc, signal.SIGINT)
    assert (code, err) == (130, "interrupted\n")
    assert seconds < 1.0
    assert list(temp.iterdir()) == []


def test_ctrl_c_while_printing_pdfs_ends_the_browser_and_keeps_nothing(run_cli, tmp_path: Path) -> None:
    from outside import require_chromium

    require_chromium()
    data = ROOT / "tests" / "data" / "measuring" / "agent.yaml"
    assert run_cli("run", str(data), "-p", "2026-Q3", "-o", str(tmp_path / "q3"), "--no-report").exit_code == 0
    out = tmp_path / "out"
    out.mkdir()
    # A short temporary folder, as Chromium would pick (its socket's path must fit in 108 bytes).
    temp = Path(tempfile.mkdtemp(prefix="stop-", dir="/tmp"))
    try:
        proc = start(temp, "render", str(tmp_path / "q3"), "-o", str(out / "pdfs"), "-f", "pdf", "-q")
        wait_until(proc, lambda: any(out.glob("pdfs.partial-*/pdf")), "first PDF")
        code, seconds, err = signal_and_wait(proc, signal.SIGINT)
        assert (code, err) == (130, "interrupted\n")
        assert seconds < 1.0
        assert list(out.iterdir()) == []
        assert list(temp.iterdir()) == []  # the browser's profile and its own folder too
    finally:
        shutil.rmtree(temp, ignore_errors=True)


# --- the guard itself, on a small program ------------------------------------------------------

GUARDED = """\
import sys, time
from pathlib import Path
from appraisal import interrupts

left = Path(sys.argv[1])
with interrupts.guard():
    interrupts.register_path(left)
    left.mkdir()
    try:
        print("ready", flush=True)
        while True:
            time.sleep(0.01)
    except BaseException as exc:
        (left.parent / "unwound").write_text(type(exc).__name__)
        time.sleep(float(sys.argv[2]))  # a slow cleanup
        raise
"""


def guarded(tmp_path: Path, cleanup_seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", GUARDED, str(tmp_path / "left"), str(cleanup_seconds)], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_default_sigint)
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    return proc


def test_one_signal_lets_the_program_unwind_through_its_handlers(tmp_path: Path) -> None:
    proc = guarded(tmp_path, 0)
    code, seconds, _ = signal_and_wait(proc, signal.SIGTERM)
    assert (tmp_path / "unwound").read_text() == "Terminated"  # the except and finally blocks ran
    assert code == 1 and seconds < 1.0  # an uncaught exception: the CLI's main() turns it into 143


def test_a_cleanup_that_outlasts_the_grace_is_cut_short_and_the_paths_removed(tmp_path: Path) -> None:
    proc = guarded(tmp_path, 30)
    code, seconds, err = signal_and_wait(proc, signal.SIGINT)
    assert (code, err) == (130, "interrupted\n")
    assert seconds < 1.0
    assert (tmp_path / "unwound").read_text() == "KeyboardInterrupt"
    assert not (tmp_path / "left").exists()


def test_a_second_signal_ends_the_program_at_once(tmp_path: Path) -> None:
    proc = guarded(tmp_path, 30)
    proc.send_signal(signal.SIGINT)
    while not (tmp_path / "unwound").exists():
        time.sleep(0.01)
    code, seconds, err = signal_and_wait(proc, signal.SIGINT)
    assert (code, err) == (130, "interrupted\n")
    assert seconds < 0.5
    assert not (tmp_path / "left").exists()


def postgres_measuring(server) -> Callable[[], bool]:  # type: ignore[no-untyped-def]
    """True once a dataset query of the run is running on the PostgreSQL server (the tables are
    shipped: the long query of this test runs there)."""
    def running() -> bool:
        with server.connect() as connection:
            return bool(connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'appraisal'"
                " AND state = 'active' AND query LIKE 'WITH base%'").fetchone()[0])
    return running


def server_is_idle(server) -> bool:  # type: ignore[no-untyped-def]
    """No session of appraisal is left on the server (the query was cancelled, the session closed)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with server.connect() as connection:
            if not connection.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'appraisal'").fetchone()[0]:
                return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize(("signum", "code", "message"), [
    (signal.SIGINT, 130, "interrupted\n"),
    (signal.SIGALRM, 1, "stopped: the time limit of 3600 s was reached (--timeout or APPRAISAL_TIMEOUT)\n"),
], ids=["ctrl-c", "time limit"])
def test_a_stop_during_a_query_on_postgres_ends_it_on_the_server_too(
    big: Path, tmp_path: Path, postgres, signum: int, code: int, message: str  # type: ignore[no-untyped-def]
) -> None:
    temp, out = tmp_path / "tmp", tmp_path / "q3"
    proc = start(temp, "run", str(big), "-p", "2026-09", "-o", str(out), "--engine", "postgres", "--timeout", "3600",
                 env={"APPRAISAL_POSTGRES_DSN": postgres.dsn})
    wait_until(proc, postgres_measuring(postgres), "query on PostgreSQL", timeout=300)
    exit_code, seconds, err = signal_and_wait(proc, signum)
    assert (exit_code, err) == (code, message)
    assert seconds < 1.0
    assert server_is_idle(postgres)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tmp"]
    assert list(temp.iterdir()) == []


STOPS = pytest.mark.parametrize(("signum", "code", "message"), [
    (signal.SIGINT, 130, "interrupted\n"),
    (signal.SIGALRM, 1, "stopped: the time limit of 3600 s was reached (--timeout or APPRAISAL_TIMEOUT)\n"),
], ids=["ctrl-c", "time limit"])


@STOPS
def test_a_stop_while_spark_measures_ends_the_run_and_leaves_no_files(
    big: Path, tmp_path: Path, spark, signum: int, code: int, message: str  # type: ignore[no-untyped-def]
) -> None:
    temp, out = tmp_path / "tmp", tmp_path / "q3"
    proc = start(temp, "run", str(big), "-p", "2026-09", "-o", str(out), "--engine", "spark", "--timeout", "3600")
    wait_until(proc, lambda: any(temp.glob("appraisal-spill-*/spark-*.parquet")), "tables shipped to Spark",
               timeout=300)
    time.sleep(3)  # Spark reads them and measures
    exit_code, seconds, err = signal_and_wait(proc, signum)
    assert (exit_code, err) == (code, message)  # the JVM's own output is not ours to show
    assert seconds < 1.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tmp"]
    assert list(temp.iterdir()) == []


@STOPS
def test_a_stop_while_spark_connect_measures_ends_the_run_and_leaves_no_files(
    big: Path, tmp_path: Path, spark_connect: str, signum: int, code: int, message: str
) -> None:
    temp, out = tmp_path / "tmp", tmp_path / "q3"
    proc = start(temp, "run", str(big), "-p", "2026-09", "-o", str(out), "--engine", "spark", "--timeout", "3600",
                 "--no-store", env={"APPRAISAL_SPARK_DSN": spark_connect})
    wait_until(proc, in_engine(temp), "the engine", timeout=300)
    time.sleep(4)  # the tables travel to the server, which measures them (no file to wait for)
    exit_code, seconds, err = signal_and_wait(proc, signum)
    assert (exit_code, err) == (code, message)
    # two calls to the server on the way out (interrupt its operations, end the session), answered by
    # a server busy measuring: one second was exceeded once in CI (1.02 s), two once (2.53 s);
    # five is the bound said in docs/engines.md
    assert seconds < 5.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tmp"]
    assert list(temp.iterdir()) == []
