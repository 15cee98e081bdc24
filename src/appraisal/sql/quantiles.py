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
from appraisal.sql.dialect import SqlFragment, quote_identifier
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


def add_ctes(query: SqlBuilder, quantiles: Sequence[Quantile]) -> None:
    """`, __q<n> AS (...)` per quantile: one row per appraisee (`__appraisee`, `__value`),
    from the kept rows of `rows` that pass its `where` and have a value.

    A median sorts each appraisee's values (`row_number`, a sort that spills) and keeps the
    middle one or two, whose `quantile_cont` is the median's own: the one value, or the two
    interpolated half-way, the same computation as over all of them. Any other percentile
    interpolates by a fraction that depends on the count, so it is DuckDB's `quantile_cont`
    as a window over each appraisee's rows."""
    for n, quantile in enumerate(quantiles):
        values = SqlBuilder().add("SELECT __appraisee, ", quantile.of).add(" AS __v FROM rows WHERE __kept")
        if quantile.where is not None:
            values.add(" AND (", quantile.where).add(")")
        if quantile.fraction == 0.5:
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


def add_measured(query: SqlBuilder, quantiles: Sequence[Quantile]) -> None:
    """`, measured AS (...)`: `grouped` with each quantile's value in place of its placeholder
    (TRUE where the indicator has enough rows, see `DatasetCompiler.measure`)."""
    query.add(", measured AS (SELECT g.*")
    if quantiles:
        replaced = ", ".join(
            f"CASE WHEN g.{quote_identifier(q.indicator + '__value')} THEN q{n}.__value END"
            f" AS {quote_identifier(q.indicator + '__value')}"
            for n, q in enumerate(quantiles)
        )
        query.add(f" REPLACE ({replaced})")
    query.add(" FROM grouped AS g")
    for n, _ in enumerate(quantiles):
        # rows of no one (a null appraisee) are a group too: IS NOT DISTINCT FROM joins them
        query.add(f" LEFT JOIN __q{n} AS q{n} ON g.__appraisee IS NOT DISTINCT FROM q{n}.__appraisee")
    query.add(")")
