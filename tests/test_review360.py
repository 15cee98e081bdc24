"""360-degree reviews: rater groups with weights, minimum raters, own scales and trimming.

tests/data/review360/ratings.csv, by hand for m1: the supervisor's 5 (weight 40); peers rate
8, 6 and 10 on 1-10 (11 is outside the scale, m1's own 10 is a self-rating), trimming the
highest and lowest leaves 8, which is 1 + 7 x 4/9 = 4.111 on 1-5 (weight 30); one subordinate
is fewer than the 2 needed and no customer rated: those groups do not count. So
(5 x 40 + 4.111 x 30) / 70 = 4.619.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, measure
from appraisal.plugins import extensions
from appraisal.scheme.validation import validate_files

DATA = Path(__file__).resolve().parent / "data" / "review360"


@pytest.fixture(scope="module")
def measured():
    return measure(load_scheme(DATA / "scheme.yaml"), parse_period("2026-H1"))


def test_groups_are_weighted_trimmed_normalised_and_need_enough_raters(measured):
    cell = measured.cell("m1", "leadership")
    assert cell.value == pytest.approx((5 * 40 + (1 + 7 * 4 / 9) * 30) / 70)


def test_groups_without_enough_raters_are_flagged(measured):
    assert measured.cell("m1", "leadership").flags == (
        "customers: 0 of at least 1 raters, not counted",
        "subordinates: 1 of at least 2 raters, not counted",
    )


def test_the_weights_of_missing_groups_go_to_the_others(measured):
    assert measured.cell("m2", "leadership").value == pytest.approx((3 * 40 + 4 * 10) / 50)


def test_ratings_left_out_are_counted_by_cause(measured):
    counts = {c.cause: c.count for c in measured.quality if c.dataset == "ratings"}
    assert counts == {"self rating": 1, "rating outside scale": 1, "unknown rater group": 1}


def test_raters_are_only_for_rating_indicators(tmp_path):
    text = (DATA / "scheme.yaml").read_text(encoding="utf-8").replace(
        "    kind: rating\n    scale: [1, 5]\n", "    formula: \"1\"\n"
    )
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    messages = [p.message for p in validate_files([path], extensions())]
    assert "'raters' is only for rating indicators" in messages
