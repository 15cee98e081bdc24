"""Exact medians and percentiles over more rows than memory holds.

`quantile_cont` in a GROUP BY keeps every value of every group in memory until the end and
cannot spill: at 100 million rows under a 1 GB limit it runs out of memory. The window form
computes each median or percentile on its own, from a second read of the rows: a median by
sorting each appraisee's values (a sort spills to disk) and taking `quantile_cont` of the
middle one or two; another percentile as `quantile_cont(v, p) OVER (PARTITION BY appraisee)`.
Interpolating in SQL would not do: DuckDB's own interpolation is `lo * (1 - d) + hi * d` as its
compiler fused it, which SQL arithmetic does not reproduce to the last bit; both forms here call
DuckDB's quantile code, so the numbers are the same (tests/test_quantiles.py compares them).

The window form costs a second read and a sort, so it is used only where the aggregate form
might not fit (`windowed`); the rule and its numbers are in the README, "Memory: medians at
scale".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from appraisal.scheme.model import Indicator
from appraisal.sql.dialect import DUCKDB, Dialect, SqlFragment, quote_identifier
from appraisal.sql.query import SqlBuilder

# What the aggregate form holds per value (a double, and the vector it grows in), and the
# share of the memory limit it may take before the window form is chosen.
BYTES_PER_VALUE = 16
SHARE_OF_MEMORY = 0.25
QUANTILES = frozenset({"median", "percentile"})


@dataclass(frozen=True)
class Quantile:
    """A median or percentile measured in the window form: the indicator, the value measured
    (`of`, a column or an expression over `rows`), the rows it counts (`where`, besides being
    kept) and the fraction (0.5 for a median)."""

    indicator: str
    of: SqlFragment
    where: SqlFragment | None
    fraction: float


def windowed(indicators: Sequence[Indicator], rows: int | None, memory_limit: int | None) -> bool:
    """True when the medians and percentiles of `indicators` over a dataset of `rows` rows
    might not fit in the aggregate form: `BYTES_PER_VALUE` for each row of each, above
    `SHARE_OF_MEMORY` of `memory_limit` (bytes). An unknown size is read as large: the window
    form is never wrong, only slower on small data."""
    held = sum(1 for i in indicators if i.measure is not None and i.measure.agg in QUANTILES)
    if not held:
        return False
    if rows is None or memory_limit is None:
        return True
    return held * rows * BYTES_PER_VALUE > memory_limit * SHARE_OF_MEMORY


def add_ctes(query: SqlBuilder, quantiles: Sequence[Quantile], dialect: Dialect = DUCKDB) -> None:
    """`, __q<n> AS (...)` per quantile: one row per appraisee (`__appraisee`, `__value`),
    from the kept rows of `rows` that pass its `where` and have a value.

    A median sorts each appraisee's values (`row_number`, a sort that spills) and keeps the
    middle one or two, whose `quantile_cont` is the median's own: the one value, or the two
    interpolated half-way, the same computation as over all of them. Any other percentile
    interpolates by a fraction that depends on the count, so it is DuckDB's `quantile_cont`
    as a window over each appraisee's rows. An engine without that function (`Dialect.quantile`
    None) sorts for every fraction and interpolates in SQL (`_interpolated`)."""
    for n, quantile in enumerate(quantiles):
        values = SqlBuilder().add("SELECT __appraisee, ", quantile.of).add(" AS __v FROM rows WHERE __kept")
        if quantile.where is not None:
            values.add(" AND (", quantile.where).add(")")
        if dialect.quantile is None:
            _interpolated(query, n, values.fragment(), quantile.fraction, dialect)
        elif quantile.fraction == 0.5:
            query.add(f", __q{n} AS (SELECT __appraisee, quantile_cont(__v, 0.5) AS __value FROM (SELECT __appraisee,"
                      " __v, row_number() OVER __w AS __i, count(*) OVER __w AS __n FROM (", values.fragment())
            query.add(") WHERE __v IS NOT NULL WINDOW __w AS (PARTITION BY __appraisee ORDER BY __v ROWS BETWEEN"
                      " UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)) WHERE __i = (__n + 1) // 2 OR __i = __n // 2 + 1"
                      " GROUP BY __appraisee)")
        else:
            query.add(f", __q{n} AS (SELECT __appraisee, any_value(__value) AS __value FROM (SELECT __appraisee,"
                      f" quantile_cont(__v, {quantile.fraction!r}) OVER (PARTITION BY __appraisee) AS __value"
                      " FROM (", values.fragment())
            query.add(") WHERE __v IS NOT NULL) GROUP BY __appraisee)")


def _interpolated(query: SqlBuilder, n: int, values: SqlFragment, fraction: float, dialect: Dialect) -> None:
    """`__q<n>` by sorting: each appraisee's values numbered, the two at h = (count - 1) *
    fraction (rounded down and up) kept, and `lo * (1 - d) + hi * d` with d = h - floor(h), as
    DuckDB's quantile_cont interpolates (docs/engines.md says where the last bit may differ).
    The products and the sum use the dialect's guarded arithmetic."""
    double = dialect.double
    times, plus = dialect.binary["*"], dialect.binary["+"]
    low = times.replace("{a}", "__lo").replace("{b}", "__rest")
    high = times.replace("{a}", "__hi").replace("{b}", "__d")
    total = plus.replace("{a}", "__low").replace("{b}", "__high")
    h = f"(CAST(__n - 1 AS {double}) * CAST({fraction!r} AS {double}))"
    query.add(f", __q{n} AS (SELECT __appraisee, {total} AS __value FROM (SELECT __appraisee, {low} AS __low,"
              f" {high} AS __high FROM (SELECT __appraisee, min(__v) AS __lo, max(__v) AS __hi, min(__d) AS __d,"
              f" 1 - min(__d) AS __rest FROM (SELECT __appraisee, __v, __i, {h} - floor({h}) AS __d,"
              f" floor({h}) AS __f FROM (SELECT __appraisee, __v,"
              " row_number() OVER (PARTITION BY __appraisee ORDER BY __v) AS __i,"
              " count(*) OVER (PARTITION BY __appraisee) AS __n FROM (", values)
    query.add(") AS v WHERE __v IS NOT NULL) AS numbered) AS placed"
              f" WHERE __i = __f + 1 OR (__d > 0 AND __i = __f + 2) GROUP BY __appraisee{dialect.layer_fence})"
              f" AS ends{dialect.layer_fence}) AS parts)")


def add_measured(query: SqlBuilder, quantiles: Sequence[Quantile], columns: Sequence[str]) -> None:
    """`, measured AS (...)`: `grouped`'s `columns` (quoted), each quantile's value in place of
    its placeholder (TRUE where the indicator has enough rows, see `DatasetCompiler.measure`)."""
    replaced = {
        quote_identifier(q.indicator + "__value"): f"CASE WHEN g.{quote_identifier(q.indicator + '__value')}"
                                                   f" THEN q{n}.__value END"
        for n, q in enumerate(quantiles)
    }
    selects = ", ".join(f"{replaced.get(column, 'g.' + column)} AS {column}" for column in columns)
    query.add(f", measured AS (SELECT g.__appraisee, {selects} FROM grouped AS g")
    for n, _ in enumerate(quantiles):
        # rows of no one (a null appraisee) are a group too; an equality on both keeps the join a hash join
        query.add(f" LEFT JOIN __q{n} AS q{n} ON coalesce(g.__appraisee, '') = coalesce(q{n}.__appraisee, '')"
                  f" AND (g.__appraisee IS NULL) = (q{n}.__appraisee IS NULL)")
    query.add(")")
