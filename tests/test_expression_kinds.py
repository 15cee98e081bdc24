"""`validate` means it will run: expressions are checked against the declared column types.

The property: over columns of every type and every function and operator, what `validate`
accepts, `measure` runs; what it refuses, it refuses with the file, a line and a key path.
The named cases below are the ones that used to pass `validate` and then fail in `measure`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appraisal.errors import SchemeError
from appraisal.measuring.measurements import INSUFFICIENT, OK
from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, measure

COLUMNS = {
    "agent_id": "text", "status": "text", "created_at": "timestamp", "resolved_at": "timestamp",
    "opened_on": "date", "closed_on": "date", "handled": "duration", "contacts": "integer",
    "amount": "number", "reopened": "flag",
}
ROWS = [  # every type, with an empty cell in each column but the appraisee and the period
    "A1,resolved,2026-07-01 09:00,2026-07-01 11:30,2026-07-01,2026-07-03,1:30:00,2,10.5,Y",
    "A1,open,2026-07-02 09:00,,2026-07-02,,0:45,1,-3.25,N",
    "A2,resolved,2026-07-03 09:00,2026-07-04 09:00,,2026-07-05,,0,,",
    "A2,,2026-07-04 10:00,2026-07-04 10:30,2026-07-04,2026-07-04,45,,0,Y",
]
CONSTANTS = ("constants: {target_h: 24, label: resolved, per_status: {resolved: 2, open: 5}, "
             "per_count: {'1': 10, '2': 20}}\n")
PERIOD = parse_period("2026-07")


def write_scheme(folder: Path, measure_spec: str) -> Path:
    (folder / "roster.csv").write_text("agent_id\nA1\nA2\n", encoding="utf-8")
    header = ",".join(COLUMNS)
    (folder / "tickets.csv").write_text("\n".join([header, *ROWS]) + "\n", encoding="utf-8")
    columns = ", ".join(f"{name}: {kind}" for name, kind in COLUMNS.items())
    path = folder / "scheme.yaml"
    path.write_text(
        "scheme: kinds\nversion: 1\ntitle: Kinds\nperiod: month\n"
        "roster: {source: csv, path: roster.csv, key: agent_id}\n"
        + CONSTANTS
        + "datasets:\n  tickets:\n    source: csv\n    path: tickets.csv\n    appraisee: agent_id\n"
        f"    period_by: created_at\n    columns: {{{columns}}}\n"
        "indicators:\n  - id: probe\n    title: Probe\n"
        f"    measure: {measure_spec}\n"
        "    weight: 100\n    target: 1\n    score: {curve: linear, worst: 0, best: 2}\n"
        "grades: {A: 50, B: 0}\n",
        encoding="utf-8",
    )
    return path


def outcome(tmp: Path, measure_spec: str) -> str | None:
    """None when the scheme validates and measures; the first problem line when it is refused."""
    path = write_scheme(tmp, measure_spec)
    try:
        scheme = load_scheme(path)
    except SchemeError as error:
        problem = error.problems[0]
        assert problem.file.endswith("scheme.yaml") and problem.line is not None, problem
        assert problem.path.startswith("indicators[0].measure"), problem
        return problem.render().replace(f"{tmp}/", "")
    result = measure(scheme, PERIOD)
    assert {cell.status for cell in result.cells.values()} <= {OK, INSUFFICIENT}
    return None


def yaml_text(expression: str) -> str:
    return '"' + expression.replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- the cases that used to crash in measure after validate said ok -----------------------


def test_seconds_of_a_duration_column_runs(tmp_path: Path) -> None:
    assert outcome(tmp_path, '{dataset: tickets, agg: sum, of: "seconds(handled)"}') is None


def test_days_between_two_date_columns_runs(tmp_path: Path) -> None:
    assert outcome(tmp_path, '{dataset: tickets, agg: mean, of: "days(closed_on - opened_on)"}') is None


def test_a_text_literal_as_the_value_to_sum_is_refused(tmp_path: Path) -> None:
    assert outcome(tmp_path, "{dataset: tickets, agg: sum, of: \"'abc'\"}") == (
        "scheme.yaml:17:48: indicators[0].measure.of: this expression gives a text, but a number is needed here"
    )


def test_arithmetic_on_a_text_column_is_refused(tmp_path: Path) -> None:
    assert outcome(tmp_path, '{dataset: tickets, agg: sum, of: "status * 2"}') == (
        "scheme.yaml:17:48: indicators[0].measure.of: '*' needs numbers, but 'status' is a text; "
        "texts cannot be computed with (there is no text arithmetic)"
    )


def test_a_comparison_across_kinds_is_refused(tmp_path: Path) -> None:
    assert outcome(tmp_path, "{dataset: tickets, agg: count, where: \"created_at > 'x'\"}") == (
        "scheme.yaml:17:53: indicators[0].measure.where: cannot compare a timestamp with a text using '>'; "
        "there are no date or timestamp literals: compare with another date or timestamp column, "
        "or with a part of it such as year(...) or month(...)"
    )


def test_a_function_given_the_wrong_kind_is_refused(tmp_path: Path) -> None:
    assert outcome(tmp_path, '{dataset: tickets, agg: mean, of: "hours(created_at)"}') == (
        "scheme.yaml:17:49: indicators[0].measure.of: hours(): argument 1 must be a duration or a time interval, "
        "but got a timestamp"
    )


def test_a_text_as_a_filter_is_refused(tmp_path: Path) -> None:
    assert outcome(tmp_path, '{dataset: tickets, agg: count, where: "status"}') == (
        "scheme.yaml:17:53: indicators[0].measure.where: this expression gives a text, but true or false is needed here"
    )


def test_text_arithmetic_with_a_literal_is_refused(tmp_path: Path) -> None:
    assert outcome(tmp_path, "{dataset: tickets, agg: count, where: \"'a' * 200000 == status\"}") == (
        "scheme.yaml:17:53: indicators[0].measure.where: '*' needs numbers, but ''a'' is a text; "
        "texts cannot be computed with (there is no text arithmetic)"
    )


def test_period_by_on_a_number_column_is_refused(tmp_path: Path) -> None:
    path = write_scheme(tmp_path, '{dataset: tickets, agg: count}')
    path.write_text(path.read_text(encoding="utf-8").replace("period_by: created_at", "period_by: contacts"),
                    encoding="utf-8")
    with pytest.raises(SchemeError) as error:
        load_scheme(path)
    assert error.value.problems[0].render().replace(f"{tmp_path}/", "") == (
        "scheme.yaml:12:16: datasets.tickets.period_by: period_by names column 'contacts', declared number; "
        "the period is placed by a date or a timestamp column"
    )


# -- the property ---------------------------------------------------------------------------

NUMBERS = st.sampled_from(["contacts", "amount", "handled", "target_h", "2", "0", "-1.5", "1e308"])
TEXTS = st.sampled_from(["status", "agent_id", "label", "'resolved'", "'it''s'"])
TIMES = st.sampled_from(["created_at", "resolved_at", "opened_on", "closed_on"])
FLAGS = st.sampled_from(["reopened", "True", "False"])
LEAVES = st.one_of(NUMBERS, TEXTS, TIMES, FLAGS, st.just("None"))
UNARY = ["seconds", "minutes", "hours", "days", "abs", "floor", "ceil", "year", "quarter", "month", "day",
         "weekday", "hour", "is_null", "not_null", "coalesce"]


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/", "//", "%", "==", "!=", "<", ">=", "and", "or"]),
                       children).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
    call1 = st.tuples(st.sampled_from(UNARY), children).map(lambda t: f"{t[0]}({t[1]})")
    call2 = st.tuples(st.sampled_from(["min", "max", "coalesce"]), children, children).map(
        lambda t: f"{t[0]}({t[1]}, {t[2]})")
    rounding = st.tuples(children, st.integers(-3, 3)).map(lambda t: f"round({t[0]}, {t[1]})")
    power = st.tuples(children, st.sampled_from(["2", "0.5", "-1"])).map(lambda t: f"({t[0]} ** {t[1]})")
    negate = children.map(lambda c: f"(not {c})") | children.map(lambda c: f"(-{c})")
    choice = st.tuples(children, children, children).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})")
    lookup = st.tuples(st.sampled_from(["per_status", "per_count"]), children).map(lambda t: f"{t[0]}[{t[1]}]")
    within = children.map(lambda c: f"({c} in ('open', 'resolved'))") | children.map(lambda c: f"({c} in (1, 2))")
    return st.one_of(binary, call1, call2, rounding, power, negate, choice, lookup, within)


EXPRESSIONS = st.recursive(LEAVES, _extend, max_leaves=6)
# APPRAISAL_SOAK=N draws N cases instead (a longer run than CI's)
PROPERTY = settings(max_examples=int(os.environ.get("APPRAISAL_SOAK") or 80), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@PROPERTY
@given(expression=EXPRESSIONS, agg=st.sampled_from(["sum", "mean", "median", "min", "max", "count_distinct"]))
def test_what_validate_accepts_as_a_value_measure_runs(tmp_path_factory: pytest.TempPathFactory, expression: str,
                                                       agg: str) -> None:
    outcome(tmp_path_factory.mktemp("value"), f"{{dataset: tickets, agg: {agg}, of: {yaml_text(expression)}}}")


@PROPERTY
@given(expression=EXPRESSIONS)
def test_what_validate_accepts_as_a_filter_measure_runs(tmp_path_factory: pytest.TempPathFactory,
                                                        expression: str) -> None:
    outcome(tmp_path_factory.mktemp("filter"), f"{{dataset: tickets, agg: count, where: {yaml_text(expression)}}}")
