"""Indicators measured on different windows within one scheme (tests/data/measuring/windows.yaml).

Run for 2026-Q4. a1's tickets: t01, t02, t03 in July (Q3), t07 on 1 October (Q4); t08 has no
readable date. a2: t04, t05 in July. So for a1: this quarter 1, last quarter 3, the year to date
4, December 0 (insufficient data), change -2.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from appraisal.periods import parse_period, window
from appraisal.pipeline import load_scheme, run

DATA = Path(__file__).resolve().parent / "data" / "measuring"


@pytest.fixture(scope="module")
def result():
    return run(load_scheme(DATA / "windows.yaml"), parse_period("2026-Q4"))


def value(result, who: str, indicator: str):
    return result.appraisee(who).cell(indicator).value


def test_the_previous_period_is_measured_beside_the_current_one(result):
    assert (value(result, "a1", "now"), value(result, "a1", "before")) == (1.0, 3.0)


def test_year_to_date_runs_from_january_to_the_end_of_the_period(result):
    assert value(result, "a1", "ytd") == 4.0


def test_a_monthly_window_is_the_periods_last_month(result):
    assert value(result, "a1", "last_month") is None  # nothing in December


def test_the_change_against_the_previous_period_is_a_formula(result):
    assert value(result, "a1", "change") == -2.0 and value(result, "a2", "change") == -2.0


def test_each_window_is_one_query(result):
    assert sorted(result.queries) == [
        "tickets", "tickets (month 2026-12)", "tickets (previous 2026-Q3)",
        "tickets (year_to_date 2026-01-01..2026-12-31)",
    ]


@pytest.mark.parametrize(
    ("kind", "start", "end"),
    [("previous", "2026-07-01", "2026-10-01"), ("year_to_date", "2026-01-01", "2027-01-01"),
     ("month", "2026-12-01", "2027-01-01"), ("half", "2026-07-01", "2027-01-01"),
     ("period", "2026-10-01", "2027-01-01")],
)
def test_windows_relative_to_the_period(kind, start, end):
    span = window(parse_period("2026-Q4"), kind)
    assert (span.start.isoformat(), span.end.isoformat()) == (start, end)


def test_rows_another_window_uses_are_not_outside_the_period(result):
    # Every July ticket lies outside 2026-Q4 but inside the year to date (and the previous
    # quarter) the scheme also measures: none is reported as outside the period.
    counts = {q["cause"]: q["count"] for q in result.quality if q["dataset"] == "tickets"}
    assert counts.get("outside period", 0) == 0
