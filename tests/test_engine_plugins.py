"""Custom indicators on every engine: a plugin's SQL runs through an `EngineSession` on the engine
the run measures on, and a plugin that cannot run there is refused before any file is read.

The example plugin (plugins/repeat_contacts.py) declares `engines=("*",)` and spells its SQL
through the session's dialect; `DUCKDB_ONLY` below is a plugin written for DuckDB alone, as
every plugin is unless it says otherwise.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from appraisal import plugins
from appraisal.errors import DataError, PluginError
from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, measure

ROOT = Path(__file__).resolve().parent.parent
CUSTOM = ROOT / "tests" / "data" / "measuring" / "custom.yaml"
Q3 = parse_period("2026-Q3")

DUCKDB_ONLY = """
from appraisal import CustomIndicator, hookimpl

def tickets(connection, roster):
    return connection.execute("SELECT CAST(agent_id AS VARCHAR), count(*), count(*) FROM tickets GROUP BY 1")

@hookimpl
def register_indicators(register):
    register(CustomIndicator("repeat_contacts", tickets))
"""

TAKES_CONNECTION = DUCKDB_ONLY.replace('tickets))', 'tickets, engines=("*",)))')

BROKEN_SQL = """
from appraisal import ANY_ENGINE, CustomIndicator, hookimpl

def broken(session):
    return session.execute("SELECT no_such_column FROM tickets")

@hookimpl
def register_indicators(register):
    register(CustomIndicator("repeat_contacts", broken, engines=(ANY_ENGINE,)))
"""


@pytest.fixture
def example_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    """Load plugins/repeat_contacts.py, and nothing else installed."""
    monkeypatch.setenv("APPRAISAL_LOAD_PLUGINS", "repeat_contacts")
    plugins.set_plugins_dir(ROOT / "plugins")


def own_plugin(folder: Path, source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Load `source` as the plugin `repeat_contacts` (the name custom.yaml asks for)."""
    folder.mkdir()
    (folder / "repeat_contacts.py").write_text(textwrap.dedent(source), encoding="utf-8")
    monkeypatch.setenv("APPRAISAL_LOAD_PLUGINS", "repeat_contacts")
    monkeypatch.setenv("APPRAISAL_PLUGINS_DIR", str(folder))
    plugins.set_plugins_dir(folder)


def test_the_example_plugin_gives_the_same_values_on_every_engine(example_plugin, remote) -> None:
    engine, settings = remote
    scheme = load_scheme(CUSTOM)
    here = measure(scheme, Q3)
    there = measure(scheme, Q3, engine=engine, settings=settings)
    # a1: t01 is followed by t02 of the same customer within 7 days; t02 and t03 are not.
    assert (there.cell("a1", "repeat_rate").value, there.cell("a1", "repeat_rate").rows) == (1 / 3, 3)
    assert there.cells == here.cells


def test_a_session_names_its_engine_and_dialect(example_plugin, remote) -> None:
    from appraisal.engines.duckdb_engine import Engine
    from appraisal.measuring.custom import EngineSession

    engine, settings = remote
    kind = plugins.extensions().engines.require(engine)
    with Engine(__import__("duckdb").connect()) as local:
        local.remote = kind.connect(settings)
        session = EngineSession(local)
        assert (session.name, session.dialect.name) == (engine, engine)
        odd = session.quote('a"b')
        assert session.execute(f"SELECT {odd} FROM (SELECT 1 AS {odd}) AS t") == [(1,)]


def test_a_duckdb_only_plugin_is_refused_by_validate_on_another_engine_with_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli
) -> None:
    own_plugin(tmp_path / "plugins", DUCKDB_ONLY, monkeypatch)
    result = run_cli("validate", "--engine", "postgres", str(CUSTOM))
    assert result.exit_code == 1
    assert ("custom.yaml:25:15: indicators[1].custom.plugin: custom indicator 'repeat_contacts' (plugin "
            "'repeat_contacts') runs on duckdb, not on postgres") in result.stderr
    assert run_cli("validate", str(CUSTOM)).exit_code == 0  # on DuckDB it runs


def test_validate_names_an_unknown_engine(run_cli) -> None:
    result = run_cli("validate", "--engine", "postgress", str(ROOT / "schemes" / "agent.yaml"))
    assert result.exit_code == 1
    assert "unknown engine 'postgress'; did you mean 'postgres'?" in result.stderr


def test_validate_json_reports_an_unknown_engine_as_a_problem_without_a_file(run_cli) -> None:
    result = run_cli("validate", "--json", str(ROOT / "schemes" / "designer.yaml"), "--engine", "postgress")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"ok": False, "schemes": [], "problems": [
        {"file": None, "line": None, "column": None, "path": None,
         "message": "unknown engine 'postgress'; did you mean 'postgres'?"}]}


def test_a_run_on_an_engine_its_plugin_cannot_use_stops_before_reading_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own_plugin(tmp_path / "plugins", DUCKDB_ONLY, monkeypatch)
    moved = tmp_path / "custom.yaml"
    moved.write_bytes(CUSTOM.read_bytes())  # beside no data at all: a file read would fail first
    with pytest.raises(DataError, match=r"^indicator 'repeat_rate': custom indicator 'repeat_contacts' "
                       r"\(plugin 'repeat_contacts'\) runs on duckdb, not on spark"):
        measure(load_scheme(moved), Q3, engine="spark", settings={"master": "local[1]"})


def test_a_plugin_that_takes_duckdbs_connection_is_refused_on_another_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres
) -> None:
    own_plugin(tmp_path / "plugins", TAKES_CONNECTION, monkeypatch)
    with pytest.raises(PluginError, match="takes 'connection', DuckDB's, but the run measures on postgres"):
        measure(load_scheme(CUSTOM), Q3, engine="postgres", settings={"dsn": postgres.dsn})


def test_sql_the_engine_refuses_is_a_plugin_error_naming_the_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own_plugin(tmp_path / "plugins", BROKEN_SQL, monkeypatch)
    with pytest.raises(PluginError, match=r"custom indicator 'repeat_contacts' \(plugin 'repeat_contacts'\): "
                       "DuckDB could not run the query: .*no_such_column"):
        measure(load_scheme(CUSTOM), Q3)


def test_plugins_lists_each_custom_indicator_with_the_engines_it_runs_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli
) -> None:
    own_plugin(tmp_path / "plugins", DUCKDB_ONLY, monkeypatch)
    header, row = run_cli("plugins").stdout.split("\n\n")[2].splitlines()
    assert header.split() == ["INDICATOR", "PLUGIN", "ENGINES", "WHAT"]
    assert row.split()[:3] == ["repeat_contacts", "repeat_contacts", "duckdb"]


def test_plugins_says_the_example_plugin_runs_on_any_engine(example_plugin, run_cli) -> None:
    _, row = run_cli("plugins").stdout.split("\n\n")[2].splitlines()
    assert row.split()[:3] == ["repeat_contacts", "repeat_contacts", "any"]
