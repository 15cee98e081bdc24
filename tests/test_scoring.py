"""Scoring rules: a value becomes points, and the rule says what it did."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appraisal.scheme.intervals import parse_interval
from appraisal.scheme.model import Band, Indicator, Score
from appraisal.scoring.scores import bands, linear, ratio_to_target, score_value


def curve(worst: float, best: float, cap: float = 100.0, floor: float = 0.0) -> Score:
    return Score("curve", worst=worst, best=best, cap=cap, floor=floor)


def indicator(score: Score, target: float | None = None, direction: str = "higher") -> Indicator:
    return Indicator("x", {"en": "X"}, {}, "measure", "", direction, 100.0, target=target, score=score)


@pytest.mark.parametrize(
    ("value", "points"),
    [(0.5, 0.0), (0.4, 0.0), (0.7, 50.0), (0.9, 100.0), (0.95, 110.0), (1.0, 120.0), (1.2, 120.0)],
)
def test_linear_curve_passes_through_worst_target_and_best(value, points):
    assert linear(value, 0.9, curve(0.5, 1.0, cap=120)).score == pytest.approx(points)


@pytest.mark.parametrize(
    ("hours", "points"), [(9, 0.0), (8, 0.0), (5, 50.0), (2, 100.0), (1.5, 110.0), (1, 120.0), (0.2, 120.0)]
)
def test_linear_curve_where_lower_is_better(hours, points):
    assert linear(hours, 2, curve(8, 1, cap=120)).score == pytest.approx(points)


def test_a_curve_capped_at_100_scores_100_from_the_target_on():
    assert linear(4.5, 4, curve(1, 5)).score == 100.0


def test_floor_lifts_the_worst_scores():
    assert linear(0.1, 0.9, curve(0.5, 1.0, floor=20)).score == 20.0


def test_the_rule_names_the_curve():
    assert linear(1, 2, curve(8, 1, cap=120)).rule == "linear: worst 8 = 0, target 2 = 100, best 1 = 120"


def table(*ranges: tuple[str, float], default: float = 40.0) -> Score:
    return Score("bands", bands=tuple(Band(parse_interval(r), s) for r, s in ranges), default=default)


BANDS = table(("[0, 24]", 120), ("(24, 48]", 100), ("(48, 72]", 70))


@pytest.mark.parametrize(
    ("hours", "points"), [(0, 120), (24, 120), (24.001, 100), (48, 100), (72, 70), (72.5, 40), (-1, 40)]
)
def test_bands_respect_open_and_closed_ends(hours, points):
    assert bands(hours, BANDS).score == points


def test_a_value_outside_every_band_scores_the_default_and_says_so():
    assert bands(100, BANDS).rule == "outside every band: default 40"


def test_ratio_to_target_for_higher_is_better():
    assert ratio_to_target(90, 100, Score("ratio_to_target", cap=120), "higher").score == 90.0


def test_ratio_to_target_for_lower_is_better_is_capped():
    score = Score("ratio_to_target", cap=120)
    assert ratio_to_target(80, 100, score, "lower").score == 120.0
    assert ratio_to_target(125, 100, score, "lower").score == 80.0
    assert ratio_to_target(0, 100, score, "lower").score == 120.0


def test_no_value_is_not_scored():
    points = score_value(indicator(curve(0, 1), 0.5), None, 0.5)
    assert points.score is None and points.rule == "insufficient data: not scored"


def test_no_target_for_this_appraisee_is_not_scored():
    assert score_value(indicator(curve(0, 1)), 0.4, None).rule == "no target for this appraisee: not scored"


@given(
    st.floats(-1e6, 1e6, allow_nan=False),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.floats(0, 1, allow_nan=False),
    st.sampled_from([100.0, 120.0, 150.0]),
)
def test_a_curve_never_leaves_floor_to_cap_and_never_drops_as_the_value_improves(a, b, frac, cap):
    worst, best = -100.0, 100.0
    target = worst + (best - worst) * (0.01 + 0.98 * frac)
    score = curve(worst, best, cap=cap)
    low, high = sorted((a, b))
    s_low, s_high = linear(low, target, score).score, linear(high, target, score).score
    assert 0.0 <= s_low <= cap and 0.0 <= s_high <= cap
    assert s_low <= s_high + 1e-9
    assert not math.isnan(s_low)


def test_the_curve_records_its_numbers_for_the_phrasebook():
    assert linear(1, 2, curve(8, 1, cap=120), "h").parts == {"key": "curve_linear", "worst": 8, "target": 2, "best": 1,
                                                             "cap": 120, "unit": "h"}


def test_a_band_records_its_ends_and_an_open_end_as_none():
    score = table(("[0, 24]", 120), ("(24, inf)", 70))
    assert bands(30, score).parts == {"key": "band", "low": 24, "high": None, "low_closed": False,
                                      "high_closed": False, "score": 70}


def test_the_scored_value_records_the_indicators_unit():
    hours = Indicator("x", {"en": "X"}, {}, "measure", "h", "lower", 100.0, target=2, score=curve(8, 1))
    assert score_value(hours, 3, 2).parts["unit"] == "h"


def test_a_value_not_scored_records_why():
    assert score_value(indicator(curve(0, 1), 0.5), None, 0.5).parts == {"key": "insufficient_data", "unit": ""}


def test_the_words_of_a_curve_made_once_still_follow_its_target_and_unit():
    """The rule's words and parts are made once per curve, target and unit, and shared."""
    hours, minutes, higher = (linear(1, 2, curve(8, 1), "h"), linear(1, 2, curve(8, 1), "min"),
                              linear(1, 3, curve(8, 1), "h"))
    assert (hours.parts["unit"], minutes.parts["unit"], higher.parts["target"]) == ("h", "min", 3)
    assert higher.rule == "linear: worst 8 = 0, target 3 = 100, best 1 = 100"
