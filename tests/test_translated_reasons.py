"""Reasons of gates, adjustments and exclusions given per language are shown in the report's
language (falling back to English, then to the first given); plain strings and results stored
before reasons could be translated still work, and JSON, CSV and `explain` keep the English."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, run
from appraisal.rendering.excel import build_workbook
from appraisal.rendering.forms import form_context
from appraisal.rendering.phrasing import cause_text
from appraisal.rendering.reports import render_report
from appraisal.results.result import Result, result_from_dict
from appraisal.results.storing import load_run, write_run

DATA = Path(__file__).resolve().parent / "data" / "measuring"
EXCLUSION_LINE = "  - {dataset: tickets, where: \"cause == 'supplier_defect'\", reason: supplier batch}\n"
TRANSLATED = (
    "  - dataset: tickets\n"
    "    where: \"cause == 'supplier_defect'\"\n"
    "    reason:\n"
    "      en: Supplier's defective batch\n"
    "      zh: 供应商批次缺陷\n"
)
GATE_AND_ADJUSTMENT = (
    "gates:\n"
    "  - when: \"tickets >= 2\"\n"
    "    cap_total: 55\n"
    "    reason: {en: Too many tickets for the test, zh: 测试用的工单过多}\n"
    "adjustments:\n"
    "  - when: \"tickets >= 1\"\n"
    "    points: 5\n"
    "    reason: {en: Attendance, zh: 出勤}\n"
)


def scheme_file(folder: Path, exclusion: str, extra: str = "") -> Path:
    """tests/data/measuring/agent.yaml with its exclusion replaced, `extra` added, and its data
    files copied beside it (a scheme reads data only from its own folder)."""
    text = (DATA / "agent.yaml").read_text(encoding="utf-8")
    assert EXCLUSION_LINE in text
    text = text.replace(EXCLUSION_LINE, exclusion) + extra
    shutil.copytree(DATA, folder, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.yaml"))
    path = folder / "scheme.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def appraise(path: Path) -> Result:
    return run(load_scheme(path), parse_period("2026-Q3"))


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """A stored run of the scheme with translated reasons."""
    folder = tmp_path_factory.mktemp("translated")
    return write_run(appraise(scheme_file(folder, TRANSLATED, GATE_AND_ADJUSTMENT)), folder / "run")


def report(run_dir: Path, out: Path, language: str) -> Path:
    render_report(load_run(run_dir), out, formats=("html", "md"), language=language)
    return out


@pytest.fixture(scope="module")
def zh(run_dir, tmp_path_factory) -> Path:
    return report(run_dir, tmp_path_factory.mktemp("zh"), "zh")


@pytest.fixture(scope="module")
def en(run_dir, tmp_path_factory) -> Path:
    return report(run_dir, tmp_path_factory.mktemp("en"), "en")


def test_a_translated_gate_reason_is_chinese_on_a_zh_scorecard(zh):
    text = (zh / "scorecards" / "a1.md").read_text(encoding="utf-8")
    assert "| 否决项 | 测试用的工单过多 | tickets &gt;= 2 | 总分封顶 55 分 | 是 | – |" in text
    assert "| 加减分 | 出勤 |" in text
    assert "Too many tickets" not in text and "Attendance" not in text
    assert "<td>测试用的工单过多</td>" in (zh / "scorecards" / "a1.html").read_text(encoding="utf-8")


def test_a_translated_gate_reason_is_english_on_an_en_scorecard(en):
    text = (en / "scorecards" / "a1.md").read_text(encoding="utf-8")
    assert "| gate | Too many tickets for the test | tickets &gt;= 2 | cap total at 55 | yes | – |" in text
    assert "| adjustment | Attendance |" in text
    assert "测试用的工单过多" not in text and "出勤" not in text


def test_an_applied_gate_step_gives_its_reason_in_the_reports_language(zh, en):
    assert "3. 否决项条件 tickets &gt;= 2 成立（测试用的工单过多）：总分封顶 55 分；总分 55\n" in (
        zh / "scorecards" / "a1.md").read_text(encoding="utf-8")
    assert "3. gate tickets &gt;= 2 holds (Too many tickets for the test): cap total at 55; total 55\n" in (
        en / "scorecards" / "a1.md").read_text(encoding="utf-8")


def test_a_translated_exclusion_cause_is_chinese_in_a_zh_data_quality_section(zh):
    assert "| tickets | 已排除：供应商批次缺陷 |  | 1 |" in (zh / "index.md").read_text(encoding="utf-8")
    assert "<td>已排除：供应商批次缺陷</td>" in (zh / "index.html").read_text(encoding="utf-8")


def test_a_translated_exclusion_cause_is_english_in_an_en_data_quality_section(en):
    assert "| tickets | excluded: Supplier's defective batch |  | 1 |" in (en / "index.md").read_text(encoding="utf-8")
    assert "<td>excluded: Supplier&#39;s defective batch</td>" in (en / "index.html").read_text(encoding="utf-8")


def test_the_data_quality_table_has_no_column_for_the_causes_parts(zh):
    text = (zh / "index.md").read_text(encoding="utf-8")
    assert "| 数据集 | 原因 | 字段 | 数量 |" in text and "cause_parts" not in text


def test_the_zh_team_report_shows_the_zh_exclusion_reason(zh):
    assert "| tickets | 已排除：供应商批次缺陷 |  | 1 |" in (zh / "team.md").read_text(encoding="utf-8")
    assert "<td>已排除：供应商批次缺陷</td>" in (zh / "team.html").read_text(encoding="utf-8")


def test_json_and_csv_keep_the_english_cause_beside_its_parts(run_dir):
    [excluded] = [q for q in json.loads((run_dir / "result.json").read_text(encoding="utf-8"))["quality"]
                  if q["cause"].startswith("excluded: ")]
    assert excluded["cause"] == "excluded: Supplier's defective batch"
    assert excluded["cause_parts"] == {"key": "excluded",
                                       "reason": {"en": "Supplier's defective batch", "zh": "供应商批次缺陷"}}
    with (run_dir / "quality.csv").open(encoding="utf-8", newline="") as f:
        assert "excluded: Supplier's defective batch" in {row["cause"] for row in csv.DictReader(f)}


def test_explain_keeps_the_english_reason(run_dir, run_cli):
    result = run_cli("explain", str(run_dir), "--appraisee", "a1")
    assert result.exit_code == 0, result.stderr
    assert "gate when tickets >= 2: cap total at 55 (Too many tickets for the test) - applied" in result.stdout


def test_a_zh_workbook_gives_the_exclusion_reason_in_chinese(run_dir):
    sheet = build_workbook(load_run(run_dir), "zh")["数据质量"]
    assert "已排除：供应商批次缺陷" in [row[1] for row in sheet.iter_rows(values_only=True)]


def test_a_zh_form_gives_each_reason_in_chinese(run_dir):
    rules = form_context(load_scheme(run_dir.parent / "scheme.yaml"), "zh")["rules"]
    assert [r for r in rules if "（供应商批次缺陷）" in r or "（测试用的工单过多）" in r or "（出勤）" in r] == rules


def test_a_plain_string_reason_still_works(tmp_path):
    plain = "  - {dataset: tickets, where: \"cause == 'supplier_defect'\", reason: 供应商批次}\n"
    gates = "gates:\n  - {when: \"tickets >= 2\", cap_total: 55, reason: 封顶}\n"
    result = appraise(scheme_file(tmp_path, plain, gates))
    assert result.appraisee("a1").effects[0].reason_text == {"en": "封顶"}
    out = report(write_run(result, tmp_path / "run"), tmp_path / "out", "zh")
    assert "| 否决项 | 封顶 |" in (out / "scorecards" / "a1.md").read_text(encoding="utf-8")
    assert "| tickets | 已排除：供应商批次 |  | 1 |" in (out / "index.md").read_text(encoding="utf-8")


def test_an_old_result_with_string_reasons_still_renders(run_dir, tmp_path):
    """A result.json written before reasons could be translated: plain reasons, no cause_parts."""
    data = json.loads((run_dir / "result.json").read_text(encoding="utf-8"))
    for person in data["appraisees"]:
        for effect in person["effects"]:
            effect.pop("reason_text")
        for part in person["step_parts"]:
            if "reason" in part:
                part["reason"] = part["reason"]["en"]
    for row in data["quality"]:
        row.pop("cause_parts")
    old = result_from_dict(data)
    assert [e.reason_text for e in old.appraisee("a1").effects] == [
        {"en": "Attendance"}, {"en": "Too many tickets for the test"}]
    render_report(old, tmp_path, formats=("html", "md"), language="zh")
    card = (tmp_path / "scorecards" / "a1.md").read_text(encoding="utf-8")
    assert "| 否决项 | Too many tickets for the test |" in card
    assert "成立（Too many tickets for the test）" in card
    summary = (tmp_path / "index.md").read_text(encoding="utf-8")
    assert "| tickets | 已排除：Supplier's defective batch |  | 1 |" in summary


def test_a_reason_falls_back_to_english_then_to_the_first_language_given():
    with_english = {"cause": "excluded: defect",
                    "cause_parts": {"key": "excluded", "reason": {"fr": "défaut", "en": "defect"}}}
    without = {"cause": "excluded: défaut",
               "cause_parts": {"key": "excluded", "reason": {"fr": "défaut", "de": "Defekt"}}}
    assert cause_text(with_english, "zh") == "已排除：defect"
    assert cause_text(without, "zh") == "已排除：défaut"


@pytest.mark.parametrize("where", ["exclusion", "gate", "adjustment"])
def test_the_schema_accepts_a_reason_as_one_text_or_per_language(tmp_path, run_cli, where):
    texts = {"exclusion": (TRANSLATED, ""), "gate": (EXCLUSION_LINE, GATE_AND_ADJUSTMENT.split("adjustments:")[0]),
             "adjustment": (EXCLUSION_LINE, "adjustments:" + GATE_AND_ADJUSTMENT.split("adjustments:")[1])}
    result = run_cli("validate", str(scheme_file(tmp_path, *texts[where])))
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize(("where", "extra", "path"), [
    ("exclusion", "", "exclusions[0].reason"),
    ("gate", "gates:\n  - {when: \"tickets >= 2\", cap_total: 55, reason: {english: Capped}}\n", "gates[0].reason"),
    ("adjustment", "adjustments:\n  - {when: \"tickets >= 1\", points: 5, reason: {english: Bonus}}\n",
     "adjustments[0].reason"),
])
def test_a_reason_keyed_by_a_non_language_is_refused_with_the_friendly_message(tmp_path, run_cli, where, extra, path):
    exclusion = ("  - {dataset: tickets, where: \"cause == 'supplier_defect'\", reason: {english: Defect}}\n"
                 if where == "exclusion" else EXCLUSION_LINE)
    result = run_cli("validate", str(scheme_file(tmp_path, exclusion, extra)))
    assert result.exit_code == 1
    assert (f"{path}.english: 'english' is not a valid key here: expected a language code such as en, zh or zh-Hant"
            in result.stderr.splitlines()[0])
