"""`appraisal measure` at 10M and 100M rows under the default memory limit: time, CPU, peak memory.

    python bench/scale_probe.py                         # 10m and 100m, data in a temporary folder
    python bench/scale_probe.py --sizes 100m --data /tmp/scale --keep --memory-limit 1GB
    python bench/scale_probe.py --sizes 10m --data bench/data --dedupe   # duplicate keys alone

The data is bench/generate.py's (tickets with a median, a mean and ratios; 1,000 tickets per
agent), written by DuckDB SQL; 100M rows take about 2 GB of Parquet and, while measuring, up to
about 5 GB of spill in the temporary folder (check `df -h /tmp`). A folder given with --data is
reused when its recipe is current. Each run is one `appraisal measure` process: its exit code,
wall and CPU time, and peak resident memory (of the child, from the kernel) are printed.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402 - bench/generate.py, beside this script

SIZES = {"1m": (1_000_000, 1_000), "10m": (10_000_000, 10_000), "100m": (100_000_000, 100_000)}


def measure(folder: Path, memory_limit: str | None) -> tuple[int, float, float, int, str]:
    """(exit code, wall seconds, CPU seconds, peak RSS in MB, last line of stderr) of one run."""
    argv = [sys.executable, "-m", "appraisal", "measure", str(folder / "scheme.yaml"), "-p", "2026-Q3",
            "--csv", str(folder / "values.csv"), "--quality-csv", str(folder / "quality.csv")]
    if memory_limit:
        argv += ["--memory-limit", memory_limit]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    last = (proc.stderr.strip().splitlines() or [""])[-1]
    return proc.returncode, wall, cpu, after.ru_maxrss // 1024, last


def load_timing_duplicates(folder: Path, form: str) -> tuple[float, float, float, float, list[object]]:
    """Load the data in this process with the duplicate-key step (`_drop_streamed_duplicates`)
    finding repeats by `form` ("new": `duplicates.find`, "old": the grouping reference form it
    replaced): (step wall, step CPU, loading wall, loading CPU, the duplicate-key counts)."""
    from appraisal import plugins
    from appraisal.engines import duckdb_engine, duplicates
    from appraisal.scheme.validation import load_scheme

    step, find = duckdb_engine._drop_streamed_duplicates, duplicates.find
    spent: list[tuple[float, float]] = []

    def timed(*args: object, **kwargs: object) -> None:
        start, cpu = time.perf_counter(), time.process_time()
        step(*args, **kwargs)  # type: ignore[arg-type]
        spent.append((time.perf_counter() - start, time.process_time() - cpu))

    duckdb_engine._drop_streamed_duplicates = timed
    if form == "old":
        duplicates.find = duplicates.grouped
    try:
        extensions = plugins.extensions()
        start, cpu = time.perf_counter(), time.process_time()
        with duckdb_engine.open_engine(load_scheme(folder / "scheme.yaml", extensions), extensions.sources) as engine:
            loaded = time.perf_counter() - start, time.process_time() - cpu
            found: list[object] = [(c.dataset, c.count, c.examples) for c in engine.quality
                                   if c.cause == "duplicate key"]
            [(kept,)] = engine.connection.execute(
                f"SELECT sum(hash(ticket_id, created_at)) FROM {engine.tables['tickets']}").fetchall()
            found.append(kept)  # which copy of each repeated key was kept
    finally:
        duckdb_engine._drop_streamed_duplicates, duplicates.find = step, find
    wall, used = map(sum, zip(*spent, strict=True)) if spent else (0.0, 0.0)
    return wall, used, loaded[0], loaded[1], found


def time_duplicates(folder: Path, runs: int = 3) -> str:
    """The duplicate-key step, old form and new taking turns `runs` times each: medians, and the
    ratios new/old of wall and CPU time; the counts must be the same."""
    import statistics

    taken: dict[str, list[tuple[float, float, float, float]]] = {"old": [], "new": []}
    counts: dict[str, list[object]] = {}
    for _ in range(runs):
        for form in ("old", "new"):
            *times, counts[form] = load_timing_duplicates(folder, form)
            taken[form].append(tuple(times))  # type: ignore[arg-type]
    if counts["old"] != counts["new"]:
        raise SystemExit(f"FAILED: the new form found {counts['new']}, the old {counts['old']}")
    med = {form: [statistics.median(t[i] for t in rows) for i in range(4)] for form, rows in taken.items()}
    lines = [f"duplicate keys {counts['new'][:-1]}, the same kept rows in both forms; medians of {runs} runs"
             f" taking turns, load {os.getloadavg()[0]:.1f}:"]
    for form in ("old", "new"):
        wall, used, lwall, lused = med[form]
        lines.append(f"  {form}: {wall:.2f} s wall, {used:.2f} s CPU"
                     f" of loading's {lwall:.2f} s wall, {lused:.2f} s CPU")
    lines.append(f"  new/old: wall {med['new'][0] / med['old'][0]:.2f}x, CPU {med['new'][1] / med['old'][1]:.2f}x")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10m,100m", help="comma-separated: " + ", ".join(SIZES))
    parser.add_argument("--data", type=Path, help="folder for the generated data (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument("--memory-limit", help="passed to appraisal measure (default: its own, 1GB)")
    parser.add_argument("--dedupe", action="store_true",
                        help="time the duplicate-key step alone instead, old form and new taking turns")
    args = parser.parse_args(argv)
    root = args.data or Path(tempfile.mkdtemp(prefix="appraisal-scale-"))
    free = shutil.disk_usage(root.parent if not root.exists() else root).free
    print(f"data in {root}; free there: {free / 1e9:.0f} GB")
    try:
        for size in args.sizes.split(","):
            rows, agents = SIZES[size]
            folder = root / size
            if not generate.is_current(folder, rows, agents):
                start = time.perf_counter()
                generate.generate(folder, rows, agents)
                print(f"{size}: generated in {time.perf_counter() - start:.0f} s")
            if args.dedupe:
                print(f"{size}: {time_duplicates(folder)}")
                continue
            code, wall, cpu, peak, last = measure(folder, args.memory_limit)
            outcome = "ok" if code == 0 else f"exit {code}: {last}"
            print(f"{size}: {rows:,} rows, {agents:,} agents: {wall:.1f} s wall, {cpu:.1f} s CPU,"
                  f" peak {peak:,} MB, load {os.getloadavg()[0]:.1f}: {outcome}")
    finally:
        if not args.keep and args.data is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
