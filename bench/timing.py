"""Timing whole processes: wall seconds, CPU seconds and peak memory, and targets as ratios.

Every benchmark here times programs the way a user waits for them, as whole processes, and
compares them with a baseline program timed in the same run, taking turns with it: the machine
is shared and its speed drifts, so absolute seconds say little and a ratio of two programs
timed side by side says much more. CPU time (user + system of the child, from `os.wait4`'s
resource usage) is printed beside wall time: on a loaded machine wall time grows with the load,
CPU time much less. Peak memory is the child's maximum resident set size, measured with the
child started from a small launcher process (see `_LAUNCHER`).

A target that is missed prints as MISSED, and the script exits 1 (after running everything
else it was asked to run).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class ProgramFailed(Exception):
    """A timed program exited non-zero; the message names it and ends with its stderr."""


@dataclass(frozen=True)
class Sample:
    wall: float  # seconds
    cpu: float  # user + system seconds of the child (and the children it waited for)
    peak_mb: float  # maximum resident set size


# Peak memory needs a small parent. Linux counts in a child's peak the memory of the process it
# was forked from (its copy of the parent's pages, until exec): a benchmark that holds half a
# million values in memory would give every child it starts a peak of its own size. So the
# children are started by a launcher, a bare Python started at the first timing, which runs one
# program a request and answers with its exit status, times and peak.
_LAUNCHER = r"""
import json, os, sys, time
for line in sys.stdin:
    job = json.loads(line)
    err = os.open(job["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.chdir(job["cwd"])
            null = os.open(os.devnull, os.O_RDWR)
            os.dup2(null, 0); os.dup2(null, 1); os.dup2(err, 2)
            os.execve(job["argv"][0], job["argv"], job["env"])
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    os.close(err)
    print(json.dumps([os.waitstatus_to_exitcode(status), wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss]),
          flush=True)
"""
_launcher: subprocess.Popen | None = None


def _launch(argv: Sequence[str], env: dict[str, str] | None, cwd: Path, stderr: Path) -> tuple[int, float, float, int]:
    global _launcher
    if _launcher is None or _launcher.poll() is not None:
        _launcher = subprocess.Popen([sys.executable, "-S", "-c", _LAUNCHER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        atexit.register(_stop, _launcher)
    assert _launcher.stdin and _launcher.stdout
    executable = shutil.which(argv[0]) or argv[0]
    job = {"argv": [executable, *argv[1:]], "env": dict(os.environ if env is None else env), "cwd": str(cwd),
           "stderr": str(stderr)}
    _launcher.stdin.write(json.dumps(job) + "\n")
    _launcher.stdin.flush()
    code, wall, cpu, maxrss = json.loads(_launcher.stdout.readline())
    return code, wall, cpu, maxrss


def _stop(launcher: subprocess.Popen) -> None:
    """Close the launcher's pipes (it ends when its input does) and reap it."""
    for pipe in (launcher.stdin, launcher.stdout):
        if pipe is not None:
            pipe.close()
    launcher.wait()


def run_once(argv: Sequence[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> Sample:
    """One run of `argv`, stdout discarded; raises ProgramFailed on a non-zero exit."""
    with tempfile.TemporaryDirectory(prefix="appraisal-timing-") as tmp:
        stderr = Path(tmp) / "stderr"
        code, wall, cpu, maxrss = _launch(argv, env, cwd, stderr)
        if code != 0:
            tail = stderr.read_text(encoding="utf-8", errors="replace")[-3000:] if stderr.exists() else ""
            raise ProgramFailed(f"{' '.join(argv)} failed (exit {code}):\n{tail}")
    return Sample(wall, cpu, maxrss / 1024)  # ru_maxrss is in KB on Linux


@dataclass(frozen=True)
class Program:
    """A program to time. `out` is a path the program creates and must not find (a run folder):
    it is removed, untimed, before each run."""

    name: str
    argv: list[str]
    env: dict[str, str] | None = None
    out: Path | None = None

    def run(self) -> Sample:
        if self.out is not None and self.out.exists():
            shutil.rmtree(self.out) if self.out.is_dir() else self.out.unlink()
        return run_once(self.argv, self.env)


@dataclass(frozen=True)
class Timing:
    """Medians of wall and CPU time over the runs, and the highest peak."""

    wall: float
    cpu: float
    peak_mb: float
    runs: int


def summarise(samples: Sequence[Sample]) -> Timing:
    return Timing(statistics.median(s.wall for s in samples), statistics.median(s.cpu for s in samples),
                  max(s.peak_mb for s in samples), len(samples))


def take_turns(programs: Sequence[Program], runs: int) -> dict[str, Timing]:
    """Each program `runs` times, taking turns, so that a busy spell of the machine falls on all
    of them alike rather than on whichever ran then."""
    samples: dict[str, list[Sample]] = {p.name: [] for p in programs}
    for _ in range(runs):
        for program in programs:
            samples[program.name].append(program.run())
    return {name: summarise(found) for name, found in samples.items()}


def print_table(timings: dict[str, Timing], baseline: str, labels: dict[str, str] | None = None) -> None:
    """One line a program: medians, peak, and wall and CPU time as multiples of `baseline`'s."""
    base = timings[baseline]
    labels = labels or {}
    width = max(12, *(len(labels.get(n, n)) for n in timings))
    print(f"{'program':{width}} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} {'wall x':>7} {'cpu x':>7}")
    for name, t in timings.items():
        print(f"{labels.get(name, name):{width}} {t.wall:8.3f} {t.cpu:8.3f} {t.peak_mb:8.0f} "
              f"{t.wall / base.wall:7.2f} {t.cpu / base.cpu:7.2f}")


@dataclass(frozen=True)
class Check:
    """`measured` against `limit`: at most (`at_most`) or at least; strict when `strict`."""

    label: str
    measured: float
    limit: float
    at_most: bool = True
    strict: bool = False
    unit: str = "x"

    @property
    def ok(self) -> bool:
        if self.at_most:
            return self.measured < self.limit if self.strict else self.measured <= self.limit
        return self.measured > self.limit if self.strict else self.measured >= self.limit

    def line(self) -> str:
        sign = ("<" if self.strict else "<=") if self.at_most else (">" if self.strict else ">=")
        fmt = "{:.0f}" if self.unit == " MB" else "{:.2f}"
        measured, limit = fmt.format(self.measured) + self.unit, fmt.format(self.limit) + self.unit
        return f"  {self.label:56} {measured:>10}  target {sign} {limit:9} {'ok' if self.ok else 'MISSED'}"


def ratio_checks(name: str, timings: dict[str, Timing], baseline: str, limit: float) -> list[Check]:
    """`name` within `limit` times `baseline`, in wall time and in CPU time."""
    got, base = timings[name], timings[baseline]
    return [Check(f"{name} / {baseline} wall", got.wall / base.wall, limit),
            Check(f"{name} / {baseline} cpu", got.cpu / base.cpu, limit)]


def peak_check(name: str, timings: dict[str, Timing], limit_mb: float = 1024) -> Check:
    return Check(f"{name} peak memory", timings[name].peak_mb, limit_mb, strict=True, unit=" MB")


@dataclass
class Verdicts:
    """The checks of a whole script: printed as they come, counted at the end."""

    missed: list[str] = field(default_factory=list)

    def report(self, checks: Iterable[Check], where: str = "") -> bool:
        ok = True
        for check in checks:
            print(check.line())
            if not check.ok:
                ok = False
                self.missed.append(f"{where}{check.label}".strip())
        return ok

    def fail(self, what: str) -> None:
        print(f"  FAILED: {what}")
        self.missed.append(what)

    def exit_code(self, script: str) -> int:
        if not self.missed:
            print(f"\n{script}: every target met")
            return 0
        print(f"\n{script}: {len(self.missed)} MISSED or failed:")
        for what in self.missed:
            print(f"  {what}")
        return 1

