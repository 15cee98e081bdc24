"""Scoring in the engine gives the reference's numbers and words on real measured data: every
shipped scheme (the five roles and the two industry packs) on its demo data, every appraisee,
every indicator's value, score, effective weight, contribution and rule, every total, grade,
status and pay; and the scores.csv and totals.csv the engine copies out are the bytes written
from the reference's objects."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from appraisal.demo.builtin import generate as generate_role
from appraisal.demo.industry import generate as generate_industry
from appraisal.measuring.measurements import measuring
from appraisal.measuring.targets import fit_targets
from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, run
from appraisal.plugins import extensions
from appraisal.results.storing import write_tables
from appraisal.scheme.model import Scheme
from appraisal.scoring.in_engine import score_in_engine
from appraisal.scoring.scores import rule_words
from appraisal.shipped import shipped_scheme
from appraisal.sql.scoring import (
    contribution_column,
    effective_column,
    rule_column,
    score_column,
    scoring_columns,
    value_column,
)

ROOT = Path(__file__).resolve().parent.parent
PERIOD = parse_period("2026-Q3")
# scheme file, the demo generator of its data, the role it generates
DEMOS = {
    "agent": (shipped_scheme("agent"), generate_role, "agent"),
    "manager": (shipped_scheme("manager"), generate_role, "manager"),
    "warehouse": (shipped_scheme("warehouse"), generate_role, "warehouse"),
    "designer": (shipped_scheme("designer"), generate_role, "designer"),
    "purchaser": (shipped_scheme("purchaser"), generate_role, "purchaser"),
    "manufacturing": (ROOT / "schemes/manufacturing/service-engineer.yaml", generate_industry, "service-engineer"),
    "it": (ROOT / "schemes/it/support-engineer.yaml", generate_industry, "support-engineer"),
}


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


def demo_scheme(tmp_path: Path, name: str) -> Scheme:
    """The shipped scheme `name` beside its freshly generated demo data."""
    source, generate, role = DEMOS[name]
    (tmp_path / source.name).write_bytes(source.read_bytes())
    generate(tmp_path / "data" / role, role=role)
    return load_scheme(tmp_path / source.name)


@pytest.mark.parametrize("name", list(DEMOS))
def test_the_engine_scores_the_demo_as_the_reference_does(tmp_path: Path, name: str) -> None:
    scheme = demo_scheme(tmp_path, name)
    reference = run(scheme, PERIOD)
    found = extensions()
    with measuring(fit_targets(scheme, PERIOD), PERIOD, found) as measured:
        table = score_in_engine(measured, found.functions)
        cursor = measured.engine.connection.execute(f"SELECT * FROM {table} ORDER BY __row")
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    assert set(scoring_columns(scheme)) <= set(names)
    assert [row["appraisee"] for row in rows] == [a.id for a in reference.appraisees]
    for row, appraisee in zip(rows, reference.appraisees, strict=True):
        for cell in appraisee.cells:
            i = cell.indicator
            words = rule_words(scheme.indicator(i), row[rule_column(i)], cell.target)
            found_cell = (row[value_column(i)], row[score_column(i)], row[effective_column(i)],
                          row[contribution_column(i)], words)
            wanted = (cell.value, cell.score, cell.effective_weight, cell.contribution, (cell.rule, cell.rule_parts))
            assert all(map(_same, found_cell, wanted)), f"{appraisee.id} {i}: {found_cell} != {wanted}"
        status = "failed" if appraisee.status.startswith("failed") else appraisee.status
        totals = (row["weighted_total"], row["adjustment_points"], row["total"], row["grade"], row["status"])
        assert totals == (appraisee.weighted_total, appraisee.adjustment_points, appraisee.total, appraisee.grade,
                          status), appraisee.id
        if appraisee.incentives is not None:
            pay = tuple(row[k] for k in ("bonus_base", "coefficient", "bonus", "sales", "commission", "pay_total"))
            wanted_pay = tuple(appraisee.incentives.get(k)
                               for k in ("base", "coefficient", "bonus", "sales", "commission", "total"))
            assert pay == wanted_pay, appraisee.id


@pytest.mark.parametrize("name", list(DEMOS))
def test_the_tables_the_engine_copies_are_the_ones_written_from_the_result(tmp_path: Path, name: str) -> None:
    scheme = demo_scheme(tmp_path, name)
    (copied := tmp_path / "copied").mkdir()
    (written := tmp_path / "written").mkdir()
    run(scheme, PERIOD, tables=copied)
    write_tables(run(scheme, PERIOD), written)
    for table in ("scores.csv", "totals.csv"):
        assert (copied / table).read_bytes() == (written / table).read_bytes(), table


def test_rule_words_of_a_target_read_per_appraisee_are_the_reference_ones(tmp_path: Path) -> None:
    # tests/data/measuring/targets.yaml: a ticket budget per appraisee, so the words are joined
    # by target (one target for everyone: a CASE on the rule case, the shipped schemes above)
    scheme = load_scheme(ROOT / "tests/data/measuring/targets.yaml")
    assert not isinstance(scheme.indicators[0].target, (int, float))
    (copied := tmp_path / "copied").mkdir()
    (written := tmp_path / "written").mkdir()
    stored = run(scheme, PERIOD, tables=copied)
    reference = run(scheme, PERIOD)
    write_tables(reference, written)
    assert (copied / "scores.csv").read_bytes() == (written / "scores.csv").read_bytes()
    assert [[(c.rule, c.rule_parts) for c in a.cells] for a in stored.appraisees] == [
        [(c.rule, c.rule_parts) for c in a.cells] for a in reference.appraisees]
