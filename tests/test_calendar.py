"""Business-hours clocks (tests/data/calendar/): working hours 9:00-18:00 on weekdays, the
National Day holiday off, Sunday 27 September worked.

t1: Friday 17:00 to Monday 10:00 = 1 h + 1 h. t2: 30 September 17:30 to 8 October 9:30, over the
holiday = 0.5 h + 0.5 h. t3: a Saturday = 0 h. t4: the working Sunday, 10:00 to 12:00 = 2 h.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from appraisal.errors import AppraisalError
from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, measure
from appraisal.plugins import extensions
from appraisal.scheme.validation import validate_files

DATA = Path(__file__).resolve().parent / "data" / "calendar"


@pytest.fixture(scope="module")
def measured():
    return measure(load_scheme(DATA / "scheme.yaml"), parse_period("2026-Q3"))


def test_business_hours_skip_nights_weekends_and_holidays(measured):
    assert measured.cell("a1", "response_business_h").value == pytest.approx((2 + 1 + 0 + 2) / 4)


def test_clock_hours_still_count_everything(measured):
    assert measured.cell("a1", "response_h").value == pytest.approx(184.0)


def test_a_day_that_closes_before_it_opens_is_refused(tmp_path):
    path = tmp_path / "s.yaml"
    text = (DATA / "scheme.yaml").read_text(encoding="utf-8").replace('["09:00", "18:00"]', '["18:00", "09:00"]')
    path.write_text(text, encoding="utf-8")
    assert [p.message for p in validate_files([path], extensions())] == [
        "the day closes (09:00) before it opens (18:00)"]


def test_business_hours_are_for_data_rows_only():
    from appraisal.expressions.evaluation import evaluate
    from appraisal.expressions.parsing import NameKind, parse_expression
    functions = extensions().functions
    names = {"a": NameKind.CONSTANT, "b": NameKind.CONSTANT}
    expr = parse_expression("business_hours(a, b)", names=names, functions=functions)
    with pytest.raises(AppraisalError, match="data rows only"):
        evaluate(expr, {"a": 1.0, "b": 2.0}, functions)
