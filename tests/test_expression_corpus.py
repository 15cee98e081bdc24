"""Every file in tests/negative/expressions/ holds one bad expression that must be refused.

Each file is a complete scheme (a copy of schemes/agent.yaml) whose first line names the
expected message (`# error: ...`) and whose second line repeats the bad expression
(`# expression: ...`). The files about subscripts may also declare a map constant
(`handling_target_h: {...}`), so that the misuse of a real map is what gets refused. The CLI
test runs `appraisal validate` over the same files; this one checks the expression language
on its own, with the names the file declares. After changing schemes/agent.yaml, move the
corpus onto it with tests/regenerate_expression_corpus.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from appraisal.errors import ExpressionError
from appraisal.expressions.parsing import NameKind, parse_expression
from appraisal.plugins import default_functions

ROOT = Path(__file__).resolve().parents[1]
CORPUS = sorted((ROOT / "tests" / "negative" / "expressions").glob("*.yaml"))
AGENT = yaml.safe_load((ROOT / "schemes" / "agent.yaml").read_text(encoding="utf-8"))


def declared_names(path: Path) -> dict[str, NameKind]:
    scheme = yaml.safe_load(path.read_text(encoding="utf-8"))
    names = {column: NameKind.COLUMN for column in scheme["datasets"]["tickets"]["columns"]}
    names.update({i["id"]: NameKind.INDICATOR for i in scheme["indicators"]})
    names.update({c: NameKind.MAPPING if isinstance(v, dict) else NameKind.CONSTANT
                  for c, v in scheme.get("constants", {}).items()})
    return names


def header(path: Path) -> tuple[str, str]:
    first, second = path.read_text(encoding="utf-8").splitlines()[:2]
    assert first.startswith("# error: "), f"{path.name}: first line must be '# error: ...'"
    assert second.startswith("# expression: "), f"{path.name}: second line is the expression"
    return first.removeprefix("# error: "), second.removeprefix("# expression: ")


def strings(node: object) -> list[str]:
    if isinstance(node, dict):
        return [s for value in node.values() for s in strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in strings(value)]
    return [node] if isinstance(node, str) else []


def test_corpus_covers_the_refused_constructs() -> None:
    assert len(CORPUS) >= 15


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_expression_is_refused_with_the_named_message(path: Path) -> None:
    expected, expression = header(path)
    with pytest.raises(ExpressionError) as caught:
        parse_expression(expression, names=declared_names(path), functions=default_functions())
    assert expected in caught.value.message


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_file_is_agent_scheme_with_exactly_that_one_expression_changed(path: Path) -> None:
    _, expression = header(path)
    scheme = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert strings(scheme).count(expression) == 1
    assert sum(indicator["weight"] for indicator in scheme["indicators"]) == 100
    assert len(strings(scheme)) == len(strings(AGENT))
    changed = [a for a, b in zip(strings(scheme), strings(AGENT), strict=True) if a != b]
    assert changed == [expression]
    added = set(scheme.get("constants", {})) - set(AGENT.get("constants", {}))
    assert all(isinstance(scheme["constants"][name], dict) for name in added), "only map constants"
