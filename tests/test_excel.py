"""The Excel workbook: a sheet per view, numbers as numbers with formats, headers in the run's language."""

from __future__ import annotations

import time
from pathlib import Path

import openpyxl
import pytest

from appraisal.rendering.excel import PERCENT, POINTS, SCORE, workbook_bytes, write_workbook
from sample_results import make_result, person


@pytest.fixture
def result():
    return make_result([person("b", 99.0, "North"), person("a", 71.5, "South", (60.0, 0.8)),
                        person("c", None, None, (None, 0.5))],
                       quality=({"dataset": "tickets", "cause": "duplicate key", "column": "id", "count": 2},),
                       provenance={"scheme_file": "nowhere.yaml", "plugins": [{"name": "x", "version": "1"}]})


def opened(result, tmp_path: Path, language: str = "en") -> openpyxl.Workbook:
    return openpyxl.load_workbook(write_workbook(result, tmp_path / "r.xlsx", language))


def test_the_workbook_has_a_sheet_per_view(result, tmp_path):
    assert opened(result, tmp_path).sheetnames == ["Summary", "Scores", "Team", "Weighted total", "Chart", "Quality",
                                                   "Provenance"]


def test_sheet_names_and_headers_are_chinese_with_zh(result, tmp_path):
    book = opened(result, tmp_path, "zh")
    assert book.sheetnames == ["汇总", "得分明细", "团队", "加权总分核算", "图表", "数据质量", "溯源信息"]
    assert [c.value for c in book["汇总"][1]][:6] == ["编号", "姓名", "团队", "加权总分", "加减分", "总分"]
    assert book["得分明细"]["D2"].value == "速度"


def test_totals_are_numbers_with_one_decimal(result, tmp_path):
    cell = opened(result, tmp_path)["Summary"]["F2"]
    assert cell.data_type == "n" and cell.value == 99.0 and cell.number_format == SCORE


def test_percent_values_are_fractions_formatted_as_percent(result, tmp_path):
    sheet = opened(result, tmp_path)["Scores"]
    rows = {(r[0].value, r[2].value): r for r in sheet.iter_rows(min_row=2)}
    value, target = rows[("a", "rate")][4], rows[("a", "rate")][6]
    assert (value.value, value.number_format) == (0.8, PERCENT)
    assert (target.value, target.number_format) == (0.9, PERCENT)
    assert rows[("a", "speed")][4].number_format == POINTS
    assert rows[("a", "speed")][7].value == 60.0 and rows[("a", "speed")][7].number_format == SCORE


def test_a_missing_score_is_an_empty_cell_not_text(result, tmp_path):
    sheet = opened(result, tmp_path)["Scores"]
    row = next(r for r in sheet.iter_rows(min_row=2) if (r[0].value, r[2].value) == ("c", "speed"))
    assert row[7].value is None


def test_every_sheet_has_a_frozen_header_and_an_autofilter(result, tmp_path):
    for sheet in opened(result, tmp_path):
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == sheet.dimensions


def test_the_team_sheet_compares_teams(result, tmp_path):
    sheet = opened(result, tmp_path)["Team"]
    assert [c.value for c in sheet[1]] == ["Team", "Count", "Mean total", "Grade A", "Grade B", "Grade C",
                                         "Speed", "Rate"]
    assert [c.value for c in sheet[2]][:6] == ["North", 1, 99.0, 1, 0, 0]
    assert sheet["A4"].value == "no team"


def test_the_bytes_do_not_depend_on_the_clock(result):
    first = workbook_bytes(result)
    time.sleep(2.1)  # zip timestamps have a two-second resolution
    assert workbook_bytes(result) == first


def test_the_file_is_dated_at_the_end_of_the_period(result, tmp_path):
    properties = opened(result, tmp_path).properties
    assert properties.created.isoformat() == properties.modified.isoformat() == "2026-10-01T00:00:00"


@pytest.fixture(scope="module")
def zh_book(tmp_path_factory) -> openpyxl.Workbook:
    """The zh workbook of a real run of tests/data/measuring/agent.yaml."""
    from appraisal.periods import parse_period
    from appraisal.pipeline import load_scheme, run

    result = run(load_scheme(Path(__file__).resolve().parent / "data" / "measuring" / "agent.yaml"),
                 parse_period("2026-Q3"))
    return openpyxl.load_workbook(write_workbook(result, tmp_path_factory.mktemp("xlsx") / "r.xlsx", "zh"))


def column(sheet, header: str) -> list:
    index = [c.value for c in sheet[1]].index(header)
    return [row[index].value for row in sheet.iter_rows(min_row=2)]


def test_rules_in_a_zh_workbook_are_chinese_with_their_numbers(zh_book):
    rules = column(zh_book["得分明细"], "评分规则")
    assert "线性计分：最差值 8 得 0 分，目标值 2 得 100 分，最佳值 1 得 100 分" in rules
    assert not [r for r in rules if "linear" in r or "not scored" in r]


def test_statuses_flags_and_causes_in_a_zh_workbook_are_chinese(zh_book):
    assert set(column(zh_book["得分明细"], "状态")) == {"正常", "数据不足"}
    assert {"期中入职", "期中离职"} <= set(column(zh_book["汇总"], "标记"))
    assert {"主键重复", "已排除：supplier batch"} <= set(column(zh_book["数据质量"], "原因"))
