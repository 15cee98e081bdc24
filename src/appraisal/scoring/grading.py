"""Totals, gates and grades: where measured values become an appraisal, one appraisee at a time.

This module decides: it scores (by `scores`), weighs, applies adjustments and gates, grades, pays
incentives and advises on calibration.

For each appraisee: formula indicators are evaluated from the others, every indicator is
scored by its rule, weights are applied under the scheme's missing-data policy, bonus and
penalty points are added within their limits, gates cap or veto the total, and the total
finds its grade band. Every step is written down as a sentence, so a scorecard can show how
the grade came to be, and as a phrasebook key with its numbers, so a report can say it in its own
language. Adjustments come before gates, so no bonus can lift a capped total. What follows the
scored cells (totals, adjustments, gates, grade, pay and their steps) is `results.concluding`,
shared with reading back a run scored in the engine.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from appraisal.errors import AppraisalError, ExpressionError
from appraisal.expressions.evaluation import evaluate
from appraisal.measuring.measurements import Appraisee, Measurements
from appraisal.measuring.quality import is_quality_flag
from appraisal.measuring.targets import MEMBERS_FLAG, VOLUMES, for_members
from appraisal.results.concluding import Rules, conclude, rules_of
from appraisal.results.result import AppraiseeResult, GroupResult, ScoredCell
from appraisal.scheme.model import BONUS_BASE, INSUFFICIENT, OK, SALES, formula_order
from appraisal.scoring.scores import score_value

if TYPE_CHECKING:
    from appraisal.expressions.functions import FunctionRegistry
    from appraisal.expressions.parsing import Expression
    from appraisal.scheme.model import Indicator, Scheme


@dataclass
class _Context:
    """What every appraisee's scoring shares, worked out once per run: the formula order and
    the scheme's fixed targets (a run of 100,000 people would otherwise redo both per person)."""

    scheme: Scheme
    functions: FunctionRegistry
    formulas: list[Indicator] = field(init=False)
    titles: dict[str, dict[str, str]] = field(init=False)  # shared by the cells: nothing writes to them
    rules: Rules = field(init=False)

    def __post_init__(self) -> None:
        self.formulas = formula_order(self.scheme)
        self.titles = {i.id: dict(i.title) for i in self.scheme.indicators}
        self.rules = rules_of(self.scheme)

    def evaluate(self, expression: Expression, values: Mapping[str, object]) -> object:
        try:
            return evaluate(expression, {**self.scheme.constants, **values}, self.functions)
        except ExpressionError as exc:
            raise AppraisalError(f"cannot evaluate {expression.source!r}: {exc.message}") from None


def _number(result: object) -> float | None:
    if isinstance(result, bool) or not isinstance(result, (int, float)):
        return None
    return float(result) if math.isfinite(result) else None


def appraise_one(context: _Context, measurements: Measurements, appraisee: Appraisee) -> AppraiseeResult:
    """The full appraisal of one appraisee from their measured cells."""
    scheme = context.scheme
    values: dict[str, object] = {}
    raw: dict[str, tuple[float | None, int, str, str, tuple[str, ...]]] = {}
    for indicator in scheme.indicators:
        if (appraisee.id, indicator.id) in measurements.cells:
            cell = measurements.cell(appraisee.id, indicator.id)
            raw[indicator.id] = (cell.value, cell.rows, cell.status, cell.source, cell.flags)
            values[indicator.id] = cell.value
    for indicator in context.formulas:
        assert indicator.formula is not None
        value = _number(context.evaluate(indicator.formula, values))
        values[indicator.id] = value
        status = OK if value is not None else INSUFFICIENT
        # A value computed from data with a warning carries the warning on.
        warned = (f for name in sorted(indicator.formula.names) if name in raw
                  for f in raw[name][4] if is_quality_flag(f))
        raw[indicator.id] = (value, 0, status, f"formula {indicator.formula.source}", tuple(dict.fromkeys(warned)))

    scored = []
    for indicator in scheme.indicators:
        value, rows, status, source, flags = raw.get(indicator.id, (None, 0, INSUFFICIENT, "no value", ()))
        fixed = indicator.target  # the scheme's number, else this appraisee's from a dataset
        target = (float(fixed) if isinstance(fixed, (int, float))
                  else measurements.targets.get((appraisee.id, indicator.id)))
        points = score_value(indicator, value, target, context.evaluate)
        scored.append((indicator, value, rows, status, source, flags, target, points))

    weighted = [(s[0], s[7].score) for s in scored if s[0].weight > 0]
    available = sum(ind.weight for ind, score in weighted if score is not None)
    policy = scheme.missing_data
    failed = policy == "fail" and any(score is None for _, score in weighted)
    cells = []
    for indicator, value, rows, status, source, flags, target, points in scored:
        weight = indicator.weight
        if weight == 0 or failed:
            effective = 0.0 if failed else weight
        elif policy == "reweight":
            effective = weight * 100.0 / available if points.score is not None and available else 0.0
        else:
            effective = weight
        contribution = None
        if weight > 0 and not failed and (points.score is not None or policy == "zero"):
            contribution = (points.score or 0.0) * effective / 100.0
        cells.append(
            ScoredCell(
                indicator=indicator.id, title=context.titles[indicator.id], unit=indicator.unit, kind=indicator.kind,
                value=value, rows=rows, status=status, target=target, score=points.score, weight=weight,
                effective_weight=effective, contribution=contribution, rule=points.rule, source=source, flags=flags,
                rule_parts=points.parts,
            )
        )

    def applies(kind: str, n: int, total: float) -> bool:
        """Whether the n-th adjustment's or gate's condition holds, seeing `total` as the total."""
        when = (scheme.adjustments[n] if kind == "adjustment" else scheme.gates[n]).when
        return context.evaluate(when, {**values, "total": total}) is True

    pays = scheme.incentives is not None
    base = None
    if pays:
        fixed = scheme.incentives.base  # type: ignore[union-attr]
        base = fixed if isinstance(fixed, (int, float)) else measurements.targets.get((appraisee.id, BONUS_BASE))
    sales = measurements.targets.get((appraisee.id, SALES)) if pays else None
    found = conclude(context.rules, cells, applies, base=base, sales=sales)
    return AppraiseeResult(
        id=appraisee.id, name=appraisee.name, team=appraisee.team, manager=appraisee.manager, role=appraisee.role,
        flags=appraisee.flags, cells=tuple(cells), weighted_total=found.weighted_total,
        adjustment_points=found.adjustment_points, total=found.total, grade=found.grade, status=found.status,
        effects=found.effects, steps=found.steps, incentives=found.incentives, step_parts=found.step_parts,
        status_parts=found.status_parts,
    )


def appraise_all(measurements: Measurements, functions: FunctionRegistry) -> tuple[AppraiseeResult, ...]:
    context = _Context(measurements.scheme, functions)
    return tuple(appraise_one(context, measurements, a) for a in measurements.appraisees)


def appraise_groups(measurements: Measurements, functions: FunctionRegistry) -> tuple[GroupResult, ...]:
    """Each group row appraised as one appraisee would be, from its pooled values: scores,
    weighted total, gates and grade by the scheme's rules, a volume's target times the
    members (`target_scaling.for_members`). Pay is for people, so a group has none; a target
    read per appraisee from a dataset does not apply to a group (no target)."""
    found = []
    for row in measurements.groups:
        scheme = for_members(replace(measurements.scheme, incentives=None), row.members)
        volumes = {i.id for i in scheme.indicators if i.measure is not None and i.measure.agg in VOLUMES}
        flag = MEMBERS_FLAG.format(members=row.members)
        member = Appraisee(row.key, row.key, row.key if row.by == "team" else None,
                           row.key if row.by == "manager" else None)
        cells = {(row.key, i): replace(c, flags=(*c.flags, flag)) if i in volumes and row.members != 1 else c
                 for i, c in row.cells.items()}
        view = replace(measurements, scheme=scheme, appraisees=(member,), targets={}, cells=cells)
        found.append(GroupResult(row.by, row.key, row.members, appraise_one(_Context(scheme, functions), view, member)))
    return tuple(found)


def calibration(scheme: Scheme, appraisees: Sequence[AppraiseeResult]) -> tuple[dict[str, Any], ...]:
    """Each grade's intended share against what the run produced: advice, never a change."""
    return calibration_of(scheme, Counter(a.grade for a in appraisees if a.grade is not None))


def calibration_of(scheme: Scheme, graded: Mapping[str, int]) -> tuple[dict[str, Any], ...]:
    """`calibration` from the number of appraisees in each grade (counted in the engine, say)."""
    everyone = sum(graded.values())
    rows = []
    for band in scheme.grades:
        actual = graded.get(band.grade, 0)
        share = scheme.calibration.get(band.grade)
        expected = None if share is None else share * everyone
        rows.append(
            {
                "grade": band.grade,
                "target_share": share,
                "expected": expected,
                "actual": actual,
                "over": None if expected is None else max(0, actual - math.floor(expected + 1e-9)),
            }
        )
    return tuple(rows)
