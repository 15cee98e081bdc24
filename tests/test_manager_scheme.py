"""The after-sales manager scheme on its demo data, checked by hand.

The manager is appraised on the team: tickets reach a manager through agents.csv, surveys and
complaints through their tickets. The expected values are computed here from the raw CSV rows
with plain Python, following schemes/manager.yaml as an HR author would on paper, and compared
with what `appraisal` computed in DuckDB. The demo data are generated afresh (seed 2026).
"""

from __future__ import annotations

import statistics
from datetime import datetime
from pathlib import Path

import pytest

from appraisal.demo.builtin import generate
from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, run
from appraisal.scheme.loading import load_text
from appraisal.shipped import shipped_scheme
from handcalc import assert_deterministic, assert_role_page, linear, rows

ROOT = Path(__file__).resolve().parent.parent
START, END = datetime(2026, 7, 1), datetime(2026, 10, 1)  # 2026-Q3, local time in Asia/Shanghai
YEAR_START = datetime(2026, 1, 1)  # the year-to-date window runs from here to END
GRADES = (("S", 110), ("A", 95), ("B", 80), ("C", 60), ("D", 0))
GROUPS = {"supervisor": (40, 1), "peers": (30, 2), "subordinates": (30, 3)}  # weight, minimum raters


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("manager")
    (folder / "manager.yaml").write_bytes(shipped_scheme("manager").read_bytes())
    files = generate(folder / "data" / "manager", role="manager")
    return files, run(load_scheme(folder / "manager.yaml"), parse_period("2026-Q3"))




def in_period(text: str) -> bool:
    return START <= datetime.fromisoformat(text) < END


def elapsed_h(later: str, earlier: str) -> float | None:
    if not later or not earlier:
        return None
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds() / 3600


def by_hand(folder: Path, manager: str) -> dict[str, float]:
    """Each indicator's value for `manager`, from the raw files, by the rules of the scheme."""
    team = {r["agent_id"] for r in rows(folder / "agents.csv") if r["manager"] == manager}
    tickets = {t["ticket_id"]: t for t in rows(folder / "tickets.csv", "ticket_id")}
    counted = {i for i, t in tickets.items() if t["agent_id"] in team and t["cause"] != "supplier_defect"}
    mine = [tickets[i] for i in counted if in_period(tickets[i]["created_at"])]
    values: dict[str, float] = {}
    surveys = [s for s in rows(folder / "surveys.csv", "survey_id")
               if s["ticket_id"] in counted and in_period(s["answered_at"])]
    if len(surveys) >= 30:
        values["team_csat"] = sum(int(s["score"]) >= 4 for s in surveys) / len(surveys)
    complaints = [c for c in rows(folder / "complaints.csv", "complaint_id")
                  if c["ticket_id"] in counted and in_period(c["opened_at"])]
    if len(complaints) >= 5:
        values["complaint_resolution"] = sum(c["status"] == "resolved" for c in complaints) / len(complaints)
    responses = [h for t in mine if (h := elapsed_h(t["first_response_at"], t["created_at"])) is not None and h >= 0]
    values["team_first_response_h"] = statistics.median(responses)
    late = [t for t in mine if t["status"] != "resolved" or elapsed_h(t["resolved_at"], t["created_at"]) > 48]
    values["backlog_rate"] = len(late) / len(mine)
    cost = sum(float(r["amount_cny"]) for r in rows(folder / "costs.csv", "cost_id")
               if r["manager"] == manager and in_period(r["month"]))
    budget = sum(float(r["budget_cny"]) for r in rows(folder / "budgets.csv", "budget_id")
                 if r["manager"] == manager and in_period(r["month"]))
    values["cost_saving"] = (budget - cost) / budget
    cost = sum(float(r["amount_cny"]) for r in rows(folder / "costs.csv", "cost_id")
               if r["manager"] == manager and YEAR_START <= datetime.fromisoformat(r["month"]) < END)
    budget = sum(float(r["budget_cny"]) for r in rows(folder / "budgets.csv", "budget_id")
                 if r["manager"] == manager and YEAR_START <= datetime.fromisoformat(r["month"]) < END)
    values["cost_saving_ytd"] = (budget - cost) / budget
    staff = [r for r in rows(folder / "staff.csv") if r["manager"] == manager and in_period(r["month"])]
    values["turnover"] = sum(r["left"] == "Y" for r in staff) / len(staff)
    training = [r for r in rows(folder / "training.csv") if r["agent_id"] in team and in_period(r["session_at"])]
    values["training"] = sum(r["attended"] == "Y" for r in training) / len(training)
    groups: dict[str, list[float]] = {}
    for r in rows(folder / "ratings.csv"):
        if r["appraisee"] == manager and r["rater"] != manager and 1 <= float(r["rating"]) <= 5:
            groups.setdefault(r["group"], []).append(float(r["rating"]))
    counted_groups = {g: ratings for g, ratings in groups.items() if len(ratings) >= GROUPS[g][1]}
    if counted_groups:
        weight = sum(GROUPS[g][0] for g in counted_groups)
        values["leadership"] = sum(statistics.fmean(r) * GROUPS[g][0] for g, r in counted_groups.items()) / weight
    return values


RULES = {  # indicator -> (worst, target, best, cap, weight)
    "team_csat": (0.70, 0.95, 1.0, 120, 30),
    "complaint_resolution": (0.50, 0.90, 1.0, 120, 10),
    "team_first_response_h": (8, 2, 1, 120, 10),
    "backlog_rate": (0.60, 0.30, 0.10, 120, 10),
    "cost_saving": (-0.10, 0.02, 0.08, 120, 10),
    "cost_saving_ytd": (-0.10, 0.02, 0.08, 120, 10),
    "turnover": (0.08, 0.02, 0.0, 110, 5),
    "training": (0.60, 0.90, 1.0, 110, 5),
    "leadership": (1, 4, 5, 100, 10),
}


def total_and_grade(values: dict[str, float]) -> tuple[float, str]:
    scored = {i: (linear(values[i], *RULES[i][:4]), RULES[i][4]) for i in RULES if i in values}
    weight = sum(w for _, w in scored.values())
    total = sum(s * w / weight for s, w in scored.values())
    if values.get("team_csat", 1) < 0.8:
        total = min(total, 70)
    return total, next(g for g, low in GRADES if total >= low)


def test_every_value_matches_a_hand_computation(demo):
    files, result = demo
    for appraisee in result.appraisees:
        expected = by_hand(files.folder, appraisee.id)
        computed = {c.indicator: c.value for c in appraisee.cells if c.indicator in RULES and c.value is not None}
        assert computed == pytest.approx(expected, abs=1e-9), appraisee.id


@pytest.mark.parametrize("which", ["best", "worst"])
def test_total_and_grade_match_a_hand_computation(demo, which):
    files, result = demo
    graded = sorted(result.appraisees, key=lambda a: a.total)
    who = (graded[-1] if which == "best" else graded[0]).id
    total, grade = total_and_grade(by_hand(files.folder, who))
    assert result.appraisee(who).total == pytest.approx(total, abs=1e-9)
    assert result.appraisee(who).grade == grade


def test_the_satisfaction_gate_caps_a_team_under_80_percent(demo):
    _, result = demo
    low = [a for a in result.appraisees if a.cell("team_csat").value < 0.8]
    assert low and all(a.total <= 70 for a in low)


def test_satisfaction_weighs_40_and_cost_20_as_the_sources_advise():
    path = shipped_scheme("manager")
    by_category: dict[str, float] = {}
    for indicator in load_text(path.read_text(encoding="utf-8"), str(path)).data["indicators"]:
        category = indicator.get("category", "")
        by_category[category] = by_category.get(category, 0) + indicator["weight"]
    assert (by_category["satisfaction"], by_category["cost"]) == (40, 20)


def test_the_planted_defects_are_counted(demo):
    _, result = demo
    counts = {(q["dataset"], q["cause"]): q["count"] for q in result.quality}
    assert counts[("complaints", "unknown appraisee")] == 1
    # January to June's cost lines are used by the year-to-date indicators: not outside the
    # period; only the planted line a year back is.
    assert counts[("costs", "outside period")] == 1
    assert counts[("tickets", "duplicate key")] == 1


def test_the_scheme_validates(run_cli):
    outcome = run_cli("validate", str(shipped_scheme("manager")))
    assert outcome.exit_code == 0, outcome.stderr


def test_the_demo_command_runs(run_cli, tmp_path):
    outcome = run_cli("demo", "--role", "manager", "--out", str(tmp_path / "demo"))
    assert outcome.exit_code == 0, outcome.stderr
    assert "appraised with after-sales-manager" in outcome.stdout
    assert (tmp_path / "demo" / "data" / "manager" / "complaints.csv").is_file()


def test_generation_is_deterministic(tmp_path):
    assert_deterministic(generate, tmp_path, role="manager")


def test_the_role_page_yaml_excerpts_load():
    assert_role_page(ROOT / "docs" / "roles" / "manager.md", "appraisal demo --role manager")
