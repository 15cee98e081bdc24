"""Ratings collected in a workbook and read back: `appraisal form --xlsx --raters` writes a sheet per
rater; `appraisal ratings` reads the filled workbook into the ratings file the scheme reads, naming
every bad cell by sheet and cell. Self-assessment is the rater group `self`.

The agent scheme on its demo data (its quality review is rated 1 to 5).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest

from stored_runs import cli

RATERS = "rater,appraisee,group\nM01,CS001,\nM01,CS002,\nQA01,CS001,\nQA01,CS003,\n"


def workbook(agent: Path, raters: str = RATERS) -> Path:
    (agent.parent / "raters.csv").write_text(raters, encoding="utf-8")
    done = cli("form", str(agent), "--xlsx", "--raters", "raters.csv", "-o", ".", cwd=agent.parent)
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip()) if Path(done.stdout.strip()).is_absolute() else agent.parent / done.stdout.strip()


def test_a_sheet_per_rater_lists_their_people_and_takes_only_the_scale(agent: Path) -> None:
    book = openpyxl.load_workbook(workbook(agent))
    assert book.sheetnames == ["M01", "QA01", "_appraisal"] and book["_appraisal"].sheet_state == "hidden"
    sheet = book["M01"]
    assert [c.value for c in sheet[1]] == ["Appraisee", "Name", "Rater group", "Quality review", "Comment"]
    assert [(r[0], r[1]) for r in sheet.iter_rows(min_row=2, values_only=True)] == [("CS001", "Emily Zhang"),
                                                                                  ("CS002", "谢娟")]
    checks = {str(v.sqref): (v.type, v.formula1, v.formula2) for v in sheet.data_validations.dataValidation}
    assert checks == {"D2": ("decimal", "1", "5"), "D3": ("decimal", "1", "5")}


def test_assignments_written_with_unicode_spaces_name_the_same_people(agent: Path) -> None:
    """A hand-typed assignments file loses at its cells' ends what a typed roster id loses
    (the ASCII space, no-break and ideographic spaces), so `CS001　` is CS001."""
    raters = "rater,appraisee,group\nM01\u3000,\u00a0CS001 ,\n M01,CS002\u3000,\n"
    book = openpyxl.load_workbook(workbook(agent, raters))
    assert book.sheetnames == ["M01", "_appraisal"]
    assert [r[0] for r in book["M01"].iter_rows(min_row=2, values_only=True)] == ["CS001", "CS002"]


def test_a_filled_workbook_is_read_back_and_the_run_averages_its_ratings(agent: Path) -> None:
    path = workbook(agent)
    book = openpyxl.load_workbook(path)
    book["M01"]["D2"], book["M01"]["E2"], book["QA01"]["D2"], book["QA01"]["D3"] = 4, "steady", 2, 5
    book.save(agent.parent / "filled.xlsx")
    done = cli("ratings", str(agent), "filled.xlsx", "-o", "collected.csv", cwd=agent.parent)
    assert done.returncode == 0, done.stderr
    with (agent.parent / "collected.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["appraisee"], r["rater"], r["rating"], r["comment"]) for r in rows] == [
        ("CS001", "M01", "4", "steady"), ("CS001", "QA01", "2", ""), ("CS003", "QA01", "5", "")]
    scheme = agent.parent / "collected.yaml"
    scheme.write_text(agent.read_text(encoding="utf-8").replace("data/agent/ratings.csv", "collected.csv"),
                      encoding="utf-8")
    assert cli("run", str(scheme), "-p", "2026-Q3", "-o", "q3", "--no-report", "--no-store",
               cwd=agent.parent).returncode == 0
    result = json.loads((agent.parent / "q3" / "result.json").read_text(encoding="utf-8"))
    n = [i["id"] for i in result["scheme"]["indicators"]].index("qa_review")
    values = {r["appraisee"]: r[f"value_{n}"] for r in pq.read_table(agent.parent / "q3" / "appraisees.parquet",
                                                                       use_threads=False).to_pylist()}
    assert (values["CS001"], values["CS003"], values["CS002"]) == (3.0, 5.0, None)


def test_every_bad_cell_is_named_by_sheet_and_cell_and_nothing_is_written(agent: Path) -> None:
    path = workbook(agent)
    book = openpyxl.load_workbook(path)
    book["M01"]["D2"], book["M01"]["D3"], book["QA01"]["D3"] = 9, "good", 3
    book["QA01"]["A3"] = "CS999"
    book.save(agent.parent / "filled.xlsx")
    done = cli("ratings", str(agent), "filled.xlsx", "-o", "collected.csv", cwd=agent.parent)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "M01!D2: 9 is off qa_review's scale (1 to 5)", "M01!D3: 'good' is not a number",
        "QA01!A3: CS999 is not on the roster", "3 bad cells in filled.xlsx: nothing was written"]
    assert not (agent.parent / "collected.csv").exists()


@pytest.mark.parametrize(("raters", "message"), [
    ("rater,appraisee\nCS001,CS001\n", "CS001 rates themselves outside the self group"),
    ("rater,appraisee,group\nCS002,CS001,self\n", "CS002 is in the self group of CS001: only CS001 rates there"),
    ("rater,appraisee\nM01,CS999\n", "CS999 (rated by M01) is not on the roster"),
    ("who,whom\nM01,CS001\n", "needs the columns rater and appraisee"),
], ids=["self outside self", "another in self", "not on the roster", "wrong columns"])
def test_assignments_that_cannot_be_rated_are_refused(agent: Path, raters: str, message: str) -> None:
    (agent.parent / "raters.csv").write_text(raters, encoding="utf-8")
    done = cli("form", str(agent), "--xlsx", "--raters", "raters.csv", "-o", ".", cwd=agent.parent)
    assert done.returncode == 1 and message in done.stderr, done.stderr


def test_self_assessment_is_a_rater_group_that_counts_the_appraisee_rating_themselves(agent: Path) -> None:
    grouped = agent.parent / "grouped.yaml"
    grouped.write_text(agent.read_text(encoding="utf-8").replace(
        "    scale: [1, 5]\n    target: 4\n", "    scale: [1, 5]\n    raters: {qa: {weight: 80}, self: {weight: 20}}\n"
        "    target: 4\n", 1).replace("data/agent/ratings.csv", "collected.csv"), encoding="utf-8")
    path = workbook(grouped, "rater,appraisee,group\nQA01,CS001,qa\nCS001,CS001,self\n")
    book = openpyxl.load_workbook(path)
    book["QA01"]["D2"], book["CS001"]["D2"] = 3, 5
    book.save(grouped.parent / "filled.xlsx")
    done = cli("ratings", str(grouped), "filled.xlsx", "-o", "collected.csv", cwd=grouped.parent)
    assert done.returncode == 0, done.stderr
    with (grouped.parent / "collected.csv").open("a", encoding="utf-8") as handle:  # by hand, in the wrong place:
        handle.write("CS001,qa_review,CS002,self,1,\nCS003,qa_review,CS003,qa,5,\n")  # neither counts
    assert cli("run", str(grouped), "-p", "2026-Q3", "-o", "q3", "--no-report", "--no-store",
               cwd=grouped.parent).returncode == 0
    result = json.loads((grouped.parent / "q3" / "result.json").read_text(encoding="utf-8"))
    n = [i["id"] for i in result["scheme"]["indicators"]].index("qa_review")
    [row] = [r for r in pq.read_table(grouped.parent / "q3" / "appraisees.parquet", use_threads=False).to_pylist()
             if r["appraisee"] == "CS001"]
    assert row[f"value_{n}"] == pytest.approx((3 * 80 + 5 * 20) / 100)
    [counted] = [q for q in result["quality"] if q["cause"] == "self rating"]
    assert counted["count"] == 2


def _renamed(book: openpyxl.Workbook) -> None:
    book["M01"].title = "Li"


def _regrouped(book: openpyxl.Workbook) -> None:
    book["M01"]["C2"] = "supervisor"


def _copied(book: openpyxl.Workbook) -> None:
    book["M01"].append(["CS001", "Emily Zhang", None, 5])


def _moved(book: openpyxl.Workbook) -> None:
    book["M01"].insert_cols(4)


@pytest.mark.parametrize(("tamper", "message"), [
    (_renamed, "Li: a sheet the workbook was not written with (renamed or added): not read"),
    (_regrouped, "M01!A2: M01 was not asked to rate CS001 in the group supervisor"),
    (_copied, "M01!A4: CS001 in the group (none) a second time"),
    (_moved, "M01!1: the columns were changed (added, moved or renamed): the ratings are not read"),
], ids=["renamed sheet", "group edited", "row copied", "column inserted"])
def test_a_workbook_changed_beyond_its_cells_is_refused_with_where(agent: Path, tamper: object, message: str) -> None:
    book = openpyxl.load_workbook(workbook(agent))
    book["M01"]["D2"] = 4
    tamper(book)  # type: ignore[operator]
    book.save(agent.parent / "filled.xlsx")
    done = cli("ratings", str(agent), "filled.xlsx", "-o", "collected.csv", cwd=agent.parent)
    assert done.returncode == 1 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and not (agent.parent / "collected.csv").exists()
