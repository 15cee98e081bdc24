"""A stored run that was truncated or edited is a clear message, never an internal error.

`explain` and `render` check result.json against its contract (src/appraisal/schema/
result.schema.json, see appraisal.results.shape) before using it. The property test edits a
real result at random (a key dropped, a value of another type, the file cut short) and drives
`explain` and `render` over it: each ends with exit 0 or 1, never 70.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, run
from appraisal.results.storing import write_run
from contract import undeclared

DATA = Path(__file__).resolve().parent / "data" / "measuring"


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run appraised in Python: format appraisal-result/1, every appraisee in result.json."""
    result = run(load_scheme(DATA / "agent.yaml"), parse_period("2026-Q3"))
    return write_run(result, tmp_path_factory.mktemp("runs") / "q3")


@pytest.fixture(scope="module")
def stored_2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run scored in the engine, as `appraisal run` stores it: format appraisal-result/2."""
    tables = tmp_path_factory.mktemp("tables")
    result = run(load_scheme(DATA / "agent.yaml"), parse_period("2026-Q3"), tables=tables)
    return write_run(result, tmp_path_factory.mktemp("runs") / "q3", tables=tables)


def copied(stored: Path, folder: Path, text: str) -> Path:
    """A copy of the stored run whose result.json holds `text`."""
    copy = folder / "q3"
    shutil.copytree(stored, copy)
    (copy / "result.json").write_text(text, encoding="utf-8")
    return copy


def edited(stored: Path, folder: Path, edit: Callable[[Any], None]) -> Path:
    """A copy of the stored run whose result.json `edit` changed (given the parsed JSON)."""
    data = json.loads((stored / "result.json").read_text(encoding="utf-8"))
    edit(data)
    return copied(stored, folder, json.dumps(data, ensure_ascii=False))


def text_of(stored: Path) -> str:
    return (stored / "result.json").read_text(encoding="utf-8")


def test_a_truncated_result_says_where_it_breaks_off(run_cli, stored: Path, tmp_path: Path) -> None:
    folder = copied(stored, tmp_path, '{\n "format": "appraisal-result/1",\n "scheme": {\n  "id": "measuring-ag')
    result = run_cli("explain", str(folder), "-a", "a1")
    assert (result.exit_code, result.stderr) == (
        1, f"cannot read {folder}/result.json: Unterminated string starting at: line 4 column 9 (char 56)\n")


def test_a_value_of_the_wrong_type_is_named_with_its_place(run_cli, stored: Path, tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        data["appraisees"][1]["cells"][2]["score"] = "high"

    folder = edited(stored, tmp_path, edit)
    result = run_cli("explain", str(folder), "-a", "a1")
    assert (result.exit_code, result.stderr) == (
        1, f"{folder}/result.json is damaged: appraisees[1].cells[2].score: expected a number or null, found a text\n")


def test_a_missing_key_is_named_with_its_place(run_cli, stored: Path, tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        del data["appraisees"][0]["cells"][0]["rows"]

    folder = edited(stored, tmp_path, edit)
    result = run_cli("render", str(folder), "-o", str(tmp_path / "out"), "-q")
    assert (result.exit_code, result.stderr) == (
        1, f"{folder}/result.json is damaged: appraisees[0].cells[0]: the key 'rows' is missing\n")
    assert not (tmp_path / "out").exists()


def test_a_result_that_is_not_an_object_has_no_format(run_cli, stored: Path, tmp_path: Path) -> None:
    folder = copied(stored, tmp_path, "[1, 2, 3]")
    result = run_cli("explain", str(folder), "-a", "a1")
    assert (result.exit_code, result.stderr) == (
        1, f"{folder}/result.json has format None, not appraisal-result/1 or appraisal-result/2\n")


def test_nan_is_not_json(run_cli, stored: Path, tmp_path: Path) -> None:
    folder = copied(stored, tmp_path, text_of(stored).replace('"total": ', '"total": NaN, "was": ', 1))
    result = run_cli("explain", str(folder), "-a", "a1")
    assert (result.exit_code, result.stderr) == (1, f"cannot read {folder}/result.json: NaN is not a JSON value\n")


def test_text_that_is_not_utf8_is_a_clear_message(run_cli, stored: Path, tmp_path: Path) -> None:
    folder = copied(stored, tmp_path, "")
    (folder / "result.json").write_bytes(b'{"format": "\xff"}')
    result = run_cli("explain", str(folder), "-a", "a1")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"cannot read {folder}/result.json: 'utf-8' codec can't decode byte 0xff")


def test_explain_rows_beyond_any_count_shows_every_row(run_cli, stored: Path) -> None:
    result = run_cli("explain", str(stored), "-a", "a1", "-i", "tickets", "--rows", "99999999999999999999")
    assert result.exit_code == 0, result.stderr
    assert "   rows: 3 of a1's rows in tickets fall in the period, 1 excluded; the first 2 counted:" in result.stdout


# --- random edits ------------------------------------------------------------------------------

def _places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _places(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value[:3]):  # the first few of each list: the shapes repeat
            found += _places(item, (*path, i))
    return found


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def edits(draw: st.DrawFn, original: dict[str, Any]) -> tuple[str, Any]:
    """One edit of the stored result: ("cut", length), ("drop", path) or ("set", (path, value))."""
    kind = draw(st.sampled_from(["cut", "drop", "set", "set"]))
    if kind == "cut":
        return kind, draw(st.integers(0, len(json.dumps(original)) - 1))
    path = draw(st.sampled_from(_places(original)[1:]))
    return (kind, path) if kind == "drop" else (kind, (path, draw(_JSON)))


def _apply(data: dict[str, Any], edit: tuple[str, Any]) -> str:
    kind, what = edit
    if kind == "cut":
        return json.dumps(data)[:what]
    path, value = (what, None) if kind == "drop" else what
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    if kind == "drop":
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return json.dumps(data, ensure_ascii=False)


@pytest.fixture(scope="module", params=["format 1", "format 2"])
def edited_run(request: pytest.FixtureRequest) -> tuple[Path, dict[str, Any]]:
    """A stored run of each format (`stored`, `stored_2`) and its result.json, parsed: what the
    random edits start from."""
    folder = request.getfixturevalue("stored" if request.param == "format 1" else "stored_2")
    return folder, json.loads((folder / "result.json").read_text(encoding="utf-8"))


def _edited_copy(run: tuple[Path, dict[str, Any]], edit: tuple[str, Any], tmp_path_factory) -> Path:
    stored, original = run
    folder = tmp_path_factory.mktemp("edited") / "q3"
    shutil.copytree(stored, folder)
    (folder / "result.json").write_text(_apply(json.loads(json.dumps(original)), edit), encoding="utf-8")
    return folder


def _survived(result: Any, edit: tuple[str, Any]) -> None:
    assert result.exit_code in (0, 1), f"{edit}: exit {result.exit_code}: {result.stderr}"
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_edit_makes_explain_fail_internally(run_cli, edited_run: tuple[Path, dict[str, Any]], tmp_path_factory,
                                               data: st.DataObject) -> None:
    edit = data.draw(edits(edited_run[1]))
    folder = _edited_copy(edited_run, edit, tmp_path_factory)
    for args in (["-a", "a1"], ["-a", "a2", "-i", "resolution_rate"]):
        _survived(run_cli("explain", str(folder), *args), edit)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_edit_makes_render_fail_internally(run_cli, edited_run: tuple[Path, dict[str, Any]], tmp_path_factory,
                                              data: st.DataObject) -> None:
    edit = data.draw(edits(edited_run[1]))
    folder = _edited_copy(edited_run, edit, tmp_path_factory)
    _survived(run_cli("render", str(folder), "-o", str(folder.parent / "out"), "-f", "html,md,xlsx", "-q"), edit)


@pytest.mark.parametrize("edit", [("set", (("scheme", "title", "en"), "\x1f")),
                                  ("set", (("scheme", "quadrant"), {"": None})),
                                  ("set", (("scheme", "quadrant"), {"x": "nowhere", "y": "fcr", "x_line": 0,
                                                                    "y_line": 1}))],
                         ids=["a control character in the title", "a quadrant without axes",
                              "a quadrant on an unknown indicator"])
def test_edits_the_property_test_found_are_rendered_or_a_message(run_cli, stored_2: Path, tmp_path_factory,
                                                                  edit: tuple[str, Any]) -> None:
    original = json.loads((stored_2 / "result.json").read_text(encoding="utf-8"))
    folder = _edited_copy((stored_2, original), edit, tmp_path_factory)
    _survived(run_cli("render", str(folder), "-o", str(folder.parent / "out"), "-f", "html,md,xlsx", "-q"), edit)


# --- the contract covers what is written --------------------------------------------------------

def test_every_key_a_run_writes_is_declared_in_the_contract(stored: Path) -> None:
    """An undeclared key is never type-checked, so an edit to it reaches the renderers unchecked
    (a quality row's `rows` set to a list once ended `render` in an internal error)."""
    data = json.loads(text_of(stored))
    assert data["quality"], "the fixture run must have quality rows for this test to mean anything"
    assert undeclared(data) == []



def test_a_quality_count_of_the_wrong_type_is_named_with_its_place(run_cli, stored: Path, tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        data["quality"][1]["rows"] = []

    folder = edited(stored, tmp_path, edit)
    result = run_cli("render", str(folder), "-o", str(tmp_path / "out"), "-f", "xlsx", "-q")
    assert (result.exit_code, result.stderr) == (
        1, f"{folder}/result.json is damaged: quality[1].rows: expected a whole number or null, found a list\n")
