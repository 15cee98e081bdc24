"""Totals, gates and grades: where measured values become an appraisal, one appraisee at a time.

This module decides: it scores (by `scores`), weighs, applies adjustments and gates, grades, pays
incentives and advises on calibration.

For each appraisee: formula indicators are evaluated from the others, every indicator is
scored by its rule, weights are applied under the scheme's missing-data policy, bonus and
penalty points are added within their limits, gates cap or veto the total, and the total
finds its grade band. Every step is written down as a sentence, so a scorecard can show how
the grade came to be, and as a phrasebook key with its numbers, so a report can say it in its own
language. Adjustments come before gates, so no bonus can lift a capped total.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from appraisal.errors import AppraisalError, ExpressionError
from appraisal.expressions.evaluation import evaluate
from appraisal.measuring.measurements import Appraisee, Measurements
from appraisal.measuring.quality import is_quality_flag
from appraisal.measuring.targets import MEMBERS_FLAG, VOLUMES, for_members
from appraisal.results.result import AppraiseeResult, Effect, GroupResult, ScoredCell
from appraisal.scheme.model import BONUS_BASE, INSUFFICIENT, OK, SALES, formula_order, pick
from appraisal.scoring.scores import finite, score_value

if TYPE_CHECKING:
    from appraisal.expressions.functions import FunctionRegistry
    from appraisal.expressions.parsing import Expression
    from appraisal.scheme.model import Indicator, Scheme


def _fmt(x: float | None, digits: int = 2) -> str:
    if x is None:
        return "-"
    return f"{round(x, digits):g}"


@dataclass
class _Steps:
    """The explanation so far: each step as an English sentence and as phrasebook parts, in step."""

    texts: list[str] = field(default_factory=list)
    parts: list[dict[str, Any]] = field(default_factory=list)

    def add(self, text: str, key: str, **numbers: Any) -> None:
        self.texts.append(text)
        self.parts.append({"key": key, **numbers})


def _effect_parts(veto: bool, cap: float | None) -> dict[str, Any]:
    return {"key": "effect_veto"} if veto else {"key": "effect_cap", "cap": cap}


@dataclass
class _Context:
    """What every appraisee's scoring shares, worked out once per run: the formula order and
    the scheme's fixed targets (a run of 100,000 people would otherwise redo both per person)."""

    scheme: Scheme
    functions: FunctionRegistry
    formulas: list[Indicator] = field(init=False)
    titles: dict[str, dict[str, str]] = field(init=False)  # shared by the cells: nothing writes to them

    def __post_init__(self) -> None:
        self.formulas = formula_order(self.scheme)
        self.titles = {i.id: dict(i.title) for i in self.scheme.indicators}

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
    missing = [ind.id for ind, score in weighted if score is None]
    available = sum(ind.weight for ind, score in weighted if score is not None)
    policy = scheme.missing_data
    steps = _Steps()
    failed = policy == "fail" and bool(missing)
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
    if failed:
        status = f"failed: no data for {', '.join(missing)} (missing_data: fail)"
        steps.add(status, "failed_missing", missing=list(missing))
        result = _result(appraisee, cells, None, 0.0, None, None, status, (), steps)
        return replace(result, status_parts=steps.parts[-1])
    if weighted and len(missing) == len(weighted):
        steps.add("no indicator could be scored: insufficient data", "nothing_scored")
        return _result(appraisee, cells, None, 0.0, None, None, INSUFFICIENT, (), steps)

    weighted_total = sum(c.contribution for c in cells if c.contribution is not None)
    counted = [c for c in cells if c.contribution is not None]
    parts = " + ".join(f"{_fmt(c.score)} x {_fmt(c.effective_weight)}%" for c in counted)
    steps.add(f"weighted total {_fmt(weighted_total)} = {parts}", "weighted_total", total=weighted_total,
              parts=[{"indicator": c.indicator, "score": c.score, "weight": c.effective_weight} for c in counted])
    if missing:
        how = "the others were re-weighted" if policy == "reweight" else "they count as 0"
        key = "missing_reweighted" if policy == "reweight" else "missing_zero"
        steps.add(f"no score for {', '.join(missing)}: {how} (missing_data: {policy})", key, missing=list(missing))

    effects: list[Effect] = []
    names = {**values, "total": weighted_total}
    bonus = penalty = 0.0
    for adjustment in scheme.adjustments:
        applied = context.evaluate(adjustment.when, names) is True
        effects.append(Effect("adjustment", adjustment.when.source, pick(adjustment.reason),
                              f"{adjustment.points:+g} points",
                              applied, adjustment.points, {"key": "effect_points", "points": adjustment.points},
                              dict(adjustment.reason)))
        if applied:
            bonus += max(adjustment.points, 0.0)
            penalty += max(-adjustment.points, 0.0)
    if scheme.max_bonus is not None and bonus > scheme.max_bonus:
        steps.add(f"bonus {_fmt(bonus)} limited to {_fmt(scheme.max_bonus)}", "bonus_limited", bonus=bonus,
                  limit=scheme.max_bonus)
        bonus = scheme.max_bonus
    if scheme.max_penalty is not None and penalty > scheme.max_penalty:
        steps.add(f"penalty {_fmt(penalty)} limited to {_fmt(scheme.max_penalty)}", "penalty_limited", penalty=penalty,
                  limit=scheme.max_penalty)
        penalty = scheme.max_penalty
    adjustment_points = bonus - penalty
    total = weighted_total + adjustment_points
    if adjustment_points:
        steps.add(f"adjustments {adjustment_points:+g}: total {_fmt(total)}", "adjustments", points=adjustment_points,
                  total=total)

    names["total"] = total
    for gate in scheme.gates:
        applied = context.evaluate(gate.when, names) is True
        effect = "veto: total 0" if gate.veto else f"cap total at {_fmt(gate.cap_total)}"
        effect_parts = _effect_parts(gate.veto, gate.cap_total)
        effects.append(Effect("gate", gate.when.source, pick(gate.reason), effect, applied, effect_parts=effect_parts,
                              reason_text=dict(gate.reason)))
        if applied:
            total = 0.0 if gate.veto else min(total, float(gate.cap_total or 0.0))
            steps.add(f"gate {gate.when.source} holds ({pick(gate.reason)}): {effect}; total {_fmt(total)}",
                      "gate_applied",
                      when=gate.when.source, reason=dict(gate.reason), effect=effect_parts, total=total)

    grade = _grade(scheme, total)
    if grade is not None:
        band = next(g for g in scheme.grades if g.grade == grade)
        upper = "" if math.isinf(band.max) else f" < {_fmt(band.max)}"
        steps.add(f"grade {grade}: {_fmt(band.min)} <= {_fmt(total)}{upper}", "grade", grade=grade,
                  min=finite(band.min), max=finite(band.max), total=total)
    pay = _incentives(scheme, measurements, appraisee.id, grade, steps)
    result = _result(appraisee, cells, weighted_total, adjustment_points, total, grade, OK, tuple(effects), steps)
    return replace(result, incentives=pay) if pay is not None else result


def _incentives(
    scheme: Scheme, measurements: Measurements, appraisee: str, grade: str | None, steps: _Steps
) -> dict[str, Any] | None:
    """Bonus (base x the grade's coefficient, capped) and commission (rate x sales, capped)."""
    incentives = scheme.incentives
    if incentives is None:
        return None
    money = incentives.currency and f" {incentives.currency}"
    base = (incentives.base if isinstance(incentives.base, (int, float))
            else measurements.targets.get((appraisee, BONUS_BASE)))
    coefficient = incentives.coefficients.get(grade) if grade is not None else None
    bonus = None
    if base is not None and coefficient is not None:
        bonus = base * coefficient
        parts = {"base": base, "coefficient": coefficient, "grade": grade, "bonus": bonus, "capped_at": None,
                 "currency": incentives.currency}
        line = (f"bonus: base {_fmt(base)}{money} x coefficient {_fmt(coefficient)} (grade {grade})"
                f" = {_fmt(bonus)}{money}")
        if incentives.bonus_cap is not None and bonus > incentives.bonus_cap:
            bonus = parts["capped_at"] = float(incentives.bonus_cap)
            line += f", capped at {_fmt(bonus)}{money}"
        steps.add(line, "bonus_pay", **parts)
    sales = measurements.targets.get((appraisee, SALES)) if incentives.commission_from else None
    commission = None
    if sales is not None:
        commission = sales * incentives.commission_rate
        parts = {"rate": incentives.commission_rate, "sales": sales, "commission": commission, "capped_at": None,
                 "currency": incentives.currency}
        line = (f"commission: {_fmt(incentives.commission_rate * 100)}% of sales {_fmt(sales)}{money}"
                f" = {_fmt(commission)}{money}")
        if incentives.commission_cap is not None and commission > incentives.commission_cap:
            commission = parts["capped_at"] = float(incentives.commission_cap)
            line += f", capped at {_fmt(commission)}{money}"
        steps.add(line, "commission_pay", **parts)
    total = None if bonus is None and commission is None else (bonus or 0.0) + (commission or 0.0)
    return {"base": base, "coefficient": coefficient, "bonus": bonus, "sales": sales,
            "commission": commission, "total": total, "currency": incentives.currency}


def _grade(scheme: Scheme, total: float) -> str | None:
    for band in scheme.grades:
        if band.min <= total < band.max:
            return band.grade
    return None


def _result(
    appraisee: Appraisee, cells: list[ScoredCell], weighted_total: float | None, adjustment_points: float,
    total: float | None, grade: str | None, status: str, effects: tuple[Effect, ...], steps: _Steps,
) -> AppraiseeResult:
    return AppraiseeResult(
        id=appraisee.id, name=appraisee.name, team=appraisee.team, manager=appraisee.manager, role=appraisee.role,
        flags=appraisee.flags, cells=tuple(cells), weighted_total=weighted_total, adjustment_points=adjustment_points,
        total=total, grade=grade, status=status, effects=effects, steps=tuple(steps.texts),
        step_parts=tuple(steps.parts),
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


def calibration(scheme: Scheme, appraisees: tuple[AppraiseeResult, ...]) -> tuple[dict[str, Any], ...]:
    """Each grade's intended share against what the run produced: advice, never a change."""
    graded = [a for a in appraisees if a.grade is not None]
    rows = []
    for band in scheme.grades:
        actual = sum(1 for a in graded if a.grade == band.grade)
        share = scheme.calibration.get(band.grade)
        expected = None if share is None else share * len(graded)
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
