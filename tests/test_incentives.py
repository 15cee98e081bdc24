"""Incentives: bonus = base x the grade's coefficient (capped); commission = rate x sales (capped).

tests/data/measuring/incentives.yaml: a1 grades A (3 tickets against a target of 2: 110), a2
grades A (2 tickets: 100), a3 grades C (1 ticket: 50); bases 10000, 8000, 6000; sales in Q3
320000 for a1 and 50000 for a2 (a2's October sale is outside the quarter).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, run
from appraisal.plugins import extensions
from appraisal.results.storing import load_run, write_run
from appraisal.scheme.validation import validate_files

DATA = Path(__file__).resolve().parent / "data" / "measuring"


@pytest.fixture(scope="module")
def result():
    return run(load_scheme(DATA / "incentives.yaml"), parse_period("2026-Q3"))


def test_the_bonus_is_the_base_times_the_grades_coefficient(result):
    pay = result.appraisee("a2").incentives
    assert (pay["base"], pay["coefficient"], pay["bonus"]) == (8000.0, 1.2, 9600.0)


def test_the_bonus_and_the_commission_are_capped(result):
    pay = result.appraisee("a1").incentives
    assert (pay["bonus"], pay["commission"], pay["total"]) == (11000.0, 5000.0, 16000.0)


def test_the_commission_counts_sales_in_the_period_only(result):
    assert result.appraisee("a2").incentives["sales"] == 50000.0


def test_no_sales_means_no_commission(result):
    pay = result.appraisee("a3").incentives
    assert (pay["bonus"], pay["commission"], pay["total"]) == (3000.0, None, 3000.0)


def test_the_steps_show_how_the_pay_came_about(result):
    assert result.appraisee("a1").steps[-2:] == (
        "bonus: base 10000 CNY x coefficient 1.2 (grade A) = 12000 CNY, capped at 11000 CNY",
        "commission: 2% of sales 320000 CNY = 6400 CNY, capped at 5000 CNY",
    )


def test_incentives_are_stored_with_the_result(result, tmp_path):
    assert load_run(write_run(result, tmp_path / "q3")).appraisee("a1").incentives == result.appraisee("a1").incentives


def test_coefficients_name_existing_grades(tmp_path):
    path = tmp_path / "s.yaml"
    text = (DATA / "incentives.yaml").read_text(encoding="utf-8").replace("C: 0.5}", "E: 0.5}")
    path.write_text(text, encoding="utf-8")
    [problem] = validate_files([path], extensions())
    assert problem.message == "unknown grade 'E'; known: A, B, C"


@pytest.mark.parametrize(("language", "words"), [
    ("en", ["Incentives", "Bonus base", "8000 CNY", "Coefficient (Grade A)", "1.20", "9600 CNY", "50000 CNY",
            "1000 CNY", "Bonus and commission", "10600 CNY"]),
    ("zh", ["绩效奖金与提成", "奖金基数", "绩效系数 (等级 A)", "9600 元", "奖金与提成合计", "10600 元"]),
])
def test_each_scorecard_shows_the_appraisees_pay(result, tmp_path, language, words):
    from appraisal.rendering.pages import render_result

    render_result(result, tmp_path, formats=["html", "md"], language=language)
    for fmt in ("html", "md"):
        text = (tmp_path / "scorecards" / f"a2.{fmt}").read_text(encoding="utf-8")
        assert all(w in text for w in words), (fmt, [w for w in words if w not in text])


def test_a_scheme_without_incentives_shows_no_pay_section(tmp_path):
    from appraisal.rendering.pages import render_result

    plain = run(load_scheme(DATA / "windows.yaml"), parse_period("2026-Q4"))
    render_result(plain, tmp_path, formats=["html"])
    assert all("Incentives" not in p.read_text(encoding="utf-8") for p in (tmp_path / "scorecards").glob("*.html"))


def test_the_workbook_has_an_incentives_sheet_of_real_numbers(result):
    from appraisal.rendering.excel import build_workbook

    sheet = build_workbook(result)["Incentives"]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["a2"][3:10] == (8000.0, 1.2, 9600.0, 50000.0, 1000.0, 10600.0, "CNY")
    assert sheet.cell(row=2, column=6).number_format == "#,##0.00"
