"""The hostile corpus (tests/hostile/): schemes written to break the loader, each refused with
a plain, located first line, or, on the positive side, accepted although they look odd.

Like tests/negative/, every negative file's first line says what `appraisal validate` must
print first (`# error: {file}:line:column: ...`); `parts/` holds the files they point at. A
refusal is exit 1 with that line, never exit 70, and `validate --json` still prints JSON.
Later work must keep this corpus passing; add a file for every new way in.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ROOT / "tests" / "hostile"
NEGATIVE = sorted((HOSTILE / "negative").glob("*.yaml"))
POSITIVE = sorted((HOSTILE / "positive").glob("*.yaml"))


def expected_first_line(path: Path, shown: str) -> str:
    header = path.read_bytes().split(b"\n", 1)[0].decode("utf-8")
    assert header.startswith("# error: "), f"{path.name} must start with '# error: <first line>'"
    return header.removeprefix("# error: ").replace("{file}", shown)


def test_the_hostile_corpus_is_not_empty():
    assert len(NEGATIVE) >= 25 and len(POSITIVE) >= 3


@pytest.mark.parametrize("path", NEGATIVE, ids=lambda p: p.stem)
def test_hostile_scheme_is_refused_with_its_first_line(path, run_cli, monkeypatch):
    monkeypatch.chdir(ROOT)
    shown = str(path.relative_to(ROOT))
    result = run_cli("validate", shown)
    assert result.exit_code == 1, result.stderr
    assert result.stderr.splitlines()[0] == expected_first_line(path, shown)


@pytest.mark.parametrize("path", NEGATIVE, ids=lambda p: p.stem)
def test_hostile_scheme_gets_a_json_report(path, run_cli, monkeypatch):
    monkeypatch.chdir(ROOT)
    shown = str(path.relative_to(ROOT))
    result = run_cli("validate", "--json", shown)
    assert result.exit_code == 1 and result.stderr == ""
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["problems"]
    first = report["problems"][0]
    rendered = f"{first['file']}:{first['line']}:{first['column']}: " + (f"{first['path']}: " if first["path"] else "")
    assert expected_first_line(path, shown) == rendered + first["message"]


@pytest.mark.parametrize("path", POSITIVE, ids=lambda p: p.stem)
def test_odd_but_valid_scheme_passes(path, run_cli):
    result = run_cli("validate", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize("name", ["nested-500-deep", "nul-byte", "extends-list", "weight-nan"])
def test_hostile_scheme_ends_without_a_traceback_in_a_real_process(name, run_cli_subprocess):
    result = run_cli_subprocess("validate", str(HOSTILE / "negative" / f"{name}.yaml"))
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
