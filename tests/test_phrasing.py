"""The phrasebook: every explanation the engine records can be said in English and in Chinese."""

from __future__ import annotations

import ast
import re
import string
from dataclasses import asdict
from pathlib import Path

import pytest

from appraisal.measuring import measurements as measuring
from appraisal.rendering import phrasing
from appraisal.rendering.phrasing import (
    PHRASES,
    WORDS,
    effect_text,
    phrase,
    rule_text,
    source_text,
    status_text,
    step_texts,
    word,
)
from appraisal.scheme.validation import scheme_schema

SRC = Path(phrasing.__file__).resolve().parent
CJK = re.compile(r"[\u4e00-\u9fff]")


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def emitted_keys() -> set[str]:
    """Every phrasebook key written in scoring/scores.py, scoring/grading.py and results/concluding.py:
    `{"key": ...}` literals, `key = ...` assignments and the key argument of `steps.add(text, key, ...)`."""
    keys: set[str] = set()

    def texts(node: ast.AST) -> list[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.IfExp):
            return texts(node.body) + texts(node.orelse)
        return []

    for name in ("scoring/scores.py", "scoring/grading.py", "results/concluding.py"):
        for node in ast.walk(ast.parse((SRC.parent / name).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                for k, v in zip(node.keys, node.values, strict=True):
                    if isinstance(k, ast.Constant) and k.value == "key":
                        keys.update(texts(v))
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "key" for t in node.targets):
                keys.update(texts(node.value))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add" \
                    and len(node.args) > 1:
                keys.update(texts(node.args[1]))
    return keys


def test_every_phrase_has_an_english_and_a_chinese_text_with_the_same_placeholders():
    for key, (en, zh) in PHRASES.items():
        assert en.strip() and zh.strip(), key
        assert placeholders(en) == placeholders(zh), key


def test_every_word_has_an_english_and_a_chinese_text():
    for key, (en, zh) in WORDS.items():
        assert en == key and CJK.search(zh), key


def test_every_key_the_engine_writes_is_in_the_phrasebook():
    keys = emitted_keys()
    assert len(keys) > 20  # the scan found the engine's keys at all
    assert sorted(keys - PHRASES.keys()) == []


@pytest.mark.parametrize("status", [measuring.OK, measuring.INSUFFICIENT])
def test_every_status_the_engine_writes_has_a_chinese_word(status):
    assert CJK.search(status_text(status, "zh")) and status_text(status, "en") == status


@pytest.mark.parametrize("flag", [measuring.JOINED, measuring.LEFT, measuring.ABSENT])
def test_every_employment_flag_has_a_chinese_word(flag):
    assert CJK.search(word(flag, "zh")) and word(flag, "en") == flag


def test_a_rater_group_flag_is_said_in_chinese_with_its_numbers():
    flag = "subordinates: 1 of at least 2 raters, not counted"
    assert word(flag, "zh") == "subordinates：仅 1 名评价人，不足最低要求 2 名，不计入"
    assert word(flag, "en") == flag


def test_every_data_quality_cause_the_engine_writes_has_a_chinese_word():
    columns = scheme_schema()["$defs"]["columns"]["additionalProperties"]["oneOf"][0]["enum"]
    causes = ["duplicate key", "negative duration", "unknown appraisee", "outside period", "no period value",
              "self rating", "rating outside scale", "unknown rater group", "unknown indicator", "empty id",
              "ragged row", "unterminated quote", "line too long", "invalid text encoding", "unreadable row",
              *(f"unparseable {kind}" for kind in columns if kind != "text")]
    assert [c for c in causes if not CJK.search(word(c, "zh"))] == []


def test_an_exclusion_cause_keeps_the_schemes_reason():
    assert word("excluded: supplier batch", "zh") == "已排除：supplier batch"
    assert word("excluded with its tickets row", "zh") == "随其 tickets 记录一并排除"


def test_a_plugins_own_flag_is_shown_as_it_is():
    assert word("checked by hand", "zh") == "checked by hand"


@pytest.mark.parametrize(("source", "expected"), [
    ("dataset tickets", "数据集 tickets"), ("ratings", "评分"), ("plugin crm", "插件 crm"),
    ("formula a + b", "公式 a + b"), ("no value", "无数值")])
def test_every_source_the_engine_writes_is_said_in_chinese(source, expected):
    assert source_text(source, "zh") == expected and source_text({"source": source}, "en") == source


def test_a_source_of_another_shape_is_shown_as_it_is():
    assert source_text("spreadsheet of May", "zh") == "spreadsheet of May"


def test_the_rows_behind_a_value_are_said_with_their_counts():
    parts = {"key": "rows_counted", "appraisee": "a1", "dataset": "tickets", "in_period": 3, "excluded": 1, "shown": 2}
    assert phrase(parts, "zh") == "a1 在 tickets 中有 3 行数据落在考核期内，其中 1 行被排除；以下是计入的前 2 行："
    assert phrase(parts, "en") == "3 of a1's rows in tickets fall in the period, 1 excluded; the first 2 counted:"


def test_a_percent_curve_shows_its_values_as_percentages():
    parts = {"key": "curve_linear", "worst": 0.6, "target": 0.9, "best": 1.0, "cap": 120.0, "unit": "%"}
    assert phrase(parts, "zh") == "线性计分：最差值 60.0% 得 0 分，目标值 90.0% 得 100 分，最佳值 100.0% 得 120 分"
    assert phrase(parts, "en") == "linear: worst 60.0% = 0, target 90.0% = 100, best 100.0% = 120"


def test_a_band_with_an_open_end_is_an_infinity():
    parts = {"key": "band", "low": 48.0, "high": None, "low_closed": False, "high_closed": False, "score": 40.0,
             "unit": "h"}
    assert phrase(parts, "zh") == "区间 (48 小时, ∞)：40 分"


def test_points_have_at_most_two_decimals_and_never_an_exponent():
    assert [phrasing.points(x) for x in (51.6666, 100.0, 1_000_000.0, -0.001, None)] == ["51.67", "100", "1000000", "0",
                                                                                          "–"]


def test_an_unknown_key_is_not_phrased_so_the_english_stands():
    cell = {"rule": "a rule from a newer engine", "rule_parts": {"key": "no_such_key"}}
    assert phrase(cell["rule_parts"], "zh") is None
    assert rule_text(cell, "zh") == "a rule from a newer engine"


def test_a_result_stored_without_parts_shows_its_english_sentences():
    appraisee = {"steps": ["weighted total 80 = 80 x 100%"], "status": "ok", "cells": []}
    assert step_texts(appraisee, "zh") == ["weighted total 80 = 80 x 100%"]
    assert effect_text({"effect": "cap total at 60"}, "zh") == "cap total at 60"


# The engine's own parts, from tests/data/totals/scheme.yaml with values supplied by hand.

def appraised(values, policy=None, tmp_path=None):
    from appraisal.measuring.measurements import INSUFFICIENT, OK, Appraisee, Cell, Measurements
    from appraisal.periods import parse_period
    from appraisal.pipeline import load_scheme
    from appraisal.plugins import extensions
    from appraisal.scoring.grading import appraise_all

    path = Path(__file__).resolve().parent / "data" / "totals" / "scheme.yaml"
    if policy is not None:
        text = path.read_text(encoding="utf-8").replace("missing_data: reweight", f"missing_data: {policy}")
        (path := tmp_path / "scheme.yaml").write_text(text, encoding="utf-8")
    cells = {("p", ind): Cell(v, 10, OK if v is not None else INSUFFICIENT, "test") for ind, v in values.items()}
    measured = Measurements(load_scheme(path), parse_period("2026-Q3"), (Appraisee("p"),), cells, (), {})
    [result] = appraise_all(measured, extensions().functions)
    return asdict(result)


def test_the_english_phrasing_of_the_engines_parts_is_its_own_english():
    for values in ({"rate": 0.95, "hours": 30.0, "majors": 1}, {"rate": 0.995, "hours": 3.0, "majors": 0},
                   {"rate": 0.55, "hours": 30.0, "majors": 0}):
        person = appraised(values)
        assert step_texts(person, "en") == list(person["steps"])


def test_a_capped_total_is_explained_in_chinese():
    person = appraised({"rate": 0.95, "hours": 30.0, "majors": 1})
    assert step_texts(person, "zh") == [
        "加权总分 106 = 110 × 60% + 100 × 40%",
        "否决项条件 majors > complaint_limit 成立（A major complaint caps the total）：总分封顶 60 分；总分 60",
        "等级 C：60 ≤ 60 < 80",
    ]


def test_limited_bonus_points_are_explained_in_chinese():
    person = appraised({"rate": 0.995, "hours": 3.0, "majors": 0})
    assert step_texts(person, "zh")[1:3] == ["加分 13 超过上限，按 10 分计", "加减分 +10：总分 129.4"]


def test_limited_penalty_points_are_explained_in_chinese():
    person = appraised({"rate": 0.55, "hours": 30.0, "majors": 0})
    assert step_texts(person, "zh")[1:3] == ["减分 15 超过上限，按 10 分计", "加减分 -10：总分 37.5"]


def test_gates_and_adjustments_say_their_effect_in_chinese():
    person = appraised({"rate": 0.95, "hours": 30.0, "majors": 0})
    assert [effect_text(e, "zh") for e in person["effects"]] == ["+8 分", "+5 分", "-15 分", "总分封顶 60 分"]


def test_each_rule_is_said_in_chinese():
    person = appraised({"rate": 0.95, "hours": 60.0, "majors": 0})
    assert [rule_text(c, "zh") for c in person["cells"]] == [
        "线性计分：最差值 0.50 得 0 分，目标值 0.90 得 100 分，最佳值 1 得 120 分",
        "不在任何区间内：默认 40 分", "不计分", "不计分"]


def test_reweighting_names_the_missing_indicators_by_title():
    person = appraised({"rate": 0.9, "hours": None, "majors": 0})
    assert step_texts(person, "zh")[1] == "Completion hours 没有得分：其余指标按比例重新分配权重"


def test_scoring_missing_data_as_zero_is_explained_in_chinese(tmp_path):
    person = appraised({"rate": 0.9, "hours": None, "majors": 0}, policy="zero", tmp_path=tmp_path)
    assert step_texts(person, "zh")[1] == "Completion hours 没有得分：按 0 分计"


def test_a_failed_appraisal_says_why_in_its_status(tmp_path):
    person = appraised({"rate": 0.9, "hours": None, "majors": 0}, policy="fail", tmp_path=tmp_path)
    assert status_text(person, "zh") == "未能考核：Completion hours 没有数据（缺失数据时不予考核）"
    assert status_text(person, "en") == "failed: no data for Completion hours (missing_data: fail)"


def test_nothing_scored_is_explained_in_chinese():
    person = appraised({"rate": None, "hours": None, "majors": None})
    assert step_texts(person, "zh") == ["没有可计分的指标：数据不足"]


# One example of the parts of every key the engine writes, as the engine writes them.
SAMPLES = {
    "curve_linear": {"worst": 8, "target": 2.0, "best": 1, "cap": 120.0, "unit": "h"},
    "band": {"low": 24.0, "high": 48.0, "low_closed": False, "high_closed": True, "score": 100.0, "unit": "h"},
    "band_default": {"default": 40.0, "unit": "h"},
    "ratio_higher": {"target": 0.95, "cap": 120.0, "unit": "%"},
    "ratio_lower": {"target": 2.0, "cap": 120.0, "unit": "h"},
    "formula": {"formula": "value * 10", "floor": 0.0, "cap": 100.0, "unit": ""},
    "formula_no_number": {"formula": "value * 10", "unit": ""},
    "not_scored": {"unit": ""}, "insufficient_data": {"unit": ""}, "no_target": {"unit": ""},
    "target_zero": {"unit": ""},
    "failed_missing": {"missing": ["csat"]}, "nothing_scored": {},
    "weighted_total": {"total": 87.3, "parts": [{"indicator": "csat", "score": 87.3, "weight": 100.0}]},
    "missing_reweighted": {"missing": ["csat", "qa"]}, "missing_zero": {"missing": ["csat"]},
    "bonus_limited": {"bonus": 13.0, "limit": 10.0}, "penalty_limited": {"penalty": 15.0, "limit": 10.0},
    "adjustments": {"points": -10.0, "total": 70.0},
    "gate_applied": {"when": "majors > 0", "reason": "R1", "effect": {"key": "effect_veto"}, "total": 0.0},
    "grade": {"grade": "A", "min": 90, "max": None, "total": 95.5},
    "bonus_pay": {"base": 10000.0, "coefficient": 1.2, "grade": "A", "bonus": 12000.0, "capped_at": 11000.0,
                  "currency": "CNY"},
    "commission_pay": {"rate": 0.02, "sales": 320000.0, "commission": 6400.0, "capped_at": None, "currency": ""},
    "effect_points": {"points": 5.0}, "effect_cap": {"cap": 60.0}, "effect_veto": {},
}


def test_there_is_an_example_of_every_key_the_engine_writes():
    assert sorted(emitted_keys() - SAMPLES.keys()) == []


@pytest.mark.parametrize("key", sorted(SAMPLES))
@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_key_is_phrased_with_all_its_numbers(key, language):
    said = phrase({"key": key, **SAMPLES[key]}, language)
    assert said and "{" not in said and "}" not in said
    assert bool(CJK.search(said)) == (language == "zh")


def test_pay_is_explained_in_chinese():
    from appraisal.periods import parse_period
    from appraisal.pipeline import load_scheme, run

    result = run(load_scheme(Path(__file__).resolve().parent / "data" / "measuring" / "incentives.yaml"),
                 parse_period("2026-Q3"))
    person = asdict(result.appraisee("a1"))
    assert step_texts(person, "zh")[-2:] == [
        "奖金：基数 10000 元 × 系数 1.2（等级 A）= 12000 元，封顶 11000 元",
        "提成：销售额 320000 元 × 提成比例 2% = 6400 元，封顶 5000 元",
    ]
    assert step_texts(person, "en") == list(person["steps"])


@pytest.mark.parametrize("key", [["weighted_total"], {"a": 1}, 3, None])
def test_parts_whose_key_is_not_a_text_leave_the_english_sentence(key):
    assert phrase({"key": key, "total": 80.0}, "zh") is None


@pytest.mark.parametrize(("value", "unit", "en", "zh"), [
    (588, "tickets", "588 tickets", "588 单"),
    (2.5, "h", "2.50 h", "2.50 小时"),
    (1200, "CNY", "1200 CNY", "1200 元"),
    (3, "widgets", "3 widgets", "3 widgets"),  # a unit the phrasebook does not know: as the scheme wrote it
    (0.5, "%", "50.0%", "50.0%"),
])
def test_a_quantity_says_its_unit_in_the_pages_language(value: float, unit: str, en: str, zh: str) -> None:
    from appraisal.rendering.phrasing import quantity

    assert (quantity(value, unit, "en"), quantity(value, unit, "zh")) == (en, zh)
