"""Shared fixtures: an isolated plugin manager and two ways to run the CLI.

The plugin manager and the in-process `run_cli` are appraisal.testing's, the pytest plugin that
plugin authors get too; the subprocess runner is this suite's own.

No installed plugin may leak into the suite: `APPRAISAL_LOAD_PLUGINS` is set to the empty
string for the whole session (only the built-ins load), and subprocesses inherit it. The
validation cache goes to a folder of the session's own, never the user's ~/.cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from appraisal.testing import CliResult, IsolatedPlugins, RunCli

__all__ = ["ROOT", "CliResult", "RunCli"]

ROOT = Path(__file__).resolve().parent.parent
# `postgres`, `spark`, `spark_connect`: real ones, started when a test asks; `agent`: a scheme with its data
pytest_plugins = ["postgres_server", "spark_session", "spark_connect_server", "stored_runs"]


def pytest_configure(config: pytest.Config) -> None:
    import tempfile

    os.environ["APPRAISAL_LOAD_PLUGINS"] = ""
    os.environ["APPRAISAL_CACHE_DIR"] = tempfile.mkdtemp(prefix="appraisal-test-cache-")
    # every `appraisal run` of the tests keeps its run in a store of the test session, not in
    # the working folder (tests that look at a store name their own with --store)
    os.environ["APPRAISAL_STORE"] = str(Path(os.environ["APPRAISAL_CACHE_DIR"]) / "runs.sqlite")


def pytest_unconfigure(config: pytest.Config) -> None:
    import shutil

    shutil.rmtree(os.environ.pop("APPRAISAL_CACHE_DIR", ""), ignore_errors=True)
    os.environ.pop("APPRAISAL_STORE", None)
    for name in ("APPRAISAL_PLUGINS_DIR", "APPRAISAL_DEBUG"):
        os.environ.pop(name, None)


@pytest.fixture(autouse=True)
def _fresh_plugin_manager(appraisal_plugins: IsolatedPlugins) -> IsolatedPlugins:
    """Each test loads the built-ins afresh, with no plugins folder left over from another test
    (`appraisal_plugins` of appraisal.testing; `run_cli` comes from there too)."""
    return appraisal_plugins


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


@pytest.fixture(params=["postgres", "spark"])
def remote(request: pytest.FixtureRequest) -> tuple[str, dict[str, str]]:
    """An engine beyond DuckDB and its settings: a real PostgreSQL server, or Spark in local mode."""
    if request.param == "postgres":
        return "postgres", {"dsn": request.getfixturevalue("postgres").dsn}
    request.getfixturevalue("spark")  # the session the engine then finds running
    return "spark", {"master": "local[2]"}
