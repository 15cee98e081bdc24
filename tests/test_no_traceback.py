"""Every rejected file gives plain messages: exit 1 and never a Python traceback on stderr.

Parametrized over whatever negative corpus exists when the tests are collected, so a new
corpus file is covered the moment it is added.
"""

from __future__ import annotations

from pathlib import Path

import pytest

NEGATIVE = Path(__file__).resolve().parent / "negative"
CORPUS = sorted(NEGATIVE.glob("**/*.yaml"))


def _id(path: Path) -> str:
    return path.relative_to(NEGATIVE).as_posix()


def test_there_is_a_negative_corpus() -> None:
    assert CORPUS, f"no *.yaml files under {NEGATIVE}"


@pytest.mark.parametrize("path", CORPUS, ids=[_id(p) for p in CORPUS])
def test_rejected_without_traceback(run_cli_subprocess, path: Path) -> None:
    result = run_cli_subprocess("validate", str(path))
    assert result.exit_code == 1, f"exit {result.exit_code}\n{result.stdout}{result.stderr}"
    assert "Traceback" not in result.stderr
    assert not [line for line in result.stderr.splitlines() if line.lstrip().startswith('File "')]
    assert result.stderr.strip(), "a rejection says why"
