"""Compile a scheme's measures to SQL: one query per dataset and time window.

Every row-level step (the period window, the join to the appraisee, exclusions, `where`
filters, aggregates, `min_count`) happens inside DuckDB. The query starts from the roster, so
everyone on it gets a row even with no data; identifiers are quoted and every literal a
scheme wrote is a bound parameter, never pasted text.

The query reads typed tables named after the datasets and a `roster` table with the roster's
key column, as the engine creates them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from appraisal.errors import AppraisalError
from appraisal.expressions import Expression
from appraisal.functions import FunctionRegistry
from appraisal.model import Dataset, Indicator, Measure, Scheme
from appraisal.periods import Period, sql_window
from appraisal.sql_emitter import SqlFragment, bind_value, quote_identifier, to_sql

_NUMERIC = {"integer", "number", "duration"}
_SQL_TYPES = {"date": "DATE", "timestamp": "TIMESTAMP"}
_AGGREGATES = {
    "sum": "sum({x})",
    "mean": "avg({x})",
    "median": "quantile_cont({x}, 0.5)",
    "min": "min({x})",
    "max": "max({x})",
    "count_distinct": "count(DISTINCT {x})",
}


class CompileError(AppraisalError):
    """A scheme the compiler cannot turn into a query (a shape not supported yet)."""


@dataclass
class _Sql:
    """SQL text and its parameters, grown together so placeholders and values stay in order."""

    parts: list[str] = field(default_factory=list)
    params: list[object] = field(default_factory=list)

    def add(self, text: str, fragment: SqlFragment | None = None) -> _Sql:
        self.parts.append(text)
        if fragment is not None:
            self.parts.append(fragment.sql)
            self.params.extend(fragment.params)
        return self

    def fragment(self) -> SqlFragment:
        return SqlFragment("".join(self.parts), tuple(self.params))


@dataclass(frozen=True)
class CompiledQuery:
    """One dataset's query: a row per roster member, `<id>__value` and `<id>__rows` per indicator."""

    dataset: str
    sql: str
    params: tuple[object, ...]
    indicators: tuple[str, ...]


def _join(fragments: list[SqlFragment], separator: str) -> SqlFragment:
    return SqlFragment(
        separator.join(f.sql for f in fragments), tuple(p for f in fragments for p in f.params)
    )


def _wrap(template: str, fragment: SqlFragment) -> SqlFragment:
    """`template` with `{x}` replaced by the fragment (which must appear once)."""
    before, after = template.split("{x}")
    return SqlFragment(before + fragment.sql + after, fragment.params)


class _DatasetCompiler:
    def __init__(self, scheme: Scheme, dataset: Dataset, functions: FunctionRegistry):
        self.scheme = scheme
        self.dataset = dataset
        self.functions = functions

    def column(self, name: str) -> str | SqlFragment:
        if name in self.scheme.constants:
            return bind_value(self.scheme.constants[name])
        quoted = quote_identifier(name)
        if self.dataset.columns.get(name) in _NUMERIC:
            return f"CAST({quoted} AS DOUBLE)"
        return quoted

    def expr(self, expression: Expression) -> SqlFragment:
        return to_sql(expression, column=self.column, functions=self.functions)

    def condition(self, *expressions: Expression | None) -> SqlFragment | None:
        present = [self.expr(e) for e in expressions if e is not None]
        if not present:
            return None
        return _join([_wrap("({x})", f) for f in present], " AND ")

    def filtered(self, aggregate: str, value: SqlFragment | None, where: SqlFragment | None) -> SqlFragment:
        inner = value if value is not None else SqlFragment("k.__appraisee")
        out = _wrap(aggregate, inner)
        if where is not None:
            out = _join([out, _wrap("FILTER (WHERE {x})", where)], " ")
        return out

    def measure(self, indicator: Indicator, measure: Measure) -> tuple[SqlFragment, SqlFragment]:
        """The value and row-count expressions of one measured indicator."""
        where = self.condition(measure.where)
        if measure.agg == "count":
            rows = self.filtered("count({x})", None, where)
            return rows, rows
        if measure.agg == "ratio":
            numerator = measure.numerator
            denominator = measure.denominator
            top_where = self.condition(measure.where, numerator.where if numerator else None)
            bottom_where = self.condition(measure.where, denominator.where if denominator else None)
            top = self.side(numerator.of if numerator else None, top_where)
            bottom = self.side(denominator.of if denominator else None, bottom_where)
            rows = self.filtered("count({x})", None, bottom_where)
            value = _join([_wrap("CAST({x} AS DOUBLE)", top), _wrap("nullif({x}, 0)", bottom)], " / ")
            return value, rows
        assert measure.of is not None  # the lint guarantees `of` for these aggregates
        of = self.expr(measure.of)
        if _is_duration(measure):  # a time that runs backwards is a data error: dropped, counted
            of = _join([_wrap("CASE WHEN ({x}) >= 0 THEN ", of), _wrap("({x}) END", of)], "")
        if measure.agg == "percentile":
            template = f"quantile_cont({{x}}, {float(measure.percentile or 0.5)!r})"
        else:
            template = _AGGREGATES[measure.agg]
        value = self.filtered(template, of, where)
        rows = self.filtered("count({x})", of, where)
        return value, rows

    def side(self, of: Expression | None, where: SqlFragment | None) -> SqlFragment:
        if of is None:
            return self.filtered("count({x})", None, where)
        return self.filtered("sum({x})", self.expr(of), where)

    def appraisee_source(self) -> tuple[SqlFragment, str]:
        """The FROM clause and the expression naming each row's appraisee.

        A dataset reached through `via` also gets `v.__excluded`: true when the row it joins
        through was excluded (a survey of a supplier-defect ticket goes with its ticket).
        """
        table = quote_identifier(self.dataset.name)
        if self.dataset.via is None:
            return SqlFragment(f"{table} AS d"), f"CAST(d.{quote_identifier(self.dataset.appraisee or '')} AS VARCHAR)"
        on = quote_identifier(self.dataset.via.on)
        owners = self.owners(self.dataset.via.dataset, self.dataset.via.on)
        source = _join([SqlFragment(f"{table} AS d LEFT JOIN "), owners, SqlFragment(f" AS v ON d.{on} = v.{on}")], "")
        return source, "v.__owner"

    def excluded(self, name: str) -> SqlFragment:
        """SQL true for rows of dataset `name` that one of its exclusions removes."""
        compiler = _DatasetCompiler(self.scheme, self.scheme.datasets[name], self.functions)
        flags = [_wrap("coalesce(({x}), FALSE)", compiler.expr(e.where)) for e in self.scheme.exclusions if e.dataset == name]
        return _join(flags, " OR ") if flags else SqlFragment("FALSE")

    def owners(self, name: str, on: str) -> SqlFragment:
        """(`on`, `__owner`, `__excluded`) of dataset `name`, following its own `via` chain.

        The rows joined through are not limited to the period: a survey answered in Q3 about
        a ticket created in Q2 still reaches that ticket's agent.
        """
        dataset = self.scheme.datasets[name]
        key = quote_identifier(on)
        rows = _join([SqlFragment("(SELECT *, "), self.excluded(name), SqlFragment(f" AS __self_excluded FROM {quote_identifier(name)})")], "")
        if dataset.via is None:
            owner = quote_identifier(dataset.appraisee or "")
            return _join([
                SqlFragment(f"(SELECT p.{key}, CAST(p.{owner} AS VARCHAR) AS __owner, bool_or(p.__self_excluded) AS __excluded FROM "),
                rows,
                SqlFragment(" AS p GROUP BY ALL)"),
            ], "")
        link = quote_identifier(dataset.via.on)
        inner = self.owners(dataset.via.dataset, dataset.via.on)
        return _join([
            SqlFragment(f"(SELECT p.{key}, g.__owner, bool_or(p.__self_excluded OR coalesce(g.__excluded, FALSE)) AS __excluded FROM "),
            rows,
            SqlFragment(" AS p JOIN "),
            inner,
            SqlFragment(f" AS g ON p.{link} = g.{link} GROUP BY ALL)"),
        ], "")

    def base(self, period: Period, column_types: Mapping[str, str]) -> _Sql:
        """The CTEs `base` (rows in the window, with their appraisee) and `kept` (not excluded)."""
        source, appraisee = self.appraisee_source()
        period_by = self.dataset.period_by
        if period_by is None:  # a lookup table (targets per appraisee): every row, no window
            window_sql, window_params = "TRUE", ()
        else:
            sql_type = column_types.get(period_by) or _SQL_TYPES.get(self.dataset.columns.get(period_by, ""), "TIMESTAMP")
            window_sql, window_params = sql_window(
                period, self.scheme.timezone, f"d.{quote_identifier(period_by)}", column_type=sql_type
            )
        via = "coalesce(v.__excluded, FALSE)" if self.dataset.via is not None else "FALSE"
        out = _Sql()
        out.add(f"WITH base AS (SELECT d.*, {appraisee} AS __appraisee, {via} AS __via_excluded FROM ", source)
        out.add(" WHERE ", SqlFragment(window_sql, tuple(window_params)))
        out.add("), kept AS (SELECT * EXCLUDE (__via_excluded) FROM base WHERE NOT (__via_excluded OR ")
        out.add("", self.excluded(self.dataset.name)).add("))")
        return out


_INTERVAL_FUNCTIONS = frozenset({"seconds", "minutes", "hours", "days"})


def _is_duration(measure: Measure) -> bool:
    """A measure of elapsed time (`hours(resolved_at - created_at)`): never negative."""
    return measure.of is not None and bool(measure.of.functions & _INTERVAL_FUNCTIONS)


def _roster_key(scheme: Scheme) -> str:
    if scheme.roster is None:
        raise CompileError(f"scheme {scheme.id!r} has no roster: add one so everyone appraised is listed")
    return quote_identifier(scheme.roster.key)


def compile_dataset(
    scheme: Scheme,
    dataset: str,
    period: Period,
    functions: FunctionRegistry,
    *,
    column_types: Mapping[str, str] | None = None,
) -> CompiledQuery:
    """The query measuring every indicator of `dataset` for everyone on the roster in `period`.

    `column_types` gives the engine's SQL type of columns where it differs from the declared
    type (e.g. `TIMESTAMPTZ` for timestamps that carried an offset).
    """
    compiler = _DatasetCompiler(scheme, scheme.datasets[dataset], functions)
    measured = [i for i in scheme.indicators if i.measure is not None and i.measure.dataset == dataset]
    query = compiler.base(period, column_types or {})
    query.add(" SELECT r.__key AS appraisee")
    for indicator in measured:
        assert indicator.measure is not None
        value, rows = compiler.measure(indicator, indicator.measure)
        ident = quote_identifier(f"{indicator.id}__value")
        # Fewer rows than min_count (default 1): insufficient data, never zero.
        query.add(", CASE WHEN ", rows).add(" >= ", bind_value(indicator.measure.min_count))
        query.add(" THEN ", value).add(f" END AS {ident}")
        query.add(", ", rows).add(f" AS {quote_identifier(indicator.id + '__rows')}")
    query.add(
        f" FROM (SELECT DISTINCT CAST({_roster_key(scheme)} AS VARCHAR) AS __key FROM roster) AS r"
        " LEFT JOIN kept AS k ON k.__appraisee = r.__key GROUP BY r.__key ORDER BY r.__key"
    )
    fragment = query.fragment()
    return CompiledQuery(dataset, fragment.sql, fragment.params, tuple(i.id for i in measured))


def compile_quality(
    scheme: Scheme,
    dataset: str,
    period: Period,
    functions: FunctionRegistry,
    *,
    column_types: Mapping[str, str] | None = None,
) -> CompiledQuery:
    """Counts that travel with the values: rows in the window, unknown appraisees, exclusions.

    One row with `rows_in_period`, `unknown_appraisee`, `no_period_value`, `outside_period`, and
    `excluded_<n>` per exclusion of this dataset (in scheme order).
    """
    compiler = _DatasetCompiler(scheme, scheme.datasets[dataset], functions)
    period_by = quote_identifier(scheme.datasets[dataset].period_by or "")
    query = compiler.base(period, column_types or {})
    exclusions = [e.where for e in scheme.exclusions if e.dataset == dataset]
    query.add(
        " SELECT (SELECT count(*) FROM base) AS rows_in_period,"
        " (SELECT count(*) FROM kept WHERE __appraisee IS NULL OR __appraisee NOT IN"
        f" (SELECT CAST({_roster_key(scheme)} AS VARCHAR) FROM roster)) AS unknown_appraisee,"
        f" (SELECT count(*) FROM {quote_identifier(dataset)} WHERE {period_by} IS NULL)"
        " AS no_period_value,"
        f" (SELECT count(*) FROM {quote_identifier(dataset)} WHERE {period_by} IS NOT NULL)"
        " - (SELECT count(*) FROM base) AS outside_period"
    )
    for n, where in enumerate(exclusions):
        query.add(", (SELECT count(*) FROM base WHERE coalesce((", compiler.expr(where))
        query.add(f"), FALSE)) AS excluded_{n}")
    query.add(", (SELECT count(*) FROM base WHERE __via_excluded) AS excluded_via")
    durations = [i for i in scheme.indicators if i.measure is not None and i.measure.dataset == dataset and _is_duration(i.measure)]
    for indicator in durations:
        assert indicator.measure is not None and indicator.measure.of is not None
        query.add(", (SELECT count(*) FROM kept WHERE (", compiler.expr(indicator.measure.of))
        query.add(f") < 0) AS {quote_identifier('negative__' + indicator.id)}")
    fragment = query.fragment()
    return CompiledQuery(dataset, fragment.sql, fragment.params, tuple(i.id for i in durations))


def _rating_scales(scheme: Scheme) -> _Sql:
    """`scale(indicator, lo, hi)` of the rating indicators, as a bound VALUES list."""
    rated = [i for i in scheme.indicators if i.kind == "rating" and i.scale is not None]
    out = _Sql()
    out.add("WITH scale(indicator, lo, hi) AS (VALUES ")
    for n, indicator in enumerate(rated):
        assert indicator.scale is not None
        out.add(", " if n else "").add("(", bind_value(indicator.id)).add(", ", bind_value(indicator.scale[0]))
        out.add(", ", bind_value(indicator.scale[1])).add(")")
    out.add(
        "), valid AS (SELECT rt.* FROM ratings AS rt JOIN scale AS s ON rt.indicator = s.indicator "
        "WHERE rt.rating BETWEEN s.lo AND s.hi AND rt.rater IS DISTINCT FROM rt.appraisee)"
    )
    return out


def compile_ratings(scheme: Scheme) -> CompiledQuery:
    """Mean rating per appraisee and rating indicator: one rater per row, never oneself.

    Ratings outside the indicator's scale and self-ratings are left out (and counted by
    `compile_ratings_quality`). Ratings have no period: the file belongs to the appraisal.
    """
    query = _rating_scales(scheme)
    query.add(
        f" SELECT r.__key AS appraisee, s.indicator, avg(v.rating) AS value, count(v.rating) AS rows"
        f" FROM (SELECT DISTINCT CAST({_roster_key(scheme)} AS VARCHAR) AS __key FROM roster) AS r"
        " CROSS JOIN scale AS s LEFT JOIN valid AS v ON v.appraisee = r.__key AND v.indicator = s.indicator"
        " GROUP BY r.__key, s.indicator ORDER BY r.__key, s.indicator"
    )
    fragment = query.fragment()
    rated = tuple(i.id for i in scheme.indicators if i.kind == "rating")
    return CompiledQuery("ratings", fragment.sql, fragment.params, rated)


def compile_ratings_quality(scheme: Scheme) -> CompiledQuery:
    """Ratings left out, by cause: self rating, outside scale, unknown appraisee or indicator."""
    query = _rating_scales(scheme)
    key = _roster_key(scheme)
    query.add(
        " SELECT"
        " (SELECT count(*) FROM ratings WHERE rater = appraisee) AS self_rating,"
        " (SELECT count(*) FROM ratings AS rt JOIN scale AS s ON rt.indicator = s.indicator"
        "  WHERE rt.rating IS NOT NULL AND NOT rt.rating BETWEEN s.lo AND s.hi) AS outside_scale,"
        " (SELECT count(*) FROM ratings WHERE indicator NOT IN (SELECT indicator FROM scale)) AS unknown_indicator,"
        f" (SELECT count(*) FROM ratings WHERE appraisee NOT IN (SELECT CAST({key} AS VARCHAR) FROM roster))"
        " AS unknown_appraisee"
    )
    fragment = query.fragment()
    return CompiledQuery("ratings", fragment.sql, fragment.params, ())


def compile_targets(scheme: Scheme, dataset: str, period: Period, functions: FunctionRegistry) -> CompiledQuery:
    """Targets per appraisee read from a dataset (a budget): the column summed over the period.

    A dataset without `period_by` is read whole. Exclusions do not apply: they are about
    evidence, not targets. Columns: `appraisee`, then `<indicator id>__target`.
    """
    from appraisal.model import TargetFrom

    compiler = _DatasetCompiler(scheme, scheme.datasets[dataset], functions)
    wanted = [
        i for i in scheme.indicators if isinstance(i.target, TargetFrom) and i.target.dataset == dataset
    ]
    query = compiler.base(period, {})
    query.add(" SELECT r.__key AS appraisee")
    for indicator in wanted:
        assert isinstance(indicator.target, TargetFrom)
        column = quote_identifier(indicator.target.column)
        query.add(f", sum(CAST(k.{column} AS DOUBLE)) AS {quote_identifier(indicator.id + '__target')}")
    query.add(
        f" FROM (SELECT DISTINCT CAST({_roster_key(scheme)} AS VARCHAR) AS __key FROM roster) AS r"
        " LEFT JOIN base AS k ON k.__appraisee = r.__key GROUP BY r.__key ORDER BY r.__key"
    )
    fragment = query.fragment()
    return CompiledQuery(dataset, fragment.sql, fragment.params, tuple(i.id for i in wanted))


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
    compiler = _DatasetCompiler(scheme, scheme.datasets[measure.dataset], functions)
    query = compiler.base(period, {})
    query.add(", mine AS (SELECT * FROM kept WHERE __appraisee = ", bind_value(appraisee)).add(")")
    query.add(", counts AS (SELECT (SELECT count(*) FROM base WHERE __appraisee = ", bind_value(appraisee))
    query.add(") AS __rows_in_period, (SELECT count(*) FROM base WHERE __appraisee = ", bind_value(appraisee))
    query.add(") - (SELECT count(*) FROM mine) AS __excluded)")
    query.add(" SELECT mine.* EXCLUDE (__appraisee)")
    if measure.agg == "ratio":
        top = compiler.condition(measure.numerator.where if measure.numerator else None)
        query.add(", coalesce(", top or SqlFragment("TRUE")).add(", FALSE) AS __in_numerator")
    query.add(", counts.* FROM mine CROSS JOIN counts")
    denominator = measure.denominator.where if measure.agg == "ratio" and measure.denominator else None
    where = compiler.condition(measure.where, denominator)
    if where is not None:
        query.add(" WHERE ", where)
    query.add(f" LIMIT {int(limit)}")
    fragment = query.fragment()
    return CompiledQuery(measure.dataset, fragment.sql, fragment.params, (indicator.id,))
