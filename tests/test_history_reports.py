"""History and calibration in the reports: `appraisal render` of a stored run shows earlier periods
and the grades moved after calibration, read from the run store.

One store for the module: the agent scheme on its demo data for 2026-Q1, Q2 and Q3, and a
calibration decision on Q3. Figures are checked against the stored runs' own files.
"""

from __future__ import annotations

import io
import sqlite3
import statistics
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest

from appraisal.demo.builtin import generate
from appraisal.shipped import shipped_scheme
from appraisal.store.runs import RunStore
from stored_runs import cli

PERIODS = ("2026-Q1", "2026-Q2", "2026-Q3")
Q3 = "after-sales-agent-2026-Q3-v1"


@pytest.fixture(scope="module")
def quarters(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the agent scheme, its data, three stored quarters (folders Q1..Q3) and a
    calibration of CS001 in Q3; its store is `runs.sqlite`."""
    folder = tmp_path_factory.mktemp("quarters")
    (folder / "agent.yaml").write_bytes(shipped_scheme("agent").read_bytes())
    generate(folder / "data" / "agent", role="agent")
    for period in PERIODS:
        done = cli("run", "agent.yaml", "-p", period, "-o", period, "--no-report", "--store", "runs.sqlite",
                   cwd=folder)
        assert done.returncode == 0, done.stderr
    done = cli("calibrate", Q3, "-a", "CS001", "-g", "S", "--reason", "strong finish", "--by", "committee",
               "--store", "runs.sqlite", cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder


def rendered(folder: Path, out: str, *more: str) -> Path:
    done = cli("render", "2026-Q3", "-o", out, "-f", "md,xlsx", "-q", "--store", "runs.sqlite", *more, cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder / out


def mean_total(folder: Path, run_id: str) -> float:
    with RunStore(folder / "runs.sqlite") as runs:
        table = pq.read_table(io.BytesIO(runs.file(run_id, "appraisees.parquet")), columns=["total"],
                              use_threads=False)
    return statistics.fmean(t for t in table["total"].to_pylist() if t is not None)


def test_the_summary_shows_each_period_with_its_mean_total_and_the_change(quarters: Path) -> None:
    summary = (rendered(quarters, "r-summary") / "index.md").read_text(encoding="utf-8")
    means = [mean_total(quarters, f"after-sales-agent-{p}-v1") for p in PERIODS]
    assert "## Period over period" in summary
    for n, period in enumerate(PERIODS):
        change = "–" if n == 0 else f"{means[n] - means[n - 1]:+.1f}"
        assert f"| {period} | 50 | {means[n]:.1f} | {change} |" in summary


def test_the_report_run_writes_shows_the_stores_earlier_periods(quarters: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"  # a copy: the module's store stays as it is
    assert cli("store", "backup", str(store), "--store", "runs.sqlite", cwd=quarters).returncode == 0
    done = cli("run", "agent.yaml", "-p", "2026-Q3", "-o", str(tmp_path / "again"), "--store", str(store),
               cwd=quarters)
    assert done.returncode == 0, done.stderr
    report = tmp_path / "again" / "report"
    summary = (report / "index.md").read_text(encoding="utf-8")
    means = [mean_total(quarters, f"after-sales-agent-{p}-v1") for p in PERIODS[:2]]
    assert f"| 2026-Q1 | 50 | {means[0]:.1f} | – |" in summary
    assert f"| 2026-Q2 | 50 | {means[1]:.1f} | {means[1] - means[0]:+.1f} |" in summary
    assert "| 2026-Q3 | 50 |" in summary
    assert "2026-Q2" in (report / "team.md").read_text(encoding="utf-8")


def test_a_damaged_earlier_run_costs_its_period_on_the_pages_not_the_run(quarters: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    assert cli("store", "backup", str(store), "--store", "runs.sqlite", cwd=quarters).returncode == 0
    with sqlite3.connect(store) as db:
        db.execute("DROP TRIGGER files_UPDATE_refused")
        db.execute("UPDATE files SET content = CAST('x' AS BLOB) WHERE run = 'after-sales-agent-2026-Q1-v1'"
                   " AND name = 'totals.csv'")
    done = cli("run", "agent.yaml", "-p", "2026-Q3", "-o", str(tmp_path / "again"), "--store", str(store),
               cwd=quarters)
    assert done.returncode == 0, done.stderr
    assert "warning: 2026-Q1 left out of the history: the totals.csv of run" in done.stderr
    summary = (tmp_path / "again" / "report" / "index.md").read_text(encoding="utf-8")
    assert "| 2026-Q2 | 50 |" in summary and "| 2026-Q1 |" not in summary


def test_the_team_report_shows_each_indicators_mean_score_by_period(quarters: Path) -> None:
    team = (rendered(quarters, "r-team") / "team.md").read_text(encoding="utf-8")
    assert "### Mean score per indicator, by period" in team
    assert "| Indicator | 2026-Q1 | 2026-Q2 | 2026-Q3 | Change |" in team


def test_the_team_report_sets_the_calibrated_grade_beside_the_computed_one(quarters: Path) -> None:
    from appraisal.store.calibration import distribution

    team = (rendered(quarters, "r-calibrated") / "team.md").read_text(encoding="utf-8")
    [row] = [line for line in team.splitlines() if line.startswith("| ") and "| CS001 |" in line and "✎" in line]
    assert "| S ✎ |" in row
    assert "| CS001 | Emily Zhang | C | S | strong finish | committee |" in team
    card = (quarters / "r-calibrated" / "scorecards" / "CS001.md").read_text(encoding="utf-8")
    assert "Calibrated: **S** (Computed C; strong finish)" in card  # the employee's own page says it too
    with RunStore(quarters / "runs.sqlite") as runs:
        shares = distribution(runs, runs.get(Q3))
    for share in shares:
        [line] = [x for x in team.splitlines() if x.startswith(f"| {share['grade']} | {share['before']} |")]
        assert line.rstrip().endswith(f"| {share['after']} | {share['after'] / 49:.1%} |")


def test_the_workbook_has_the_history_and_the_calibrated_grade(quarters: Path) -> None:
    book = openpyxl.load_workbook(rendered(quarters, "r-book") / "result.xlsx")
    rows = list(book["History"].iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == list(PERIODS)
    assert rows[3][3] == pytest.approx(mean_total(quarters, Q3))
    summary = list(book["Summary"].iter_rows(values_only=True))
    header = summary[0]
    cs001 = next(r for r in summary if r[0] == "CS001")
    assert (cs001[header.index("Grade")], cs001[header.index("Calibrated")]) == ("C", "S")


def test_runs_of_another_scheme_version_are_compared_with_a_warning(quarters: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"  # a copy: the module's store stays as the other tests expect it
    assert cli("store", "backup", str(store), "--store", "runs.sqlite", cwd=quarters).returncode == 0
    other = quarters / "agent-v2.yaml"
    text = (quarters / "agent.yaml").read_text(encoding="utf-8")
    other.write_text(text.replace("version: 1\n", "version: 2\n", 1), encoding="utf-8")
    done = cli("run", "agent-v2.yaml", "-p", "2026-Q4", "-o", str(tmp_path / "q4"), "--no-report", "--store",
               str(store), cwd=quarters)
    assert done.returncode == 0, done.stderr
    out = cli("render", str(tmp_path / "q4"), "-o", str(tmp_path / "r-v2"), "-f", "md,xlsx", "-q", "--store",
              str(store), cwd=quarters)
    assert out.returncode == 0, out.stderr
    warning = "Compared with runs of another scheme version"
    for page in ("index.md", "team.md"):
        text = (tmp_path / "r-v2" / page).read_text(encoding="utf-8")
        assert f"{warning} (their numbers were computed by other rules): 2026-Q1 (v1), 2026-Q2 (v1), " \
               "2026-Q3 (v1); 2026-Q4: v2" in text
    rows = list(openpyxl.load_workbook(tmp_path / "r-v2" / "result.xlsx")["History"].iter_rows(values_only=True))
    assert str(rows[-1][0]).startswith(warning)


def test_earlier_folders_given_replace_the_stores_periods(quarters: Path) -> None:
    summary = (rendered(quarters, "r-given", "--previous", "2026-Q1") / "index.md").read_text(encoding="utf-8")
    assert "| 2026-Q1 | 50 |" in summary and "| 2026-Q2 | 50 |" not in summary


def test_a_folder_the_store_does_not_hold_has_no_history(quarters: Path, tmp_path: Path) -> None:
    """(A folder with the very bytes of a stored run's result.json is that run, stored or not.)"""
    done = cli("run", "agent.yaml", "-p", "2025-Q4", "-o", str(tmp_path / "loose"), "--no-report", "--no-store",
               cwd=quarters)
    assert done.returncode == 0, done.stderr
    out = cli("render", str(tmp_path / "loose"), "-o", str(tmp_path / "r"), "-f", "md", "-q", "--store",
              "runs.sqlite", cwd=quarters)
    assert out.returncode == 0, out.stderr
    assert "Period over period" not in (tmp_path / "r" / "index.md").read_text(encoding="utf-8")


def test_a_folder_repeated_bit_for_bit_is_known_by_where_it_was_stored(quarters: Path, tmp_path: Path) -> None:
    """A run repeated on the same data has the very same result.json: its folder names which run it is."""
    store = tmp_path / "runs.sqlite"
    assert cli("store", "backup", str(store), "--store", "runs.sqlite", cwd=quarters).returncode == 0
    again = cli("run", "agent.yaml", "-p", "2026-Q3", "-o", str(tmp_path / "q3-again"), "--no-report", "--store",
                str(store), cwd=quarters)
    assert again.returncode == 0, again.stderr  # v2, without v1's calibration
    first = rendered(quarters, "r-first-of-two", "--store", str(store))
    assert "| S ✎ |" in (first / "team.md").read_text(encoding="utf-8")  # v1's decision, for v1's folder
    done = cli("render", str(tmp_path / "q3-again"), "-o", str(tmp_path / "r2"), "-f", "md", "-q", "--store",
               str(store), cwd=quarters)
    assert done.returncode == 0, done.stderr
    assert "✎" not in (tmp_path / "r2" / "team.md").read_text(encoding="utf-8")


def test_a_store_named_that_is_not_there_is_an_error(quarters: Path, tmp_path: Path) -> None:
    out = cli("render", "2026-Q3", "-o", str(tmp_path / "r"), "--store", str(tmp_path / "none.sqlite"), cwd=quarters)
    assert out.returncode == 1 and f"no run store at {tmp_path / 'none.sqlite'}" in out.stderr
    assert "Traceback" not in out.stderr


def test_the_workbook_rounds_money_to_cents_and_charts_the_grades_against_the_target(quarters: Path) -> None:
    book = openpyxl.load_workbook(rendered(quarters, "r-money") / "result.xlsx")
    rows = list(book["Incentives"].iter_rows(values_only=True))
    header = rows[0]
    money = [header.index(k) for k in ("Bonus base", "Bonus", "Sales", "Commission", "Bonus and commission")]
    amounts = [row[k] for row in rows[1:] for k in money if isinstance(row[k], float)]
    assert amounts and all(round(a, 2) == a for a in amounts)
    chart = book["Chart"]
    [drawn] = chart._charts
    assert [r[0] for r in chart.iter_rows(min_row=2, values_only=True)] == ["S", "A", "B", "C", "D"]
    assert drawn.title is not None
