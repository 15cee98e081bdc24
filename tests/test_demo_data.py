"""The demo data generator: deterministic, realistic in size, and every planted defect counted.

The data is generated once into a temporary folder laid out as the shipped scheme expects
(`agent.yaml` beside `data/agent/*.csv`) and measured with `schemes/agent.yaml`, its roster
naming the demo roster's name, team, manager, start and end columns.
"""

from __future__ import annotations

import csv
import statistics
import time
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from appraisal.demo.agent import DEFECTS, generate
from appraisal.engines.duckdb_engine import open_engine
from appraisal.errors import DataError
from appraisal.measuring.measurements import INSUFFICIENT, JOINED, LEFT
from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, measure
from appraisal.plugins import extensions

ROOT = Path(__file__).resolve().parent.parent
Q3 = parse_period("2026-Q3")
ROSTER_DETAILS = "  name: name\n  team: team\n  manager: manager\n  start: start_date\n  end: end_date\n"


def _with_roster_details(text: str) -> str:
    """The shipped scheme, its roster naming the demo roster's details (a no-op once it does)."""
    if "start: start_date" in text:
        return text
    return text.replace("  key: agent_id\n", "  key: agent_id\n" + ROSTER_DETAILS, 1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    shipped = (ROOT / "schemes" / "agent.yaml").read_text(encoding="utf-8")
    (folder / "agent.yaml").write_text(_with_roster_details(shipped), encoding="utf-8")
    began = time.perf_counter()
    files = generate(folder / "data" / "agent")
    elapsed = time.perf_counter() - began
    print(f"demo data generated in {elapsed:.2f} s")
    return files, folder / "agent.yaml", elapsed


@pytest.fixture(scope="module")
def measured(demo):
    _, scheme, _ = demo
    return measure(load_scheme(scheme), Q3)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_same_seed_gives_the_same_bytes(demo, tmp_path):
    files, _, _ = demo
    again = generate(tmp_path / "again")
    for first, second in zip(files.paths, again.paths, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name
    assert again.defects == files.defects


def test_another_seed_gives_other_data(demo, tmp_path):
    files, _, _ = demo
    other = generate(tmp_path / "other", seed=7)
    assert other.tickets.read_bytes() != files.tickets.read_bytes()
    assert {k: v for k, v in other.defects.items() if k in DEFECTS} == DEFECTS


def test_generation_is_quick(demo):
    _, _, elapsed = demo
    assert elapsed < 10  # about 0.3 s here; the target (< 2 s) is for benchmarks to watch


def test_sizes(demo):
    files, _, _ = demo
    roster = _rows(files.roster)
    assert 45 <= len(roster) <= 55
    teams = Counter(r["team"] for r in roster)
    assert len(teams) == 5
    assert len({(r["team"], r["manager"]) for r in roster}) == 5  # one manager per team
    assert any(not r["name"].isascii() for r in roster) and any(r["name"].isascii() for r in roster)
    tickets = _rows(files.tickets)
    in_q3 = [t for t in tickets if "2026-07-01" <= t["created_at"] < "2026-10-01"]
    assert 28_000 <= len(in_q3) <= 32_000
    assert {t["channel"] for t in tickets} == {"phone", "chat", "email", "app"}
    assert {t["cause"] for t in tickets} == {
        "product_defect", "logistics", "usage_question", "refund", "supplier_defect"}
    statuses = Counter(t["status"] for t in tickets)
    assert set(statuses) == {"resolved", "open", "closed"} and statuses["resolved"] > 0.8 * len(tickets)
    assert {t["reopened"] for t in tickets} == {"Y", "N"}
    surveys = _rows(files.surveys)
    resolved = statuses["resolved"]
    assert 0.25 * resolved <= len(surveys) <= 0.35 * resolved
    assert {s["score"] for s in surveys} == {"1", "2", "3", "4", "5"}


def test_tickets_follow_working_hours_and_the_week(demo):
    files, _, _ = demo
    rows = duckdb.sql(
        f"SELECT hour(created_at) AS h, isodow(created_at) AS d FROM read_csv('{files.tickets}')"
    ).fetchall()
    hours = Counter(h for h, _ in rows)
    days = Counter(d for _, d in rows)
    assert hours[10] > 10 * hours[3]
    assert days[1] > days[7] * 1.5  # Mondays are busier than Sundays


def test_ratings_have_two_or_three_raters_per_agent(demo):
    files, _, _ = demo
    ratings = _rows(files.ratings)
    per_agent = Counter(r["appraisee"] for r in ratings)
    assert set(per_agent.values()) <= {2, 3}
    assert {r["indicator"] for r in ratings} == {"qa_review"}
    assert {int(r["rating"]) for r in ratings} <= {1, 2, 3, 4, 5}
    assert files.new_hire not in per_agent
    assert len(per_agent) == len(_rows(files.roster)) - 1


def test_every_dropped_row_is_counted_by_the_engine(demo, measured):
    files, _, _ = demo
    counts = {(c.dataset, c.cause): c.count for c in measured.quality}
    assert counts == {
        ("tickets", "duplicate key"): DEFECTS["duplicate_ticket"],
        ("tickets", "unknown appraisee"): DEFECTS["unknown_agent"],
        ("tickets", "outside period"): DEFECTS["before_period"] + DEFECTS["after_period"],
        ("tickets", "excluded: Supplier's defective batch, outside the agent's control"): DEFECTS["supplier_defect"],
        ("tickets", "negative duration"): DEFECTS["negative_duration"],
        ("surveys", "outside period"): files.defects["surveys_outside_period"],
        ("surveys", "excluded with its tickets row"): _surveys_of_supplier_defects(files),
    }


def _surveys_of_supplier_defects(files) -> int:
    """Surveys in Q3 about supplier-defect tickets: excluded together with their ticket."""
    [(count,)] = duckdb.sql(
        f"SELECT count(*) FROM read_csv('{files.surveys}', all_varchar=true) AS s "
        f"JOIN read_csv('{files.tickets}', all_varchar=true) AS t USING (ticket_id) "
        "WHERE t.cause = 'supplier_defect' AND s.answered_at >= '2026-07-01' AND s.answered_at < '2026-10-01'"
    ).fetchall()
    return count


def test_the_first_copy_of_the_duplicate_ticket_is_kept(demo):
    files, _, _ = demo
    copies = [t for t in _rows(files.tickets) if t["ticket_id"] == files.duplicate_ticket]
    assert [t["status"] for t in copies] == ["resolved", "open"]


def test_missing_first_responses_show_in_the_row_counts(measured):
    # Every counted ticket has a first response except the planted ones: the median of
    # first-response hours runs over that many fewer rows than the resolution rate.
    tickets = sum(measured.cell(a.id, "resolution_rate").rows for a in measured.appraisees)
    responded = sum(measured.cell(a.id, "first_response_h").rows for a in measured.appraisees)
    assert tickets - responded == DEFECTS["missing_first_response"]


def test_the_negative_duration_reaches_the_engine(demo):
    # The engine counts negative `duration` cells, not negative differences of timestamps,
    # so the one resolved-before-created ticket is checked in the engine's typed table.
    _, scheme, _ = demo
    with open_engine(load_scheme(scheme), extensions().sources) as engine:
        [(count,)] = engine.connection.execute(
            "SELECT count(*) FROM tickets WHERE resolved_at < created_at"
        ).fetchall()
    assert count == DEFECTS["negative_duration"]


def test_the_new_hire_has_insufficient_data_and_the_leaver_is_flagged(demo, measured):
    files, _, _ = demo
    by_id = {a.id: a for a in measured.appraisees}
    assert by_id[files.new_hire].flags == (JOINED,)
    assert by_id[files.leaver].flags == (LEFT,)
    for indicator in measured.indicators():
        cell = measured.cell(files.new_hire, indicator)
        assert (cell.value, cell.rows, cell.status) == (None, 0, INSUFFICIENT)
    assert measured.cell(files.leaver, "resolution_rate").rows > 0
    leaver_tickets = [t for t in _rows(files.tickets) if t["agent_id"] == files.leaver]
    assert max(t["created_at"] for t in leaver_tickets)[:10] <= str(by_id[files.leaver].end)


def test_agents_differ_visibly(demo, measured):
    files, _, _ = demo
    working = [a.id for a in measured.appraisees if a.id != files.new_hire]
    first = [measured.cell(a, "first_response_h").value for a in working]
    assert max(first) - min(first) > 1  # hours
    assert min(first) < 2 < max(first)  # some meet the 2 h target, some miss it
    csat = [measured.cell(a, "csat").value for a in working]
    assert max(csat) - min(csat) > 0.15
    resolution = [measured.cell(a, "resolution_rate").value for a in working]
    assert statistics.median(resolution) > 0.85


def test_a_role_without_demo_data_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="no demo data for role 'cashier'"):
        generate(tmp_path, role="cashier")
