"""Scoring: a value becomes points by the indicator's rule, and every rule says what it did.

Pure functions over one value (never over data rows): the data stage has already reduced the
rows to one value per appraisee and indicator. Each function returns the points, the English
sentence that explains them (kept for result.json readers and `appraisal explain`) and the same
explanation as a phrasebook key with its numbers (`parts`), so a report can say it in any
language (see `appraisal.rendering.phrasing`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from appraisal.scheme.model import Indicator, Score


@dataclass(frozen=True)
class Points:
    """The points a value earned (None: not scored) and how: in English words, and as a key with
    its numbers for the phrasebook (so reports need not parse the English)."""

    score: float | None
    rule: str
    parts: dict[str, Any] = field(default_factory=dict)


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return ("inf" if x > 0 else "-inf") if math.isinf(x) else f"{x:g}"


def finite(x: float | None) -> float | None:
    """A number JSON can hold: infinities (an open end) become None."""
    return None if x is None or not math.isfinite(x) else x


def _clamp(points: float, score: Score) -> float:
    return min(score.cap, max(score.floor, points))


def linear(value: float, target: float, score: Score, unit: str = "") -> Points:
    """Piecewise linear: worst -> 0, target -> 100, best -> cap; flat beyond both ends."""
    worst, best = score.worst, score.best
    assert worst is not None and best is not None  # the lint guarantees both
    lower_better = best < worst
    # Work in "goodness" terms so both directions share one formula.
    sign = -1.0 if lower_better else 1.0
    v, w, t, b = sign * value, sign * worst, sign * target, sign * best
    if v <= w:
        points = 0.0
    elif v < t:
        points = 100.0 * (v - w) / (t - w)
    elif b <= t:
        points = 100.0  # the target is already the best value (a curve capped at 100)
    elif v >= b:
        points = score.cap
    else:
        points = 100.0 + (score.cap - 100.0) * (v - t) / (b - t)
    rule, parts = _linear_rule(worst, target, best, score.cap, unit)
    return Points(_clamp(points, score), rule, parts)


@lru_cache(maxsize=4096)
def _linear_rule(worst: float, target: float, best: float, cap: float, unit: str) -> tuple[str, dict[str, Any]]:
    """The words and parts of a curve: the same for every appraisee with the same target, so
    made once (a run of 100,000 people would otherwise format them 100,000 times). The parts
    dict is shared between cells: nothing writes to a result's parts."""
    rule = f"linear: worst {_fmt(worst)} = 0, target {_fmt(target)} = 100, best {_fmt(best)} = {_fmt(cap)}"
    return rule, {"key": "curve_linear", "worst": finite(worst), "target": finite(target), "best": finite(best),
                  "cap": finite(cap), "unit": unit}


def bands(value: float, score: Score) -> Points:
    """The first band whose interval holds the value, else the default."""
    for band in score.bands:
        if band.interval.contains(value):
            i = band.interval
            parts = {"key": "band", "low": finite(i.low), "high": finite(i.high), "low_closed": i.low_closed,
                     "high_closed": i.high_closed, "score": band.score}
            return Points(band.score, f"band {band.interval}: {_fmt(band.score)}", parts)
    default = score.default if score.default is not None else 0.0
    return Points(float(default), f"outside every band: default {_fmt(default)}",
                  {"key": "band_default", "default": default})


def ratio_to_target(value: float, target: float, score: Score, direction: str) -> Points:
    """100 x value / target (target / value when lower is better), between floor and cap."""
    if direction == "lower":
        points = score.cap if value == 0 else 100.0 * target / value
        rule = f"100 x target {_fmt(target)} / value, cap {_fmt(score.cap)}"
    else:
        points = 100.0 * value / target
        rule = f"100 x value / target {_fmt(target)}, cap {_fmt(score.cap)}"
    if not math.isfinite(points):
        points = score.cap
    key = "ratio_lower" if direction == "lower" else "ratio_higher"
    parts = {"key": key, "target": finite(target), "cap": finite(score.cap)}
    return Points(_clamp(points, score), rule, parts)


def score_value(
    indicator: Indicator,
    value: float | None,
    target: float | None,
    evaluate_formula: object = None,
) -> Points:
    """Points for one value by the indicator's rule; None when there is nothing to score.

    `evaluate_formula(expression, names)` evaluates a score formula (given by the caller so this
    module needs no plugin registry). The parts carry the indicator's unit, so a report can show
    the rule's values as the indicator's table shows them.
    """
    score = indicator.score
    if score is not None and score.rule == "curve" and value is not None and target is not None:
        return linear(value, target, score, indicator.unit)  # the common case, its parts made once
    points = _score_value(indicator, value, target, evaluate_formula)
    return Points(points.score, points.rule, {**points.parts, "unit": indicator.unit})


def _score_value(indicator: Indicator, value: float | None, target: float | None, evaluate_formula: object) -> Points:
    score = indicator.score
    if score is None:
        return Points(None, "not scored", {"key": "not_scored"})
    if value is None:
        return Points(None, "insufficient data: not scored", {"key": "insufficient_data"})
    if score.rule == "bands":
        return bands(value, score)
    if target is None:
        return Points(None, "no target for this appraisee: not scored", {"key": "no_target"})
    if score.rule == "curve":
        return linear(value, target, score, indicator.unit)
    if score.rule == "ratio_to_target":
        if target == 0:
            return Points(None, "target is 0: ratio not defined", {"key": "target_zero"})
        return ratio_to_target(value, target, score, indicator.direction)
    assert score.formula is not None and callable(evaluate_formula)
    result = evaluate_formula(score.formula, {"value": value, "target": target})
    formula = score.formula.source
    if result is None or isinstance(result, bool) or not isinstance(result, (int, float)):
        return Points(None, f"formula {formula} gave no number", {"key": "formula_no_number", "formula": formula})
    parts = {"key": "formula", "formula": formula, "floor": finite(score.floor), "cap": finite(score.cap)}
    return Points(_clamp(float(result), score), f"formula {formula}, between {_fmt(score.floor)} and {_fmt(score.cap)}",
                  parts)
