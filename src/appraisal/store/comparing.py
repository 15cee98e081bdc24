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
class RunDiff:
    before: StoredRun
    after: StoredRun
    scheme_changed: bool
    data_changed: bool | None  # None: rows that live in a database (named, not hashed)
    period_changed: bool
    grade_moves: list[GradeMove] = field(default_factory=list)
    totals_changed: int = 0
    pay_changed: int = 0
    indicators: list[IndicatorMove] = field(default_factory=list)
    only_before: list[str] = field(default_factory=list)
    only_after: list[str] = field(default_factory=list)
    indicators_only_before: list[str] = field(default_factory=list)
    indicators_only_after: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def compare(store: RunStore, before_id: str, after_id: str) -> RunDiff:
    """The differences from run `before_id` to run `after_id` (see the module docstring)."""
    before, after = store.get(before_id), store.get(after_id)
    ids = [_indicator_ids(store, run) for run in (before, after)]
    with duckdb.connect() as con:  # read from memory: no copy of anyone's pay in a temporary folder
        for label, run in (("a", before), ("b", after)):
            rows = pq.read_table(pa.BufferReader(store.file(run.id, "appraisees.parquet")), use_threads=False)
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
        columns = {row[0] for row in con.execute("DESCRIBE a").fetchall()} & {
            row[0] for row in con.execute("DESCRIBE b").fetchall()}
        pay = "a.pay_total IS DISTINCT FROM b.pay_total" if "pay_total" in columns else "false"
        [(totals, paid)] = con.execute(
            f"SELECT count(*) FILTER (WHERE a.total IS DISTINCT FROM b.total), count(*) FILTER (WHERE {pay})"
            " FROM a JOIN b USING (appraisee)").fetchall()
        indicators = []
        for indicator in (i for i in ids[1] if i in ids[0]):
            x, y = ids[0].index(indicator), ids[1].index(indicator)
            [(values, scores, mean)] = con.execute(
                f"SELECT count(*) FILTER (WHERE a.value_{x} IS DISTINCT FROM b.value_{y}),"
                f" count(*) FILTER (WHERE a.score_{x} IS DISTINCT FROM b.score_{y}),"
                f" avg(b.score_{y} - a.score_{x}) FILTER (WHERE a.score_{x} IS DISTINCT FROM b.score_{y})"
                " FROM a JOIN b USING (appraisee)").fetchall()
            indicators.append(IndicatorMove(indicator, int(values), int(scores), mean))
    hashed = bool(before.data_sha256 and after.data_sha256)
    return RunDiff(
        before, after, scheme_changed=before.scheme_sha256 != after.scheme_sha256,
        data_changed=before.data_sha256 != after.data_sha256 if hashed else None,
        period_changed=before.period != after.period, grade_moves=moves, totals_changed=int(totals),
        pay_changed=int(paid), indicators=indicators, only_before=only_before, only_after=only_after,
        indicators_only_before=[i for i in ids[0] if i not in ids[1]],
        indicators_only_after=[i for i in ids[1] if i not in ids[0]])


def _indicator_ids(store: RunStore, run: StoredRun) -> list[str]:
    """The run's indicators in the order of its cells' columns (value_0 is the first)."""
    result = json.loads(store.file(run.id, "result.json"))
    return [str(indicator["id"]) for indicator in result["scheme"]["indicators"]]
