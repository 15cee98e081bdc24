"""Several agents touch one ticket (tests/data/attribution/): first touch, last touch, or split.

t1: a1 then a2. t2: a2. t3: a1, a2, a3, then a1 again (so a1 is first and last). t4: nobody.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, measure
from appraisal.plugins import extensions
from appraisal.scheme.validation import validate_files

DATA = Path(__file__).resolve().parent / "data" / "attribution"


@pytest.fixture(scope="module")
def measured():
    return measure(load_scheme(DATA / "scheme.yaml"), parse_period("2026-Q3"))


def values(measured, indicator: str) -> list[float | None]:
    return [measured.cell(a, indicator).value for a in ("a1", "a2", "a3")]


def test_first_touch_credits_who_touched_first(measured):
    assert values(measured, "by_first") == [2.0, 1.0, None]


def test_last_touch_credits_who_touched_last(measured):
    assert values(measured, "by_last") == [1.0, 2.0, None]


def test_split_gives_each_toucher_an_equal_share(measured):
    assert values(measured, "by_split") == pytest.approx([1 / 2 + 1 / 3, 1 / 2 + 1 + 1 / 3, 1 / 3])


def test_without_attribution_every_toucher_gets_the_row(measured):
    assert values(measured, "by_all") == [2.0, 3.0, 1.0]


def test_a_row_shared_by_several_is_counted_once_in_data_quality(measured):
    assert [(c.cause, c.count) for c in measured.quality] == [("unknown appraisee", 1)]


def test_each_attribution_is_its_own_query(measured):
    assert sorted(measured.queries) == ["tickets", "tickets (first touch)", "tickets (last touch)", "tickets (split)"]


def test_attribution_needs_an_ordered_join(tmp_path):
    path = tmp_path / "s.yaml"
    text = (DATA / "scheme.yaml").read_text(encoding="utf-8").replace(", order_by: touched_at", "")
    path.write_text(text, encoding="utf-8")
    messages = [p.message for p in validate_files([path], extensions())]
    assert messages[0].startswith(
        "attribution 'first' needs the dataset to reach appraisees through 'via' with an 'order_by'")


def test_a_split_share_cannot_be_a_median(tmp_path):
    path = tmp_path / "s.yaml"
    text = (DATA / "scheme.yaml").read_text(encoding="utf-8").replace(
        "{dataset: tickets, agg: count, attribution: split}",
        '{dataset: tickets, agg: median, of: "1", attribution: split}',
    )
    path.write_text(text, encoding="utf-8")
    assert [p.message for p in validate_files([path], extensions())] == [
        "a split share works with count, sum, mean and ratio, not 'median'"]
