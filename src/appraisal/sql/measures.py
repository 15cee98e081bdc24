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
from dataclasses import dataclass, field

from appraisal.errors import AppraisalError
from appraisal.expressions.kinds import Kind, column_kind, value_kind
from appraisal.expressions.parsing import Expression
from appraisal.expressions.functions import FunctionRegistry
from appraisal.scheme.model import AS_OF_PERIOD, Dataset, Indicator, Measure, Scheme
from appraisal.periods import Period, sql_window, window
from appraisal.sql.repeats import added_columns
from appraisal.sql.emitter import Bindings, SqlFragment, bind_value, quote_identifier, to_condition, to_sql

_NUMERIC = {"integer", "number", "duration"}
_SQL_TYPES = {"date": "DATE", "timestamp": "TIMESTAMP"}
# Sums and means add exact decimals, not doubles: a double sum depends on the order rows
# arrive in, and results must not change with the number of threads, the scan plan or the
# engine. DECIMAL(38, 9) holds 9 decimal places and totals below 1e29, so a value is
# summed only within RANGE (a billion rows of it still fit); beyond, it is counted as
# `value out of range` and left out (semantics.yaml, "sums and means").
RANGE = 1e20
_WEIGHTED_SUM = "CAST(sum(CAST({x} AS DECIMAL(38, 9)) * __weight) {f} AS DOUBLE)"
_EXACT = "CAST({x} AS DECIMAL(38, 9))"
_AGGREGATES = {
    "sum": f"CAST(sum({_EXACT}) {{f}} AS DOUBLE)",
    "mean": f"CAST(avg({_EXACT}) {{f}} AS DOUBLE)",
    "median": "quantile_cont({x}, 0.5)",
    "min": "min({x})",
    "max": "max({x})",
    "count_distinct": "count(DISTINCT {x})",
}
_EXACT_AGGREGATES = frozenset({"sum", "mean"})


class CompileError(AppraisalError):
    """A scheme the compiler cannot turn into a query (a shape not supported yet)."""


@dataclass
class SqlBuilder:
    """SQL text and its parameters, grown together so placeholders and values stay in order."""

    parts: list[str] = field(default_factory=list)
    params: list[object] = field(default_factory=list)

    def add(self, text: str, fragment: SqlFragment | None = None) -> SqlBuilder:
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


GROUPINGS = ("team", "manager", "roster")  # group rows: per team, per manager, the whole roster
WHOLE_ROSTER = "all"  # the one group of `roster`


def members(scheme: Scheme, group_by: str) -> str:
    """`(__member, __group)` of every roster member: its team, its manager, or `all`. Members
    whose roster row leaves the field empty belong to no group."""
    key = roster_key(scheme)
    if group_by == "roster":
        group = f"'{WHOLE_ROSTER}'"
    else:
        assert scheme.roster is not None
        field = scheme.roster.fields.get(group_by)
        if field is None:
            raise CompileError(f"group rows per {group_by} need the roster's {group_by!r} column: add "
                               f"'{group_by}: COLUMN' to the roster")
        group = f"CAST({quote_identifier(field)} AS VARCHAR)"
    return (f"(SELECT DISTINCT CAST({key} AS VARCHAR) AS __member, {group} AS __group FROM roster"
            f" WHERE {key} IS NOT NULL AND {group} IS NOT NULL)")


def _kinds(scheme: Scheme, dataset: Dataset) -> dict[str, Kind]:
    """The kind of every name an expression over `dataset` may use: its declared columns, the
    columns the engine adds (repeats), and the scheme's constants."""
    kinds = {name: value_kind(value) for name, value in scheme.constants.items()}
    added = dataset.repeats.added_columns(dataset.key is not None) if dataset.repeats is not None else {}
    kinds.update({name: column_kind(kind) for name, kind in {**dataset.columns, **added}.items()})
    return kinds


class _DatasetCompiler:
    def __init__(self, scheme: Scheme, dataset: Dataset, functions: FunctionRegistry, attribution: str = "all",
                 group_by: str | None = None):
        self.scheme = scheme
        self.dataset = dataset
        self.functions = functions
        self.attribution = attribution  # all, first, last or split: see `appraisee_source`
        self.group_by = group_by  # team, manager, roster: the rows of every member of a group, pooled
        self.kinds = _kinds(scheme, dataset)
        # columns computed under the query, so no operand's SQL is written twice
        self.bindings = Bindings()
        # (indicator id, SQL true for a kept row whose value is out of RANGE), for the counts
        self.out_of_range: list[tuple[str, SqlFragment]] = []

    def column(self, name: str) -> str | SqlFragment:
        if name in self.scheme.constants:
            return bind_value(self.scheme.constants[name])
        quoted = quote_identifier(name)
        if self.dataset.columns.get(name) in _NUMERIC:
            return f"CAST({quoted} AS DOUBLE)"
        return quoted

    def expr(self, expression: Expression, *, bind: bool = False) -> SqlFragment:
        """A value; `bind`: as a column of `bindings`, so it may be written several times."""
        return to_sql(expression, column=self.column, functions=self.functions, kinds=self.kinds,
                      bindings=self.bindings, bind=bind)

    def condition(self, *expressions: Expression | None) -> SqlFragment | None:
        present = [
            to_condition(e, column=self.column, functions=self.functions, kinds=self.kinds, bindings=self.bindings)
            for e in expressions if e is not None
        ]
        if not present:
            return None
        return _join([_wrap("({x})", f) for f in present], " AND ")

    def exact(self, indicator: Indicator, value: SqlFragment, where: SqlFragment | None) -> SqlFragment:
        """`value` (a column or a parameter: written three times) for an exact sum: null, and
        counted, where its size is beyond RANGE."""
        limit = SqlFragment(f"CAST({RANGE!r} AS DOUBLE)")
        outside = _join([_wrap("abs({x}) > ", value), limit], "")
        self.out_of_range.append((indicator.id, outside if where is None else _join([where, outside], " AND ")))
        return _join([_wrap("CASE WHEN abs({x}) <= ", value), limit, _wrap(" THEN {x} END", value)], "")

    def filtered(self, aggregate: str, value: SqlFragment | None, where: SqlFragment | None) -> SqlFragment:
        """`aggregate` over the kept rows that pass `where` (every row is flagged `__kept`)."""
        inner = value if value is not None else SqlFragment("*")
        condition = SqlFragment("__kept") if where is None else _join([SqlFragment("__kept"), where], " AND ")
        if "{f}" not in aggregate:  # `{f}` marks where FILTER goes: right after the aggregate call
            aggregate += " {f}"
        before, rest = aggregate.split("{x}")
        middle, after = rest.split("{f}")
        parts = [SqlFragment(before), inner, SqlFragment(middle + "FILTER (WHERE "), condition, SqlFragment(")" + after)]
        return _join(parts, "")

    def measure(self, indicator: Indicator, measure: Measure) -> tuple[SqlFragment, SqlFragment]:
        """The value and row-count expressions of one measured indicator."""
        where = self.condition(measure.where)
        split = self.attribution == "split"  # each of n appraisees of a row gets 1/n of it
        if measure.agg == "count":
            rows = self.filtered("count({x})", None, where)
            return (self.filtered("sum({x})", SqlFragment("__weight"), where) if split else rows), rows
        if measure.agg == "ratio":
            numerator = measure.numerator
            denominator = measure.denominator
            top_where = self.condition(measure.where, numerator.where if numerator else None)
            bottom_where = self.condition(measure.where, denominator.where if denominator else None)
            top = self.side(indicator, numerator.of if numerator else None, top_where)
            bottom = self.side(indicator, denominator.of if denominator else None, bottom_where)
            rows = self.filtered("count({x})", None, bottom_where)
            value = _join([_wrap("CAST({x} AS DOUBLE)", top), _wrap("nullif({x}, 0)", bottom)], " / ")
            return value, rows
        assert measure.of is not None  # the lint guarantees `of` for these aggregates
        of = self.expr(measure.of, bind=True)
        if measure.agg in _EXACT_AGGREGATES:
            of = self.exact(indicator, of, where)
        if _is_duration(measure):  # a time that runs backwards is a data error: dropped, counted
            of = _join([_wrap("CASE WHEN {x} >= 0 THEN ", self.expr(measure.of, bind=True)), of, SqlFragment(" END")], "")
        if measure.agg == "percentile":
            template = f"quantile_cont({{x}}, {float(measure.percentile or 0.5)!r})"
        else:
            template = _AGGREGATES[measure.agg]
        rows = self.filtered("count({x})", of, where)
        if split:  # the lint allows only sum and mean here
            weighted = self.filtered(_WEIGHTED_SUM, of, where)
            if measure.agg == "mean":
                weights = self.filtered(_WEIGHTED_SUM, _wrap("CASE WHEN ({x}) IS NOT NULL THEN 1 END", of), where)
                return _join([weighted, _wrap("nullif({x}, 0)", weights)], " / "), rows
            return weighted, rows
        return self.filtered(template, of, where), rows

    def side(self, indicator: Indicator, of: Expression | None, where: SqlFragment | None) -> SqlFragment:
        if self.attribution == "split":
            value = self.exact(indicator, self.expr(of, bind=True), where) if of is not None else SqlFragment("1")
            return self.filtered(_WEIGHTED_SUM, value, where)
        if of is None:
            return self.filtered("count({x})", None, where)
        return self.filtered(_AGGREGATES["sum"], self.exact(indicator, self.expr(of, bind=True), where), where)

    def appraisee_source(self) -> tuple[SqlFragment, str]:
        """The FROM clause and the expression naming each row's appraisee.

        A dataset reached through `via` also gets `v.__excluded`: true when the row it joins
        through was excluded (a survey of a supplier-defect ticket goes with its ticket).
        """
        table = quote_identifier(self.dataset.name)
        if self.dataset.via is None:
            appraisee = f"CAST(d.{quote_identifier(self.dataset.appraisee or '')} AS VARCHAR)"
            if self.group_by is None:
                return SqlFragment(f"{table} AS d"), appraisee
            # a row counts for its appraisee's group; rows of no one on the roster for none
            joined = f"{table} AS d LEFT JOIN {members(self.scheme, self.group_by)} AS m ON {appraisee} = m.__member"
            return SqlFragment(joined), "m.__group"
        via = self.dataset.via
        on = quote_identifier(via.on)
        owners = self.owners(via.dataset, via.on, via.order_by if self.attribution != "all" else None)
        # Several appraisees may share a row (several agents touched a ticket): `__owners`
        # counts them, so data-quality counts and split shares can give each row a total of 1.
        ranked = _join([
            SqlFragment(f"(SELECT *, count(*) OVER (PARTITION BY {on}) AS __owners"),
            SqlFragment(
                f", row_number() OVER (PARTITION BY {on} ORDER BY __first_at, __owner) AS __rank_first"
                f", row_number() OVER (PARTITION BY {on} ORDER BY __last_at DESC, __owner) AS __rank_last"
                if self.attribution != "all" else ""
            ),
            SqlFragment(" FROM "), owners, SqlFragment(")"),
        ], "")
        if self.attribution in ("first", "last"):
            ranked = _join([SqlFragment("(SELECT * REPLACE (1 AS __owners) FROM "), ranked,
                            SqlFragment(f" WHERE __rank_{self.attribution} = 1)")], "")
        if self.group_by is not None:
            # A row joins each group of its owners once; `__members` of its `__owners` are in
            # the group, which is the group's share of a split row.
            ranked = _join([
                SqlFragment(f"(SELECT o.{on}, m.__group AS __owner, bool_or(o.__excluded) AS __excluded,"
                            " count(*) AS __members, any_value(o.__owners) AS __owners FROM "),
                ranked, SqlFragment(f" AS o JOIN {members(self.scheme, self.group_by)} AS m"
                                    f" ON o.__owner = m.__member GROUP BY o.{on}, m.__group)"),
            ], "")
        source = _join([SqlFragment(f"{table} AS d LEFT JOIN "), ranked, SqlFragment(f" AS v ON d.{on} = v.{on}")], "")
        return source, "v.__owner"

    def excluded(self) -> SqlFragment:
        """SQL true for rows of this dataset that one of its exclusions removes (reading
        `bindings`)."""
        flags = [
            _wrap("coalesce({x}, FALSE)", condition)
            for e in self.scheme.exclusions if e.dataset == self.dataset.name
            for condition in [self.condition(e.where)] if condition is not None
        ]
        return _join(flags, " OR ") if flags else SqlFragment("FALSE")

    def owners(self, name: str, on: str, order_by: str | None = None) -> SqlFragment:
        """(`on`, `__owner`, `__excluded`) of dataset `name`, following its own `via` chain;
        with `order_by`, also each owner's first and last time (`__first_at`, `__last_at`).

        The rows joined through are not limited to the period: a survey answered in Q3 about
        a ticket created in Q2 still reaches that ticket's agent.
        """
        dataset = self.scheme.datasets[name]
        key = quote_identifier(on)
        times = f", min(p.{quote_identifier(order_by)}) AS __first_at, max(p.{quote_identifier(order_by)}) AS __last_at" if order_by else ""
        other = _DatasetCompiler(self.scheme, dataset, self.functions)
        flag = other.excluded()
        rows = _join([SqlFragment("(SELECT *, "), flag, SqlFragment(" AS __self_excluded FROM "),
                      other.bindings.wrap(SqlFragment(quote_identifier(name)), "__owned"), SqlFragment(")")], "")
        if dataset.via is None:
            owner = quote_identifier(dataset.appraisee or "")
            return _join([
                SqlFragment(f"(SELECT p.{key}, CAST(p.{owner} AS VARCHAR) AS __owner, bool_or(p.__self_excluded) AS __excluded{times} FROM "),
                rows,
                SqlFragment(" AS p GROUP BY ALL)"),
            ], "")
        link = quote_identifier(dataset.via.on)
        inner = self.owners(dataset.via.dataset, dataset.via.on)
        return _join([
            SqlFragment(f"(SELECT p.{key}, g.__owner, bool_or(p.__self_excluded OR coalesce(g.__excluded, FALSE)) AS __excluded{times} FROM "),
            rows,
            SqlFragment(" AS p JOIN "),
            inner,
            SqlFragment(f" AS g ON p.{link} = g.{link} GROUP BY ALL)"),
        ], "")

    def base(self, period: Period, column_types: Mapping[str, str]) -> SqlBuilder:
        """The CTEs `base` (rows in the window, with their appraisee), the layers of `bindings`
        and `kept` (not excluded). Compile every expression the query uses before this."""
        source, appraisee = self.appraisee_source()
        excluded = self.excluded()
        # a lookup table (targets per appraisee) has no window: every row
        in_window = _in_window(self.scheme, self.dataset, period, column_types)
        via = "coalesce(v.__excluded, FALSE)" if self.dataset.via is not None else "FALSE"
        layers, last = self.bindings.ctes("base", "__layer")
        out = SqlBuilder()
        out.add(f"WITH base AS (SELECT d.*, {appraisee} AS __appraisee, {via} AS __via_excluded FROM ", source)
        out.add(" WHERE ", in_window).add(")", layers)
        out.add(f", kept AS (SELECT * EXCLUDE (__via_excluded) FROM {last} WHERE NOT (__via_excluded OR ")
        out.add("", excluded).add("))")
        return out


def _in_window(scheme: Scheme, ds: Dataset, period: Period, column_types: Mapping[str, str]) -> SqlFragment:
    """SQL true for a row of `ds` (as `d`) that belongs to `period`: its `period_by` time in the
    window; for a snapshot, always (`as_of: period`) or when its date is the latest snapshot's
    date in the window."""
    column = ds.period_by or ds.as_of
    if column is None or column == AS_OF_PERIOD:
        return SqlFragment("TRUE")
    sql_type = column_types.get(column) or _SQL_TYPES.get(ds.columns.get(column, ""), "TIMESTAMP")
    if ds.period_by is not None:
        window_sql, params = sql_window(period, scheme.timezone, f"d.{quote_identifier(column)}", column_type=sql_type)
        return SqlFragment(window_sql, tuple(params))
    inner, params = sql_window(period, scheme.timezone, f"s.{quote_identifier(column)}", column_type=sql_type)
    return SqlFragment(f"d.{quote_identifier(column)} = (SELECT max(s.{quote_identifier(column)}) "
                       f"FROM {quote_identifier(ds.name)} AS s WHERE {inner})", tuple(params))


_INTERVAL_FUNCTIONS = frozenset({"seconds", "minutes", "hours", "days"})


def _is_duration(measure: Measure) -> bool:
    """A measure of elapsed time (`hours(resolved_at - created_at)`): never negative."""
    return measure.of is not None and bool(measure.of.functions & _INTERVAL_FUNCTIONS)


def roster_key(scheme: Scheme) -> str:
    from appraisal.scheme.model import ROSTER_NEEDED

    if scheme.roster is None:
        raise CompileError(f"scheme {scheme.id!r} {ROSTER_NEEDED}")
    return quote_identifier(scheme.roster.key)


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
    """
    compiler = _DatasetCompiler(scheme, scheme.datasets[dataset], functions, attribution, group_by)
    ds = scheme.datasets[dataset]
    if not ds.measurable:
        raise CompileError(f"dataset {dataset!r} has no period_by (or as_of) and cannot be measured")
    # Every expression first: the layers of computed columns they need come before their use.
    exclusions = [compiler.condition(e.where) for e in scheme.exclusions if e.dataset == dataset]
    measured = [i for i in (indicators or scheme.indicators) if i.measure is not None and i.measure.dataset == dataset]
    values = [(indicator, *compiler.measure(indicator, indicator.measure)) for indicator in measured if indicator.measure]
    negatives = [
        (indicator.id, compiler.expr(indicator.measure.of, bind=True)) for indicator in measured
        if indicator.measure is not None and indicator.measure.of is not None and _is_duration(indicator.measure)
    ]
    out_of_range: dict[str, list[SqlFragment]] = {}
    for indicator_id, outside in compiler.out_of_range:
        out_of_range.setdefault(indicator_id, []).append(outside)
    layers, last = compiler.bindings.ctes("base", "__layer")

    source, appraisee = compiler.appraisee_source()
    placed_by = ds.placed_by
    no_period = f"d.{quote_identifier(placed_by)} IS NULL" if placed_by else "FALSE"
    via = "coalesce(v.__excluded, FALSE)" if ds.via is not None else "FALSE"
    # A row shared by n appraisees counts 1/n in each group, so counts over groups add up to
    # one per row; a split attribution gives each the same 1/n of the value.
    share = "1.0 / coalesce(v.__owners, 1)" if ds.via is not None else "1.0"
    weight = "1.0 * coalesce(v.__members, 1) / coalesce(v.__owners, 1)" if ds.via is not None and group_by else share

    query = SqlBuilder()
    query.add(f"WITH base AS (SELECT d.*, {appraisee} AS __appraisee, {via} AS __via_excluded, {share} AS __share,"
              f" CAST({weight} AS DECIMAL(38, 9)) AS __weight, coalesce(")
    query.add("", _in_window(scheme, ds, period, column_types or {}))
    query.add(", FALSE) AS __in_window, coalesce(FALSE")
    for other in also_used:
        query.add(" OR ", _in_window(scheme, ds, other, column_types or {}))
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
        query.add(", CASE WHEN ", count).add(" >= ", bind_value(indicator.measure.min_count))
        query.add(" THEN ", value).add(f" END AS {quote_identifier(indicator.id + '__value')}")
        query.add(", ", count).add(f" AS {quote_identifier(indicator.id + '__rows')}")
    # Rows counted by cause; a row is one unless shared through `via` (a plain count is a
    # third faster than summing shares, so the sum is only paid where shares exist).
    tally = "sum(__share)" if ds.via is not None else "count(*)"
    query.add(
        f", {tally} FILTER (WHERE __in_window) AS q__rows_in_period, {tally} FILTER (WHERE __kept) AS q__kept"
        f", {tally} FILTER (WHERE __no_period) AS q__no_period_value"
        f", {tally} FILTER (WHERE NOT __no_period AND NOT __in_window AND NOT __in_other_window) AS q__outside_period"
        f", {tally} FILTER (WHERE __in_window AND __via_excluded) AS q__excluded_via"
    )
    for n in range(len(exclusions)):
        query.add(f", {tally} FILTER (WHERE __in_window AND __excluded_{n}) AS q__excluded_{n}")
    for indicator_id, of in negatives:
        query.add(f", {tally} FILTER (WHERE __kept AND ", of)
        query.add(f" < 0) AS {quote_identifier('q__negative__' + indicator_id)}")
    for indicator_id, conditions in out_of_range.items():
        query.add(f", {tally} FILTER (WHERE __kept AND (", _join(conditions, " OR "))
        query.add(f")) AS {quote_identifier('q__range__' + indicator_id)}")
    keys = (f"(SELECT DISTINCT CAST({roster_key(scheme)} AS VARCHAR) AS __key FROM roster)" if group_by is None
            else f"(SELECT DISTINCT __group AS __key FROM {members(scheme, group_by)})")
    query.add(
        " FROM rows GROUP BY __appraisee)"
        " SELECT coalesce(r.__key, g.__appraisee) AS appraisee, r.__key IS NOT NULL AS on_roster,"
        " COLUMNS('__value$'), coalesce(COLUMNS('__rows$|^q__'), 0)"
        f" FROM {keys} AS r"
        f" {'FULL' if group_by is None else 'LEFT'} JOIN grouped AS g ON g.__appraisee = r.__key"
        " ORDER BY on_roster DESC, appraisee NULLS LAST"
    )
    fragment = query.fragment()
    return CompiledQuery(dataset, fragment.sql, fragment.params, tuple(i.id for i in measured))


def compile_targets(
    scheme: Scheme, dataset: str, period: Period, functions: FunctionRegistry, wanted: Sequence[tuple[str, str]]
) -> CompiledQuery:
    """Amounts per appraisee read from a dataset (a budget, a bonus base, sales): each `(name,
    column)` of `wanted` summed over the period, as `<name>__target`.

    A dataset without `period_by` is read whole. Exclusions do not apply: they are about
    evidence, not about targets or pay.
    """
    compiler = _DatasetCompiler(scheme, scheme.datasets[dataset], functions)
    query = compiler.base(period, {})
    query.add(" SELECT r.__key AS appraisee")
    for name, column in wanted:
        query.add(f", {_AGGREGATES['sum'].replace('{x}', 'k.' + quote_identifier(column)).replace('{f}', '')}")
        query.add(f" AS {quote_identifier(name + '__target')}")
    query.add(
        f" FROM (SELECT DISTINCT CAST({roster_key(scheme)} AS VARCHAR) AS __key FROM roster) AS r"
        " LEFT JOIN base AS k ON k.__appraisee = r.__key GROUP BY r.__key ORDER BY r.__key"
    )
    fragment = query.fragment()
    return CompiledQuery(dataset, fragment.sql, fragment.params, tuple(name for name, _ in wanted))


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
    compiler = _DatasetCompiler(scheme, scheme.datasets[measure.dataset], functions, measure.attribution)
    top = compiler.condition(measure.numerator.where if measure.numerator else None) if measure.agg == "ratio" else None
    denominator = measure.denominator.where if measure.agg == "ratio" and measure.denominator else None
    where = compiler.condition(measure.where, denominator)
    query = compiler.base(window(period, indicator.window), {})
    query.add(", mine AS (SELECT * FROM kept WHERE __appraisee = ", bind_value(appraisee)).add(")")
    query.add(", counts AS (SELECT (SELECT count(*) FROM base WHERE __appraisee = ", bind_value(appraisee))
    query.add(") AS __rows_in_period, (SELECT count(*) FROM base WHERE __appraisee = ", bind_value(appraisee))
    query.add(") - (SELECT count(*) FROM mine) AS __excluded)")
    hidden = ", ".join(["__appraisee", *compiler.bindings.names()])
    query.add(f" SELECT mine.* EXCLUDE ({hidden})")
    if measure.agg == "ratio":
        query.add(", coalesce(", top or SqlFragment("TRUE")).add(", FALSE) AS __in_numerator")
    query.add(", counts.* FROM mine CROSS JOIN counts")
    if where is not None:
        query.add(" WHERE ", where)
    query.add(f" ORDER BY ALL LIMIT {int(limit)}")  # the same first rows every time
    fragment = query.fragment()
    return CompiledQuery(measure.dataset, fragment.sql, fragment.params, (indicator.id,))
