"""The agent scheme beside its demo data, run and stored through the command line.

A pytest plugin of this suite (conftest's `pytest_plugins`): the fixture `agent`, and `appraise`
and `cli` for the tests of the run store and of appeals.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from appraisal.demo.builtin import generate
from appraisal.shipped import shipped_scheme


@pytest.fixture
def agent(tmp_path: Path) -> Path:
    """The agent scheme beside its demo data."""
    scheme = tmp_path / "agent.yaml"
    scheme.write_bytes(shipped_scheme("agent").read_bytes())
    generate(tmp_path / "data" / "agent", role="agent")
    return scheme


def appraise(scheme: Path, out: Path, store: Path | str, *more: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "appraisal", "run", str(scheme), "-p", "2026-Q3", "-o", str(out),
                           "--no-report", "--store", str(store), *more], capture_output=True, text=True, timeout=300,
                          cwd=scheme.parent)


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "appraisal", *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd)


def appraise_twice_at_once(scheme: Path, store: Path | str) -> None:
    """Two runs of `scheme` storing into `store` at the same time (folders `a` and `b` beside the
    scheme); both must succeed."""
    both = [subprocess.Popen([sys.executable, "-m", "appraisal", "run", str(scheme), "-p", "2026-Q3", "--no-report",
                              "--store", str(store), "-o", str(scheme.parent / out)], cwd=scheme.parent,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for out in ("a", "b")]
    for proc in both:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
