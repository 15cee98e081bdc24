"""The example help-desk source: installed as a package, loaded through its entry point.

The export in data/export.json, by hand (scheme data/helpdesk.yaml, period 2026-Q3, UTC):

    a1  T-1 1.5 h good   T-2 4 h bad   T-3 1 h offered (created 10:00+08:00 = 02:00Z)
        T-4 1 h good (30 Sep 20:00Z, still Q3)
        first reply: median(1, 1, 1.5, 4) = 1.25 h; satisfaction: good 2 of rated 3
    a2  T-5 2 h good   T-6 no reply, not rated   T-8 6 h bad   T-7 is in Q4 (outside)
        first reply: median(2, 6) = 4 h (T-6 has no reply); satisfaction: 1 of 2
    a3  no tickets: insufficient data
    a9  T-9: not on the roster, counted as an unknown appraisee
"""

from __future__ import annotations

import json
import shutil
from importlib.metadata import version
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
SCHEME = DATA / "helpdesk.yaml"



def _copy_scheme(tmp_path: Path, export: str) -> Path:
    shutil.copy(SCHEME, tmp_path / SCHEME.name)
    shutil.copy(DATA / "roster.csv", tmp_path / "roster.csv")
    (tmp_path / "export.json").write_text(export, encoding="utf-8")
    return tmp_path / SCHEME.name


def test_plugins_lists_it_with_its_version_and_hook(run_cli) -> None:
    result = run_cli("plugins", "--json")
    assert result.exit_code == 0, result.stderr
    [mine] = [p for p in json.loads(result.stdout) if p["name"] == "helpdesk"]
    assert mine == {
        "name": "helpdesk",
        "version": version("appraisal-helpdesk-source"),
        "hooks": ["register_sources"],
        "source": "entrypoint",
    }
    assert mine["version"] == "0.1.0"


def test_the_reader_is_registered_by_name() -> None:
    from appraisal import plugins

    reader = plugins.extensions().sources.get("helpdesk")
    assert reader.plugin == "helpdesk"
    assert reader.suffixes == (".json",)


def test_the_export_is_flattened_inside_duckdb_as_a_view_of_text() -> None:
    import duckdb
    from appraisal_helpdesk_source import COLUMNS, load_helpdesk

    from appraisal.scheme.model import Source

    connection = duckdb.connect()
    load_helpdesk(connection, "raw", Source("helpdesk", DATA / "export.json", {}))
    described = connection.execute("DESCRIBE raw").fetchall()
    assert [(row[0], row[1]) for row in described] == [(name, "VARCHAR") for name in COLUMNS]
    [(views,)] = connection.execute(
        "SELECT count(*) FROM duckdb_views() WHERE view_name = 'raw'"
    ).fetchall()
    assert views == 1  # the rows stay in the file until the engine types them
    rows = {row[0]: row for row in connection.execute("SELECT * FROM raw").fetchall()}
    assert len(rows) == 9
    assert rows["T-1"] == (
        "T-1", "a1", "Wang Fang", "2026-07-01T09:00:00Z", "2026-07-01T10:30:00Z",
        "2026-07-01T15:00:00Z", "solved", "chat", "good",
    )
    # Nulls stay empty, whether the field or the object holding it is null.
    assert rows["T-6"][4] is None and rows["T-6"][8] is None
    assert rows["T-3"][8] == "offered"


def test_first_reply_hours_and_satisfaction_by_hand(run_cli) -> None:
    result = run_cli("measure", str(SCHEME), "--period", "2026-Q3", "--json")
    assert result.exit_code == 0, result.stderr
    measured = json.loads(result.stdout)
    values = {(v["appraisee"], v["indicator"]): v for v in measured["values"]}
    assert values["a1", "first_reply_h"]["value"] == pytest.approx(1.25)
    assert values["a1", "first_reply_h"]["rows"] == 4
    assert values["a1", "satisfaction"]["value"] == pytest.approx(2 / 3)
    assert values["a1", "satisfaction"]["rows"] == 3
    assert values["a2", "first_reply_h"]["value"] == pytest.approx(4.0)
    assert values["a2", "satisfaction"]["value"] == pytest.approx(0.5)
    assert values["a3", "first_reply_h"]["status"] == "insufficient data"
    quality = {(q["cause"], q["column"]): q["count"] for q in measured["quality"]}
    assert quality == {("unknown appraisee", "agent_id"): 1, ("outside period", "created_at"): 1}


def test_a_malformed_export_is_one_clear_error_naming_the_file(tmp_path: Path, run_cli) -> None:
    scheme = _copy_scheme(tmp_path, '{"export": {"tickets": [{"id": "T-1",, }]}}')
    result = run_cli("measure", str(scheme), "--period", "2026-Q3")
    assert result.exit_code == 1
    assert "export.json is not a readable help-desk export: " in result.stderr
    assert "Malformed JSON" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_json_that_is_not_an_export_is_refused(tmp_path: Path, run_cli) -> None:
    scheme = _copy_scheme(tmp_path, '{"tickets": [{"id": "T-1"}]}')
    result = run_cli("measure", str(scheme), "--period", "2026-Q3")
    assert result.exit_code == 1
    assert (
        'export.json is not a help-desk export: expected one JSON object {"export": {"tickets": [...]}}'
        in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_without_the_plugin_the_source_is_unknown(
    monkeypatch: pytest.MonkeyPatch, run_cli
) -> None:
    from appraisal import plugins

    monkeypatch.setenv("APPRAISAL_LOAD_PLUGINS", "")
    plugins.reset()
    result = run_cli("measure", str(SCHEME), "--period", "2026-Q3")
    assert result.exit_code == 1
    assert "unknown source 'helpdesk'" in result.stderr
