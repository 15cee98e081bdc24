"""The benchmark's hand-written SQL baseline agrees with `appraisal`, and so does its Polars peer.

bench/data_bench.py times `appraisal measure` and `appraisal run` against bench/baseline.sql (and
pandas and Polars, which it checks against the baseline first) on millions of rows. This is the
same check of appraisal, through its API and its command line (`measure`'s CSV files and what
`run` writes, read by the benchmark's own reader), and of the Polars baseline, on a few thousand
generated rows with every defect made common enough to occur. pandas is a benchmark-only
dependency and is not needed here; Polars is needed (bench/polars_baseline.py).
"""

from __future__ import annotations

import duckdb
import pytest

from bench_scripts import bench_script

generate = bench_script("generate")
data_bench = bench_script("data_bench")

ROWS, AGENTS = 5_000, 20


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    return generate.generate(folder / "data", ROWS, AGENTS, defect_scale=20, threads=1)


@pytest.fixture(scope="module")
def sql_outputs(generated):
    work = generated.folder.parent
    values, quality = work / "sql-values.csv", work / "sql-quality.csv"
    sql = data_bench.render_baseline(generated.tickets, generated.roster, values, quality)
    duckdb.connect().execute(sql)
    return data_bench.read_values(values), data_bench.read_quality(quality)


def test_the_generated_data_has_every_defect(sql_outputs):
    _, quality = sql_outputs
    assert set(quality) == {
        ("tickets", "duplicate key", "ticket_id"),
        ("tickets", "negative duration", "handle_time"),
        ("tickets", "negative duration", "first_response_h"),
        ("tickets", "negative duration", "resolution_h"),
        ("tickets", "outside period", "created_at"),
        ("tickets", "excluded: supplier batch 2026-07", ""),
        ("tickets", "unknown appraisee", "agent_id"),
    }


def test_roster_members_without_tickets_have_insufficient_data(sql_outputs):
    values, _ = sql_outputs
    assert {v[2] for k, v in values.items() if k[0] == "A00021"} == {"insufficient data"}
    assert len({k[0] for k in values}) == 21 and len(values) == 21 * 5


def test_negative_elapsed_times_are_left_out_of_the_baseline(generated, sql_outputs):
    """The baseline's rows for an elapsed-time indicator miss exactly its negative values."""
    values, quality = sql_outputs
    for indicator in ("first_response_h", "resolution_h"):
        dropped = quality[("tickets", "negative duration", indicator)]
        assert dropped > 0
        assert all(v[0] is None or v[0] >= 0 for k, v in values.items() if k[1] == indicator)


def test_the_data_folder_records_its_recipe(generated):
    assert generate.is_current(generated.folder, ROWS, AGENTS, defect_scale=20)
    assert not generate.is_current(generated.folder, ROWS, AGENTS)  # another defect scale
    assert not generate.is_current(generated.folder / "missing", ROWS, AGENTS, defect_scale=20)


def test_appraisal_agrees_with_the_sql_baseline(generated, sql_outputs):
    from appraisal.periods import parse_period
    from appraisal.pipeline import load_scheme, measure

    result = measure(load_scheme(generated.scheme), parse_period("2026-Q3"))
    values = {
        (appraisee, indicator): (None if cell.value is None else float(cell.value), cell.rows, cell.status)
        for appraisee, indicator, cell in result.rows()
    }
    quality = data_bench.quality_counts((c.dataset, c.cause, c.column, c.count) for c in result.quality)
    assert data_bench.differences("appraisal", (values, quality), "sql", sql_outputs) == []


def test_appraisal_measure_csv_agrees_with_the_sql_baseline(generated, sql_outputs, run_cli, tmp_path):
    values, quality = tmp_path / "values.csv", tmp_path / "quality.csv"
    result = run_cli("measure", str(generated.scheme), "--period", "2026-Q3",
                     "--csv", str(values), "--quality-csv", str(quality))
    assert result.exit_code == 0, result.stderr
    with values.open(encoding="utf-8") as handle:
        assert handle.readline().strip() == "appraisee,indicator,value,rows,status,source,flags"
    got = data_bench.read_values(values), data_bench.read_quality(quality)
    assert data_bench.differences("appraisal measure", got, "sql", sql_outputs) == []


def test_appraisal_run_folder_agrees_with_the_sql_baseline(generated, sql_outputs, run_cli, tmp_path):
    """What `run --no-report` writes, read as the benchmark reads it (data_bench.read_run)."""
    folder = tmp_path / "run"
    result = run_cli("run", str(generated.scheme), "--period", "2026-Q3", "--out", str(folder), "--no-report")
    assert result.exit_code == 0, result.stderr
    got = data_bench.read_run(folder)
    assert len(got[0]) == 21 * 5
    assert data_bench.differences("appraisal run", got, "sql", sql_outputs) == []


def test_the_polars_baseline_agrees_with_the_sql_baseline(generated, sql_outputs, tmp_path):
    polars_baseline = bench_script("polars_baseline")
    values, quality = tmp_path / "polars-values.csv", tmp_path / "polars-quality.csv"
    assert polars_baseline.main([str(generated.tickets), str(generated.roster), str(values), str(quality)]) == 0
    got = data_bench.read_values(values), data_bench.read_quality(quality)
    assert data_bench.differences("polars", got, "sql", sql_outputs) == []


def test_a_value_off_by_more_than_the_tolerance_is_a_difference(sql_outputs):
    """The comparison the benchmark relies on does catch a wrong value, row count or count."""
    values, quality = sql_outputs
    key = next(k for k, v in values.items() if v[0] not in (None, 0.0))
    value, rows, status = values[key]
    nudged = {**values, key: (value * (1 + 1e-6), rows, status)}
    assert len(data_bench.differences("x", (nudged, quality), "sql", sql_outputs)) == 1
    miscounted = {**values, key: (value, rows + 1, status)}
    assert len(data_bench.differences("x", (miscounted, quality), "sql", sql_outputs)) == 1
    cause = next(iter(quality))
    assert len(data_bench.differences("x", (values, {**quality, cause: quality[cause] + 1}), "sql", sql_outputs)) == 1
