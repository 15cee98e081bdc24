"""Fuzzing `validate` with broken schemes: every outcome is a pass or problems located by file
and line, never an exception that the CLI would report as an internal error (exit 70).

The broken schemes start from every positive and shipped scheme and replace, delete or add
values anywhere with hostile ones (lists where names go, NaN, texts where mappings go, ...),
so every stage is reached: the loader, `extends` and `strategy`, the schema, the lint of the
parts that passed (see appraisal.scheme.schema_parts), the names, the data roots. (Random YAML text and
random expressions are tests/test_fuzz.py's.) CI runs a fixed set of cases in some 20 seconds;
`APPRAISAL_SOAK=N` draws N fresh ones.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appraisal.plugins import extensions
from appraisal.scheme.loading import load_file
from appraisal.scheme.validation import validate_files

ROOT = Path(__file__).resolve().parent.parent
STARTS = sorted((ROOT / "tests" / "positive" / "schemes").glob("*.yaml")) + sorted(
    p for p in (ROOT / "schemes").glob("*.yaml") if not p.name.startswith("_"))
DOCUMENTS = [load_file(path).data for path in STARTS]
SOAK = int(os.environ.get("APPRAISAL_SOAK") or 0)

HOSTILE: list[Any] = [
    None, True, 0, -1, 1e300, 1.5, float("nan"), float("inf"), "", " ", "x", "agent", "a b", "tickets",
    "resolved", "rеsolved", "../x.yaml", "/etc/passwd", "a\x00b", [], [1], ["x"], [[1]], {}, {"a": 1},
    {"id": "x"}, {"id": ["x"]}, [{"id": ["x"]}], "status == 'x'", "1/0", "((", "x" * 200, "cost-led",
    {"dataset": "tickets", "agg": "count"}, {"curve": "linear", "worst": 0, "best": 1},
]
KEYS = ["extends", "strategy", "datasets", "indicators", "constants", "grades", "roster", "ratings", "zz", "x-a"]


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*path, i))
    return found


@st.composite
def broken_schemes(draw: st.DrawFn) -> Any:
    data = copy.deepcopy(draw(st.sampled_from(DOCUMENTS)))
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace" or not isinstance(parent, dict):
            parent[path[-1]] = copy.deepcopy(draw(st.sampled_from(HOSTILE)))
        elif action == "delete":
            del parent[path[-1]]
        else:
            parent[draw(st.sampled_from(KEYS))] = copy.deepcopy(draw(st.sampled_from(HOSTILE)))
    return data


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where each broken scheme is written, removed with pytest's other temporary folders."""
    return tmp_path_factory.mktemp("fuzz")


def _validate(folder: Path, text: str) -> None:
    path = folder / "scheme.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    for problem in validate_files([path], extensions()):
        assert problem.file and problem.line is not None and problem.message, problem


@settings(max_examples=SOAK or 150, deadline=None, derandomize=not SOAK, suppress_health_check=[HealthCheck.too_slow])
@given(broken_schemes())
def test_a_broken_scheme_is_refused_with_located_problems_or_passes(folder, data):
    _validate(folder, yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
