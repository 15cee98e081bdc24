"""Shared fixtures: an isolated plugin manager and two ways to run the CLI.

No installed plugin may leak into the suite: `APPRAISAL_LOAD_PLUGINS` is set to the empty
string for the whole session (only the built-ins load), and subprocesses inherit it. The
validation cache goes to a folder of the session's own, never the user's ~/.cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    import tempfile

    os.environ["APPRAISAL_LOAD_PLUGINS"] = ""
    os.environ["APPRAISAL_CACHE_DIR"] = tempfile.mkdtemp(prefix="appraisal-test-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    import shutil

    shutil.rmtree(os.environ.pop("APPRAISAL_CACHE_DIR", ""), ignore_errors=True)
    for name in ("APPRAISAL_PLUGINS_DIR", "APPRAISAL_DEBUG"):
        os.environ.pop(name, None)


@pytest.fixture(autouse=True)
def _fresh_plugin_manager() -> Iterator[None]:
    """Each test loads plugins afresh, with no plugins folder left over from another test."""
    from appraisal import plugins

    plugins.set_plugins_dir(None)
    yield
    plugins.set_plugins_dir(None)


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


RunCli = Callable[..., CliResult]


@pytest.fixture
def run_cli() -> RunCli:
    """Run `appraisal ARGS...` in-process through `main()`, so its error handling is exercised.

    Typer's CliRunner isolates stdin/stdout/stderr (kept separate) and the environment.
    """
    from typer.testing import CliRunner

    from appraisal.cli import main

    def run(*args: str, env: Mapping[str, str | None] | None = None) -> CliResult:
        runner = CliRunner()
        with runner.isolation(env=env) as (stdout, stderr, _output):
            try:
                main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            else:  # pragma: no cover - main always exits
                code = 0
            sys.stdout.flush()
            sys.stderr.flush()
            out, err = stdout.getvalue(), stderr.getvalue()
        return CliResult(code, out.decode(), err.decode("utf-8", "replace"))

    return run


@pytest.fixture
def run_cli_subprocess() -> RunCli:
    """Run `python -m appraisal ARGS...` in a child process: the real exit code and stderr."""

    def run(
        *args: str, env: Mapping[str, str | None] | None = None, cwd: Path | None = None
    ) -> CliResult:
        child_env = dict(os.environ)
        for key, value in (env or {}).items():
            if value is None:
                child_env.pop(key, None)
            else:
                child_env[key] = value
        proc = subprocess.run(
            [sys.executable, "-m", "appraisal", *args],
            capture_output=True,
            text=True,
            env=child_env,
            cwd=cwd or ROOT,
            timeout=120,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run
