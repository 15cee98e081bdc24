"""Fixtures for this package's tests, self-contained so the package can be copied and tested
outside the appraisal checkout.

Only this plugin loads (`APPRAISAL_LOAD_PLUGINS=helpdesk`: nothing else installed on the machine
changes the results), with a fresh plugin manager around every test.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

PLUGIN = "helpdesk"


@pytest.fixture(autouse=True)
def _only_this_plugin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from appraisal import plugins

    monkeypatch.setenv("APPRAISAL_LOAD_PLUGINS", PLUGIN)
    monkeypatch.delenv("APPRAISAL_PLUGINS_DIR", raising=False)
    plugins.set_plugins_dir(None)  # also forgets the plugins loaded so far
    yield
    plugins.reset()


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli() -> Callable[..., CliResult]:
    """Run `appraisal ARGS...` in-process through its `main()`, stdout and stderr apart."""
    from typer.testing import CliRunner

    from appraisal.cli import main

    def run(*args: str) -> CliResult:
        with CliRunner().isolation() as (stdout, stderr, _output):
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
