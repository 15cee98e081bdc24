"""The demo appraisal, checked by hand.

The expected totals are computed here from the raw CSV rows with plain Python, following the
scheme's rules as an HR author would on paper, and compared with what `appraisal` computed in
DuckDB. The demo data are generated afresh (deterministic, seed 2026) into a temporary folder.
"""

from __future__ import annotations

import itertools
import json
import statistics
from datetime import datetime, timedelta

import pytest

from appraisal.demo.agent import generate
from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, run
from appraisal.results.storing import write_run
from appraisal.shipped import shipped_scheme
from contract import undeclared
from handcalc import linear, rows

START, END = datetime(2026, 7, 1), datetime(2026, 10, 1)  # 2026-Q3, local time in Asia/Shanghai


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    (folder / "agent.yaml").write_bytes(shipped_scheme("agent").read_bytes())
    files = generate(folder / "data" / "agent")
    result = run(load_scheme(folder / "agent.yaml"), parse_period("2026-Q3"))
    return files, result


def when(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def hours(later: str, earlier: str) -> float | None:
    a, b = when(later), when(earlier)
    if a is None or b is None:
        return None
    elapsed = (a - b).total_seconds() / 3600
    return elapsed if elapsed >= 0 else None  # a time running backwards is a data error




HANDLING_TARGET_H = {"usage_question": 8, "refund": 36, "logistics": 48, "product_defect": 72}


def repeated(tickets: dict[str, dict[str, str]]) -> set[str]:
    """Ids of tickets whose problem came back: the same customer's next ticket of the same
    problem type (by creation time, then id) opened after it was resolved, within 7 days."""
    found = set()
    by_problem: dict[tuple[str, str], list[dict[str, str]]] = {}
    for t in tickets.values():
        by_problem.setdefault((t["customer_id"], t["problem_type"]), []).append(t)
    for (customer, _), same in by_problem.items():
        same.sort(key=lambda t: (when(t["created_at"]), t["ticket_id"]))
        for this, following in itertools.pairwise(same):
            done, next_at = when(this["resolved_at"]), when(following["created_at"])
            if customer and done is not None and done < next_at <= done + timedelta(days=7):
                found.add(this["ticket_id"])
    return found


def by_hand(files, agent: str) -> tuple[float | None, str | None]:
    """The agent's total and grade, from the raw rows, by the rules of schemes/agent.yaml."""
    seen: set[str] = set()
    all_tickets = {}
    for t in rows(files.tickets):  # a repeated ticket id keeps its first row
        if t["ticket_id"] not in seen:
            seen.add(t["ticket_id"])
            all_tickets[t["ticket_id"]] = t
    excluded = {i for i, t in all_tickets.items() if t["cause"] == "supplier_defect"}
    mine = [
        t for i, t in all_tickets.items()
        if t["agent_id"] == agent and i not in excluded and START <= when(t["created_at"]) < END
    ]
    scores: dict[str, tuple[float, float]] = {}  # indicator -> (score, weight)
    responses = [h for t in mine if (h := hours(t["first_response_at"], t["created_at"])) is not None]
    if responses:
        scores["first_response_h"] = (linear(statistics.median(responses), 8, 2, 1, 120), 15)
    if mine:
        rate = sum(t["status"] == "resolved" for t in mine) / len(mine)
        scores["resolution_rate"] = (linear(rate, 0.6, 0.9, 1.0, 120), 15)
        complaints = sum(t["complaint"] == "Y" for t in mine) / len(mine)
        scores["complaint_rate"] = (linear(complaints, 0.04, 0.01, 0.0, 120), 5)
        scores["tickets_handled"] = (linear(len(mine), 300, 550, 800, 120), 5)
    done = [h for t in mine
            if t["status"] == "resolved" and (h := hours(t["resolved_at"], t["created_at"])) is not None]
    if done:
        median = statistics.median(done)
        band = 120 if median <= 24 else 100 if median <= 48 else 70 if median <= 72 else 40
        scores["completion_h"] = (band, 5)
    resolved = [t for t in mine if t["status"] == "resolved"]
    if resolved:
        on_time = [t for t in resolved if (h := hours(t["resolved_at"], t["created_at"])) is not None
                   and h <= HANDLING_TARGET_H[t["problem_type"]]]
        scores["handling_on_time"] = (linear(len(on_time) / len(resolved), 0.3, 0.7, 0.9, 120), 5)
        first_contact = sum(t["contacts"] == "1" for t in resolved) / len(resolved)
        scores["fcr"] = (linear(first_contact, 0.4, 0.7, 0.9, 120), 10)
        came_back = repeated(all_tickets)
        share = sum(t["ticket_id"] in came_back for t in resolved) / len(resolved)
        scores["repeat_rate"] = (linear(share, 0.15, 0.05, 0.01, 120), 5)
    surveys = [
        s for s in rows(files.surveys)
        if s["ticket_id"] in all_tickets and all_tickets[s["ticket_id"]]["agent_id"] == agent
        and s["ticket_id"] not in excluded and START <= when(s["answered_at"]) < END
    ]
    if len(surveys) >= 10:
        satisfied = sum(int(s["score"]) >= 4 for s in surveys) / len(surveys)
        scores["csat"] = (linear(satisfied, 0.7, 0.95, 1.0, 120), 25)
    ratings = [float(r["rating"]) for r in rows(files.ratings)
               if r["appraisee"] == agent and r["rater"] != agent and 1 <= float(r["rating"]) <= 5]
    if ratings:
        scores["qa_review"] = (linear(statistics.fmean(ratings), 1, 4, 5, 100), 10)
    if not scores:
        return None, None
    weight = sum(w for _, w in scores.values())
    total = sum(s * w / weight for s, w in scores.values())  # missing indicators: re-weighted
    if mine and sum(t["status"] == "resolved" for t in mine) / len(mine) < 0.5:
        total = min(total, 60)
    grade = next(g for g, low in (("S", 110), ("A", 95), ("B", 80), ("C", 60), ("D", 0)) if total >= low)
    return total, grade


def pick(result, key) -> str:
    graded = sorted((a for a in result.appraisees if a.total is not None), key=key)
    return graded[0].id


def chosen(demo, which: str) -> str:
    """The agent a test looks at: the best or worst total, the leaver or the new hire."""
    files, result = demo
    if which in ("best", "worst"):
        return pick(result, (lambda a: -a.total) if which == "best" else (lambda a: a.total))
    return files.leaver if which == "leaver" else files.new_hire


@pytest.mark.parametrize("which", ["best", "worst", "leaver"])
def test_total_and_grade_match_a_hand_computation(demo, which):
    files, result = demo
    agent = chosen(demo, which)
    total, grade = by_hand(files, agent)
    computed = result.appraisee(agent)
    assert computed.total == pytest.approx(total, abs=1e-9)
    assert computed.grade == grade


def test_the_new_hire_is_listed_with_insufficient_data(demo):
    files, result = demo
    new_hire = result.appraisee(files.new_hire)
    assert by_hand(files, files.new_hire) == (None, None)
    assert (new_hire.total, new_hire.grade, new_hire.status) == (None, None, "insufficient data")
    assert "joined during period" in new_hire.flags


def test_the_demo_grades_spread_over_the_bands(demo):
    _, result = demo
    grades = {a.grade for a in result.appraisees if a.grade}
    assert len(grades) >= 4


COEFFICIENTS = {"S": 1.5, "A": 1.2, "B": 1.0, "C": 0.6, "D": 0.0}


def pay_by_hand(files, agent: str, grade: str | None) -> dict[str, float | None]:
    """Bonus: the agent's base x the grade's coefficient, at most 6000; commission: 5% of the
    quarter's add-on sales, at most 1000 (schemes/agent.yaml's incentives)."""
    base = sum(float(r["bonus_base"]) for r in rows(files.pay) if r["agent_id"] == agent)
    bonus = None if grade is None else min(base * COEFFICIENTS[grade], 6000.0)
    sold = [float(r["amount"]) for r in rows(files.sales, "sale_id")
            if r["agent_id"] == agent and START <= when(r["sold_at"]) < END]
    commission = min(0.05 * sum(sold), 1000.0) if sold else None
    total = None if bonus is None and commission is None else (bonus or 0.0) + (commission or 0.0)
    return {"bonus": bonus, "commission": commission, "total": total}


@pytest.mark.parametrize("which", ["best", "worst", "leaver", "new_hire"])
def test_bonus_and_commission_match_a_hand_computation(demo, which):
    files, result = demo
    agent = chosen(demo, which)
    computed = result.appraisee(agent)
    expected = pay_by_hand(files, agent, computed.grade)
    pay = computed.incentives or {}
    assert {k: pay.get(k) for k in expected} == pytest.approx(expected, abs=1e-9)


def test_the_best_agent_is_paid_more_than_the_worst(demo):
    _, result = demo
    best, worst = pick(result, lambda a: -a.total), pick(result, lambda a: a.total)
    assert result.appraisee(best).incentives["bonus"] > result.appraisee(worst).incentives["bonus"]


def test_every_key_the_demo_run_stores_is_declared_in_the_result_contract(demo, tmp_path):
    """The agent scheme writes the most (pay, gates, groups): each key must be type-checked on read."""
    folder = write_run(demo[1], tmp_path / "q3")
    assert undeclared(json.loads((folder / "result.json").read_text(encoding="utf-8"))) == []


def test_the_result_as_a_dict_is_what_dataclasses_asdict_gives(demo):
    """`Result.as_dict` converts by hand for speed; the reference is the standard library's."""
    from dataclasses import asdict

    result = demo[1]
    assert json.dumps(result.as_dict()) == json.dumps({"format": "appraisal-result/1", **asdict(result)})


def test_the_result_json_written_is_the_result_as_a_dict(demo, tmp_path):
    """result.json is encoded straight from the dataclasses for speed (`Result.write_json`); the
    reference is `as_dict` through the standard encoder (pay, effects and parts included)."""
    from dataclasses import replace

    from appraisal.results.result import GroupResult

    result = demo[1]
    assert any(a.incentives for a in result.appraisees) and any(a.effects for a in result.appraisees)
    result = replace(result, groups=(GroupResult("team", "North", 3, result.appraisees[0]),))
    folder = write_run(result, tmp_path / "q3")
    written = (folder / "result.json").read_text(encoding="utf-8")
    assert written == json.dumps(result.as_dict(), ensure_ascii=False, allow_nan=False) + "\n"
