"""Start-up time of the `appraisal` command, against targets and the bare interpreter.

A command that people run dozens of times a day (and that CI runs over every scheme) must
feel instant, so imports stay lazy. This script is the check: it times whole processes,
the way a user waits for them, and exits 1 if a target is missed.

    python bench/startup.py            # from the repository root, with the venv's python

Commands run as an installed program would: Python may write its bytecode (the untimed first
run compiles what a wheel install would have compiled; PYTHONDONTWRITEBYTECODE is dropped), and
appraisal's validation cache lives in a temporary folder that the first run fills, so the timed
`validate` runs find the scheme's JSON Schema pass as every run after a scheme's first does.
The same command with the cache off (APPRAISAL_VALIDATION_CACHE=0) is timed for the record.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 7
ROOT = Path(__file__).resolve().parent.parent
SCHEME = "schemes/agent.yaml"


def median_wall_time(argv: list[str], env: dict[str, str] | None = None) -> float:
    """Median seconds of RUNS runs, after one untimed run to warm the file cache."""
    subprocess.run(argv, cwd=ROOT, capture_output=True, env=env, check=False)
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env=env, check=False)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            sys.exit(f"{' '.join(argv)} failed (exit {proc.returncode}):\n{proc.stderr}")
    return statistics.median(times)


def main() -> int:
    executable = Path(sys.executable).with_name("appraisal")
    if not executable.exists():
        sys.exit(f"no `appraisal` next to {sys.executable}; run this with the venv's python")

    with tempfile.TemporaryDirectory(prefix="appraisal-startup-") as cache:
        unset = ("PYTHONDONTWRITEBYTECODE", "APPRAISAL_VALIDATION_CACHE")
        base = {k: v for k, v in os.environ.items() if k not in unset}
        env = {**base, "APPRAISAL_CACHE_DIR": cache}
        cold = {**env, "APPRAISAL_VALIDATION_CACHE": "0"}
        baseline = median_wall_time([sys.executable, "-c", "pass"], env)
        cases = [
            ("appraisal --help", [str(executable), "--help"], env, 0.3),
            (f"appraisal validate {SCHEME}", [str(executable), "validate", SCHEME], env, 0.6),
            ("  the same, cache off", [str(executable), "validate", SCHEME], cold, None),
        ]
        print(f"median of {RUNS} runs; baseline `python -c pass`: {baseline:.3f} s")
        print(f"{'command':40} {'seconds':>8} {'target':>7} {'x baseline':>11}  result")
        missed = 0
        for label, argv, child_env, target in cases:
            seconds = median_wall_time(argv, child_env)
            ok = target is None or seconds <= target
            missed += not ok
            verdict = "ok" if ok else "MISSED"
            shown = f"{target:7.1f}" if target is not None else f"{'-':>7}"
            print(f"{label:40} {seconds:8.3f} {shown} {seconds / baseline:11.1f}  {verdict if target else ''}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
