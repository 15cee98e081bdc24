"""Scoring compiled to SQL (appraisal.sql.scoring) gives the reference's numbers, bit for bit.

The reference is `appraisal.scoring.grading.appraise_one` (Python, one appraisee at a time, the
one that writes the explanations). For every shipped scheme, the benchmark scheme and the test
schemes that exercise every rule (bands, ratios, score formulas, formula indicators, every
missing-data policy, adjustments with limits, gates, pay), random measured values and targets go
through both and every number must be equal: values, scores, effective weights, contributions,
totals, grade, status, which adjustments and gates applied, and pay.
"""

from __future__ import annotations

import ast
import math
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appraisal.measuring.measurements import INSUFFICIENT, OK, Appraisee, Cell, Measurements
from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme
from appraisal.plugins import extensions
from appraisal.scheme.model import BONUS_BASE, SALES, Scheme, TargetFrom
from appraisal.scheme.model import MEASURED_KINDS as MEASURED
from appraisal.scoring.grading import _Context, appraise_one
from appraisal.scoring.scores import rule_words
from appraisal.sql.dialect import SqlFragment
from appraisal.sql.scoring import (
    compile_scoring,
    contribution_column,
    effective_column,
    input_columns,
    rule_column,
    score_column,
    value_column,
)

ROOT = Path(__file__).resolve().parent.parent
SCHEMES = sorted(
    [p for p in (ROOT / "schemes").rglob("*.yaml") if not p.name.startswith("_")]
    + [ROOT / "plugins/appraisal-retail-pack/appraisal_retail_pack/schemes/returns-agent.yaml",
       ROOT / "bench/scheme.yaml", ROOT / "tests/data/totals/scheme.yaml",
       ROOT / "tests/positive/schemes/scoring-rules.yaml", ROOT / "tests/positive/schemes/chinese.yaml",
       ROOT / "tests/positive/schemes/extensions.yaml"]
)
PERIOD = parse_period("2026-Q3")


@cache
def scheme_of(path: Path) -> Scheme:
    return load_scheme(path)


def _numbers(scheme: Scheme) -> list[float]:
    """Every number the scheme's scoring compares against: the values worth hitting exactly
    (a band's edge, a target, a gate's threshold) and their neighbours."""
    found: set[float] = {0.0, 1.0, -1.0, 100.0}
    for i in scheme.indicators:
        if isinstance(i.target, (int, float)):
            found.add(float(i.target))
        if i.score is not None:
            found.update(x for x in (i.score.worst, i.score.best, i.score.cap, i.score.floor) if x is not None)
            for band in i.score.bands:
                found.update((band.interval.low, band.interval.high))
    expressions = [g.when for g in scheme.gates] + [a.when for a in scheme.adjustments]
    expressions += [i.formula for i in scheme.indicators if i.formula is not None]
    expressions += [i.score.formula for i in scheme.indicators if i.score is not None and i.score.formula is not None]
    for expression in expressions:
        for node in ast.walk(expression.tree):
            number = isinstance(node, ast.Constant) and type(node.value) in (int, float)
            if number:
                found.add(float(node.value))  # type: ignore[attr-defined]  # a Constant
    found.update(float(v) for v in scheme.constants.values() if isinstance(v, (int, float)) and not isinstance(v, bool))
    finite = [x for x in found if math.isfinite(x)]
    near = [math.nextafter(x, s) for x in finite for s in (math.inf, -math.inf)]
    return sorted({*finite, *near, *(x / 100 for x in finite), *(x * 100 for x in finite)})


def _value(scheme: Scheme) -> st.SearchStrategy[float | None]:
    return st.one_of(st.none(), st.sampled_from(_numbers(scheme)),
                     st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False))


def _amounts(scheme: Scheme) -> list[str]:
    """The per-appraisee amounts the scheme reads from datasets: targets, bonus base, sales."""
    return [name for name in input_columns(scheme) if not name.endswith("__value")]


def _people(scheme: Scheme) -> st.SearchStrategy[list[dict[str, float | None]]]:
    measured = [value_column(i.id) for i in scheme.indicators if i.kind in MEASURED]
    person = st.fixed_dictionaries({name: _value(scheme) for name in [*measured, *_amounts(scheme)]})
    return st.lists(person, min_size=1, max_size=12)


def by_sql(scheme: Scheme, people: list[dict[str, float | None]]) -> list[dict[str, Any]]:
    columns: dict[str, Any] = {"__row": pa.array(range(len(people)), pa.int64()),
                               "appraisee": pa.array([f"p{n}" for n in range(len(people))], pa.string())}
    for name in input_columns(scheme):
        columns[name] = pa.array([p[name] for p in people], pa.float64())
    con = _connection()
    con.register("inputs", pa.table(columns))
    query = _compiled(scheme)
    cursor = con.execute(query.sql, query.params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@cache
def _connection() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


_COMPILED: dict[tuple[str, str], SqlFragment] = {}


def _compiled(scheme: Scheme) -> SqlFragment:
    key = (scheme.digest, scheme.missing_data)  # the policy test varies only the policy
    if key not in _COMPILED:
        _COMPILED[key] = compile_scoring(scheme, extensions().functions, "inputs")
    return _COMPILED[key]


def by_reference(scheme: Scheme, people: list[dict[str, float | None]]) -> list[Any]:
    cells, targets = {}, {}
    appraisees = tuple(Appraisee(f"p{n}") for n in range(len(people)))
    for a, p in zip(appraisees, people, strict=True):
        for i in scheme.indicators:
            if i.kind in MEASURED:
                v = p[value_column(i.id)]
                cells[(a.id, i.id)] = Cell(v, 1, OK if v is not None else INSUFFICIENT, "test")
            if isinstance(i.target, TargetFrom):
                targets[(a.id, i.id)] = p[f"{i.id}__target"]
        for name in (BONUS_BASE, SALES):
            if name in p:
                targets[(a.id, name)] = p[name]
    measured = Measurements(scheme, PERIOD, appraisees, cells, (), {}, targets)
    context = _Context(scheme, extensions().functions)
    return [appraise_one(context, measured, a) for a in appraisees]


def _same(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and isinstance(b, float) and a == 0 and b == 0:
        return True
    return a == b


def assert_same(scheme: Scheme, people: list[dict[str, float | None]]) -> None:
    for sql, ref in zip(by_sql(scheme, people), by_reference(scheme, people), strict=True):
        where = f"{scheme.id} {ref.id} {people[int(ref.id[1:])]}"
        for cell in ref.cells:
            i = cell.indicator
            found = (sql[value_column(i)], sql[score_column(i)], sql[effective_column(i)], sql[contribution_column(i)])
            wanted = (cell.value, cell.score, cell.effective_weight, cell.contribution)
            assert all(map(_same, found, wanted)), f"{where}: {i} sql {found} != reference {wanted}"
            words = rule_words(scheme.indicator(i), sql[rule_column(i)], cell.target)
            assert words == (cell.rule, cell.rule_parts), f"{where}: {i} rule {sql[rule_column(i)]} gives {words}"
        status = "failed" if ref.status.startswith("failed") else ref.status
        found = (sql["weighted_total"], sql["adjustment_points"], sql["total"], sql["grade"], sql["status"])
        wanted = (ref.weighted_total, ref.adjustment_points, ref.total, ref.grade, status)
        assert all(map(_same, found, wanted)), f"{where}: totals sql {found} != reference {wanted}"
        applied = [e.applied for e in ref.effects]
        flags = [sql[f"adjustment_{n}"] for n in range(len(scheme.adjustments))]
        flags += [sql[f"gate_{n}"] for n in range(len(scheme.gates))]
        assert flags == (applied or [None] * len(flags)), f"{where}: applied sql {flags} != reference {applied}"
        if scheme.incentives is not None:
            pay = ref.incentives or {}
            found = tuple(sql[k] for k in ("bonus_base", "coefficient", "bonus", "sales", "commission", "pay_total"))
            wanted = tuple(pay.get(k) for k in ("base", "coefficient", "bonus", "sales", "commission", "total"))
            assert all(map(_same, found, wanted)), f"{where}: pay sql {found} != reference {wanted}"


@pytest.mark.parametrize("path", SCHEMES, ids=lambda p: str(p.relative_to(ROOT)))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_sql_scoring_gives_the_reference_numbers(path: Path, data: st.DataObject) -> None:
    scheme = scheme_of(path)
    assert_same(scheme, data.draw(_people(scheme)))


@pytest.mark.parametrize("policy", ["zero", "reweight", "fail"])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_sql_scoring_follows_every_missing_data_policy(policy: str, data: st.DataObject) -> None:
    from dataclasses import replace

    scheme = replace(scheme_of(ROOT / "tests/data/totals/scheme.yaml"), missing_data=policy)
    assert_same(scheme, data.draw(_people(scheme)))


def test_an_appraisee_with_no_value_at_all_is_insufficient_data_in_sql() -> None:
    scheme = scheme_of(ROOT / "bench/scheme.yaml")
    person = dict.fromkeys(input_columns(scheme))
    (row,) = by_sql(scheme, [person])
    assert (row["status"], row["total"], row["grade"]) == ("insufficient data", None, None)


def test_sql_scoring_keeps_the_input_order() -> None:
    scheme = scheme_of(ROOT / "bench/scheme.yaml")
    people = [{name: float(n) for name in input_columns(scheme)} for n in range(50)]
    assert [r["appraisee"] for r in by_sql(scheme, people)] == [f"p{n}" for n in range(50)]


def test_a_curve_whose_best_is_its_target_tops_out_at_100_in_sql() -> None:
    from dataclasses import replace

    bench = scheme_of(ROOT / "bench/scheme.yaml")
    tickets = bench.indicators[0]
    assert tickets.id == "tickets" and tickets.target == 700
    capped = replace(tickets, score=replace(tickets.score, best=700.0))
    scheme = replace(bench, indicators=(capped, *bench.indicators[1:]), digest="best-is-target")
    people = [{**dict.fromkeys(input_columns(scheme), 1.0), "tickets__value": v} for v in (650.0, 700.0, 900.0)]
    found = [r["tickets__score"] for r in by_sql(scheme, people)]
    assert found == [c.cells[0].score for c in by_reference(scheme, people)]
    assert found[1:] == [100.0, 100.0]
