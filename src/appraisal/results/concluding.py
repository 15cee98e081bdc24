"""From scored cells to a total, a grade and pay, with every step written down.

The last part of an appraisal, after each indicator is scored and weighed: the weighted total,
the adjustments within their limits, the gates, the grade band and the incentives. It needs only
the scheme's `Rules` (kept in a stored run's header, so a run reads back without the scheme
file) and, per adjustment and gate, whether its condition held. The reference
(`appraisal.scoring.grading`) evaluates those conditions itself; a run scored in the engine
stored them, and reading it back (`appraisal.results.stored`) concludes the same way from them,
so the sentences of a scorecard are written by this one module whichever way a run was scored.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from appraisal.results.result import Effect, ScoredCell
from appraisal.scheme.model import INSUFFICIENT, OK, pick

if TYPE_CHECKING:
    from appraisal.scheme.model import Scheme

Applies = Callable[[str, int, float], bool]  # ("adjustment" or "gate", its index, the total it sees)


@dataclass(frozen=True)
class Adjusting:
    when: str
    points: float
    reason: Mapping[str, str]


@dataclass(frozen=True)
class Gating:
    when: str
    reason: Mapping[str, str]
    cap_total: float | None
    veto: bool


@dataclass(frozen=True)
class Band:
    grade: str
    min: float
    max: float


@dataclass(frozen=True)
class Paying:
    coefficients: Mapping[str, float]
    bonus_cap: float | None
    commission: bool  # the scheme pays a commission on sales
    commission_rate: float
    commission_cap: float | None
    currency: str


@dataclass(frozen=True)
class Rules:
    """What of a scheme decides a total, a grade and pay once the cells are scored."""

    missing_data: str
    adjustments: tuple[Adjusting, ...]
    gates: tuple[Gating, ...]
    max_bonus: float | None
    max_penalty: float | None
    grades: tuple[Band, ...]
    incentives: Paying | None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON (an open band end as null)."""
        pay = self.incentives
        return {
            "missing_data": self.missing_data,
            "adjustments": [{"when": a.when, "points": a.points, "reason": dict(a.reason)} for a in self.adjustments],
            "gates": [{"when": g.when, "reason": dict(g.reason), "cap_total": g.cap_total, "veto": g.veto}
                      for g in self.gates],
            "max_bonus": self.max_bonus, "max_penalty": self.max_penalty,
            "grades": [{"grade": b.grade, "min": _finite(b.min), "max": _finite(b.max)} for b in self.grades],
            "incentives": None if pay is None else {
                "coefficients": dict(pay.coefficients), "bonus_cap": pay.bonus_cap, "commission": pay.commission,
                "commission_rate": pay.commission_rate, "commission_cap": pay.commission_cap,
                "currency": pay.currency},
        }


def rules_of(scheme: Scheme) -> Rules:
    """The scheme's numbers as it gives them (an int stays an int: the steps' parts print it so)."""
    pay = scheme.incentives
    return Rules(
        missing_data=scheme.missing_data,
        adjustments=tuple(Adjusting(a.when.source, a.points, dict(a.reason)) for a in scheme.adjustments),
        gates=tuple(Gating(g.when.source, dict(g.reason), g.cap_total, bool(g.veto)) for g in scheme.gates),
        max_bonus=scheme.max_bonus, max_penalty=scheme.max_penalty,
        grades=tuple(Band(g.grade, g.min, g.max) for g in scheme.grades),
        incentives=None if pay is None else Paying(
            dict(pay.coefficients), pay.bonus_cap, pay.commission_from is not None, pay.commission_rate,
            pay.commission_cap, pay.currency),
    )


def rules_from_dict(data: Mapping[str, Any]) -> Rules:
    """Read back `Rules.as_dict` (a `KeyError`, `TypeError` or `ValueError` when it is not of that shape)."""
    pay = data["incentives"]
    return Rules(
        missing_data=_text(data["missing_data"]),
        adjustments=tuple(Adjusting(_text(a["when"]), _number(a["points"]), _texts(a["reason"]))
                          for a in data["adjustments"]),
        gates=tuple(Gating(_text(g["when"]), _texts(g["reason"]), _maybe(g["cap_total"]), g["veto"] is True)
                    for g in data["gates"]),
        max_bonus=_maybe(data["max_bonus"]), max_penalty=_maybe(data["max_penalty"]),
        grades=tuple(Band(_text(b["grade"]), -math.inf if b["min"] is None else _number(b["min"]),
                          math.inf if b["max"] is None else _number(b["max"])) for b in data["grades"]),
        incentives=None if pay is None else Paying(
            {_text(k): _number(v) for k, v in pay["coefficients"].items()}, _maybe(pay["bonus_cap"]),
            pay["commission"] is True, _number(pay["commission_rate"]), _maybe(pay["commission_cap"]),
            _text(pay["currency"])),
    )


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a text, found {type(value).__name__}")
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a number, found {type(value).__name__}")
    return value


def _maybe(value: Any) -> float | None:
    return None if value is None else _number(value)


def _texts(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise TypeError("a reason is {language: text}")
    return {_text(k): _text(v) for k, v in value.items()}


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def fmt(x: float | None, digits: int = 2) -> str:
    if x is None:
        return "-"
    return f"{round(x, digits):g}"


@dataclass
class Steps:
    """The explanation so far: each step as an English sentence and as phrasebook parts, in step."""

    texts: list[str] = field(default_factory=list)
    parts: list[dict[str, Any]] = field(default_factory=list)

    def add(self, text: str, key: str, **numbers: Any) -> None:
        self.texts.append(text)
        self.parts.append({"key": key, **numbers})


@dataclass(frozen=True)
class Conclusion:
    weighted_total: float | None
    adjustment_points: float
    total: float | None
    grade: str | None
    status: str
    effects: tuple[Effect, ...]
    steps: tuple[str, ...]
    step_parts: tuple[dict[str, Any], ...]
    status_parts: dict[str, Any] | None = None
    incentives: dict[str, Any] | None = None


def conclude(
    rules: Rules, cells: Sequence[ScoredCell], applies: Applies, *, base: float | None, sales: float | None,
) -> Conclusion:
    """The total, grade and pay of one appraisee whose cells are scored and weighed; `base` and
    `sales` their bonus base and sales (None where none)."""
    steps = Steps()
    weighted = [c for c in cells if c.weight > 0]
    missing = [c.indicator for c in weighted if c.score is None]
    policy = rules.missing_data
    if policy == "fail" and missing:
        status = f"failed: no data for {', '.join(missing)} (missing_data: fail)"
        steps.add(status, "failed_missing", missing=list(missing))
        return Conclusion(None, 0.0, None, None, status, (), tuple(steps.texts), tuple(steps.parts), steps.parts[-1])
    if weighted and len(missing) == len(weighted):
        steps.add("no indicator could be scored: insufficient data", "nothing_scored")
        return Conclusion(None, 0.0, None, None, INSUFFICIENT, (), tuple(steps.texts), tuple(steps.parts))

    weighted_total = sum(c.contribution for c in cells if c.contribution is not None)
    counted = [c for c in cells if c.contribution is not None]
    parts = " + ".join(f"{fmt(c.score)} x {fmt(c.effective_weight)}%" for c in counted)
    steps.add(f"weighted total {fmt(weighted_total)} = {parts}", "weighted_total", total=weighted_total,
              parts=[{"indicator": c.indicator, "score": c.score, "weight": c.effective_weight} for c in counted])
    if missing:
        how = "the others were re-weighted" if policy == "reweight" else "they count as 0"
        key = "missing_reweighted" if policy == "reweight" else "missing_zero"
        steps.add(f"no score for {', '.join(missing)}: {how} (missing_data: {policy})", key, missing=list(missing))

    effects: list[Effect] = []
    bonus = penalty = 0.0
    for n, adjustment in enumerate(rules.adjustments):
        applied = applies("adjustment", n, weighted_total)
        effects.append(Effect("adjustment", adjustment.when, pick(adjustment.reason), f"{adjustment.points:+g} points",
                              applied, adjustment.points, {"key": "effect_points", "points": adjustment.points},
                              dict(adjustment.reason)))
        if applied:
            bonus += max(adjustment.points, 0.0)
            penalty += max(-adjustment.points, 0.0)
    if rules.max_bonus is not None and bonus > rules.max_bonus:
        steps.add(f"bonus {fmt(bonus)} limited to {fmt(rules.max_bonus)}", "bonus_limited", bonus=bonus,
                  limit=rules.max_bonus)
        bonus = rules.max_bonus
    if rules.max_penalty is not None and penalty > rules.max_penalty:
        steps.add(f"penalty {fmt(penalty)} limited to {fmt(rules.max_penalty)}", "penalty_limited", penalty=penalty,
                  limit=rules.max_penalty)
        penalty = rules.max_penalty
    adjustment_points = bonus - penalty
    total = weighted_total + adjustment_points
    if adjustment_points:
        steps.add(f"adjustments {adjustment_points:+g}: total {fmt(total)}", "adjustments", points=adjustment_points,
                  total=total)

    seen = total  # every gate's condition sees the total after adjustments, not after other gates
    for n, gate in enumerate(rules.gates):
        applied = applies("gate", n, seen)
        effect = "veto: total 0" if gate.veto else f"cap total at {fmt(gate.cap_total)}"
        effect_parts = {"key": "effect_veto"} if gate.veto else {"key": "effect_cap", "cap": gate.cap_total}
        effects.append(Effect("gate", gate.when, pick(gate.reason), effect, applied, effect_parts=effect_parts,
                              reason_text=dict(gate.reason)))
        if applied:
            total = 0.0 if gate.veto else min(total, float(gate.cap_total or 0.0))
            steps.add(f"gate {gate.when} holds ({pick(gate.reason)}): {effect}; total {fmt(total)}", "gate_applied",
                      when=gate.when, reason=dict(gate.reason), effect=effect_parts, total=total)

    band = next((b for b in rules.grades if b.min <= total < b.max), None)
    if band is not None:
        upper = "" if math.isinf(band.max) else f" < {fmt(band.max)}"
        steps.add(f"grade {band.grade}: {fmt(band.min)} <= {fmt(total)}{upper}", "grade", grade=band.grade,
                  min=_finite(band.min), max=_finite(band.max), total=total)
    grade = None if band is None else band.grade
    pay = _incentives(rules.incentives, grade, base, sales, steps) if rules.incentives is not None else None
    return Conclusion(weighted_total, adjustment_points, total, grade, OK, tuple(effects), tuple(steps.texts),
                      tuple(steps.parts), incentives=pay)


def _incentives(
    pay: Paying, grade: str | None, base: float | None, sales: float | None, steps: Steps,
) -> dict[str, Any]:
    """Bonus (base x the grade's coefficient, capped) and commission (rate x sales, capped)."""
    money = pay.currency and f" {pay.currency}"
    coefficient = pay.coefficients.get(grade) if grade is not None else None
    bonus = None
    if base is not None and coefficient is not None:
        bonus = base * coefficient
        parts = {"base": base, "coefficient": coefficient, "grade": grade, "bonus": bonus, "capped_at": None,
                 "currency": pay.currency}
        line = (f"bonus: base {fmt(base)}{money} x coefficient {fmt(coefficient)} (grade {grade})"
                f" = {fmt(bonus)}{money}")
        if pay.bonus_cap is not None and bonus > pay.bonus_cap:
            bonus = parts["capped_at"] = float(pay.bonus_cap)
            line += f", capped at {fmt(bonus)}{money}"
        steps.add(line, "bonus_pay", **parts)
    sales = sales if pay.commission else None
    commission = None
    if sales is not None:
        commission = sales * pay.commission_rate
        parts = {"rate": pay.commission_rate, "sales": sales, "commission": commission, "capped_at": None,
                 "currency": pay.currency}
        line = (f"commission: {fmt(pay.commission_rate * 100)}% of sales {fmt(sales)}{money}"
                f" = {fmt(commission)}{money}")
        if pay.commission_cap is not None and commission > pay.commission_cap:
            commission = parts["capped_at"] = float(pay.commission_cap)
            line += f", capped at {fmt(commission)}{money}"
        steps.add(line, "commission_pay", **parts)
    total = None if bonus is None and commission is None else (bonus or 0.0) + (commission or 0.0)
    return {"base": base, "coefficient": coefficient, "bonus": bonus, "sales": sales,
            "commission": commission, "total": total, "currency": pay.currency}
