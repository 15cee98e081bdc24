"""Group rows: team, manager and whole-roster figures from the same scheme, pooled from the rows.

A team's resolution rate is its resolved tickets over its tickets, not the mean of its agents'
rates; a ticket two of its agents touched counts once for the team; the roster's row is every
roster member's rows together (rows of nobody on the roster count for no group).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from appraisal.errors import AppraisalError
from appraisal.measuring.measurements import INSUFFICIENT
from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, measure, run
from tests.conftest import ROOT, RunCli

ROSTER = """agent_id,name,team,manager
A1,Ann,North,M1
A2,Bo,North,M1
A3,Cy,South,M2
A4,Di,,M2
"""
# A1: 1 of 1 resolved; A2: 1 of 9; A3: 2 of 2; A4 (no team): 1 of 2; Z9 is on no roster.
TICKETS = ["ticket_id,agent_id,created_at,status,minutes",
           "T01,A1,2026-07-01 09:00,resolved,10",
           *[f"T1{i},A2,2026-07-0{i + 1} 09:00,{'resolved' if i == 0 else 'open'},{20 + i}" for i in range(9)],
           "T20,A3,2026-07-02 09:00,resolved,30", "T21,A3,2026-07-03 09:00,resolved,50",
           "T30,A4,2026-07-02 09:00,resolved,5", "T31,A4,2026-07-03 09:00,open,7",
           "T90,Z9,2026-07-02 09:00,resolved,1"]
# who touched which ticket: T01 by A1 and A2 (both North), T20 by A3 and A4 (South, no team)
TOUCHES = ("ticket_id,agent_id,at\nT01,A1,2026-07-01 09:10\nT01,A2,2026-07-01 09:20\nT20,A3,2026-07-02 09:10\n"
           "T20,A4,2026-07-02 09:30\n")
NOTES = "ticket_id,csat\nT01,5\nT20,3\n"
RATINGS = "appraisee,indicator,rater,rating\nA1,qa,R1,4\nA2,qa,R1,2\nA2,qa,R2,3\nA3,qa,R1,5\n"
SCHEME = """scheme: teams
version: 1
title: Teams
period: month
roster: {source: csv, path: roster.csv, key: agent_id, name: name, team: team, manager: manager}
ratings: {source: csv, path: ratings.csv}
datasets:
  tickets:
    source: csv
    path: tickets.csv
    key: ticket_id
    appraisee: agent_id
    period_by: created_at
    columns: {ticket_id: text, agent_id: text, created_at: timestamp, status: text, minutes: number}
  touches:
    source: csv
    path: touches.csv
    appraisee: agent_id
    columns: {ticket_id: text, agent_id: text, at: timestamp}
  notes:
    source: csv
    path: notes.csv
    via: {dataset: touches, on: ticket_id, order_by: at}
    as_of: period
    columns: {ticket_id: text, csat: number}
indicators:
  - id: resolution_rate
    title: Resolution rate
    measure: {dataset: tickets, agg: ratio, numerator: {where: "status == 'resolved'"}}
    target: 0.9
    score: {curve: linear, worst: 0.5, best: 1}
    weight: 40
  - id: median_minutes
    title: Median handling
    measure: {dataset: tickets, agg: median, of: minutes}
    target: 20
    score: {curve: linear, worst: 60, best: 10}
    weight: 20
  - id: csat_touched
    title: CSAT of touched tickets
    measure: {dataset: notes, agg: mean, of: csat}
    target: 4
    score: {curve: linear, worst: 1, best: 5}
    weight: 0
  - id: csat_split
    title: CSAT points, split
    measure: {dataset: notes, agg: sum, of: csat, attribution: split}
    weight: 0
  - id: handled
    title: Tickets handled
    measure: {dataset: tickets, agg: count}
    target: 4
    score: {curve: linear, worst: 0, best: 8}
    weight: 0
  - id: qa
    title: QA review
    kind: rating
    scale: [1, 5]
    target: 4
    score: {curve: linear, worst: 1, best: 5}
    weight: 40
grades: {A: 80, B: 50, C: 0}
incentives: {coefficients: {A: 1.2, B: 1, C: 0}, base: 1000}
quality: {error_if: never}  # the ticket of Z9 is planted
"""
PERIOD = parse_period("2026-07")


@pytest.fixture
def scheme_file(tmp_path: Path) -> Path:
    for name, text in [("roster.csv", ROSTER), ("tickets.csv", "\n".join(TICKETS) + "\n"), ("touches.csv", TOUCHES),
                       ("notes.csv", NOTES), ("ratings.csv", RATINGS), ("teams.yaml", SCHEME)]:
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path / "teams.yaml"


def group(measured, by: str, key: str):
    return next(g for g in measured.groups if g.by == by and g.key == key)


def test_a_team_rate_is_pooled_from_its_rows_not_a_mean_of_its_peoples_rates(scheme_file: Path) -> None:
    north = group(measure(load_scheme(scheme_file), PERIOD, groups=("team",)), "team", "North")
    assert north.cells["resolution_rate"].value == 2 / 10  # the mean of 1/1 and 1/9 would be 0.56
    assert north.cells["resolution_rate"].rows == 10


def test_a_median_is_taken_over_the_pooled_rows(scheme_file: Path) -> None:
    north = group(measure(load_scheme(scheme_file), PERIOD, groups=("team",)), "team", "North")
    assert north.cells["median_minutes"].value == 23.5  # of 10, 20, 21, ..., 28


def test_the_roster_row_pools_everyone_on_the_roster_and_no_one_else(scheme_file: Path) -> None:
    everyone = group(measure(load_scheme(scheme_file), PERIOD, groups=("roster",)), "roster", "all")
    assert (everyone.members, everyone.cells["resolution_rate"].rows) == (4, 14)  # not Z9's ticket
    assert everyone.cells["resolution_rate"].value == 5 / 14


def test_a_member_without_a_team_belongs_to_no_team(scheme_file: Path) -> None:
    measured = measure(load_scheme(scheme_file), PERIOD, groups=("team",))
    assert [(g.key, g.members) for g in measured.groups] == [("North", 2), ("South", 1)]


def test_a_row_two_members_touched_counts_once_for_their_team(scheme_file: Path) -> None:
    north = group(measure(load_scheme(scheme_file), PERIOD, groups=("team",)), "team", "North")
    assert (north.cells["csat_touched"].value, north.cells["csat_touched"].rows) == (5.0, 1)


def test_a_split_row_counts_for_a_group_by_its_members_share(scheme_file: Path) -> None:
    measured = measure(load_scheme(scheme_file), PERIOD, groups=("team", "manager"))
    assert group(measured, "team", "North").cells["csat_split"].value == 5.0  # both touches North's
    assert group(measured, "team", "South").cells["csat_split"].value == 1.5  # A4, who touched it too, is in no team
    assert group(measured, "manager", "M2").cells["csat_split"].value == 3.0  # A3 and A4 are both M2's


def test_ratings_are_pooled_over_the_members(scheme_file: Path) -> None:
    north = group(measure(load_scheme(scheme_file), PERIOD, groups=("team",)), "team", "North")
    assert (north.cells["qa"].value, north.cells["qa"].rows) == (3.0, 3)  # 4, 2 and 3


def test_group_rows_are_scored_and_graded_by_the_schemes_rules_without_pay(scheme_file: Path) -> None:
    result = run(load_scheme(scheme_file), PERIOD, groups=("team",))
    north = next(g for g in result.groups if g.key == "North").appraisal
    assert north.cell("resolution_rate").score == 0.0  # 0.2 is below the worst, 0.5
    assert north.cell("qa").score == pytest.approx(200 / 3)  # 3 on a curve from 1 (0 points) to the target 4
    assert north.total == pytest.approx(sum(c.score * c.weight / 100 for c in north.cells if c.weight))
    assert north.grade is not None and north.incentives is None


def test_a_volume_is_scored_against_the_per_person_target_times_the_members(scheme_file: Path) -> None:
    result = run(load_scheme(scheme_file), PERIOD, groups=("team",))
    handled = next(g for g in result.groups if g.key == "North").appraisal.cell("handled")
    assert (handled.value, handled.target, handled.score) == (10.0, 8.0, 100.0)  # 10 of a target 2 x 4, capped
    assert "target scaled to the group: 2 members" in handled.flags


def test_a_plugins_indicator_cannot_be_pooled(monkeypatch: pytest.MonkeyPatch) -> None:
    from appraisal import plugins

    monkeypatch.setenv("APPRAISAL_LOAD_PLUGINS", "repeat_contacts")
    plugins.set_plugins_dir(ROOT / "plugins")
    measured = measure(load_scheme(ROOT / "tests" / "data" / "measuring" / "custom.yaml"), parse_period("2026-Q3"),
                       groups=("roster",))
    cell = measured.groups[0].cells["repeat_rate"]
    assert (cell.value, cell.status, cell.source) == (None, INSUFFICIENT, "plugin repeat_contacts: not pooled")


def test_group_rows_per_team_need_the_rosters_team_column(scheme_file: Path) -> None:
    text = scheme_file.read_text(encoding="utf-8").replace(", team: team", "")
    scheme_file.write_text(text, encoding="utf-8")
    with pytest.raises(AppraisalError, match="group rows per team need the roster's 'team' column"):
        measure(load_scheme(scheme_file), PERIOD, groups=("team",))


def test_run_writes_the_group_rows_to_the_result_and_groups_csv(run_cli: RunCli, scheme_file: Path,
                                                                tmp_path: Path) -> None:
    out = tmp_path / "july"
    done = run_cli("run", str(scheme_file), "-p", "2026-07", "-o", str(out), "--groups", "team,roster", "--no-report")
    assert done.exit_code == 0, done.stderr
    stored = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert [(g["by"], g["key"], g["members"]) for g in stored["groups"]] == [
        ("team", "North", 2), ("team", "South", 1), ("roster", "all", 4)]
    with (out / "groups.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    north = next(r for r in rows if r["group"] == "North" and r["indicator"] == "resolution_rate")
    assert (north["by"], north["members"], float(north["value"])) == ("team", "2", 0.2)


def test_measure_prints_and_gives_group_rows_as_json(run_cli: RunCli, scheme_file: Path) -> None:
    done = run_cli("measure", str(scheme_file), "-p", "2026-07", "--groups", "roster", "--json")
    assert done.exit_code == 0, done.stderr
    groups = json.loads(done.stdout)["groups"]
    assert groups[0]["group"] == "all" and groups[0]["members"] == 4
    rate = next(v for v in groups[0]["values"] if v["indicator"] == "resolution_rate")
    assert rate["value"] == 5 / 14


def test_an_unknown_grouping_is_a_usage_error(run_cli: RunCli, scheme_file: Path) -> None:
    done = run_cli("measure", str(scheme_file), "-p", "2026-07", "--groups", "teams")
    assert done.exit_code == 2 and "'teams' is not a grouping; use team, manager, roster" in done.stderr
