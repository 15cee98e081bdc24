"""`appraisal measure` on each engine: the embedded DuckDB beside PostgreSQL and Spark, against hand-written SQL.

    python bench/engine_bench.py                 # 1m and 10m; from the repository root, venv python
    python bench/engine_bench.py --sizes 1m      # one shape
    python bench/engine_bench.py --runs 1        # one timed run per program

For each shape of bench/data_bench.py (the bench scheme over generated Parquet tickets): start a
PostgreSQL server on a loopback port in a temporary folder (tests/postgres_server.py; shared_buffers
256MB, work_mem 64MB, as a small tuned server), run every program once, untimed, and check that
`measure --engine postgres` and `measure --engine spark` (local mode, every core) give the same
values, row counts, statuses and data-quality counts as the baseline SQL and `measure` on DuckDB;
then time them taking turns (bench/timing.py) and print wall and CPU time (the client's: a
server's work, and Spark's JVM, are wall time only) and the ratios.

The times include shipping: the files are read and typed in DuckDB, then copied to the engine
(`COPY` into the server; Parquet for Spark), because the data here lives in files; Spark's
include starting its JVM. `measure postgres table` is the same scheme with the tickets already
in the server (`source: table`, loaded untimed before): only the roster is shipped. There are
no targets: the figures say which engine to pick at which size (docs/engines.md). Without
PostgreSQL (or Java and PySpark) on the machine the script leaves that engine out and says so;
a program that fails or disagrees prints FAILED and exits 1.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the test suite's PostgreSQL server

DEFAULT_SIZES = "1m,10m"
RUNS = {"1m": 3, "10m": 1}
SERVER_SETTINGS = {"shared_buffers": "256MB", "work_mem": "64MB"}


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


timing = _load("timing")
data_bench = _load("data_bench")


def contenders(data: Path, work: Path, dsn: str, engines: list[str]) -> list:
    """The baseline SQL, `measure` on DuckDB and on each of `engines`, each with its files."""
    tickets, roster = data / "tickets.parquet", data / "roster.parquet"
    env = data_bench.child_env(work / "cache")
    script = work / "baseline.sql"
    values, quality = work / "sql-values.csv", work / "sql-quality.csv"
    script.write_text(data_bench.render_baseline(tickets, roster, values, quality), encoding="utf-8")
    baseline = data_bench.Contender(
        timing.Program("sql", [sys.executable, "-c", data_bench.BASELINE_SCRIPT, str(script)], env),
        lambda: (data_bench.read_values(values), data_bench.read_quality(quality)))
    appraisal = str(Path(sys.executable).with_name("appraisal"))
    found = [baseline]
    for engine in ("duckdb", *engines):
        out_values, out_quality = work / f"{engine}-values.csv", work / f"{engine}-quality.csv"
        argv = [appraisal, "measure", str(data / "scheme.yaml"), "--period", data_bench.PERIOD, "--csv",
                str(out_values), "--quality-csv", str(out_quality), "--engine", engine]
        found.append(data_bench.Contender(
            timing.Program(f"measure {engine}", argv, {**env, "APPRAISAL_POSTGRES_DSN": dsn}),
            lambda v=out_values, q=out_quality: (data_bench.read_values(v), data_bench.read_quality(q))))
    if "postgres" in engines:  # the tickets already in the database: nothing shipped but the roster
        scheme = tickets_in_postgres(data, dsn)
        out_values, out_quality = work / "table-values.csv", work / "table-quality.csv"
        argv = [appraisal, "measure", str(scheme), "--period", data_bench.PERIOD, "--csv", str(out_values),
                "--quality-csv", str(out_quality), "--engine", "postgres"]
        found.append(data_bench.Contender(
            timing.Program("measure postgres table", argv, {**env, "APPRAISAL_POSTGRES_DSN": dsn}),
            lambda: (data_bench.read_values(out_values), data_bench.read_quality(out_quality))))
    return found


def tickets_in_postgres(data: Path, dsn: str) -> Path:
    """The tickets as the table bench.tickets of the server (their file order as `loaded_row`,
    which the scheme's `first_by` names), and the bench scheme reading them from there (untimed)."""
    import duckdb
    import psycopg

    rows = f"SELECT *, file_row_number AS loaded_row FROM read_parquet('{data / 'tickets.parquet'}', " \
           "file_row_number = true)"
    staged = data / "tickets-table.csv"
    with duckdb.connect() as con:
        columns = con.execute(f"DESCRIBE SELECT * EXCLUDE (file_row_number) FROM ({rows})").fetchall()
        con.execute(f"COPY (SELECT * EXCLUDE (file_row_number) FROM ({rows})) TO '{staged}' (FORMAT csv)")
    types = {"VARCHAR": "TEXT", "TIMESTAMP": "TIMESTAMP", "BOOLEAN": "BOOLEAN", "DOUBLE": "DOUBLE PRECISION",
             "BIGINT": "BIGINT"}
    with psycopg.connect(dsn, autocommit=True) as pg:
        pg.execute("DROP SCHEMA IF EXISTS bench CASCADE")
        pg.execute("CREATE SCHEMA bench")
        pg.execute(f"CREATE TABLE bench.tickets ({', '.join(f'{c} {types[t]}' for c, t, *_ in columns)})")
        with pg.cursor().copy("COPY bench.tickets FROM STDIN (FORMAT csv, HEADER true)") as copy, \
                staged.open("rb") as source:
            while chunk := source.read(1 << 20):
                copy.write(chunk)
        pg.execute("ANALYZE bench.tickets")
    staged.unlink()
    scheme = data / "scheme-table.yaml"
    text = (data / "scheme.yaml").read_text(encoding="utf-8")
    scheme.write_text(text.replace("    source: parquet\n    path: tickets.parquet\n",
                                   "    source: table\n    table: bench.tickets\n    first_by: [loaded_row]\n")
                      .replace("      ticket_id: text\n", "      ticket_id: text\n      loaded_row: integer\n"),
                      encoding="utf-8")
    return scheme


def bench_size(size: str, runs: int, work: Path, dsn: str, engines: list[str],
               verdicts) -> None:
    shape = data_bench.SHAPES[size]
    print(f"\n{size}: {shape.rows:,} tickets, {shape.agents:,} agents", flush=True)
    found = contenders(data_bench.ensure_data(size), work, dsn, engines)
    checked = data_bench.checked_and_timed(size, found, runs, verdicts, least=3)
    if checked is None:
        return
    timings, _ = checked
    print(f"  median of {runs} runs, taking turns; x: multiple of the baseline SQL's (sql) in the same run;"
          " postgres: cpu is the client's")
    timing.print_table(timings, "sql")
    for engine in (*engines, "postgres table"):
        if f"measure {engine}" in timings:
            ratio = timings[f"measure {engine}"].wall / timings["measure duckdb"].wall
            print(f"  {engine} / duckdb wall: {ratio:.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help=f"comma-separated (default {DEFAULT_SIZES})")
    parser.add_argument("--runs", type=int, help="timed runs per program (default: 3 at 1m, 1 at 10m)")
    args = parser.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in data_bench.SHAPES]
    if unknown:
        parser.error(f"unknown size {unknown[0]!r}; choose from {', '.join(data_bench.SHAPES)}")
    import pytest

    from postgres_server import postgres_server  # type: ignore[import-not-found]  # tests/, put on the path above

    verdicts = timing.Verdicts()
    engines = []
    if shutil.which("java") and importlib.util.find_spec("pyspark"):
        engines.append("spark")
    else:
        print("engine_bench: Spark left out (it needs Java and pip install 'appraisal[spark]')")
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(postgres_server(SERVER_SETTINGS))
            engines.insert(0, "postgres")
        except pytest.skip.Exception as missing:
            print(f"engine_bench: PostgreSQL left out, {missing}")
            server = None
        if not engines:
            return 0
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="appraisal-engine-bench-"))
        for size in sizes:
            work = Path(tmp) / size
            work.mkdir()
            bench_size(size, args.runs or RUNS.get(size, 1), work, server.dsn if server else "", engines, verdicts)
    return verdicts.exit_code("engine_bench")


if __name__ == "__main__":
    sys.exit(main())
