"""Drill-down pages: the rows behind each score, rendered through drill.md.j2 in the run's language."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from appraisal.explaining import row_lines
from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, row_evidence, run
from appraisal.plugins import extensions
from appraisal.rendering import drilling
from appraisal.rendering.reports import render_report
from appraisal.results.row_evidence import IN_NUMERATOR
from appraisal.results.storing import load_run, write_run
from appraisal.row_reader import RowReader

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "measuring"
CJK = re.compile(r"[\u4e00-\u9fff]")
# What the English pages and `appraisal explain` say, and what a zh page must not.
ENGLISH = ("rows:", "fall in the period", "excluded;", "counted:", "in numerator", "not shown", "since the run",
           "dataset ", "linear:", "worst", "Value", "Target", "Score", "Weight", "Source", "Rows", "Period",
           "contributes", "status ok", "True", "False", "Back to")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return write_run(run(load_scheme(DATA / "agent.yaml"), parse_period("2026-Q3")),
                     tmp_path_factory.mktemp("runs") / "q3")


def copied_run(tmp_path: Path, edit: Callable[[str], str] | None = None) -> tuple[Path, Path]:
    """A run of agent.yaml over a copy of its data (tickets.csv edited first); (run folder, data)."""
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    if edit is not None:
        tickets = data / "tickets.csv"
        tickets.write_text(edit(tickets.read_text(encoding="utf-8")), encoding="utf-8")
    return write_run(run(load_scheme(data / "agent.yaml"), parse_period("2026-Q3")), tmp_path / "q3"), data


def drill_pages(run_dir: Path, out: Path, **options) -> Path:
    """The drill-down pages of the run, with Markdown scorecards; the folder of a1's pages."""
    result = load_run(run_dir)
    render_report(result, out, formats=["md"], run_dir=run_dir, drill_rows=row_evidence(result), **options)
    return out / "drill" / "a1"


def test_a_zh_drill_page_of_a_real_run_has_chinese_labels_and_no_english_engine_sentence(run_dir, tmp_path):
    folder = drill_pages(run_dir, tmp_path / "out", language="zh")
    pages = sorted(folder.glob("*.md"))
    assert len(pages) == 5
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert [w for w in ENGLISH if w in text] == [], page.name
        assert "- 实际值: " in text and "- 评分规则: 线性计分：" in text and "数据来源: " in text
    text = (folder / "resolution_rate.md").read_text(encoding="utf-8")
    assert "a1 在 tickets 中有 3 行数据落在考核期内，其中 1 行被排除；以下是计入的前 2 行：" in text
    assert "| 计入分子 |" in text and text.count("| 是 |") == 1 and text.count("| 否 |") == 1


def test_an_en_drill_page_carries_the_same_numbers_as_before(run_dir, tmp_path):
    text = (drill_pages(run_dir, tmp_path / "out") / "tickets.md").read_text(encoding="utf-8")
    assert text.startswith(
        "# a1 · Tickets handled\n\nAnn · Measuring test, agents · Period 2026-Q3 · Indicator tickets\n")
    assert ("- Value: 2\n- Target: 3\n- Score: 66.7\n- Rule: linear: worst 0 = 0, target 3 = 100, best 6 = 100\n"
            "- Weight: 25.0% · Effective weight: 25.0% · Contribution: 16.67\n"
            "- Rows: 2 · Source: dataset tickets · Status: ok\n") in text
    assert "\n3 of a1's rows in tickets fall in the period, 1 excluded; the first 2 counted:\n" in text
    assert ("| ticket_id | agent_id | created_at | first_response_at | status | cause | handle_time | customer |\n"
            "|---|---|---|---|---|---|---|---|\n"
            "| t01 | a1 | 2026-07-01 09:00:00 | 2026-07-01 10:00:00 | resolved |  | 1800.0 | c1 |\n"
            "| t02 | a1 | 2026-07-02 09:00:00 | 2026-07-02 12:00:00 | open |  | 3600.0 | c1 |\n") in text


def test_an_en_drill_page_links_back_to_the_markdown_scorecard(run_dir, tmp_path):
    folder = drill_pages(run_dir, tmp_path / "out")
    text = (folder / "tickets.md").read_text(encoding="utf-8")
    assert "[Back to the scorecard](../../scorecards/a1.md)" in text
    assert (folder / "../../scorecards/a1.md").resolve().is_file()


def test_without_markdown_scorecards_a_drill_page_has_no_link_back(run_dir, tmp_path):
    result = load_run(run_dir)
    render_report(result, tmp_path / "out", formats=["html"], drill_rows=row_evidence(result))
    assert "scorecards/" not in (tmp_path / "out" / "drill" / "a1" / "tickets.md").read_text(encoding="utf-8")


def test_a_rating_has_no_rows_section(run_dir, tmp_path):
    text = (drill_pages(run_dir, tmp_path / "out") / "qa_review.md").read_text(encoding="utf-8")
    assert "- Rows: 2 · Source: ratings · Status: ok\n" in text and "## " not in text


def test_rows_of_data_changed_since_the_run_are_not_shown_and_say_why_in_chinese(tmp_path):
    folder, data = copied_run(tmp_path)
    with (data / "tickets.csv").open("a", encoding="utf-8") as handle:
        handle.write("t99,a1,2026-07-09 09:00,2026-07-09 10:00,resolved,,0:10:00,c9\n")
    text = (drill_pages(folder, tmp_path / "out", language="zh") / "tickets.md").read_text(encoding="utf-8")
    assert text.endswith("## 数值背后的数据行\n\n不予显示：数据文件在本次考核之后已被修改\n")
    assert "t01" not in text


def test_a_pipe_and_a_script_in_the_data_are_escaped_in_the_rows_table(tmp_path):
    folder, _ = copied_run(tmp_path, lambda text: text.replace(",0:30:00,c1", ",0:30:00,<script>x|y"))
    text = (drill_pages(folder, tmp_path / "out") / "tickets.md").read_text(encoding="utf-8")
    assert "<script>" not in text
    assert "| &lt;script&gt;x\\|y |" in text
    table = [line for line in text.splitlines() if line.startswith("|")]
    assert len(table) == 4
    assert {len(re.findall(r"(?<!\\)\|", line)) for line in table} == {9}


def test_a_user_drill_template_replaces_the_default(run_dir, tmp_path):
    user = tmp_path / "templates"
    user.mkdir()
    (user / "drill.md.j2").write_text(
        '{% extends "default:drill.md.j2" %}{% block header %}# Mine: {{ appraisee.id }} / {{ cell.indicator }}\n'
        "{% endblock %}", encoding="utf-8")
    text = (drill_pages(run_dir, tmp_path / "out", user_dir=user) / "tickets.md").read_text(encoding="utf-8")
    assert text.startswith("# Mine: a1 / tickets\n")
    assert "| t01 | a1 |" in text  # the default's other blocks stay


def test_a_scheme_specific_drill_template_is_tried_first(run_dir, tmp_path):
    user = tmp_path / "templates"
    user.mkdir()
    (user / "drill-measuring-agent.md.j2").write_text("for this scheme: {{ cell.indicator }}\n", encoding="utf-8")
    (user / "drill.md.j2").write_text("for any scheme\n", encoding="utf-8")
    folder = drill_pages(run_dir, tmp_path / "out", user_dir=user)
    assert (folder / "tickets.md").read_text(encoding="utf-8") == "for this scheme: tickets\n"


def test_a_mistake_in_a_drill_template_names_the_file_and_line(run_dir, tmp_path):
    from appraisal.errors import AppraisalError

    user = tmp_path / "templates"
    user.mkdir()
    (user / "drill.md.j2").write_text("fine\n{{ no_such_thing }}\n", encoding="utf-8")
    with pytest.raises(AppraisalError, match=r"drill\.md\.j2:2: 'no_such_thing' is undefined"):
        drill_pages(run_dir, tmp_path / "out", user_dir=user)


def test_drill_pages_are_the_same_bytes_every_time(run_dir, tmp_path):
    first, second = drill_pages(run_dir, tmp_path / "one"), drill_pages(run_dir, tmp_path / "two")
    assert [p.read_bytes() for p in sorted(first.glob("*.md"))] == [p.read_bytes() for p in sorted(second.glob("*.md"))]


def test_counted_rows_are_data_with_the_counts_and_the_first_rows(run_dir):
    with RowReader(load_run(run_dir), extensions(), limit=1) as reader:
        counted = reader.counted("a1", "resolution_rate")
    assert (counted.dataset, counted.rows_in_period, counted.excluded, counted.why_not) == ("tickets", 3, 1, None)
    assert counted.columns[0] == "ticket_id" and counted.columns[-1] == IN_NUMERATOR
    assert [(row[0], row[-1]) for row in counted.rows] == [("t01", True)]
    assert counted.parts == {"key": "rows_counted", "appraisee": "a1", "dataset": "tickets", "in_period": 3,
                             "excluded": 1, "shown": 1}


def test_an_appraisee_without_counted_rows_says_so(run_dir):
    with RowReader(load_run(run_dir), extensions()) as reader:
        counted = reader.counted("nobody", "tickets")
    assert counted.rows == () and counted.why_not == {"key": "rows_none_counted", "appraisee": "nobody",
                                                      "dataset": "tickets"}
    assert row_lines(counted) == ["rows: none of nobody's rows in tickets were counted in this period"]


def test_a_run_whose_scheme_file_is_gone_says_so_in_chinese(run_dir, tmp_path):
    from dataclasses import replace

    result = load_run(run_dir)
    gone = replace(result, provenance={**result.provenance, "scheme_file": str(tmp_path / "gone.yaml")})
    render_report(gone, tmp_path / "out", formats=[], drill_rows=row_evidence(gone), language="zh")
    text = (tmp_path / "out" / "drill" / "a1" / "tickets.md").read_text(encoding="utf-8")
    assert "不予显示：方案文件 gone.yaml 已不存在" in text  # by its name: a report carries no local path


def test_every_drill_label_exists_in_both_languages():
    english, chinese = drilling.drill_labels("en"), drilling.drill_labels("zh")
    assert english.keys() == chinese.keys()
    assert all(CJK.search(chinese[key]) for key in drilling._LABELS)


def test_the_drill_context_is_documented_in_the_module_and_the_docs(run_dir):
    result = load_run(run_dir)
    data = result.as_dict()
    with RowReader(result, extensions()) as reader:
        counted = reader.counted("a1", "tickets")
    context = drilling.drill_context(data, data["appraisees"][0], data["appraisees"][0]["cells"][0], counted, "en")
    docs = (ROOT / "docs" / "templates.md").read_text(encoding="utf-8")
    keys = set(context) | set(context["counted"])
    assert sorted(k for k in keys if f"`{k}`" not in docs) == []
    assert sorted(k for k in ("appraisee", "cell", "counted", "scorecard")
                  if not re.search(rf"^    {k} ", drilling.__doc__ or "", re.MULTILINE)) == []
