"""Measures compiled to DuckDB: one query per dataset and window, starting from the roster."""

from __future__ import annotations

import statistics
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme
from appraisal.plugins import extensions
from appraisal.sql.measures import compile_dataset
from appraisal.sql.query import CompileError

Q3 = parse_period("2026-Q3")

SCHEME = """
scheme: compile-test
version: 1
title: Compile test
period: quarter
roster: {source: csv, path: roster.csv, key: agent_id}
constants: {satisfied_from: 4}
datasets:
  tickets:
    source: csv
    path: tickets.csv
    appraisee: agent_id
    period_by: created_at
    columns: {ticket_id: text, agent_id: text, created_at: timestamp, first_response_at: timestamp,
              status: text, cause: text, cost: number}
  surveys:
    source: csv
    path: surveys.csv
    via: {dataset: tickets, on: ticket_id}
    period_by: answered_at
    columns: {ticket_id: text, answered_at: timestamp, score: integer}
exclusions:
  - {dataset: tickets, where: "cause == 'supplier_defect'", reason: Supplier batch}
indicators:
%s
grades: {A: 90, B: 0}
"""

ROSTER = ["a1", "a2", "a3"]
TICKETS = [
    ("t1", "a1", "2026-07-01 09:00", "2026-07-01 10:00", "resolved", "x", 10.0),
    ("t2", "a1", "2026-07-03 09:00", "2026-07-03 12:00", "open", "x", 30.0),
    ("t3", "a2", "2026-08-01 09:00", "2026-08-01 09:30", "resolved", "supplier_defect", 5.0),
    ("t4", "zz", "2026-08-01 09:00", None, "open", "x", 1.0),
    ("t5", "a2", "2026-10-01 00:00", None, "open", "x", 1.0),
    ("t6", "a2", "2026-09-30 23:59:59", "2026-10-01 01:59:59", "resolved", "x", 2.0),
]
SURVEYS = [
    ("t1", "2026-07-05 10:00", 5),
    ("t2", "2026-07-05 11:00", 3),
    ("t3", "2026-08-02 10:00", 5),  # about the excluded supplier-defect ticket
    ("t6", "2026-09-30 12:00", 4),
]


def indicator(ident: str, measure: str, weight: int = 100) -> str:
    return (
        f"  - id: {ident}\n    title: {ident}\n    measure: {measure}\n"
        f"    target: 1\n    score: {{curve: linear, worst: 0, best: 2}}\n    weight: {weight}\n"
    )


def make_scheme(tmp_path: Path, *indicators: str):
    path = tmp_path / "scheme.yaml"
    path.write_text(SCHEME % "".join(indicators), encoding="utf-8")
    return load_scheme(path)


@pytest.fixture
def con():
    connection = duckdb.connect()
    connection.execute("CREATE TABLE roster (agent_id VARCHAR)")
    connection.executemany("INSERT INTO roster VALUES (?)", [[r] for r in ROSTER])
    connection.execute(
        "CREATE TABLE tickets (ticket_id VARCHAR, agent_id VARCHAR, created_at TIMESTAMP,"
        " first_response_at TIMESTAMP, status VARCHAR, cause VARCHAR, cost DOUBLE)"
    )
    connection.executemany("INSERT INTO tickets VALUES (?, ?, ?, ?, ?, ?, ?)", [list(t) for t in TICKETS])
    connection.execute("CREATE TABLE surveys (ticket_id VARCHAR, answered_at TIMESTAMP, score INTEGER)")
    connection.executemany("INSERT INTO surveys VALUES (?, ?, ?)", [list(s) for s in SURVEYS])
    return connection


def query_rows(con, scheme, dataset: str) -> list[dict]:
    """The query's rows, roster members first, by appraisee (they come in no order: the query's
    table is joined onto the keys by key)."""
    query = compile_dataset(scheme, dataset, Q3, extensions().functions)
    cursor = con.execute(query.sql, list(query.params))
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return sorted(rows, key=lambda row: (not row["on_roster"], row["appraisee"] is None, row["appraisee"] or ""))


def run(con, scheme, dataset: str = "tickets") -> dict[str, dict]:
    """Values of the roster members: `<id>__value` and `<id>__rows`."""
    return {
        row["appraisee"]: {k: v for k, v in row.items() if k.endswith(("__value", "__rows"))}
        for row in query_rows(con, scheme, dataset)
        if row["on_roster"]
    }


def quality(con, scheme, dataset: str = "tickets") -> dict[str, int]:
    """The counts summed over all appraisees, and the kept rows of those not on the roster."""
    rows = query_rows(con, scheme, dataset)
    totals = {k.removeprefix("q__"): sum(r[k] for r in rows) for k in rows[0] if k.startswith("q__")}
    totals["unknown_appraisee"] = sum(r["q__kept"] for r in rows if not r["on_roster"])
    del totals["kept"]
    return totals


def test_everyone_on_the_roster_gets_a_row_with_no_value_when_without_data(tmp_path, con):
    rows = run(con, make_scheme(tmp_path, indicator("n", "{dataset: tickets, agg: count}")))
    assert list(rows) == ["a1", "a2", "a3"]
    assert rows["a3"] == {"n__value": None, "n__rows": 0}


def test_count_keeps_rows_in_the_half_open_window_only(tmp_path, con):
    rows = run(con, make_scheme(tmp_path, indicator("n", "{dataset: tickets, agg: count}")))
    # a2: t3 is excluded, t5 starts Q4 at midnight, t6 is the last second of Q3.
    assert (rows["a1"]["n__value"], rows["a2"]["n__value"]) == (2, 1)


def test_median_of_an_interval_in_hours(tmp_path, con):
    measure = '{dataset: tickets, agg: median, of: "hours(first_response_at - created_at)"}'
    rows = run(con, make_scheme(tmp_path, indicator("frt", measure)))
    assert rows["a1"]["frt__value"] == 2.0 and rows["a2"]["frt__value"] == 2.0


def test_ratio_counts_numerator_and_denominator_separately(tmp_path, con):
    measure = "{dataset: tickets, agg: ratio, numerator: {where: \"status == 'resolved'\"}}"
    rows = run(con, make_scheme(tmp_path, indicator("rate", measure)))
    assert rows["a1"] == {"rate__value": 0.5, "rate__rows": 2}


def test_ratio_with_no_rows_is_null_not_zero(tmp_path, con):
    measure = "{dataset: tickets, agg: ratio, numerator: {where: \"status == 'resolved'\"}}"
    assert run(con, make_scheme(tmp_path, indicator("rate", measure)))["a3"]["rate__value"] is None


def test_min_count_makes_the_value_insufficient_not_zero(tmp_path, con):
    measure = "{dataset: tickets, agg: count, min_count: 2}"
    rows = run(con, make_scheme(tmp_path, indicator("n", measure)))
    assert rows["a1"]["n__value"] == 2 and rows["a2"]["n__value"] is None and rows["a2"]["n__rows"] == 1


@pytest.mark.parametrize(
    ("agg", "expected"), [("sum", 40.0), ("mean", 20.0), ("min", 10.0), ("max", 30.0), ("count_distinct", 2)]
)
def test_aggregates_over_a_column(tmp_path, con, agg, expected):
    rows = run(con, make_scheme(tmp_path, indicator("c", f"{{dataset: tickets, agg: {agg}, of: cost}}")))
    assert rows["a1"]["c__value"] == expected


def test_percentile_interpolates(tmp_path, con):
    measure = "{dataset: tickets, agg: percentile, percentile: 0.9, of: cost}"
    assert run(con, make_scheme(tmp_path, indicator("p", measure)))["a1"]["p__value"] == pytest.approx(28.0)


def test_where_filters_rows_of_one_measure(tmp_path, con):
    measure = "{dataset: tickets, agg: sum, of: cost, where: \"status == 'open'\"}"
    rows = run(con, make_scheme(tmp_path, indicator("c", measure)))
    assert rows["a1"] == {"c__value": 30.0, "c__rows": 1}


def test_survey_reaches_its_agent_through_the_ticket(tmp_path, con):
    measure = '{dataset: surveys, agg: ratio, numerator: {where: "score >= satisfied_from"}}'
    rows = run(con, make_scheme(tmp_path, indicator("csat", measure)), "surveys")
    assert rows["a1"] == {"csat__value": 0.5, "csat__rows": 2}
    assert rows["a2"] == {"csat__value": 1.0, "csat__rows": 1}


def test_literals_and_constants_are_bound_not_pasted(tmp_path, con):
    measure = '{dataset: surveys, agg: ratio, numerator: {where: "score >= satisfied_from"}}'
    query = compile_dataset(make_scheme(tmp_path, indicator("csat", measure)), "surveys", Q3, extensions().functions)
    assert "4" not in query.sql.replace("__", "") and 4 in query.params


def test_quotes_in_literals_and_column_names_survive(tmp_path, con):
    con.execute("ALTER TABLE tickets RENAME COLUMN agent_id TO \"agent \"\"id\"\"\"")
    con.execute("UPDATE tickets SET cause = ? WHERE ticket_id = 't2'", ["it's"])
    text = SCHEME % indicator("n", """{dataset: tickets, agg: count, where: 'cause != "it''s"'}""")
    text = text.replace("appraisee: agent_id", "appraisee: 'agent \"id\"'")
    text = text.replace("agent_id: text, created_at", "'agent \"id\"': text, created_at")
    path = tmp_path / "quoted.yaml"
    path.write_text(text, encoding="utf-8")
    rows = run(con, load_scheme(path))
    assert rows["a1"]["n__value"] == 1


def test_quality_counts_travel_with_the_values(tmp_path, con):
    scheme = make_scheme(tmp_path, indicator("n", "{dataset: tickets, agg: count}"))
    assert quality(con, scheme) == {
        "rows_in_period": 5,
        "unknown_appraisee": 1,
        "no_period_value": 0,
        "outside_period": 1,
        "excluded_0": 1,
        "excluded_via": 0,
    }


def test_a_survey_of_an_excluded_ticket_is_excluded_with_it(tmp_path, con):
    measure = '{dataset: surveys, agg: ratio, numerator: {where: "score >= satisfied_from"}}'
    scheme = make_scheme(tmp_path, indicator("csat", measure))
    assert run(con, scheme, "surveys")["a2"] == {"csat__value": 1.0, "csat__rows": 1}
    assert quality(con, scheme, "surveys")["excluded_via"] == 1


def test_a_negative_elapsed_time_is_dropped_and_counted(tmp_path, con):
    con.execute("UPDATE tickets SET first_response_at = created_at - INTERVAL 1 HOUR WHERE ticket_id = 't2'")
    measure = '{dataset: tickets, agg: median, of: "hours(first_response_at - created_at)"}'
    scheme = make_scheme(tmp_path, indicator("frt", measure))
    assert run(con, scheme)["a1"] == {"frt__value": 1.0, "frt__rows": 1}
    assert quality(con, scheme)["negative__frt"] == 1


def test_scheme_without_roster_cannot_compile(tmp_path, con):
    text = (SCHEME % indicator("n", "{dataset: tickets, agg: count}")).replace(
        "roster: {source: csv, path: roster.csv, key: agent_id}\n", ""
    )
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CompileError, match="has no roster"):
        compile_dataset(load_scheme(path), "tickets", Q3, extensions().functions)


costs = st.lists(
    st.tuples(st.sampled_from(ROSTER), st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: round(x, 2))),
    max_size=40,
)


@settings(max_examples=40, deadline=None)
@given(rows=costs)
def test_sum_mean_and_count_agree_with_python(tmp_path_factory, rows):
    tmp_path = tmp_path_factory.mktemp("p")
    scheme = make_scheme(
        tmp_path,
        indicator("s", "{dataset: tickets, agg: sum, of: cost}", 40),
        indicator("m", "{dataset: tickets, agg: mean, of: cost}", 30),
        indicator("n", "{dataset: tickets, agg: count}", 30),
    )
    connection = duckdb.connect()
    connection.execute("CREATE TABLE roster AS SELECT unnest(?) AS agent_id", [ROSTER])
    connection.execute(
        "CREATE TABLE tickets (ticket_id VARCHAR, agent_id VARCHAR, created_at TIMESTAMP,"
        " first_response_at TIMESTAMP, status VARCHAR, cause VARCHAR, cost DOUBLE)"
    )
    when = datetime(2026, 8, 1)
    for i, (agent, cost) in enumerate(rows):
        connection.execute("INSERT INTO tickets VALUES (?, ?, ?, NULL, 'open', 'x', ?)", [f"t{i}", agent, when, cost])
    result = run(connection, scheme)
    for agent in ROSTER:
        mine = [c for a, c in rows if a == agent]
        assert result[agent]["n__rows"] == len(mine)
        if mine:
            assert result[agent]["n__value"] == len(mine)
            assert result[agent]["s__value"] == pytest.approx(sum(mine), abs=1e-6)
            assert result[agent]["m__value"] == pytest.approx(statistics.fmean(mine), abs=1e-6)
        else:
            assert result[agent]["s__value"] is None and result[agent]["m__value"] is None
            assert result[agent]["n__value"] is None
