"""What two stored runs differ in: who changed grade, which indicators moved, and why it may be.

The comparison reads the two runs' appraisees.parquet (every cell, as stored) in DuckDB and
joins them on the appraisee: grades and totals side by side for whoever changed grade, and per
indicator (matched by id, so a scheme that reordered or added indicators still compares) how many
values and scores changed, and for how many the total or the pay changed. Whether the scheme's
text, the data or the period differ is read from the recorded hashes (rows that live in a
database are named by the fingerprint, not hashed: their change is unknown); a change between two
runs of the same scheme on the same hashed data would mean the computation is not reproducible,
and the diff says so.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from appraisal.store.runs import RunStore, StoredRun


@dataclass(frozen=True)
class GradeMove:
    appraisee: str
    name: str | None
    before: str | None
    after: str | None
    total_before: float | None
    total_after: float | None


@dataclass(frozen=True)
class IndicatorMove:
    indicator: str
    values_changed: int
    scores_changed: int
    mean_score_change: float | None


@dataclass(frozen=True)
class CellDiff:
    """What two runs' cells differ in, whatever the runs are (stored, or computed just now)."""

    grade_moves: list[GradeMove] = field(default_factory=list)
    totals_changed: int = 0
    pay_changed: int = 0
    indicators: list[IndicatorMove] = field(default_factory=list)
    only_before: list[str] = field(default_factory=list)
    only_after: list[str] = field(default_factory=list)
    indicators_only_before: list[str] = field(default_factory=list)
    indicators_only_after: list[str] = field(default_factory=list)
    grades_before: dict[str, int] = field(default_factory=dict)
    grades_after: dict[str, int] = field(default_factory=dict)
    pay_before: float | None = None
    pay_after: float | None = None


@dataclass(frozen=True)
class RunDiff:
    before: StoredRun
    after: StoredRun
    scheme_changed: bool
    data_changed: bool | None  # None: rows that live in a database (named, not hashed)
    period_changed: bool
    cells: CellDiff
    # appeals whose corrections (appraisal.measuring.corrections) only one of the runs carries
    corrections_before: list[int] = field(default_factory=list)
    corrections_after: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        found = asdict(self)
        return {**{k: v for k, v in found.items() if k != "cells"}, **found["cells"]}


def compare(store: RunStore, before_id: str, after_id: str) -> RunDiff:
    """The differences from run `before_id` to run `after_id` (see the module docstring)."""
    before, after = store.get(before_id), store.get(after_id)
    cells = compare_cells(store.file(before.id, "appraisees.parquet"), store.file(after.id, "appraisees.parquet"),
                          indicator_ids(store, before), indicator_ids(store, after))
    hashed = bool(before.data_sha256 and after.data_sha256)
    appeals = [[int(c["appeal"]) for c in json.loads(store.file(run.id, "result.json")).get("corrections") or []]
               for run in (before, after)]
    return RunDiff(
        before, after, scheme_changed=before.scheme_sha256 != after.scheme_sha256,
        data_changed=before.data_sha256 != after.data_sha256 if hashed else None,
        period_changed=before.period != after.period, cells=cells,
        corrections_before=[n for n in appeals[0] if n not in appeals[1]],
        corrections_after=[n for n in appeals[1] if n not in appeals[0]])


def compare_cells(before: bytes, after: bytes, ids_before: list[str], ids_after: list[str]) -> CellDiff:
    """Two runs' appraisees.parquet (as bytes) compared, their indicators matched by id."""
    with duckdb.connect() as con:  # read from memory: no copy of anyone's pay in a temporary folder
        for label, data in (("a", before), ("b", after)):
            rows = pq.read_table(pa.BufferReader(data), use_threads=False)
            con.register(f"{label}_rows", rows)
            con.execute(f"CREATE TABLE {label} AS SELECT * FROM {label}_rows")
            con.unregister(f"{label}_rows")
        moves = [GradeMove(*row) for row in con.execute(
            "SELECT appraisee, coalesce(b.name, a.name), a.grade, b.grade, a.total, b.total FROM a JOIN b USING"
            " (appraisee) WHERE a.grade IS DISTINCT FROM b.grade ORDER BY appraisee").fetchall()]
        only_before = [row[0] for row in con.execute(
            "SELECT appraisee FROM a ANTI JOIN b USING (appraisee) ORDER BY appraisee").fetchall()]
        only_after = [row[0] for row in con.execute(
            "SELECT appraisee FROM b ANTI JOIN a USING (appraisee) ORDER BY appraisee").fetchall()]
        has = [{row[0] for row in con.execute(f"DESCRIBE {label}").fetchall()} for label in ("a", "b")]
        pay = "a.pay_total IS DISTINCT FROM b.pay_total" if "pay_total" in has[0] & has[1] else "false"
        [(totals, paid)] = con.execute(
            f"SELECT count(*) FILTER (WHERE a.total IS DISTINCT FROM b.total), count(*) FILTER (WHERE {pay})"
            " FROM a JOIN b USING (appraisee)").fetchall()
        indicators = []
        for indicator in (i for i in ids_after if i in ids_before):
            x, y = ids_before.index(indicator), ids_after.index(indicator)
            [(values, scores, mean)] = con.execute(
                f"SELECT count(*) FILTER (WHERE a.value_{x} IS DISTINCT FROM b.value_{y}),"
                f" count(*) FILTER (WHERE a.score_{x} IS DISTINCT FROM b.score_{y}),"
                f" avg(b.score_{y} - a.score_{x}) FILTER (WHERE a.score_{x} IS DISTINCT FROM b.score_{y})"
                " FROM a JOIN b USING (appraisee)").fetchall()
            indicators.append(IndicatorMove(indicator, int(values), int(scores), mean))
        grades = [dict(con.execute(f"SELECT grade, count(*) FROM {label} WHERE grade IS NOT NULL GROUP BY grade"
                                   " ORDER BY grade").fetchall()) for label in ("a", "b")]
        pays = [con.execute(f"SELECT sum(pay_total) FROM {label}").fetchall()[0][0] if "pay_total" in has[n] else None
                for n, label in enumerate(("a", "b"))]
    return CellDiff(
        grade_moves=moves, totals_changed=int(totals), pay_changed=int(paid), indicators=indicators,
        only_before=only_before, only_after=only_after,
        indicators_only_before=[i for i in ids_before if i not in ids_after],
        indicators_only_after=[i for i in ids_after if i not in ids_before],
        grades_before=grades[0], grades_after=grades[1], pay_before=pays[0], pay_after=pays[1])


def indicator_ids(store: RunStore, run: StoredRun) -> list[str]:
    """The run's indicators in the order of its cells' columns (value_0 is the first)."""
    return ids_of(json.loads(store.file(run.id, "result.json")))


def ids_of(result: dict[str, object]) -> list[str]:
    """The indicators of a result.json, in the order of its cells' columns."""
    scheme = result["scheme"]
    assert isinstance(scheme, dict)
    return [str(indicator["id"]) for indicator in scheme["indicators"]]
