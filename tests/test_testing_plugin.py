"""appraisal.testing: the fixtures a plugin or pack author's tests get by installing appraisal.

The fixtures are used here as an author uses them; the tests that need a project of their own
(no conftest.py, nothing of this suite's set-up, the machine's installed plugins visible) run
pytest in a child process on a folder written for the test.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from appraisal import load_scheme
from appraisal.testing import CliResult, IsolatedPlugins, SchemeWriter

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "plugins.md"


# --- write_scheme ------------------------------------------------------------------------------


def test_write_scheme_writes_into_the_tests_tmp_path(write_scheme: SchemeWriter, tmp_path: Path) -> None:
    path = write_scheme("scheme: x\n")
    assert (path, write_scheme.folder) == (tmp_path / "scheme.yaml", tmp_path)


def test_write_scheme_dedents_text(write_scheme: SchemeWriter) -> None:
    path = write_scheme(
        """
        scheme: x
        datasets:
          tickets: {source: csv}
        """
    )
    assert path.read_text(encoding="utf-8") == "scheme: x\ndatasets:\n  tickets: {source: csv}\n"


def test_write_scheme_dumps_a_mapping_as_yaml_in_its_order(write_scheme: SchemeWriter) -> None:
    scheme = {"scheme": "x", "title": {"en": "Agent", "zh": "专员"}, "version": 1}
    path = write_scheme(scheme, name="x.yaml")
    assert path.name == "x.yaml"
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == scheme
    assert path.read_text(encoding="utf-8").startswith("scheme: x\ntitle:\n  en: Agent\n  zh: 专员\n")


def test_write_scheme_writes_rows_as_csv_with_none_as_an_empty_cell(write_scheme: SchemeWriter) -> None:
    write_scheme("scheme: x\n", {"data/tickets.csv": [("id", "note"), ("t1", None), ("t2", "a, b")]})
    text = (write_scheme.folder / "data" / "tickets.csv").read_text(encoding="utf-8")
    assert text == 'id,note\nt1,\nt2,"a, b"\n'


def test_write_scheme_writes_bytes_as_they_are_and_copies_paths(write_scheme: SchemeWriter, tmp_path: Path) -> None:
    original = tmp_path / "original.json"
    original.write_text('{"a": 1}', encoding="utf-8")
    write_scheme(original, {"gbk.csv": "名字\n".encode("gbk"), "copy.json": original}, name="copied.yaml")
    assert (tmp_path / "gbk.csv").read_bytes() == "名字\n".encode("gbk")
    assert (tmp_path / "copy.json").read_text(encoding="utf-8") == '{"a": 1}'
    assert (tmp_path / "copied.yaml").read_text(encoding="utf-8") == '{"a": 1}'


@pytest.mark.parametrize("outside", ["../escape.csv", "/tmp/escape.csv"])
def test_write_scheme_refuses_a_path_outside_its_folder(write_scheme: SchemeWriter, outside: str) -> None:
    with pytest.raises(ValueError, match="is not a relative path below it"):
        write_scheme("scheme: x\n", {outside: "a\n"})


MINIMAL = """
    scheme: minimal
    version: 1
    title: Minimal
    period: month
    roster: {source: csv, path: roster.csv, key: agent_id}
    datasets:
      tickets:
        source: csv
        path: tickets.csv
        appraisee: agent_id
        period_by: created_at
        columns: {agent_id: text, created_at: timestamp, status: text}
    indicators:
      - id: resolved
        title: Resolved tickets
        measure: {dataset: tickets, agg: count, where: "status == 'resolved'"}
        target: 2
        score: {curve: linear, worst: 0, best: 3, cap: 120}
        weight: 100
    grades: {A: 90, B: 60, C: 0}
"""
TICKETS = [
    ("agent_id", "created_at", "status"),
    ("a1", "2026-09-01 09:00", "resolved"),
    ("a1", "2026-09-02 09:00", "resolved"),
    ("a1", "2026-09-03 09:00", "open"),
    ("a2", "2026-09-04 09:00", "resolved"),
    ("a2", "2026-10-01 09:00", "resolved"),  # October: outside the period
]


def test_a_written_scheme_loads_with_its_data(write_scheme: SchemeWriter) -> None:
    scheme = load_scheme(write_scheme(MINIMAL, {"roster.csv": "agent_id\na1\na2\n", "tickets.csv": TICKETS}))
    assert scheme.id == "minimal"
    assert scheme.datasets["tickets"].source.path == write_scheme.folder / "tickets.csv"


# --- run_cli -----------------------------------------------------------------------------------


def test_run_cli_measures_a_written_scheme_by_hand(write_scheme: SchemeWriter, run_cli) -> None:
    scheme = write_scheme(MINIMAL, {"roster.csv": "agent_id\na1\na2\n", "tickets.csv": TICKETS})
    result = run_cli("measure", str(scheme), "--period", "2026-09", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    measured = json.loads(result.stdout)
    assert {v["appraisee"]: v["value"] for v in measured["values"]} == {"a1": 2, "a2": 1}
    assert {(q["cause"], q["count"]) for q in measured["quality"]} == {("outside period", 1)}


def test_run_cli_keeps_stdout_and_stderr_apart_with_the_exit_code(tmp_path: Path, run_cli) -> None:
    result = run_cli("validate", str(tmp_path / "missing.yaml"))
    assert isinstance(result, CliResult)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "missing.yaml" in result.stderr and "Traceback" not in result.stderr


def test_run_cli_sets_and_removes_variables_for_one_run(run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPRAISAL_LOAD_PLUGINS", "")
    named = run_cli("plugins", env={"APPRAISAL_LOAD_PLUGINS": "nothing-installed"})
    assert named.exit_code == 1
    assert "APPRAISAL_LOAD_PLUGINS names plugin(s) that are not installed: nothing-installed" in named.stderr
    assert os.environ["APPRAISAL_LOAD_PLUGINS"] == ""


# --- appraisal_plugins -------------------------------------------------------------------------


def test_appraisal_plugins_without_a_marker_loads_the_built_ins_alone(appraisal_plugins: IsolatedPlugins) -> None:
    assert appraisal_plugins.names == ()
    assert {p.source for p in appraisal_plugins.plugins} == {"builtin"}
    assert "retail" not in appraisal_plugins.packs  # installed in this environment, yet not loaded


@pytest.mark.appraisal_plugins("repeat_contacts", plugins_dir=ROOT / "plugins")
def test_the_marker_names_the_plugins_that_load(appraisal_plugins: IsolatedPlugins) -> None:
    assert [p.name for p in appraisal_plugins.plugins if p.source != "builtin"] == ["repeat_contacts"]
    assert appraisal_plugins.indicators.get("repeat_contacts").plugin == "repeat_contacts"
    assert os.environ["APPRAISAL_LOAD_PLUGINS"] == "repeat_contacts"


@pytest.mark.appraisal_plugins("retail")
def test_the_marker_isolates_a_test_that_does_not_ask_for_the_fixture(run_cli) -> None:
    result = run_cli("plugins", "--json")
    assert result.exit_code == 0, result.stderr
    assert [p["name"] for p in json.loads(result.stdout) if p["source"] != "builtin"] == ["retail"]


def test_load_switches_the_plugins_within_a_test(appraisal_plugins: IsolatedPlugins) -> None:
    appraisal_plugins.load("helpdesk", "retail")
    assert "helpdesk" in appraisal_plugins.sources and "retail" in appraisal_plugins.packs
    appraisal_plugins.load()
    assert "helpdesk" not in appraisal_plugins.sources and "retail" not in appraisal_plugins.packs


def test_the_validation_cache_is_a_temporary_folder(appraisal_plugins: IsolatedPlugins) -> None:
    cache = Path(os.environ["APPRAISAL_CACHE_DIR"])
    assert cache.name.startswith("appraisal-cache")
    assert Path.home() not in cache.parents


# --- in a project of its own -------------------------------------------------------------------


def _pytest_in(folder: Path) -> subprocess.CompletedProcess[str]:
    """pytest on `folder` as a plugin author runs it: none of this suite's set-up, and every
    installed plugin visible (APPRAISAL_LOAD_PLUGINS unset, as on an author's machine)."""
    (folder / "pytest.ini").write_text("[pytest]\naddopts = --strict-markers\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("APPRAISAL_LOAD_PLUGINS", "APPRAISAL_PLUGINS_DIR")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
        cwd=folder, env=env, capture_output=True, text=True, timeout=300, check=False,
    )


def python_block(heading: str) -> str:
    """The first ```python block after `heading` in docs/plugins.md."""
    text = DOCS.read_text(encoding="utf-8")
    start = text.index("```python\n", text.index(f"\n{heading}\n")) + len("```python\n")
    return text[start : text.index("```", start)]


def test_a_project_of_its_own_gets_the_fixtures_by_installing_appraisal(tmp_path: Path) -> None:
    (tmp_path / "test_fixtures.py").write_text(
        '''
import os

import pytest


def test_untouched_without_the_marker_or_the_fixture():
    assert "APPRAISAL_LOAD_PLUGINS" not in os.environ


def test_the_fixture_alone_loads_the_built_ins(appraisal_plugins):
    assert {p.source for p in appraisal_plugins.plugins} == {"builtin"}


@pytest.mark.appraisal_plugins("helpdesk")
def test_the_marker_loads_one_installed_plugin(appraisal_plugins, run_cli, write_scheme):
    assert [p.name for p in appraisal_plugins.plugins if p.source != "builtin"] == ["helpdesk"]
''',
        encoding="utf-8",
    )
    child = _pytest_in(tmp_path)
    assert child.returncode == 0, child.stdout + child.stderr
    assert re.search(r"\b3 passed\b", child.stdout), child.stdout


def test_the_docs_testing_example_passes_against_the_docs_plugin(tmp_path: Path) -> None:
    (tmp_path / "percent.py").write_text(python_block("## A complete example"), encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_percent.py").write_text(python_block("## Testing a plugin"), encoding="utf-8")
    child = _pytest_in(tmp_path)
    assert child.returncode == 0, child.stdout + child.stderr
    assert re.search(r"\b3 passed\b", child.stdout), child.stdout
