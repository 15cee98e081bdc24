"""Start-up time of the `appraisal` command, as a ratio to the bare interpreter's.

A command that people run dozens of times a day (and that CI runs over every scheme) must
feel instant, so imports stay lazy. This script is the check: it times whole processes, the
way a user waits for them (wall time, CPU time of the child, peak memory; bench/timing.py),
taking turns with `python -c pass` timed in the same run, and exits 1 if a target is missed.
The targets are ratios to `python -c pass`, so a loaded machine, which slows every process
alike, does not fail them. `python -c "import duckdb"` is timed for the record: most of a
command's start-up is DuckDB's import, which appraisal cannot make faster.

    python bench/startup.py            # from the repository root, with the venv's python
    python bench/startup.py --runs 3

Targets, derived from this 2-core shared machine on 2026-12-03 (three runs of this script,
median of 7 each, load average about 5): `python -c pass` took 0.035-0.051 s wall and 0.022-0.024 s
CPU; `import duckdb` 11-12x that; `appraisal --help` 8.5-9.4x in wall and CPU time;
`appraisal validate schemes/agent.yaml` 18-22x wall and 19-20.5x CPU. The targets (14x and 30x)
give about 1.5x headroom over the highest of those: a regression that made `--help` import
DuckDB and the scheme machinery would cross them. Measure afresh before moving them.

Commands run as an installed program would: Python may write its bytecode (the untimed first
run compiles what a wheel install would have compiled; PYTHONDONTWRITEBYTECODE is dropped), and
appraisal's validation cache lives in a temporary folder that the first run fills, so the timed
`validate` runs find the scheme's JSON Schema pass as every run after a scheme's first does.
The same command with the cache off (APPRAISAL_VALIDATION_CACHE=0) is timed for the record.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNS = 7
SCHEME = "schemes/agent.yaml"
# Multiples of `python -c pass`, in wall time and in CPU time, at most (see the docstring).
TARGET_HELP = 14.0
TARGET_VALIDATE = 30.0


def _timing():
    spec = importlib.util.spec_from_file_location("bench_timing", HERE / "timing.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


timing = _timing()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS, help=f"timed runs per command (default {RUNS})")
    args = parser.parse_args(argv)
    executable = Path(sys.executable).with_name("appraisal")
    if not executable.exists():
        sys.exit(f"no `appraisal` next to {sys.executable}; run this with the venv's python")

    with tempfile.TemporaryDirectory(prefix="appraisal-startup-") as cache:
        dropped = ("PYTHONDONTWRITEBYTECODE", "APPRAISAL_VALIDATION_CACHE")
        base = {k: v for k, v in os.environ.items() if k not in dropped}
        env = {**base, "APPRAISAL_CACHE_DIR": cache}
        cold = {**env, "APPRAISAL_VALIDATION_CACHE": "0"}
        programs = [
            timing.Program("python -c pass", [sys.executable, "-c", "pass"], env),
            timing.Program("python -c 'import duckdb' *", [sys.executable, "-c", "import duckdb"], env),
            timing.Program("appraisal --help", [str(executable), "--help"], env),
            timing.Program(f"appraisal validate {SCHEME}", [str(executable), "validate", SCHEME], env),
            timing.Program("  the same, cache off *", [str(executable), "validate", SCHEME], cold),
        ]
        verdicts = timing.Verdicts()
        try:
            for program in programs:  # untimed: warms the file cache, compiles bytecode, fills the cache
                program.run()
            timings = timing.take_turns(programs, args.runs)
        except timing.ProgramFailed as failure:
            verdicts.fail(str(failure))
            return verdicts.exit_code("startup")
    print(f"start-up, median of {args.runs} runs, taking turns; x: multiple of `python -c pass` in the same run")
    timing.print_table(timings, "python -c pass")
    print("  * for the record; no target")
    verdicts.report([
        *timing.ratio_checks("appraisal --help", timings, "python -c pass", TARGET_HELP),
        *timing.ratio_checks(f"appraisal validate {SCHEME}", timings, "python -c pass", TARGET_VALIDATE),
    ])
    return verdicts.exit_code("startup")


if __name__ == "__main__":
    sys.exit(main())
