"""Measuring: real files through the engine and the compiled queries, nobody lost.

The schemes and data are in tests/data/measuring/; tickets.csv carries one of every defect
(an excluded row, a negative duration, a duplicate ticket, an unknown agent, a row just outside
the quarter, an unparseable date, one at its last second).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from appraisal import plugins
from appraisal.errors import SchemeError
from appraisal.measuring.measurements import ABSENT, INSUFFICIENT, JOINED, LEFT
from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, measure

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "measuring"
Q3 = parse_period("2026-Q3")


@pytest.fixture(scope="module")
def agents():
    return measure(load_scheme(DATA / "agent.yaml"), Q3)


def test_every_roster_member_is_measured(agents):
    assert [a.id for a in agents.appraisees] == ["a1", "a2", "a3", "a4"]
    assert len(agents.cells) == 4 * 5


def test_a_member_without_rows_has_insufficient_data_not_zero(agents):
    cell = agents.cell("a4", "tickets")
    assert (cell.value, cell.rows, cell.status) == (None, 0, INSUFFICIENT)


def test_roster_details_and_employment_flags(agents):
    by_id = {a.id: a for a in agents.appraisees}
    assert (by_id["a1"].name, by_id["a1"].team, by_id["a1"].manager, by_id["a1"].flags) == ("Ann", "north", "m1", ())
    assert by_id["a2"].flags == (LEFT,)
    assert by_id["a3"].flags == (JOINED,)
    assert by_id["a4"].flags == (ABSENT,)


def test_values_from_the_rows_by_hand(agents):
    # a1 in Q3: t01 (1 h to respond, resolved) and t02 (3 h, open); t03 is excluded, t07 is in
    # Q4, t08 has no readable date. Surveys: s1 (5) on t01, s2 (3) on t02.
    assert agents.cell("a1", "tickets").value == 2
    assert agents.cell("a1", "first_response_h").value == 2.0
    assert agents.cell("a1", "resolution_rate").value == 0.5
    assert agents.cell("a1", "csat").value == 0.5


def test_the_first_of_duplicate_rows_is_kept(agents):
    # t05 appears twice; the first copy has no first response, so only t04 (2 h) has one.
    cell = agents.cell("a2", "first_response_h")
    assert (cell.value, cell.rows) == (2.0, 1)
    assert agents.cell("a2", "tickets").value == 2


def test_the_last_second_of_the_quarter_counts(agents):
    assert agents.cell("a3", "tickets").value == 1


def test_every_dropped_row_is_counted_by_cause(agents):
    counts = {(c.dataset, c.cause): c.count for c in agents.quality}
    assert counts == {
        ("tickets", "unparseable timestamp"): 1,
        ("tickets", "negative duration"): 1,
        ("tickets", "duplicate key"): 1,
        ("tickets", "unknown appraisee"): 1,
        ("tickets", "outside period"): 1,
        ("tickets", "no period value"): 1,
        ("tickets", "excluded: supplier batch"): 1,
        ("surveys", "outside period"): 1,
        ("ratings", "self rating"): 1,
        ("ratings", "rating outside scale"): 1,
        ("ratings", "unknown indicator"): 1,
        ("ratings", "unknown appraisee"): 1,
    }


def test_each_dataset_is_one_query(agents):
    assert sorted(agents.queries) == ["ratings", "surveys", "tickets"]
    assert agents.queries["tickets"].indicators == ("tickets", "first_response_h", "resolution_rate")


def test_results_are_the_same_on_one_thread_and_two(agents):
    again = measure(load_scheme(DATA / "agent.yaml"), Q3, threads=1)
    assert again.cells == agents.cells and again.quality == agents.quality


def test_team_appraisees_aggregate_their_members_rows():
    teams = measure(load_scheme(DATA / "team.yaml"), Q3)
    # north = a1 + a2: t01..t05 (no exclusion in this scheme); south = a3: t09; east: nobody.
    assert [(a.id, teams.cell(a.id, "team_tickets").value) for a in teams.appraisees] == [
        ("east", None),
        ("north", 5),
        ("south", 1),
    ]


def test_surveys_reach_a_team_through_a_chain_of_joins():
    teams = measure(load_scheme(DATA / "team.yaml"), Q3)
    assert teams.cell("north", "team_csat").value == pytest.approx(2 / 3)


@pytest.fixture
def example_plugin(monkeypatch):
    """Load plugins/repeat_contacts.py, and nothing else installed."""
    monkeypatch.setenv("APPRAISAL_LOAD_PLUGINS", "repeat_contacts")
    plugins.set_plugins_dir(ROOT / "plugins")


def test_custom_indicator_from_the_example_plugin(example_plugin):
    result = measure(load_scheme(DATA / "custom.yaml"), Q3)
    # a1: t01 is followed by t02 of the same customer within 7 days; t02 and t03 are not.
    cell = result.cell("a1", "repeat_rate")
    assert (cell.value, cell.rows, cell.source) == (pytest.approx(1 / 3), 3, "plugin repeat_contacts")
    assert result.cell("a4", "repeat_rate").status == INSUFFICIENT


def test_custom_indicator_without_its_plugin_is_a_scheme_problem_with_its_line():
    with pytest.raises(SchemeError) as raised:
        load_scheme(DATA / "custom.yaml")
    [problem] = raised.value.problems
    assert (problem.line, problem.path) == (25, "indicators[1].custom.plugin")
    assert problem.message.startswith("unknown custom indicator 'repeat_contacts'; no custom indicator is registered")


def test_hook_register_indicators(example_plugin):
    assert "repeat_contacts" in plugins.extensions().indicators


def test_measure_command_writes_values_and_counts(run_cli, tmp_path):
    values, quality = tmp_path / "values.csv", tmp_path / "quality.csv"
    result = run_cli(
        "measure", str(DATA / "agent.yaml"), "--period", "2026-Q3", "--csv", str(values), "--quality-csv", str(quality)
    )
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(values.open(encoding="utf-8")))
    assert rows[0] == {
        "appraisee": "a1", "indicator": "tickets", "value": "2.0", "rows": "2",
        "status": "ok", "source": "dataset tickets", "flags": "",
    }
    assert len(rows) == 20
    assert {"dataset": "tickets", "cause": "duplicate key", "column": "ticket_id", "count": "1", "rows": "10",
            "share": "0.1", "level": "ok", "limit": "", "examples": "'t05'"} in list(
        csv.DictReader(quality.open(encoding="utf-8"))
    )


def test_measure_command_json(run_cli):
    result = run_cli("measure", str(DATA / "agent.yaml"), "-p", "2026-Q3", "--json")
    report = json.loads(result.stdout)
    assert report["period"] == "2026-Q3" and len(report["values"]) == 20


def test_measure_command_with_a_bad_period_is_a_user_error(run_cli):
    result = run_cli("measure", str(DATA / "agent.yaml"), "-p", "2026-Q5")
    assert result.exit_code == 1 and "period '2026-Q5'" in result.stderr and "Traceback" not in result.stderr


def test_measure_command_with_a_missing_data_file_is_a_user_error(run_cli, tmp_path):
    scheme = tmp_path / "s.yaml"
    scheme.write_text((DATA / "agent.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    result = run_cli("measure", str(scheme), "-p", "2026-Q3")
    assert result.exit_code == 1
    assert result.stderr.strip() == "roster: file not found: roster.csv"


def test_chinese_columns_and_a_gb18030_file_measure_end_to_end():
    result = measure(load_scheme(DATA / "中文.yaml"), Q3)
    assert [(a.id, a.team) for a in result.appraisees] == [("张三", "一组"), ("李四", "二组"), ("王五", "二组")]
    assert result.cell("张三", "解决率").value == 0.5
    assert result.cell("张三", "满意度").value == 0.5
    assert result.cell("李四", "满意度").value == 1.0
    assert result.cell("王五", "解决率").status == INSUFFICIENT


def test_ratings_are_averaged_per_indicator_without_self_ratings_or_out_of_scale(agents):
    # a1: r1 4, r2 5 (a1's own 5 is left out); a2: r1 3, r3 2 (r2's 9 is outside 1..5).
    assert (agents.cell("a1", "qa_review").value, agents.cell("a1", "qa_review").rows) == (4.5, 2)
    assert agents.cell("a2", "qa_review").value == 2.5
    assert agents.cell("a3", "qa_review").status == INSUFFICIENT


def test_a_custom_indicator_that_returns_nan_is_a_plugin_error():
    """NaN is no number: the engine would score it as above every number, the reference as below."""
    import duckdb

    from appraisal.engines.duckdb_engine import Engine
    from appraisal.errors import PluginError
    from appraisal.measuring.custom import CustomIndicator, RosterTable, compute

    odd = CustomIndicator("odd", lambda: {"a1": (float("nan"), 1)}, plugin="oddvalues")
    with pytest.raises(PluginError, match=r"custom indicator 'odd' \(plugin 'oddvalues'\) returned the value nan"):
        compute(odd, engine=Engine(duckdb.connect()), period=Q3, roster=RosterTable("roster", "id"), params={},
                timezone="UTC")
