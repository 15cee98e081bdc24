"""Scoring: a value becomes points by the indicator's rule, and every rule says what it did.

Pure functions over one value (never over data rows): the data stage has already reduced the
rows to one value per appraisee and indicator. Each function returns the points and the
sentence that explains them, so a scorecard can show the rule that was applied.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from appraisal.model import Indicator, Score


@dataclass(frozen=True)
class Points:
    """The points a value earned (None: not scored) and how, in words."""

    score: float | None
    rule: str


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return ("inf" if x > 0 else "-inf") if math.isinf(x) else f"{x:g}"


def _clamp(points: float, score: Score) -> float:
    return min(score.cap, max(score.floor, points))


def linear(value: float, target: float, score: Score) -> Points:
    """Piecewise linear: worst -> 0, target -> 100, best -> cap; flat beyond both ends."""
    worst, best = score.worst, score.best
    assert worst is not None and best is not None  # the lint guarantees both
    rule = f"linear: worst {_fmt(worst)} = 0, target {_fmt(target)} = 100, best {_fmt(best)} = {_fmt(score.cap)}"
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
    return Points(_clamp(points, score), rule)


def bands(value: float, score: Score) -> Points:
    """The first band whose interval holds the value, else the default."""
    for band in score.bands:
        if band.interval.contains(value):
            return Points(band.score, f"band {band.interval}: {_fmt(band.score)}")
    default = score.default if score.default is not None else 0.0
    return Points(float(default), f"outside every band: default {_fmt(default)}")


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
    return Points(_clamp(points, score), rule)


def score_value(
    indicator: Indicator,
    value: float | None,
    target: float | None,
    evaluate_formula: object = None,
) -> Points:
    """Points for one value by the indicator's rule; None when there is nothing to score.

    `evaluate_formula(expression, names)` evaluates a score formula (given by the caller so this
    module needs no plugin registry).
    """
    score = indicator.score
    if score is None:
        return Points(None, "not scored")
    if value is None:
        return Points(None, "insufficient data: not scored")
    if score.rule == "bands":
        return bands(value, score)
    if target is None:
        return Points(None, "no target for this appraisee: not scored")
    if score.rule == "curve":
        return linear(value, target, score)
    if score.rule == "ratio_to_target":
        if target == 0:
            return Points(None, "target is 0: ratio not defined")
        return ratio_to_target(value, target, score, indicator.direction)
    assert score.formula is not None and callable(evaluate_formula)
    result = evaluate_formula(score.formula, {"value": value, "target": target})
    if result is None or isinstance(result, bool) or not isinstance(result, (int, float)):
        return Points(None, f"formula {score.formula.source} gave no number")
    return Points(_clamp(float(result), score), f"formula {score.formula.source}, between {_fmt(score.floor)} and {_fmt(score.cap)}")
