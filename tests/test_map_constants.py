"""Map constants end to end: per-key targets measured in DuckDB, gated in Python, in words.

The scheme and data are tests/data/measuring/map_targets.yaml, map_tickets.csv and
map_roster.csv. Hand-checked, for the resolved tickets of 2026-Q3 (t05 is still open):

    a1  t01 logistics 23 h (24)  t02 logistics 25 h (24)  t03 account 8 h (8)
        t04 product_quality 49 h (48)  t06 warranty 1 h (no target)
        -> on time t01, t03: 2 of 5 = 0.4
    a2  t08 return_refund 72 h (72)  t09 Logistics 1 h (no target: case counts)
        t10 (no type) 1 h  t11 account 3 h (8)  t12 customer's_error 10 h (12)
        -> on time t08, t11, t12: 3 of 5 = 0.6

By priority (an integer column; targets {"1": 4, "2": 24}): a1 on time t01 (p2, 23 h), t03
(p2, 8 h), t06 (p1, 1 h) = 0.6; a2 on time t09 (p1, 1 h), t10 (p2, 1 h), t11 (p1, 3 h), not
t08 (no priority) nor t12 (priority 3, no target) = 0.6.
"""

from __future__ import annotations

import ast
import re
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from appraisal.expressions.evaluation import evaluate
from appraisal.expressions.kinds import Kind
from appraisal.expressions.parsing import NameKind, parse_expression
from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, measure, run
from appraisal.plugins import default_functions
from appraisal.rendering.forms import in_words
from appraisal.scheme.loading import load_text
from appraisal.scheme.validation import check_schema
from appraisal.sql.dialect import SqlFragment, bind_value, quote_identifier
from appraisal.sql.emitter import select_expression

ROOT = Path(__file__).resolve().parent.parent
SCHEME = ROOT / "tests" / "data" / "measuring" / "map_targets.yaml"
Q3 = parse_period("2026-Q3")
FUNCTIONS = default_functions()


@pytest.fixture(scope="module")
def measured():
    return measure(load_scheme(SCHEME), Q3)


def test_ratio_compares_each_ticket_with_the_target_for_its_type(measured):
    assert measured.cell("a1", "handling_on_time").value == pytest.approx(0.4)


def test_unknown_type_wrong_case_and_missing_type_are_not_on_time_but_still_counted(measured):
    cell = measured.cell("a2", "handling_on_time")
    assert (cell.value, cell.rows) == (pytest.approx(0.6), 5)


def test_integer_column_indexes_a_map_with_digit_keys(measured):
    assert measured.cell("a1", "priority_on_time").value == pytest.approx(0.6)
    assert measured.cell("a2", "priority_on_time").value == pytest.approx(0.6)


def test_scheme_level_gate_reads_a_map_entry_by_literal_key():
    result = run(load_scheme(SCHEME), Q3)
    applied = {a.id: [e.applied for e in a.effects if e.kind == "gate"] for a in result.appraisees}
    assert applied == {"a1": [True], "a2": [False]}


# -- the form reads a lookup in words ---------------------------------------------------


def words(source: str, language: str) -> str:
    return in_words(ast.parse(source, mode="eval").body, language)


def test_form_reads_a_lookup_by_column_in_english():
    assert words("hours(resolved_at - created_at) <= handling_target_h[problem_type]", "en") == (
        "hours from created_at to resolved_at is at most handling_target_h for problem_type")


def test_form_reads_a_lookup_by_column_in_chinese():
    assert words("hours(resolved_at - created_at) <= handling_target_h[problem_type]", "zh") == (
        "从 created_at 到 resolved_at 的小时数 不超过 problem_type 对应的 handling_target_h")


def test_form_reads_a_lookup_by_literal_key():
    assert words("handling_target_h['account'] * 2", "en") == "handling_target_h for 'account' times 2"


# -- the example in docs/expressions.md runs --------------------------------------------

DOC = (ROOT / "docs" / "expressions.md").read_text(encoding="utf-8")
SECTION = DOC.split("## Map constants and subscripts", 1)[1].split("\n## ", 1)[0]


def doc_example() -> dict:
    [block] = re.findall(r"```yaml\n(.*?)```", SECTION, flags=re.DOTALL)
    return load_text(block).data


def doc_rows() -> list[tuple[str | None, float, bool]]:
    """(problem_type, hours, on time) from the table under the example."""
    rows = []
    for line in SECTION.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("|") and len(cells) == 4 and cells[1].replace(".", "").isdigit():
            key = None if cells[0] == "(empty)" else cells[0]
            rows.append((key, float(cells[1]), cells[3] == "yes"))
    return rows


def test_doc_example_constants_pass_the_schema():
    example = doc_example()
    minimal = load_text((ROOT / "tests" / "positive" / "schemes" / "minimal.yaml").read_text(encoding="utf-8"))
    minimal.data["constants"] = example["constants"]
    assert check_schema(minimal) == []


def test_doc_example_table_holds_in_both_evaluators():
    example = doc_example()
    targets = example["constants"]["handling_target_h"]
    source = example["indicators"][0]["measure"]["numerator"]["where"]
    names = {"handling_target_h": NameKind.MAPPING, "resolved_at": NameKind.COLUMN,
             "created_at": NameKind.COLUMN, "problem_type": NameKind.COLUMN}
    expr = parse_expression(source, names=names, functions=FUNCTIONS)
    kinds = {"handling_target_h": Kind.MAP, "resolved_at": Kind.TIMESTAMP, "created_at": Kind.TIMESTAMP,
             "problem_type": Kind.TEXT}
    fragment = select_expression(
        expr, SqlFragment("(SELECT CAST(? AS TIMESTAMP) AS created_at, CAST(? AS TIMESTAMP) AS resolved_at,"
                          " CAST(? AS VARCHAR) AS problem_type)"),
        functions=FUNCTIONS, kinds=kinds,
        column=lambda name: bind_value(targets) if name == "handling_target_h" else quote_identifier(name))
    rows = doc_rows()
    assert len(rows) == 5
    start = datetime(2026, 7, 1, 9)
    with duckdb.connect() as con:
        for key, hours, on_time in rows:
            values = {"handling_target_h": targets, "created_at": start,
                      "resolved_at": start + timedelta(hours=hours), "problem_type": key}
            in_python = evaluate(expr, values, FUNCTIONS)
            in_sql = con.execute(fragment.sql, [*fragment.params, values["created_at"], values["resolved_at"],
                                                key]).fetchone()[0]
            assert (in_python is True, in_sql is True) == (on_time, on_time), key
