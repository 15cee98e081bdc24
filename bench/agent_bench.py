"""The shipped agent scheme (schemes/agent.yaml) on 1 and 10 million generated tickets.

    python bench/agent_bench.py                  # 1m and 10m; from the repository root, venv python
    python bench/agent_bench.py --sizes 1m
    python bench/agent_bench.py --quick          # 1m, one timed run: a smoke check

bench/data_bench.py times the benchmark's own scheme (5 indicators over one Parquet file)
against hand-written SQL. Users run schemes like the shipped agent scheme: 10 indicators over
CSV files, a survey join, repeat problems, a rating and pay. This times `appraisal measure` and
`appraisal run --no-report` on that scheme over data of its shape (bench/agent_generate.py:
1,000 agents at 1m tickets, 10,000 at 10m; into bench/data/agent-<size>/), taking turns with the
same two commands on the Parquet bench scheme at the same row count and agent count
(bench/data/<size>/), so the cost of the richer scheme reads as a ratio measured in the same run.

There is no hand-written SQL for this scheme, so the only correctness check is that `measure`
and `run` agree with each other on every value, row count, status and data-quality count (and
the Parquet scheme's two alike; data_bench checks those against the baseline). A disagreement
prints FAILED and makes the exit status 1, but both are timed all the same (the work is the
same whichever copy of a repeated row was kept). The one target is
peak memory: `measure` and `run` under 1 GB on the agent scheme at every size; the times are
printed, with the ratios to the Parquet scheme, for the record. Runs: 5 at 1m, 3 at 10m
(`--runs N` sets both). Exit 1 if a target is missed or a program fails or disagrees.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = {"1m": (1_000_000, 1_000, 5), "10m": (10_000_000, 10_000, 3)}  # tickets, agents, runs
TARGET_PEAK_MB = 1024


def _load(name: str):
    module_name = f"bench_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, HERE / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


timing = _load("timing")
data_bench = _load("data_bench")
agent_generate = _load("agent_generate")


def ensure_agent_data(size: str) -> Path:
    """bench/data/agent-<size>, generated when missing or stale; returns the scheme's path."""
    tickets, agents, _ = SIZES[size]
    folder = HERE / "data" / f"agent-{size}"
    if not agent_generate.is_current(folder, tickets, agents):
        print(f"generating agent-scheme data: {tickets:,} tickets for {agents:,} agents in {folder} ...", flush=True)
        start = time.perf_counter()
        agent_generate.generate(folder, tickets, agents)
        size_mb = sum(f.stat().st_size for f in (folder / "data" / "agent").iterdir()) / 1e6
        print(f"  generated in {time.perf_counter() - start:.0f} s, {size_mb:,.0f} MB on disk", flush=True)
    shutil.copyfile(agent_generate.SCHEME, agent_generate.scheme_path(folder))
    return agent_generate.scheme_path(folder)


def bench_size(size: str, runs: int, work: Path, verdicts) -> None:
    tickets, agents, _ = SIZES[size]
    where = f"agent {size}: "
    print(f"\n{size}: {tickets:,} tickets, {agents:,} agents: the agent scheme (CSV) beside the bench scheme (Parquet)",
          flush=True)
    env = data_bench.child_env(work / "cache")
    parquet = data_bench.appraisal_programs(data_bench.ensure_data(size) / "scheme.yaml", work, env)
    agent = data_bench.appraisal_programs(ensure_agent_data(size), work, env, prefix="agent-")
    ran, differing = [], set()
    for pair in (parquet, agent):
        found, differ = data_bench.check_outputs(pair, verdicts, where)
        if len(found) == len(pair) and not differ:
            print(f"  {pair[1].name} agrees with {pair[0].name} on every value, row count, status and "
                  "data-quality count", flush=True)
        ran += found
        differing |= differ
    names = {c.name for c in ran}
    if not {"measure", "agent-measure"} <= names:
        return
    try:
        timings = timing.take_turns([c.program for c in ran], runs)
    except timing.ProgramFailed as failure:
        verdicts.fail(f"{where}{failure}")
        return
    print(f"  median of {runs} runs, taking turns; x: multiple of the Parquet scheme's measure in the same run")
    timing.print_table(timings, "measure", {name: f"{name} !" for name in differing})
    if differing:
        print("  ! differs from its measure (FAILED above); timed for the record")
    for name in ("measure", "run"):
        if name in timings and f"agent-{name}" in timings:
            a, p = timings[f"agent-{name}"], timings[name]
            print(f"  agent-{name} / {name}: wall {a.wall / p.wall:.2f}x, cpu {a.cpu / p.cpu:.2f}x (for the record)")
    verdicts.report([timing.peak_check(name, timings, TARGET_PEAK_MB)
                     for name in ("agent-measure", "agent-run") if name in timings], where)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1m,10m", help="comma-separated, of: " + ", ".join(SIZES))
    parser.add_argument("--quick", action="store_true", help="a smoke check: 1m only, one timed run")
    parser.add_argument("--runs", type=int, help="timed runs per program (default: 5 at 1m, 3 at 10m)")
    args = parser.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if args.quick:
        sizes, args.runs = ["1m"], args.runs or 1
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size {unknown[0]!r}; choose from {', '.join(SIZES)}")
    data_bench.check_tools()
    verdicts = timing.Verdicts()
    with tempfile.TemporaryDirectory(prefix="appraisal-agent-bench-") as tmp:
        for size in sizes:
            work = Path(tmp) / size
            work.mkdir()
            bench_size(size, args.runs or SIZES[size][2], work, verdicts)
            shutil.rmtree(work, ignore_errors=True)
    return verdicts.exit_code("agent_bench")


if __name__ == "__main__":
    sys.exit(main())
