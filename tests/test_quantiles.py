"""Medians and percentiles at scale: the window form gives the aggregate form's numbers to the
last bit, a median in it spills to disk where the aggregate form runs out of memory, and the
form is chosen by the data's size against the memory limit (appraisal.sql.quantiles)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appraisal.engines.duckdb_engine import open_engine
from appraisal.engines.memory import configured
from appraisal.measuring.measurements import measure
from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme
from appraisal.plugins import extensions
from appraisal.sql.measures import compile_dataset
from appraisal.sql.quantiles import windowed

Q3 = parse_period("2026-Q3")

SCHEME = """\
scheme: quantiles
version: 1
title: Quantiles
period: quarter
roster: {source: csv, path: roster.csv, key: agent_id}
datasets:
  tickets:
    source: csv
    path: tickets.csv
    appraisee: agent_id
    period_by: created_at
    columns: {agent_id: text, created_at: timestamp, status: text, cost: number}
indicators:
  - id: median_cost
    title: Median cost
    weight: 40
    target: 1
    score: {curve: linear, worst: 0, best: 2}
    measure: {dataset: tickets, agg: median, of: cost, min_count: MIN}
  - id: p_cost
    title: A percentile of the cost
    weight: 30
    target: 1
    score: {curve: linear, worst: 0, best: 2}
    measure: {dataset: tickets, agg: percentile, percentile: P, of: cost, where: "status == 'open'"}
  - {id: n, title: Tickets, weight: 30, target: 1, score: {curve: linear, worst: 0, best: 2},
     measure: {dataset: tickets, agg: count}}
grades: {A: 90, B: 0}
"""


def scheme_with(folder: Path, percentile: float = 0.9, min_count: int = 1):  # type: ignore[no-untyped-def]
    path = folder / "scheme.yaml"
    path.write_text(SCHEME.replace("MIN", str(min_count)).replace("P,", f"{percentile!r},"), encoding="utf-8")
    return load_scheme(path)


def both_forms(con: duckdb.DuckDBPyConnection, scheme, dataset: str = "tickets") -> tuple[list, list]:  # type: ignore[no-untyped-def]
    """Every row of the measuring query, in the aggregate form and in the window form, roster
    members first, by appraisee (the query's rows come in no order: they are joined by key)."""
    found = []
    for form in (False, True):
        query = compile_dataset(scheme, dataset, Q3, extensions().functions, windowed=form)
        rows = con.execute(query.sql, list(query.params)).fetchall()
        found.append(sorted(rows, key=lambda row: (not row[1], row[0] is None, row[0] or "")))
    return found[0], found[1]


values = st.one_of(
    st.none(),
    st.integers(-5, 5).map(float),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.floats(-1e300, 1e300, allow_nan=False),
    st.sampled_from([0.1, 0.2, 0.3, 1 / 3, 2 / 3]),
)
rows = st.lists(
    st.tuples(st.sampled_from(["a1", "a2", "a3", "zz", None]), values, st.sampled_from(["open", "closed"]),
              st.sampled_from(["2026-07-01 09:00", "2026-12-01 09:00"])),
    max_size=40,
)


@settings(max_examples=30, deadline=None)
@given(rows=rows, percentile=st.one_of(st.sampled_from([0.5, 0.9, 0.95, 0.1, 0.25, 1 / 3, 0.99]),
                                       st.floats(0.01, 0.99)), min_count=st.integers(1, 3))
def test_the_window_form_gives_the_aggregate_forms_numbers_to_the_last_bit(tmp_path_factory, rows, percentile,
                                                                            min_count):
    scheme = scheme_with(tmp_path_factory.mktemp("q"), percentile, min_count)
    con = duckdb.connect()
    con.execute("CREATE TABLE roster AS SELECT * FROM (VALUES ('a1'), ('a2'), ('a3')) AS t(agent_id)")
    con.execute("CREATE TABLE tickets (agent_id VARCHAR, cost DOUBLE, status VARCHAR, created_at TIMESTAMP)")
    for row in rows:
        con.execute("INSERT INTO tickets VALUES (?, ?, ?, ?)", list(row))
    aggregate, window = both_forms(con, scheme)
    assert [repr(r) for r in window] == [repr(r) for r in aggregate]  # repr: -0.0 and 0.0 differ


def test_a_median_of_an_even_count_is_half_way_between_the_middle_two_in_both_forms(tmp_path):
    scheme = scheme_with(tmp_path)
    con = duckdb.connect()
    con.execute("CREATE TABLE roster AS SELECT 'a1' AS agent_id")
    con.execute("CREATE TABLE tickets AS SELECT 'a1' AS agent_id, cost, 'open' AS status,"
                " TIMESTAMP '2026-07-02' AS created_at FROM (VALUES (4.0), (1.0), (10.0), (2.0)) AS t(cost)")
    aggregate, window = both_forms(con, scheme)
    assert window == aggregate and window[0][2] == 3.0  # appraisee, on_roster, median_cost__value, ...


def write_parquet_tickets(folder: Path, count: int, agents: int) -> Path:
    """`count` tickets of `agents` agents in 2026-Q3 with a cost each, and the roster, as Parquet (as
    the bench data is: read where it lies, never loaded into memory whole)."""
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT 'A' || (i % {agents}) AS agent_id, TIMESTAMP '2026-07-01' + to_seconds(i % 7000000)"
                    f" AS created_at, CAST(hash(i) % 100000 AS DOUBLE) / 100 AS cost FROM range({count}) AS t(i))"
                    f" TO '{folder / 'tickets.parquet'}' (FORMAT parquet)")
        con.execute(f"COPY (SELECT 'A' || i AS agent_id FROM range({agents}) AS t(i)) TO '{folder / 'roster.parquet'}'"
                    " (FORMAT parquet)")
    scheme = folder / "scheme.yaml"
    scheme.write_text(
        "scheme: big-median\nversion: 1\ntitle: Big median\nperiod: quarter\n"
        "roster: {source: parquet, path: roster.parquet, key: agent_id}\n"
        "datasets:\n  tickets: {source: parquet, path: tickets.parquet, appraisee: agent_id, period_by: created_at,"
        " columns: {agent_id: text, created_at: timestamp, cost: number}}\n"
        "indicators:\n  - {id: median_cost, title: Median cost, weight: 100, target: 1,"
        " score: {curve: linear, worst: 0, best: 2}, measure: {dataset: tickets, agg: median, of: cost}}\n"
        "grades: {A: 90, B: 0}\n",
        encoding="utf-8",
    )
    return scheme


def test_a_median_over_more_rows_than_the_memory_limit_holds_spills_and_gives_the_same_values(tmp_path):
    scheme = load_scheme(write_parquet_tickets(tmp_path, 2_000_000, 1_000))
    with configured("60MB"):  # DuckDB holds 40MB of it, the rest kept for the program
        with open_engine(scheme, extensions().sources, threads=2) as engine:
            assert engine.memory_limit == 40_000_000
            aggregate = compile_dataset(scheme, "tickets", Q3, extensions().functions, windowed=False)
            with pytest.raises(duckdb.OutOfMemoryException):  # the aggregate form holds every value at once
                engine.connection.execute(aggregate.sql, list(aggregate.params)).fetchall()
        small = measure(scheme, Q3, extensions(), threads=2)  # 2M rows against 40MB: the window form
    with configured("1GB"):
        large = measure(scheme, Q3, extensions(), threads=2)  # the aggregate form
    assert len(small.cells) == 1_000 and small.cells == large.cells


@pytest.mark.parametrize(("rows", "limit", "expected"), [
    (10_000_000, 1_000_000_000, False),  # 160 MB of values: the aggregate form, the fastest
    (100_000_000, 1_000_000_000, True),  # 1.6 GB of values under a 1 GB limit: the window form
    (100_000_000, 16_000_000_000, False),  # ... unless the limit is raised far enough
    (2_000_000, 40_000_000, True),
    (None, 1_000_000_000, True),  # an unknown size could be anything
])
def test_the_window_form_is_chosen_when_the_values_might_not_fit(tmp_path, rows, limit, expected):
    scheme = scheme_with(tmp_path)
    median = [i for i in scheme.indicators if i.id == "median_cost"]
    assert windowed(median, rows, limit) is expected


def test_each_median_and_percentile_of_a_query_counts_against_the_memory_limit(tmp_path):
    scheme = scheme_with(tmp_path)
    median = [i for i in scheme.indicators if i.id == "median_cost"]
    assert windowed(median, 50_000_000, 4_000_000_000) is False
    assert windowed(scheme.indicators, 50_000_000, 4_000_000_000) is True  # a median and a percentile


def test_a_query_without_a_median_or_percentile_keeps_the_aggregate_form(tmp_path):
    scheme = scheme_with(tmp_path)
    count = [i for i in scheme.indicators if i.id == "n"]
    assert windowed(count, 100_000_000, 1_000_000) is False
