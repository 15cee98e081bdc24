"""The `review` report: how well each indicator separates people, over the stored periods.

The source documents ask for a periodic review of the scheme against past data. For each
indicator, over the latest stored version of each period of a scheme (pooled, and per period):
how many were scored, the spread of the scores (standard deviation and the interquartile range),
the share at the cap (the highest score the rule gives, read from the cells' rule parts, else the
highest score reached) and at zero, the share without data, and the correlation of its scores
with every other indicator's (same appraisee, same period). A verdict names what HR should look
at, by fixed thresholds (`THRESHOLDS`): a target too easy (half at the cap or more), too hard
(half at zero or more), scores that hardly separate people (half of them within a few points), an
indicator that measures what another does (correlation of 0.9 or more), or one often without
data. All of it is computed in DuckDB over the runs' stored cells.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow.parquet as pq

from appraisal.errors import AppraisalError
from appraisal.periods import parse_period
from appraisal.suggestions import suggest

if TYPE_CHECKING:
    from appraisal.store.runs import RunStore, StoredRun

THRESHOLDS = {"at_cap": 0.5, "at_zero": 0.5, "iqr": 5.0, "correlation": 0.9, "insufficient": 0.2}


@dataclass(frozen=True)
class IndicatorReview:
    """One indicator's figures, pooled over the periods and per period, and the verdicts."""

    indicator: str
    scored: int
    sd: float | None
    iqr: float | None
    at_cap: float | None
    at_zero: float | None
    insufficient: float
    correlated: dict[str, float]
    verdicts: list[str]
    periods: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Review:
    scheme: str
    runs: list[str]
    periods: list[str]
    other_versions: list[str]  # "2026-Q1 (v1)": runs whose scheme text differs from the latest's
    indicators: list[IndicatorReview]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def chosen_runs(store: RunStore, scheme: str, periods: Sequence[str] = ()) -> list[StoredRun]:
    """The latest version of each stored period of `scheme` (of `periods` when given), oldest period first."""
    every = store.runs(scheme=scheme)
    if not every:
        known = sorted({r.scheme for r in store.runs()})
        close = suggest(scheme, known)
        raise AppraisalError(f"no stored run of the scheme {scheme!r} in {store.path}"
                             + (f"; did you mean {close!r}?" if close else ""))
    latest: dict[str, StoredRun] = {}
    for run in every:  # by version, not by the time stored: machines' clocks may differ
        if run.period not in latest or run.version > latest[run.period].version:
            latest[run.period] = run
    if missing := [p for p in periods if p not in latest]:
        raise AppraisalError(f"no stored run of {scheme} for {', '.join(missing)}; stored: {', '.join(latest)}")
    return sorted((latest[p] for p in (periods or latest)), key=lambda r: parse_period(r.period).start)


def review(store: RunStore, runs: Sequence[StoredRun]) -> Review:
    """The review of `runs` (see the module docstring)."""
    with duckdb.connect() as con:
        parts: list[str] = []
        order: list[str] = []
        for run in runs:
            result = json.loads(store.file(run.id, "result.json"))
            ids = [str(i["id"]) for i in result["scheme"]["indicators"]]
            order += [i for i in ids if i not in order]
            table = pq.read_table(io.BytesIO(store.file(run.id, "appraisees.parquet")), use_threads=False)
            name = f"run_{len(parts)}"
            con.register(name, table)
            has = set(table.schema.names)
            parts += [f"SELECT {_literal(run.period)} AS period, appraisee, {_literal(i)} AS indicator,"
                      f" {_column('score', n, has)} AS score, {_column('value', n, has)} AS value,"
                      f" TRY_CAST(json_extract_string({_column('parts', n, has)}, '$.cap') AS DOUBLE) AS cap"
                      f" FROM {name}" for n, i in enumerate(ids)]
        con.execute(f"CREATE TABLE cells AS {' UNION ALL '.join(parts)}")
        con.execute("CREATE TABLE caps AS SELECT indicator, coalesce(max(cap), max(score)) AS cap FROM cells"
                    " GROUP BY indicator")
        pooled = _figures(con, "indicator")
        per_period = _figures(con, "indicator, period")
        pairs = con.execute(
            "SELECT a.indicator, b.indicator, corr(a.score, b.score) FROM cells a JOIN cells b USING (period,"
            " appraisee) WHERE a.indicator <> b.indicator GROUP BY ALL HAVING count(*) >= 3").fetchall()
    latest = runs[-1].scheme_sha256
    reviews = []
    for indicator in order:
        figures = pooled.get((indicator,))
        if figures is None:
            continue
        correlated = {other: round(float(r), 4) for a, other, r in pairs  # no correlation where a side is constant
                      if a == indicator and r is not None and math.isfinite(r)}
        reviews.append(IndicatorReview(
            indicator, **figures, correlated=correlated, verdicts=verdicts(figures, correlated),
            periods=[{"period": run.period, **per_period[(indicator, run.period)]} for run in runs
                     if (indicator, run.period) in per_period]))
    return Review(runs[-1].scheme, [r.id for r in runs], [r.period for r in runs],
                  [f"{r.period} (v{r.scheme_version})" for r in runs if r.scheme_sha256 != latest], reviews)


def _figures(con: duckdb.DuckDBPyConnection, by: str) -> dict[tuple[str, ...], dict[str, Any]]:
    rows = con.execute(
        f"SELECT {by}, count(c.score), stddev_pop(c.score),"
        " quantile_cont(c.score, 0.75) - quantile_cont(c.score, 0.25),"
        " count(*) FILTER (WHERE c.score >= k.cap - 1e-9) / nullif(count(c.score), 0),"
        " count(*) FILTER (WHERE c.score <= 0) / nullif(count(c.score), 0),"
        " count(*) FILTER (WHERE c.value IS NULL) / count(*)"
        f" FROM cells c JOIN caps k USING (indicator) GROUP BY {by}").fetchall()
    width = len(by.split(","))
    return {tuple(row[:width]): dict(zip(("scored", "sd", "iqr", "at_cap", "at_zero", "insufficient"),
                                         (int(row[width]), *(_round(v) for v in row[width + 1:])), strict=True))
            for row in rows}


def verdicts(figures: dict[str, Any], correlated: dict[str, float]) -> list[str]:
    found = []
    if (figures["at_cap"] or 0) >= THRESHOLDS["at_cap"]:
        found.append("too easy: half or more score the cap")
    if (figures["at_zero"] or 0) >= THRESHOLDS["at_zero"]:
        found.append("too hard: half or more score zero")
    if figures["iqr"] is not None and figures["iqr"] < THRESHOLDS["iqr"] and figures["scored"] >= 4:
        found.append(f"separates little: the middle half of the scores lie within {figures['iqr']:.1f} points")
    found += [f"moves with {other} (correlation {r:.2f}): one may be enough" for other, r in correlated.items()
              if abs(r) >= THRESHOLDS["correlation"]]
    if figures["insufficient"] >= THRESHOLDS["insufficient"]:
        found.append(f"often without data: {figures['insufficient']:.0%} of the cells")
    return found


def _column(kind: str, n: int, has: set[str]) -> str:
    """Column `{kind}_{n}` of a run's cells, or NULL for a run stored without it."""
    return f"{kind}_{n}" if f"{kind}_{n}" in has else ("NULL::VARCHAR" if kind == "parts" else "NULL::DOUBLE")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _round(value: Any) -> float | None:
    return None if value is None or not math.isfinite(float(value)) else round(float(value), 6)
