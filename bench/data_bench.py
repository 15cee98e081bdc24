"""`appraisal measure` on 1 and 10 million tickets, against hand-written SQL and pandas.

    python bench/data_bench.py                  # both sizes; from the repository root, venv python
    python bench/data_bench.py --sizes 1m       # one size

For each size: generate the data if it is missing (bench/generate.py, into bench/data/),
run `appraisal measure`, the DuckDB baseline (bench/baseline.sql) and the pandas group-by
(bench/pandas_baseline.py) once and check that all three give the same values (relative
tolerance 1e-9) and the same data-quality counts; then time each whole process, median of
`--runs` runs, with peak memory from `/usr/bin/time -v`. Each runs as its own process, so
interpreter and import start-up count the same for all three.

The three run as an installed program would: Python may write its bytecode (the first, untimed
run compiles what a wheel install would have compiled; PYTHONDONTWRITEBYTECODE is dropped for
the children), and appraisal has a validation cache of its own (in the run's temporary folder),
which the first run fills: the timed runs find the scheme's JSON Schema pass, as every run after
a scheme's first does (see appraisal.scheme.validation). For the record, appraisal is also timed with
that cache off (the `cold` line), which has no target.

Targets: `appraisal` within 1.5x of the baseline's time, at least 2x faster than pandas,
under 1 GB peak at 10 million rows. Exit 1 if the values differ or a target is missed.
Data already in bench/data/ is reused while its `recipe.sql` matches bench/generate.py's
current SQL, and written afresh otherwise. pandas is a benchmark-only dependency (`make bench`
installs it); the test suite checks appraisal against bench/baseline.sql without it.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PERIOD = "2026-Q3"
SIZES = {"1m": (1_000_000, 1_000), "10m": (10_000_000, 10_000)}
TIME = "/usr/bin/time"
RELATIVE_TOLERANCE = 1e-9
TARGET_VS_BASELINE = 1.5   # appraisal seconds / baseline seconds, at most
TARGET_VS_PANDAS = 2.0     # pandas seconds / appraisal seconds, at least
TARGET_PEAK_MB = 1024      # appraisal peak at 10 million rows, under
BASELINE_SCRIPT = "import sys, duckdb; duckdb.connect().execute(open(sys.argv[1], encoding='utf-8').read())"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", HERE / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


# --- the three programs -------------------------------------------------------------------


def sql_literal(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def render_baseline(tickets: Path, roster: Path, values_csv: Path, quality_csv: Path) -> str:
    """bench/baseline.sql with its four path placeholders filled in."""
    sql = (HERE / "baseline.sql").read_text(encoding="utf-8")
    paths = {"tickets": tickets, "roster": roster, "values_csv": values_csv, "quality_csv": quality_csv}
    for name, path in paths.items():
        sql = sql.replace("{" + name + "}", sql_literal(path))
    return sql


@dataclass(frozen=True)
class Program:
    name: str
    argv: list[str]
    values: Path
    quality: Path
    env: dict[str, str] | None = None


def child_env(cache: Path, **extra: str) -> dict[str, str]:
    """The environment of a timed program: as installed (bytecode may be written and read),
    appraisal's cache in the run's own folder."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "APPRAISAL_VALIDATION_CACHE")}
    return {**env, "APPRAISAL_CACHE_DIR": str(cache), **extra}


def programs(data: Path, work: Path) -> list[Program]:
    """appraisal, the SQL baseline, pandas and appraisal without its validation cache, each
    writing its own pair of CSV files."""
    appraisal = Path(sys.executable).with_name("appraisal")
    tickets, roster = data / "tickets.parquet", data / "roster.parquet"
    names = ("appraisal", "sql", "pandas", "cold")
    out = {name: (work / f"{name}-values.csv", work / f"{name}-quality.csv") for name in names}
    script = work / "baseline.sql"
    script.write_text(render_baseline(tickets, roster, *out["sql"]), encoding="utf-8")
    env = child_env(work / "cache")

    def measure_argv(name: str) -> list[str]:
        return [str(appraisal), "measure", str(data / "scheme.yaml"), "--period", PERIOD,
                "--csv", str(out[name][0]), "--quality-csv", str(out[name][1])]

    return [
        Program("appraisal", measure_argv("appraisal"), *out["appraisal"], env),
        Program("sql", [sys.executable, "-c", BASELINE_SCRIPT, str(script)], *out["sql"], env),
        Program("pandas", [sys.executable, str(HERE / "pandas_baseline.py"), str(tickets), str(roster),
                           *map(str, out["pandas"])], *out["pandas"], env),
        Program("cold", measure_argv("cold"), *out["cold"],
                child_env(work / "cache", APPRAISAL_VALIDATION_CACHE="0")),
    ]


# --- comparing outputs --------------------------------------------------------------------


def read_values(path: Path) -> dict[tuple[str, str], tuple[float | None, int, str]]:
    """(appraisee, indicator) -> (value or None, rows, status) from a values CSV."""
    with path.open(newline="", encoding="utf-8") as handle:
        return {
            (row["appraisee"], row["indicator"]): (
                float(row["value"]) if row["value"] not in ("", None) else None,
                int(float(row["rows"])),
                row["status"],
            )
            for row in csv.DictReader(handle)
        }


Quality = dict[tuple[str, str, str], int]


def read_quality(path: Path) -> Quality:
    """(dataset, cause, column) -> count from a quality CSV; zero counts dropped.

    The column tells apart counts of one cause: `negative duration` is reported for the
    declared duration column `handle_time` and for each elapsed-time indicator by its id.
    """
    with path.open(newline="", encoding="utf-8") as handle:
        return quality_counts((row["dataset"], row["cause"], row["column"] or "", int(row["count"]))
                              for row in csv.DictReader(handle))


def quality_counts(rows) -> Quality:
    """(dataset, cause, column, count) tuples summed by their first three; zero counts dropped."""
    found: Quality = {}
    for dataset, cause, column, count in rows:
        if count:
            key = (dataset, cause, column)
            found[key] = found.get(key, 0) + int(count)
    return found


def same_number(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=RELATIVE_TOLERANCE, abs_tol=0.0) or a == b


def differences(name: str, got: tuple[dict, dict], reference: str, expected: tuple[dict, dict]) -> list[str]:
    """Every way `got` (values, quality) differs from `expected`, as readable lines."""
    values, quality = got
    want_values, want_quality = expected
    out = []
    for key in sorted(want_values.keys() | values.keys()):
        a, b = values.get(key), want_values.get(key)
        if a is None or b is None:
            out.append(f"{name}: {key[0]} {key[1]}: {'missing' if a is None else 'extra row'} "
                       f"(vs {reference}: {b})")
        elif not (same_number(a[0], b[0]) and a[1] == b[1] and a[2] == b[2]):
            out.append(f"{name}: {key[0]} {key[1]}: value={a[0]!r} rows={a[1]} status={a[2]!r}; "
                       f"{reference}: value={b[0]!r} rows={b[1]} status={b[2]!r}")
    for key in sorted(want_quality.keys() | quality.keys()):
        a_count, b_count = quality.get(key, 0), want_quality.get(key, 0)
        if a_count != b_count:
            where = f" ({key[2]})" if key[2] else ""
            out.append(f"{name}: quality {key[0]} {key[1]!r}{where}: {a_count}; {reference}: {b_count}")
    return out


def outputs(program: Program) -> tuple[dict, dict]:
    return read_values(program.values), read_quality(program.quality)


# --- timing -------------------------------------------------------------------------------


def timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one run of `argv` (exits on failure)."""
    start = time.perf_counter()
    proc = subprocess.run([TIME, "-v", *argv], check=False, cwd=ROOT, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    if not match:
        sys.exit(f"no peak memory in the output of {TIME} -v:\n{proc.stderr[-2000:]}")
    return seconds, int(match.group(1)) / 1024


@dataclass(frozen=True)
class Timing:
    seconds: float
    peak_mb: float


def measure(progs: list[Program], runs: int) -> dict[str, Timing]:
    """Each program `runs` times, taking turns, so that a busy spell of the machine falls on all
    of them alike rather than on whichever ran then."""
    results: dict[str, list[tuple[float, float]]] = {p.name: [] for p in progs}
    for _ in range(runs):
        for program in progs:
            results[program.name].append(timed(program.argv, program.env))
    return {name: Timing(statistics.median(s for s, _ in found), max(m for _, m in found))
            for name, found in results.items()}


# --- the benchmark ------------------------------------------------------------------------


def ensure_data(size: str) -> Path:
    """bench/data/<size>, generated when missing or stale; the scheme copy is always refreshed."""
    generate = _load("generate")
    rows, agents = SIZES[size]
    folder = HERE / "data" / size
    if not generate.is_current(folder, rows, agents):
        print(f"generating {rows:,} tickets for {agents:,} agents in {folder} ...", flush=True)
        generate.generate(folder, rows, agents)
    shutil.copyfile(HERE / "scheme.yaml", folder / "scheme.yaml")
    return folder


def check_measure_exists() -> None:
    appraisal = Path(sys.executable).with_name("appraisal")
    if not appraisal.exists():
        sys.exit(f"no `appraisal` next to {sys.executable}; run this with the venv's python")
    proc = subprocess.run([str(appraisal), "measure", "--help"], check=False, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit("`appraisal measure` is not available yet:\n" + (proc.stderr or proc.stdout)[-1000:])
    if not Path(TIME).exists():
        sys.exit(f"{TIME} is missing (Debian/Ubuntu: apt-get install time)")
    if importlib.util.find_spec("pandas") is None:
        sys.exit(f"pandas is missing: {sys.executable} -m pip install pandas (or run `make bench`)")


def bench_size(size: str, runs: int, work: Path) -> tuple[list[str], dict[str, Timing]]:
    data = ensure_data(size)
    progs = programs(data, work)
    for program in progs:  # one untimed run each: warms the file cache, gives the outputs
        timed(program.argv, program.env)
    reference = outputs(progs[1])
    problems = []
    for program in (progs[0], progs[2], progs[3]):
        problems += differences(program.name, outputs(program), "sql", reference)
    if problems:
        return problems, {}
    return [], measure(progs, runs)


def report(size: str, timings: dict[str, Timing], runs: int) -> bool:
    """Print one size's table and targets; True when every target is met."""
    a, sql, pd = timings["appraisal"], timings["sql"], timings["pandas"]
    print(f"\n{size} tickets ({SIZES[size][0]:,} rows, {SIZES[size][1]:,} agents), median of {runs} runs")
    print(f"{'program':12} {'seconds':>8} {'peak MB':>8}")
    for name, label in (("appraisal", "appraisal"), ("sql", "baseline"), ("pandas", "pandas"), ("cold", "cold *")):
        print(f"{label:12} {timings[name].seconds:8.2f} {timings[name].peak_mb:8.0f}")
    print("  * appraisal with APPRAISAL_VALIDATION_CACHE=0, for the record; no target")
    checks = [
        (f"appraisal / baseline time {a.seconds / sql.seconds:.2f}x", f"<= {TARGET_VS_BASELINE}x",
         a.seconds <= TARGET_VS_BASELINE * sql.seconds),
        (f"pandas / appraisal time {pd.seconds / a.seconds:.2f}x", f">= {TARGET_VS_PANDAS}x",
         pd.seconds >= TARGET_VS_PANDAS * a.seconds),
    ]
    if SIZES[size][0] >= 10_000_000:
        checks.append((f"appraisal peak {a.peak_mb:.0f} MB", f"< {TARGET_PEAK_MB} MB", a.peak_mb < TARGET_PEAK_MB))
    for label, target, ok in checks:
        print(f"  {label:36} target {target:10} {'ok' if ok else 'MISSED'}")
    return all(ok for _, _, ok in checks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1m,10m", help="comma-separated, of: " + ", ".join(SIZES))
    parser.add_argument("--runs", type=int, default=3, help="timed runs per program (default 3)")
    args = parser.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size {unknown[0]!r}; choose from {', '.join(SIZES)}")
    check_measure_exists()
    failed = False
    with tempfile.TemporaryDirectory(prefix="appraisal-bench-") as tmp:
        for size in sizes:
            work = Path(tmp) / size
            work.mkdir()
            problems, timings = bench_size(size, args.runs, work)
            if problems:
                print(f"\n{size}: the outputs differ from bench/baseline.sql ({len(problems)} differences):")
                for line in problems[:20]:
                    print("  " + line)
                failed = True
                continue
            print(f"\n{size}: appraisal (cache on and off), baseline and pandas agree on every value and count")
            failed |= not report(size, timings, args.runs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
