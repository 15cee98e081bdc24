"""Start-up time of the `appraisal` command, against targets and the bare interpreter.

A command that people run dozens of times a day (and that CI runs over every scheme) must
feel instant, so imports stay lazy. This script is the check: it times whole processes,
the way a user waits for them, and exits 1 if a target is missed.

    python bench/startup.py            # from the repository root, with the venv's python
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

RUNS = 7
ROOT = Path(__file__).resolve().parent.parent
SCHEME = "schemes/agent.yaml"


def median_wall_time(argv: list[str]) -> float:
    """Median seconds of RUNS runs, after one untimed run to warm the file cache."""
    subprocess.run(argv, cwd=ROOT, capture_output=True)
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            sys.exit(f"{' '.join(argv)} failed (exit {proc.returncode}):\n{proc.stderr}")
    return statistics.median(times)


def main() -> int:
    executable = Path(sys.executable).with_name("appraisal")
    if not executable.exists():
        sys.exit(f"no `appraisal` next to {sys.executable}; run this with the venv's python")

    baseline = median_wall_time([sys.executable, "-c", "pass"])
    cases = [
        ("appraisal --help", [str(executable), "--help"], 0.3),
        (f"appraisal validate {SCHEME}", [str(executable), "validate", SCHEME], 0.6),
    ]
    print(f"median of {RUNS} runs; baseline `python -c pass`: {baseline:.3f} s")
    print(f"{'command':40} {'seconds':>8} {'target':>7} {'x baseline':>11}  result")
    missed = 0
    for label, argv, target in cases:
        seconds = median_wall_time(argv)
        ok = seconds <= target
        missed += not ok
        verdict = "ok" if ok else "MISSED"
        print(f"{label:40} {seconds:8.3f} {target:7.1f} {seconds / baseline:11.1f}  {verdict}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
