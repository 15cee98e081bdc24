"""Compile a scheme's measures to SQL: one query per dataset and time window.

Every row-level step (the period window, the join to the appraisee, exclusions, `where`
filters, aggregates, `min_count`) happens inside DuckDB. The query starts from the roster, so
everyone on it gets a row even with no data; identifiers are quoted and every literal a
scheme wrote is a bound parameter, never pasted text.

The query reads typed tables named after the datasets and a `roster` table with the roster's
key column, as the engine creates them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from appraisal.expressions.functions import FunctionRegistry
from appraisal.periods import Period, window
from appraisal.scheme.model import Indicator, Scheme
from appraisal.sql.datasets import (
    DatasetCompiler,
    exact_sum,
    in_window,
    is_duration,
    members,
    roster_key,
)
from appraisal.sql.dialect import DUCKDB, Dialect, SqlFragment, bind_value, quote_identifier
from appraisal.sql.quantiles import add_ctes, add_measured
from appraisal.sql.query import CompiledQuery, CompileError, SqlBuilder, join


def compile_dataset(
    scheme: Scheme,
    dataset: str,
    period: Period,
    functions: FunctionRegistry,
    *,
    column_types: Mapping[str, str] | None = None,
    indicators: Sequence[Indicator] | None = None,
    attribution: str = "all",
    also_used: Sequence[Period] = (),
    group_by: str | None = None,
    windowed: bool = False,
    dialect: Dialect = DUCKDB,
) -> CompiledQuery:
    """One pass over `dataset`: every measure of it, and every count of rows that did not count.

    `group_by` (team, manager, roster): a row per group instead of per appraisee, from the rows
    of all its members pooled (a team's resolution rate is its resolved tickets over its
    tickets, not a mean of its agents' rates); a row shared by members of one group counts
    once for the group (a split row by the group's share).

    `also_used`: the other windows the scheme measures this dataset over (a year to date
    beside the quarter); a row in one of them is not counted as outside the period.

    Each row is flagged (in the window, excluded and by which exclusion, kept) and grouped by
    its appraisee, so values and data-quality counts come from the same single scan. The
    result has a row per appraisee found in the data or on the roster, with `on_roster`,
    `<id>__value` and `<id>__rows` per indicator, and the counts `q__rows_in_period`,
    `q__kept`, `q__no_period_value`, `q__outside_period`, `q__excluded_<n>` per exclusion,
    `q__excluded_via`, `q__negative__<id>` per elapsed-time measure and `q__range__<id>` per
    exact sum or mean; see `measuring`.

    `windowed`: medians and percentiles as window functions, which spill to disk where the
    aggregate form must hold every value in memory (see `appraisal.sql.quantiles`); each reads
    the rows once more.

    `dialect`: the engine's spellings; the query is written for that engine alone.
    """
    compiler = DatasetCompiler(scheme, scheme.datasets[dataset], functions, attribution, group_by, windowed, dialect)
    ds = scheme.datasets[dataset]
    if not ds.measurable:
        raise CompileError(f"dataset {dataset!r} has no period_by (or as_of) and cannot be measured")
    # Every expression first: the layers of computed columns they need come before their use.
    exclusions = [compiler.condition(e.where) for e in scheme.exclusions if e.dataset == dataset]
    measured = [i for i in (indicators or scheme.indicators) if i.measure is not None and i.measure.dataset == dataset]
    values = [(indicator, *compiler.measure(indicator, indicator.measure))
              for indicator in measured if indicator.measure]
    negatives = [
        (indicator.id, compiler.expr(indicator.measure.of, bind=True)) for indicator in measured
        if indicator.measure is not None and indicator.measure.of is not None and is_duration(indicator.measure)
    ]
    out_of_range: dict[str, list[SqlFragment]] = {}
    for indicator_id, outside in compiler.out_of_range:
        out_of_range.setdefault(indicator_id, []).append(outside)
    layers, last = compiler.bindings.ctes("base", "__layer", dialect.layer_fence)

    source, appraisee = compiler.appraisee_source()
    placed_by = ds.placed_by
    no_period = f"d.{quote_identifier(placed_by)} IS NULL" if placed_by else "FALSE"
    via = "coalesce(v.__excluded, FALSE)" if ds.via is not None else "FALSE"
    # A row shared by n appraisees counts 1/n in each group, so counts over groups add up to
    # one per row; a split attribution gives each the same 1/n of the value.
    double = dialect.double
    share = f"CAST(1 AS {double}) / coalesce(v.__owners, 1)" if ds.via is not None else f"CAST(1 AS {double})"
    weight = (f"CAST(coalesce(v.__members, 1) AS {double}) / coalesce(v.__owners, 1)" if ds.via is not None and group_by
              else share)

    query = SqlBuilder()
    # The window form of a median reads the rows again, and so does the main pass: never a
    # copy of every row in memory (DuckDB materialises a CTE read twice unless told not to).
    inline = dialect.unmaterialized if compiler.quantiles else ""
    query.add(f"WITH base AS{inline} (SELECT d.*, {appraisee} AS __appraisee, {via} AS __via_excluded,"
              f" {share} AS __share, {dialect.exact.replace('{x}', weight)} AS __weight, coalesce(")
    query.add("", in_window(scheme, ds, period, column_types or {}))
    query.add(", FALSE) AS __in_window, coalesce(FALSE")
    for other in also_used:
        query.add(" OR ", in_window(scheme, ds, other, column_types or {}))
    query.add(f", FALSE) AS __in_other_window, {no_period} AS __no_period FROM ", source)
    query.add(")", layers).add(", flagged AS (SELECT *")
    for n, where in enumerate(exclusions):
        query.add(", coalesce(", where).add(f", FALSE) AS __excluded_{n}")
    query.add(f" FROM {last}), rows AS (SELECT *, __in_window AND NOT (__via_excluded")
    for n in range(len(exclusions)):
        query.add(f" OR __excluded_{n}")
    query.add(") AS __kept FROM flagged), grouped AS (SELECT __appraisee")
    for indicator, value, count in values:
        assert indicator.measure is not None
        # Fewer rows than min_count (default 1): insufficient data, never zero.
        query.add(", CASE WHEN ", count).add(" >= ", bind_value(indicator.measure.min_count, dialect))
        query.add(" THEN ", value).add(f" END AS {quote_identifier(indicator.id + '__value')}")
        query.add(", ", count).add(f" AS {quote_identifier(indicator.id + '__rows')}")
    # Rows counted by cause; a row is one unless shared through `via` (a plain count is a
    # third faster than summing shares, so the sum is only paid where shares exist).
    tally = "sum(__share)" if ds.via is not None else "count(*)"
    counts = {
        "q__rows_in_period": "__in_window", "q__kept": "__kept", "q__no_period_value": "__no_period",
        "q__outside_period": "NOT __no_period AND NOT __in_window AND NOT __in_other_window",
        "q__excluded_via": "__in_window AND __via_excluded",
        **{f"q__excluded_{n}": f"__in_window AND __excluded_{n}" for n in range(len(exclusions))},
    }
    for name, condition in counts.items():
        query.add(f", {tally} FILTER (WHERE {condition}) AS {name}")
    counted = [quote_identifier(name) for name in counts]
    for indicator_id, of in negatives:
        counted.append(quote_identifier("q__negative__" + indicator_id))
        query.add(f", {tally} FILTER (WHERE __kept AND ", of).add(f" < 0) AS {counted[-1]}")
    for indicator_id, conditions in out_of_range.items():
        counted.append(quote_identifier("q__range__" + indicator_id))
        query.add(f", {tally} FILTER (WHERE __kept AND (", join(conditions, " OR ")).add(f")) AS {counted[-1]}")
    text = dialect.types["text"]
    keys = (f"(SELECT DISTINCT CAST({roster_key(scheme)} AS {text}) AS __key FROM roster)" if group_by is None
            else f"(SELECT DISTINCT __group AS __key FROM {members(scheme, group_by, dialect)} AS m)")
    query.add(" FROM rows GROUP BY __appraisee)")
    per_appraisee = "grouped"
    value_columns = [quote_identifier(indicator.id + "__value") for indicator, _, _ in values]
    counted = [quote_identifier(indicator.id + "__rows") for indicator, _, _ in values] + counted
    if compiler.quantiles:
        add_ctes(query, compiler.quantiles, dialect)
        add_measured(query, compiler.quantiles, [*value_columns, *counted])
        per_appraisee = "measured"
    query.add(
        " SELECT coalesce(r.__key, g.__appraisee) AS appraisee, r.__key IS NOT NULL AS on_roster"
        + "".join(f", g.{column}" for column in value_columns)
        + "".join(f", coalesce(g.{column}, 0) AS {column}" for column in counted)
        + f" FROM {keys} AS r"
        f" {'FULL' if group_by is None else 'LEFT'} JOIN {per_appraisee} AS g ON g.__appraisee = r.__key"
    )  # no ORDER BY: it is joined onto the keys by key (measuring.tables); at 100,000 keys a sort costs 10%
    fragment = query.fragment()
    return CompiledQuery(dataset, fragment.sql, fragment.params, tuple(i.id for i in measured), dialect.name)


def compile_targets(
    scheme: Scheme, dataset: str, period: Period, functions: FunctionRegistry, wanted: Sequence[tuple[str, str]],
    dialect: Dialect = DUCKDB,
) -> CompiledQuery:
    """Amounts per appraisee read from a dataset (a budget, a bonus base, sales): each `(name,
    column)` of `wanted` summed over the period, as `<name>__target`.

    A dataset without `period_by` is read whole. Exclusions do not apply: they are about
    evidence, not about targets or pay.
    """
    compiler = DatasetCompiler(scheme, scheme.datasets[dataset], functions, dialect=dialect)
    query = compiler.base(period, {})
    query.add(" SELECT r.__key AS appraisee")
    for name, column in wanted:
        total = exact_sum(dialect).replace("{x}", f"CAST(k.{quote_identifier(column)} AS {dialect.double})")
        query.add(f", {total.replace('{f}', '')} AS {quote_identifier(name + '__target')}")
    query.add(
        f" FROM (SELECT DISTINCT CAST({roster_key(scheme)} AS {dialect.types['text']}) AS __key FROM roster) AS r"
        " LEFT JOIN base AS k ON k.__appraisee = r.__key GROUP BY r.__key ORDER BY r.__key"
    )
    fragment = query.fragment()
    return CompiledQuery(dataset, fragment.sql, fragment.params, tuple(name for name, _ in wanted), dialect.name)


def compile_rows(
    scheme: Scheme, indicator: Indicator, period: Period, functions: FunctionRegistry, appraisee: str, limit: int
) -> CompiledQuery:
    """The rows behind one appraisee's measured value, for `explain`: first rows and counts.

    One row per data row counted (the measure's `where`, and for a ratio the denominator's),
    with `__in_numerator` for ratios, `__rows_in_period` and `__excluded` (this appraisee's rows
    in the window, and how many of those the exclusions removed) on every row, and at most
    `limit` rows.
    """
    measure = indicator.measure
    assert measure is not None
    compiler = DatasetCompiler(scheme, scheme.datasets[measure.dataset], functions, measure.attribution)
    top = compiler.condition(measure.numerator.where if measure.numerator else None) if measure.agg == "ratio" else None
    denominator = measure.denominator.where if measure.agg == "ratio" and measure.denominator else None
    where = compiler.condition(measure.where, denominator)
    query = compiler.base(window(period, indicator.window), {})
    query.add(", mine AS (SELECT * FROM kept WHERE __appraisee = ", bind_value(appraisee)).add(")")
    query.add(", counts AS (SELECT (SELECT count(*) FROM base WHERE __appraisee = ", bind_value(appraisee))
    query.add(") AS __rows_in_period, (SELECT count(*) FROM base WHERE __appraisee = ", bind_value(appraisee))
    query.add(") - (SELECT count(*) FROM mine) AS __excluded)")
    hidden = ", ".join(["__appraisee", "__via_excluded", *compiler.bindings.names()])
    query.add(f" SELECT mine.* EXCLUDE ({hidden})")
    if measure.agg == "ratio":
        query.add(", coalesce(", top or SqlFragment("TRUE")).add(", FALSE) AS __in_numerator")
    query.add(", counts.* FROM mine CROSS JOIN counts")
    if where is not None:
        query.add(" WHERE ", where)
    query.add(f" ORDER BY ALL LIMIT {int(limit)}")  # the same first rows every time
    fragment = query.fragment()
    return CompiledQuery(measure.dataset, fragment.sql, fragment.params, (indicator.id,))
