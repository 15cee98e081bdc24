"""`appraisal measure` and `appraisal run` on millions of tickets, against hand-written SQL, pandas and Polars.

    python bench/data_bench.py                     # 1m, 10m and 1m-100k; from the repository root, venv python
    python bench/data_bench.py --sizes 1m          # one shape
    python bench/data_bench.py --quick             # 1m, one timed run: a smoke check
    python bench/data_bench.py --huge              # the default shapes and 100m (see below)

Shapes (`SHAPES`): `1m` is 1 million tickets for 1,000 agents, `10m` 10 million for 10,000,
`1m-100k` 1 million for 100,000 agents (about 10 tickets each: what costs per appraisee shows),
`100m` 100 million for 100,000 agents, only with `--huge` or `--sizes 100m`.

For each shape: generate the data if it is missing (bench/generate.py, into bench/data/<shape>/),
run every program once, untimed, and check that `appraisal measure`, `appraisal run --no-report`
(into a temporary folder; its output is read by `read_run`), pandas (bench/pandas_baseline.py)
and Polars (bench/polars_baseline.py) give the same values, row counts, statuses and data-quality
counts as the hand-written DuckDB baseline (bench/baseline.sql; values to a relative tolerance
of 1e-9, or 1e-9 absolute: appraisal's means are exact to nine decimal places); then time each
whole process, taking turns, median of the runs, with CPU time (user + system of the child) and
peak memory (bench/timing.py). Each runs as its own process, so interpreter and import start-up
count the same for all. A program that differs prints FAILED (exit 1) and is still timed, marked
`!`, for the record; one that fails is not timed.

Runs: 9 at 1m (the README's figure), 3 at 10m and 1m-100k (a `run` at 100k appraisees takes a
minute), 1 at 100m; `--runs N` sets every shape's. At 100m pandas (about 30 GB) and the `cold`
line are left out.

The programs run as an installed program would: Python may write its bytecode (the first, untimed
run compiles what a wheel install would have compiled; PYTHONDONTWRITEBYTECODE is dropped for
the children), and appraisal has a validation cache of its own (in the run's temporary folder),
which the first run fills: the timed runs find the scheme's JSON Schema pass, as every run after
a scheme's first does (see appraisal.scheme.validation). For the record, `measure` is also timed
with that cache off (the `cold` line), which has no target.

Also for the record, the fixed costs, which read no data: `python -c "import duckdb"` (the
interpreter and DuckDB, which the baseline pays too) and `floor` (DuckDB imported, then
`appraisal validate` on the scheme: the interpreter, the command line, the plugins and the
scheme's loading, which `measure` and `run` pay before they read a row). From them the table
is followed by what a ratio target leaves the engine: `1.15 x sql - floor` for `measure`,
against the baseline's own `sql - python`. Where that is less than the baseline's, the target
is met only by engine work faster than the hand-written SQL's.

Targets (issue #13), all ratios of programs timed in the same run: `measure` at most 1.15x the
baseline and `run --no-report` at most 1.3x, in wall time and in CPU time, at 1m, 10m and
1m-100k (at 100m the ratios are printed, not checked); `measure` and `run` under 1 GB peak at
every shape; `measure` at least 2x faster than pandas and at least as fast as Polars (wall
time). A missed target prints MISSED; a program that fails or disagrees with the baseline
prints FAILED; either makes the exit status 1, after every shape has run.

Data already in bench/data/ is reused while its `recipe.sql` matches bench/generate.py's
current SQL, and written afresh otherwise (at 100m that takes minutes and gigabytes: the time
and the folder's size are printed). pandas and Polars are benchmark-only dependencies (`make
bench` installs them); the test suite checks appraisal against bench/baseline.sql without them.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PERIOD = "2026-Q3"
RELATIVE_TOLERANCE = 1e-9
# appraisal adds sums and means as DECIMAL(38, 9) (exact whatever the order rows arrive in;
# appraisal.sql.datasets), so a mean is off a double's by up to about a unit in the ninth
# decimal place: 0.316944444 h for 0.3169444444... (one ticket resolved in 1,141 s).
ABSOLUTE_TOLERANCE = 1e-9
TARGET_MEASURE = 1.15      # measure / baseline, wall and CPU, at most
TARGET_RUN = 1.3           # run --no-report / baseline, wall and CPU, at most
TARGET_VS_PANDAS = 2.0     # pandas wall / measure wall, at least
TARGET_VS_POLARS = 1.0     # Polars wall / measure wall, at least
TARGET_PEAK_MB = 1024      # measure and run, under, at every shape
BASELINE_SCRIPT = "import sys, duckdb; duckdb.connect().execute(open(sys.argv[1], encoding='utf-8').read())"
# the fixed costs (no data read): what the baseline loads, and what appraisal does before a row
PYTHON_SCRIPT = "import duckdb"
FLOOR_SCRIPT = "import sys, duckdb; from appraisal.cli import main; main(sys.argv[1:])"


@dataclass(frozen=True)
class Shape:
    rows: int
    agents: int
    runs: int  # default number of timed runs
    ratio_targets: bool = True  # the wall and CPU ratio targets apply
    huge: bool = False  # only on request; pandas and `cold` left out


SHAPES = {
    "1m": Shape(1_000_000, 1_000, 9),
    "10m": Shape(10_000_000, 10_000, 3),
    "1m-100k": Shape(1_000_000, 100_000, 3),
    "100m": Shape(100_000_000, 100_000, 1, ratio_targets=False, huge=True),
}
DEFAULT_SIZES = "1m,10m,1m-100k"


def _load(name: str):
    module_name = f"bench_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, HERE / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


timing = _load("timing")


# --- the programs -------------------------------------------------------------------------


def sql_literal(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def render_baseline(tickets: Path, roster: Path, values_csv: Path, quality_csv: Path) -> str:
    """bench/baseline.sql with its four path placeholders filled in."""
    sql = (HERE / "baseline.sql").read_text(encoding="utf-8")
    paths = {"tickets": tickets, "roster": roster, "values_csv": values_csv, "quality_csv": quality_csv}
    for name, path in paths.items():
        sql = sql.replace("{" + name + "}", sql_literal(path))
    return sql


Outputs = tuple[dict, dict]


@dataclass(frozen=True)
class Contender:
    """A program to time and how to read what it wrote, as (values, quality)."""

    program: Any  # timing.Program (bench/timing.py, loaded by path)
    read: Callable[[], Outputs]

    @property
    def name(self) -> str:
        return str(self.program.name)


def child_env(cache: Path, **extra: str) -> dict[str, str]:
    """The environment of a timed program: as installed (bytecode may be written and read),
    appraisal's cache in the run's own folder."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "APPRAISAL_VALIDATION_CACHE")}
    Path(cache).mkdir(parents=True, exist_ok=True)
    # `run` keeps each run in a store, as users' runs are (timed with it), beside the cache
    return {**env, "APPRAISAL_CACHE_DIR": str(cache), "APPRAISAL_STORE": str(Path(cache) / "runs.sqlite"), **extra}


def appraisal_programs(scheme: Path, work: Path, env: dict[str, str], prefix: str = "") -> list[Contender]:
    """`appraisal measure` (CSV files) and `appraisal run --no-report` (a run folder) on `scheme`."""
    appraisal = str(Path(sys.executable).with_name("appraisal"))
    values, quality = work / f"{prefix}measure-values.csv", work / f"{prefix}measure-quality.csv"
    folder = work / f"{prefix}run"
    measure = timing.Program(f"{prefix}measure", [appraisal, "measure", str(scheme), "--period", PERIOD,
                                                  "--csv", str(values), "--quality-csv", str(quality)], env)
    run = timing.Program(f"{prefix}run", [appraisal, "run", str(scheme), "--period", PERIOD, "--out", str(folder),
                                          "--no-report"], env, out=folder)
    return [Contender(measure, lambda: (read_values(values), read_quality(quality))),
            Contender(run, lambda: read_run(folder))]


def fixed_costs(scheme: Path, work: Path) -> list:
    """`python` and `floor` (module docstring): timed with the others, outputs not compared."""
    env = child_env(work / "cache")
    return [timing.Program("python", [sys.executable, "-c", PYTHON_SCRIPT], env),
            timing.Program("floor", [sys.executable, "-c", FLOOR_SCRIPT, "validate", str(scheme)], env)]


def programs(data: Path, work: Path, shape: Shape) -> list[Contender]:
    """The SQL baseline first, then appraisal measure and run, pandas, Polars and measure without
    its validation cache, each writing its own files."""
    tickets, roster = data / "tickets.parquet", data / "roster.parquet"
    env = child_env(work / "cache")

    def files(name: str) -> tuple[Path, Path]:
        return work / f"{name}-values.csv", work / f"{name}-quality.csv"

    def csv_pair(name: str, argv: list[str], program_env: dict[str, str] = env) -> Contender:
        values, quality = files(name)
        return Contender(timing.Program(name, argv, program_env), lambda: (read_values(values), read_quality(quality)))

    script = work / "baseline.sql"
    script.write_text(render_baseline(tickets, roster, *files("sql")), encoding="utf-8")
    out = [csv_pair("sql", [sys.executable, "-c", BASELINE_SCRIPT, str(script)]),
           *appraisal_programs(data / "scheme.yaml", work, env)]
    peers = ("polars",) if shape.huge else ("pandas", "polars")
    for peer in peers:
        out.append(csv_pair(peer, [sys.executable, str(HERE / f"{peer}_baseline.py"), str(tickets), str(roster),
                                   *map(str, files(peer))]))
    if not shape.huge:
        cold = appraisal_programs(data / "scheme.yaml", work, child_env(work / "cache", APPRAISAL_VALIDATION_CACHE="0"),
                                  prefix="cold-")[0]
        out.append(cold)
    return out


# --- comparing outputs --------------------------------------------------------------------


def read_run(folder: Path) -> Outputs:
    """(values, quality) from what `appraisal run` wrote into `folder`.

    The one place that knows the run folder's format: today `scores.csv` (a row per appraisee
    and indicator, with the columns of `measure --csv` first) and `quality.csv` (those of
    `--quality-csv` first). When the result format changes, only this changes.
    """
    return read_values(folder / "scores.csv"), read_quality(folder / "quality.csv")


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
    return math.isclose(a, b, rel_tol=RELATIVE_TOLERANCE, abs_tol=ABSOLUTE_TOLERANCE) or a == b


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


# --- the benchmark ------------------------------------------------------------------------


def ensure_data(size: str) -> Path:
    """bench/data/<size>, generated when missing or stale; the scheme copy is always refreshed."""
    generate = _load("generate")
    shape = SHAPES[size]
    folder = HERE / "data" / size
    if not generate.is_current(folder, shape.rows, shape.agents):
        print(f"generating {shape.rows:,} tickets for {shape.agents:,} agents in {folder} ...", flush=True)
        start = time.perf_counter()
        generate.generate(folder, shape.rows, shape.agents)
        size_mb = sum(f.stat().st_size for f in folder.iterdir()) / 1e6
        print(f"  generated in {time.perf_counter() - start:.0f} s, {size_mb:,.0f} MB on disk", flush=True)
    shutil.copyfile(HERE / "scheme.yaml", folder / "scheme.yaml")
    return folder


def check_tools() -> None:
    appraisal = Path(sys.executable).with_name("appraisal")
    if not appraisal.exists():
        sys.exit(f"no `appraisal` next to {sys.executable}; run this with the venv's python")
    for module in ("pandas", "polars"):
        if importlib.util.find_spec(module) is None:
            sys.exit(f"{module} is missing: {sys.executable} -m pip install -e '.[bench]' (or run `make bench`)")


def check_outputs(contenders: list, verdicts, where: str) -> tuple[list, set[str]]:
    """Run each program once (untimed: it warms the file cache and gives the outputs) and compare
    each with the reference (the first). Returns the ones that ran, and the names of those that
    differ; both failures and differences are reported as FAILED."""
    agreeing = []
    differing: set[str] = set()
    reference = None
    label = contenders[0].name
    for contender in contenders:
        try:
            contender.program.run()
        except timing.ProgramFailed as failure:
            verdicts.fail(f"{where}{contender.name}: {failure}")
            if reference is None:
                return [], differing
            continue
        got = contender.read()
        if reference is None:
            reference = got
            agreeing.append(contender)
            continue
        problems = differences(contender.name, got, label, reference)
        if problems:
            verdicts.fail(f"{where}{contender.name} differs from {label} in {len(problems)} places")
            for line in problems[:10]:
                print("    " + line)
            differing.add(contender.name)
        agreeing.append(contender)
    return agreeing, differing


def checked_and_timed(size: str, found: list, runs: int, verdicts, least: int = 1,
                      recorded: tuple = ()):
    """Check the contenders `found` against the first (the baseline SQL), then time those that
    ran, taking turns, with the programs `recorded` (no outputs: run once, then timed): (timings,
    names that differ), or None when fewer than `least` ran or a run failed (said in `verdicts`)."""
    contenders, differing = check_outputs(found, verdicts, f"{size}: ")
    if len(contenders) < least:
        return None
    for program in recorded:
        try:
            program.run()
        except timing.ProgramFailed as failure:
            verdicts.fail(f"{size}: {program.name}: {failure}")
            return None
    agree = [c.name for c in contenders[1:] if c.name not in differing]
    if agree:
        print(f"  {', '.join(agree)} agree with sql on every value, row count, status and data-quality count",
              flush=True)
    try:
        return timing.take_turns([c.program for c in contenders] + list(recorded), runs), differing
    except timing.ProgramFailed as failure:
        verdicts.fail(f"{size}: {failure}")
        return None


def bench_size(size: str, runs: int, work: Path, verdicts) -> None:
    shape = SHAPES[size]
    where = f"{size}: "
    print(f"\n{size}: {shape.rows:,} tickets, {shape.agents:,} agents", flush=True)
    data = ensure_data(size)
    checked = checked_and_timed(size, programs(data, work, shape), runs, verdicts,
                                recorded=tuple(fixed_costs(data / "scheme.yaml", work)))
    if checked is None:
        return
    timings, differing = checked
    print(f"  median of {runs} runs, taking turns; x: multiple of the baseline SQL's (sql) in the same run")
    labels = {"cold-measure": "cold-measure *", "python": "python *", "floor": "floor *",
              **{name: f"{name} !" for name in differing}}
    timing.print_table(timings, "sql", labels)
    if "cold-measure" in timings:
        print("  * measure with APPRAISAL_VALIDATION_CACHE=0, for the record; no target")
    print("  * python: `import duckdb` alone; floor: that and `appraisal validate` (no data read); no target")
    for line in engine_budget(timings):
        print("  " + line)
    if differing:
        print("  ! differs from the baseline (FAILED above); timed for the record")
    checks = []
    if shape.ratio_targets:
        for name, limit in (("measure", TARGET_MEASURE), ("run", TARGET_RUN)):
            if name in timings:
                checks += timing.ratio_checks(name, timings, "sql", limit)
    checks += [timing.peak_check(name, timings, TARGET_PEAK_MB) for name in ("measure", "run") if name in timings]
    for peer, limit in (("pandas", TARGET_VS_PANDAS), ("polars", TARGET_VS_POLARS)):
        if peer in timings and "measure" in timings:
            checks.append(timing.Check(f"{peer} / measure wall", timings[peer].wall / timings["measure"].wall, limit,
                                       at_most=False))
    verdicts.report(checks, where)


def engine_budget(timings: dict) -> list[str]:
    """What the ratio targets leave appraisal's engine once its fixed costs are paid, against
    what the baseline's engine takes (module docstring); wall and CPU time."""
    sql, python, floor = timings["sql"], timings["python"], timings["floor"]
    out = []
    for name, limit in (("measure", TARGET_MEASURE), ("run", TARGET_RUN)):
        parts = []
        for kind in ("wall", "cpu"):
            base = getattr(sql, kind) - getattr(python, kind)
            left = limit * getattr(sql, kind) - getattr(floor, kind)
            parts.append(f"{kind} {left:.3f} s = {left / base:.2f}x the baseline's {base:.3f} s")
        out.append(f"{name} within {limit}x leaves its engine: " + "; ".join(parts))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="comma-separated, of: " + ", ".join(SHAPES)
                        + f" (default {DEFAULT_SIZES})")
    parser.add_argument("--huge", action="store_true", help="add 100m (100 million rows; generated, gigabytes)")
    parser.add_argument("--quick", action="store_true", help="a smoke check: 1m only, one timed run")
    parser.add_argument("--runs", type=int, help="timed runs per program at every shape (default: 9 at 1m, "
                        "3 at 10m and 1m-100k, 1 at 100m)")
    args = parser.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if args.quick:
        sizes, args.runs = ["1m"], args.runs or 1
    if args.huge and "100m" not in sizes:
        sizes.append("100m")
    unknown = [s for s in sizes if s not in SHAPES]
    if unknown:
        parser.error(f"unknown size {unknown[0]!r}; choose from {', '.join(SHAPES)}")
    check_tools()
    verdicts = timing.Verdicts()
    with tempfile.TemporaryDirectory(prefix="appraisal-bench-") as tmp:
        for size in sizes:
            work = Path(tmp) / size
            work.mkdir()
            bench_size(size, args.runs or SHAPES[size].runs, work, verdicts)
            shutil.rmtree(work, ignore_errors=True)  # a run folder at 100k appraisees is hundreds of MB
    return verdicts.exit_code("data_bench")


if __name__ == "__main__":
    sys.exit(main())
