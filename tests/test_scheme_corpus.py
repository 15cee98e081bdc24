"""The example corpus: every negative scheme is refused with its exact first line, every
positive scheme (and every shipped scheme) passes. The files are the specification; each
negative file's first line says what `appraisal validate` must print first."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NEGATIVE = sorted((ROOT / "tests" / "negative" / "schemes").glob("*.yaml"))
SHIPPED = sorted(p for p in (ROOT / "schemes").glob("*.yaml") if not p.name.startswith("_"))  # _*: presets, not schemes
POSITIVE = sorted((ROOT / "tests" / "positive" / "schemes").glob("*.yaml")) + SHIPPED


def expected_first_line(path: Path, shown: str) -> str:
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("# error: "), f"{path.name} must start with '# error: <first line>'"
    return header.removeprefix("# error: ").replace("{file}", shown)


def test_the_corpora_are_not_empty():
    assert len(NEGATIVE) >= 40 and len(POSITIVE) >= 5


@pytest.mark.parametrize("path", NEGATIVE, ids=lambda p: p.stem)
def test_negative_scheme_is_rejected_with_its_first_line(path, run_cli, monkeypatch):
    monkeypatch.chdir(ROOT)
    shown = str(path.relative_to(ROOT))
    result = run_cli("validate", shown)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == expected_first_line(path, shown)


@pytest.mark.parametrize("path", POSITIVE, ids=lambda p: p.stem)
def test_positive_scheme_passes(path, run_cli):
    result = run_cli("validate", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""


EXPRESSIONS = sorted((ROOT / "tests" / "negative" / "expressions").glob("*.yaml"))


def test_the_expression_corpus_is_not_empty():
    assert len(EXPRESSIONS) >= 20


@pytest.mark.parametrize("path", EXPRESSIONS, ids=lambda p: p.stem)
def test_unsafe_expression_is_refused_by_validate_with_its_message(path, run_cli):
    expected = path.read_text(encoding="utf-8").splitlines()[0].removeprefix("# error: ")
    result = run_cli("validate", str(path))
    assert result.exit_code == 1
    assert expected in result.stderr.splitlines()[0]
