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

from appraisal.scheme.model import (
    BAND_DEFAULT,
    CURVE,
    FORMULA,
    FORMULA_NO_NUMBER,
    NO_DATA,
    NO_TARGET,
    NOT_SCORED,
    RATIO,
    TARGET_ZERO,
    Indicator,
    Score,
)


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
    for n, band in enumerate(score.bands):
        if band.interval.contains(value):
            return Points(band.score, *_band_words(score, n))
    return Points(float(score.default if score.default is not None else 0.0), *_band_words(score, None))


def _band_words(score: Score, n: int | None) -> tuple[str, dict[str, Any]]:
    """Band `n`'s words, or (None) the default's."""
    if n is None:
        default = score.default if score.default is not None else 0.0
        return f"outside every band: default {_fmt(default)}", {"key": "band_default", "default": default}
    band = score.bands[n]
    i = band.interval
    parts = {"key": "band", "low": finite(i.low), "high": finite(i.high), "low_closed": i.low_closed,
             "high_closed": i.high_closed, "score": band.score}
    return f"band {band.interval}: {_fmt(band.score)}", parts


def ratio_to_target(value: float, target: float, score: Score, direction: str) -> Points:
    """100 x value / target (target / value when lower is better), between floor and cap."""
    lower = score.cap if value == 0 else 100.0 * target / value
    points = lower if direction == "lower" else 100.0 * value / target
    if not math.isfinite(points):
        points = score.cap
    return Points(_clamp(points, score), *_ratio_words(target, score, direction))


def _ratio_words(target: float, score: Score, direction: str) -> tuple[str, dict[str, Any]]:
    if direction == "lower":
        rule = f"100 x target {_fmt(target)} / value, cap {_fmt(score.cap)}"
    else:
        rule = f"100 x value / target {_fmt(target)}, cap {_fmt(score.cap)}"
    key = "ratio_lower" if direction == "lower" else "ratio_higher"
    return rule, {"key": key, "target": finite(target), "cap": finite(score.cap)}


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


_FIXED_WORDS = {
    NOT_SCORED: "not scored",
    NO_DATA: "insufficient data: not scored",
    NO_TARGET: "no target for this appraisee: not scored",
    TARGET_ZERO: "target is 0: ratio not defined",
}


def rule_words(indicator: Indicator, case: str, target: float | None) -> tuple[str, dict[str, Any]]:
    """The rule and parts `score_value` gives a cell of `indicator` whose rule case is `case`
    (with `target`, the cell's target): a case and a target are all the words depend on."""
    score = indicator.score
    if case == CURVE:
        assert score is not None and score.worst is not None and score.best is not None and target is not None
        return _linear_rule(score.worst, target, score.best, score.cap, indicator.unit)
    rule, parts = _words(indicator, case, target)
    return rule, {**parts, "unit": indicator.unit}


def _words(indicator: Indicator, case: str, target: float | None) -> tuple[str, dict[str, Any]]:
    if case in _FIXED_WORDS:
        return _FIXED_WORDS[case], {"key": case}
    score = indicator.score
    assert score is not None
    if case == RATIO:
        assert target is not None
        return _ratio_words(target, score, indicator.direction)
    if case == BAND_DEFAULT:
        return _band_words(score, None)
    if case.startswith("band_"):
        return _band_words(score, int(case.removeprefix("band_")))
    assert score.formula is not None
    formula = score.formula.source
    if case == FORMULA_NO_NUMBER:
        return f"formula {formula} gave no number", {"key": "formula_no_number", "formula": formula}
    parts = {"key": "formula", "formula": formula, "floor": finite(score.floor), "cap": finite(score.cap)}
    return f"formula {formula}, between {_fmt(score.floor)} and {_fmt(score.cap)}", parts


def _score_value(indicator: Indicator, value: float | None, target: float | None, evaluate_formula: object) -> Points:
    score = indicator.score
    if score is None:
        return Points(None, *_words(indicator, NOT_SCORED, target))
    if value is None:
        return Points(None, *_words(indicator, NO_DATA, target))
    if score.rule == "bands":
        return bands(value, score)
    if target is None:
        return Points(None, *_words(indicator, NO_TARGET, target))
    if score.rule == "curve":
        return linear(value, target, score, indicator.unit)
    if score.rule == "ratio_to_target":
        if target == 0:
            return Points(None, *_words(indicator, TARGET_ZERO, target))
        return ratio_to_target(value, target, score, indicator.direction)
    assert score.formula is not None and callable(evaluate_formula)
    result = evaluate_formula(score.formula, {"value": value, "target": target})
    if result is None or isinstance(result, bool) or not isinstance(result, (int, float)):
        return Points(None, *_words(indicator, FORMULA_NO_NUMBER, target))
    return Points(_clamp(float(result), score), *_words(indicator, FORMULA, target))
