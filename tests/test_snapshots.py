"""Snapshots: a dataset without a period column (a stock count) is measured with `as_of`.

`as_of: period` reads the whole file as the snapshot of the period being run; `as_of: COLUMN`
takes, of a file holding several snapshots, the latest one taken within the period, and counts
the rows of the others as `other snapshot`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from appraisal.errors import SchemeError
from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, measure

COUNTS = """clerk_id,counted_on,sku,counted_qty,system_qty
W1,2026-06-30,A,10,10
W1,2026-07-31,A,10,10
W1,2026-07-31,B,5,6
W1,2026-09-30,A,9,10
W1,2026-09-30,B,6,6
W1,2026-09-30,C,3,3
W2,2026-09-30,A,4,4
W2,2026-10-31,A,1,9
"""


def scheme(folder: Path, as_of: str, extra: str = "") -> Path:
    (folder / "roster.csv").write_text("clerk_id\nW1\nW2\n", encoding="utf-8")
    (folder / "counts.csv").write_text(COUNTS, encoding="utf-8")
    path = folder / "warehouse.yaml"
    path.write_text(f"""scheme: stock
version: 1
title: Stock counts
period: quarter
roster: {{source: csv, path: roster.csv, key: clerk_id}}
datasets:
  counts:
    source: csv
    path: counts.csv
    appraisee: clerk_id
    as_of: {as_of}
{extra}    columns: {{clerk_id: text, counted_on: date, sku: text, counted_qty: integer, system_qty: integer}}
indicators:
  - id: accuracy
    title: Inventory accuracy
    measure: {{dataset: counts, agg: ratio, numerator: {{where: "counted_qty == system_qty"}}}}
    target: 0.98
    weight: 100
    score: {{curve: linear, worst: 0.8, best: 1}}
grades: {{A: 90, B: 0}}
""", encoding="utf-8")
    return path


def test_the_latest_snapshot_in_the_period_is_measured(tmp_path: Path) -> None:
    result = measure(load_scheme(scheme(tmp_path, "counted_on")), parse_period("2026-Q3"))
    w1, w2 = result.cell("W1", "accuracy"), result.cell("W2", "accuracy")
    assert (w1.value, w1.rows) == (2 / 3, 3)  # the count of 09-30, not the one of 07-31
    assert (w2.value, w2.rows) == (1.0, 1)


def test_rows_of_other_snapshots_are_counted_not_measured(tmp_path: Path) -> None:
    result = measure(load_scheme(scheme(tmp_path, "counted_on")), parse_period("2026-Q3"))
    counts = {(q.cause, q.column): q.count for q in result.quality}
    assert counts == {("other snapshot", "counted_on"): 4}  # 06-30, both rows of 07-31, 10-31


def test_as_of_period_reads_the_whole_file_as_the_periods_snapshot(tmp_path: Path) -> None:
    result = measure(load_scheme(scheme(tmp_path, "period")), parse_period("2026-Q3"))
    assert result.cell("W1", "accuracy").rows == 6 and result.cell("W2", "accuracy").rows == 2
    assert result.quality == ()


def test_a_period_with_no_snapshot_is_insufficient_data(tmp_path: Path) -> None:
    result = measure(load_scheme(scheme(tmp_path, "counted_on")), parse_period("2026-Q1"))
    assert result.cell("W1", "accuracy").value is None


def test_period_by_and_as_of_together_are_refused(tmp_path: Path) -> None:
    message = "datasets.counts.as_of: a dataset is placed in the period by 'period_by'"
    with pytest.raises(SchemeError, match=re.escape(message)):
        load_scheme(scheme(tmp_path, "counted_on", "    period_by: counted_on\n"))


def test_as_of_a_text_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SchemeError, match="as_of names column 'sku', declared text; the period is placed by a date"):
        load_scheme(scheme(tmp_path, "sku"))


def test_as_of_an_unknown_column_says_which_are_known(tmp_path: Path) -> None:
    with pytest.raises(SchemeError, match="unknown column 'counted' in dataset 'counts'; did you mean 'counted_on'"):
        load_scheme(scheme(tmp_path, "counted"))
