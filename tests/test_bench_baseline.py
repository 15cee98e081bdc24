"""The benchmark's hand-written baselines agree with each other and with `appraisal`.

bench/data_bench.py times `appraisal measure` against bench/baseline.sql and a pandas
group-by on millions of rows, after checking that all three agree. This is the same check on
a few thousand generated rows, with every defect made common enough to occur.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import duckdb
import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


generate = _load("generate")
data_bench = _load("data_bench")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    return generate.generate(folder / "data", 5_000, 20, defect_scale=20, threads=1)


@pytest.fixture(scope="module")
def sql_outputs(generated):
    work = generated.folder.parent
    values, quality = work / "sql-values.csv", work / "sql-quality.csv"
    sql = data_bench.render_baseline(generated.tickets, generated.roster, values, quality)
    duckdb.connect().execute(sql)
    return data_bench.read_values(values), data_bench.read_quality(quality)


def test_the_generated_data_has_every_defect(sql_outputs):
    _, quality = sql_outputs
    causes = {cause for _, cause in quality}
    assert causes == {"duplicate key", "negative duration", "outside period",
                      "excluded: supplier batch 2026-07", "unknown appraisee"}


def test_roster_members_without_tickets_have_insufficient_data(sql_outputs):
    values, _ = sql_outputs
    assert {v[2] for k, v in values.items() if k[0] == "A00021"} == {"insufficient data"}
    assert len({k[0] for k in values}) == 21 and len(values) == 21 * 5


def test_pandas_agrees_with_the_sql_baseline(generated, sql_outputs, tmp_path):
    pytest.importorskip("pandas")  # a benchmark dependency; the test extras may lack it
    pandas_baseline = _load("pandas_baseline")
    values, quality = tmp_path / "values.csv", tmp_path / "quality.csv"
    pandas_baseline.main([str(generated.tickets), str(generated.roster), str(values), str(quality)])
    got = data_bench.read_values(values), data_bench.read_quality(quality)
    assert data_bench.differences("pandas", got, "sql", sql_outputs) == []


def test_appraisal_agrees_with_the_sql_baseline(generated, sql_outputs, tmp_path):
    measuring = pytest.importorskip("appraisal.measuring")
    from appraisal.periods import parse_period
    from appraisal.validation import load_scheme

    result = measuring.measure(load_scheme(generated.scheme), parse_period("2026-Q3"))
    values = {
        (appraisee, indicator): (None if cell.value is None else float(cell.value), cell.rows, cell.status)
        for appraisee, indicator, cell in result.rows()
    }
    quality = {}
    for count in result.quality:
        column, before = quality.get((count.dataset, count.cause), ("", 0))
        quality[(count.dataset, count.cause)] = (count.column, before + count.count)
    assert data_bench.differences("appraisal", (values, quality), "sql", sql_outputs) == []
