"""The SQL of one dataset's rows: who each row counts for, which period it belongs to, which
exclusion removes it, and the value and row count of each measure over them.

`DatasetCompiler` compiles a dataset's expressions into columns computed under the query
(so no operand's SQL is written twice) and hands the pieces to `measures`, which assembles
the statements. Group rows (per team, per manager, the whole roster) read the same rows with
each counted for its appraisee's group (`members`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from appraisal.expressions.functions import FunctionRegistry
from appraisal.expressions.kinds import Kind, column_kind, value_kind
from appraisal.expressions.parsing import Expression
from appraisal.periods import Period, sql_window
from appraisal.scheme.model import AS_OF_PERIOD, ROSTER_NEEDED, Dataset, Indicator, Measure, Scheme
from appraisal.sql.dialect import DUCKDB, Dialect, SqlFragment, bind_value, quote_identifier
from appraisal.sql.emitter import Bindings, to_condition, to_sql
from appraisal.sql.quantiles import QUANTILES, Quantile
from appraisal.sql.query import CompileError, SqlBuilder, join, wrap

_NUMERIC = {"integer", "number", "duration"}
_SQL_TYPES = {"date": "DATE", "timestamp": "TIMESTAMP"}
# Sums and means add exact decimals, not doubles: a double sum depends on the order rows
# arrive in, and results must not change with the number of threads, the scan plan or the
# engine. DECIMAL(38, 9) holds 9 decimal places and totals below 1e29, so a value is
# summed only within RANGE (a billion rows of it still fit); beyond, it is counted as
# `value out of range` and left out (semantics.yaml, "sums and means"). The total turns into
# the nearest double (`Dialect.to_double`); a mean is that double divided by the count.
RANGE = 1e20
AGGREGATES = {
    "min": "min({x})",
    "max": "max({x})",
    "count_distinct": "count(DISTINCT {x})",
}
_EXACTAGGREGATES = frozenset({"sum", "mean"})


def _fill(template: str, x: str) -> str:
    """`template` with every `{x}` replaced by `x` (SQL text without parameters)."""
    return template.replace("{x}", x)


def exact_sum(dialect: Dialect) -> str:
    """The aggregate template (`{x}` the value, `{f}` its FILTER) of an exact sum, as a double."""
    return _fill(dialect.to_double, "sum(" + dialect.exact + ") {f}")


def roster_key(scheme: Scheme) -> str:
    if scheme.roster is None:
        raise CompileError(f"scheme {scheme.id!r} {ROSTER_NEEDED}")
    return quote_identifier(scheme.roster.key)


GROUPINGS = ("team", "manager", "roster")  # group rows: per team, per manager, the whole roster
WHOLE_ROSTER = "all"  # the one group of `roster`


def members(scheme: Scheme, group_by: str, dialect: Dialect = DUCKDB) -> str:
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
        group = f"CAST({quote_identifier(field)} AS {dialect.types['text']})"
    return (f"(SELECT DISTINCT CAST({key} AS {dialect.types['text']}) AS __member, {group} AS __group FROM roster"
            f" WHERE {key} IS NOT NULL AND {group} IS NOT NULL)")


def _kinds(scheme: Scheme, dataset: Dataset) -> dict[str, Kind]:
    """The kind of every name an expression over `dataset` may use: its declared columns, the
    columns the engine adds (repeats), and the scheme's constants."""
    kinds = {name: value_kind(value) for name, value in scheme.constants.items()}
    added = dataset.repeats.added_columns(dataset.key is not None) if dataset.repeats is not None else {}
    kinds.update({name: column_kind(kind) for name, kind in {**dataset.columns, **added}.items()})
    return kinds


class DatasetCompiler:
    def __init__(self, scheme: Scheme, dataset: Dataset, functions: FunctionRegistry, attribution: str = "all",
                 group_by: str | None = None, windowed: bool = False, dialect: Dialect = DUCKDB):
        self.scheme = scheme
        self.dialect = dialect
        self.dataset = dataset
        self.functions = functions
        self.attribution = attribution  # all, first, last or split: see `appraisee_source`
        self.group_by = group_by  # team, manager, roster: the rows of every member of a group, pooled
        self.kinds = _kinds(scheme, dataset)
        # columns computed under the query, so no operand's SQL is written twice
        self.bindings = Bindings()
        # (indicator id, SQL true for a kept row whose value is out of RANGE), for the counts
        self.out_of_range: list[tuple[str, SqlFragment]] = []
        # medians and percentiles as window functions that spill (see appraisal.sql.quantiles):
        # what each measures, and `measure` gives a placeholder for its value; an engine
        # without the table's percentile aggregate always sorts
        self.windowed = windowed or dialect.quantile is None
        self.quantiles: list[Quantile] = []

    def column(self, name: str) -> str | SqlFragment:
        if name in self.scheme.constants:
            return bind_value(self.scheme.constants[name], self.dialect)
        quoted = quote_identifier(name)
        if self.dataset.columns.get(name) in _NUMERIC:
            return f"CAST({quoted} AS {self.dialect.double})"
        return quoted

    def expr(self, expression: Expression, *, bind: bool = False) -> SqlFragment:
        """A value; `bind`: as a column of `bindings`, so it may be written several times."""
        return to_sql(expression, column=self.column, functions=self.functions, kinds=self.kinds,
                      bindings=self.bindings, bind=bind, dialect=self.dialect)

    def condition(self, *expressions: Expression | None) -> SqlFragment | None:
        present = [
            to_condition(e, column=self.column, functions=self.functions, kinds=self.kinds, bindings=self.bindings,
                         dialect=self.dialect)
            for e in expressions if e is not None
        ]
        if not present:
            return None
        return join([wrap("({x})", f) for f in present], " AND ")

    def exact(self, indicator: Indicator, value: SqlFragment, where: SqlFragment | None) -> SqlFragment:
        """`value` (a column or a parameter: written three times) for an exact sum: null, and
        counted, where its size is beyond RANGE."""
        limit = SqlFragment(f"CAST({RANGE!r} AS {self.dialect.double})")
        outside = join([wrap("abs({x}) > ", value), limit], "")
        self.out_of_range.append((indicator.id, outside if where is None else join([where, outside], " AND ")))
        return join([wrap("CASE WHEN abs({x}) <= ", value), limit, wrap(" THEN {x} END", value)], "")

    def filtered(self, aggregate: str, value: SqlFragment | None, where: SqlFragment | None) -> SqlFragment:
        """`aggregate` over the kept rows that pass `where` (every row is flagged `__kept`):
        each `{x}` of the template is `value`, `{f}` where FILTER goes (else at the end)."""
        inner = value if value is not None else SqlFragment("*")
        condition = SqlFragment("__kept") if where is None else join([SqlFragment("__kept"), where], " AND ")
        if "{f}" not in aggregate:  # `{f}` marks where FILTER goes: right after the aggregate call
            aggregate += " {f}"
        filter_clause = join([SqlFragment("FILTER (WHERE "), condition, SqlFragment(")")], "")
        parts = [inner if token == "{x}" else filter_clause if token == "{f}" else SqlFragment(token)
                 for token in re.split(r"(\{x\}|\{f\})", aggregate) if token]
        return join(parts, "")

    def weighted_sum(self, value: SqlFragment, where: SqlFragment | None) -> SqlFragment:
        """The exact sum of `value` times each row's `__weight` (its share of a split row)."""
        template = self.dialect.to_double.replace("{x}", "sum(" + self.dialect.exact + " * __weight) {f}")
        return self.filtered(template, value, where)

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
            value = join([wrap(f"CAST({{x}} AS {self.dialect.double})", top), wrap("nullif({x}, 0)", bottom)], " / ")
            return value, rows
        assert measure.of is not None  # the lint guarantees `of` for these aggregates
        of = self.expr(measure.of, bind=True)
        if measure.agg in _EXACTAGGREGATES:
            of = self.exact(indicator, of, where)
        if is_duration(measure):  # a time that runs backwards is a data error: dropped, counted
            of = join([wrap("CASE WHEN {x} >= 0 THEN ", self.expr(measure.of, bind=True)), of, SqlFragment(" END")], "")
        fraction = float(measure.percentile or 0.5) if measure.agg == "percentile" else 0.5
        if measure.agg in QUANTILES and self.windowed:
            self.quantiles.append(Quantile(indicator.id, of, where, fraction))
            return SqlFragment("TRUE"), self.filtered("count({x})", of, where)  # TRUE: enough rows for a value
        rows = self.filtered("count({x})", of, where)
        if split:  # the lint allows only sum and mean here
            weighted = self.weighted_sum(of, where)
            if measure.agg == "mean":
                weights = self.weighted_sum(wrap("CASE WHEN ({x}) IS NOT NULL THEN 1 END", of), where)
                return join([weighted, wrap("nullif({x}, 0)", weights)], " / "), rows
            return weighted, rows
        if measure.agg in _EXACTAGGREGATES:
            total = self.filtered(exact_sum(self.dialect), of, where)
            return (total if measure.agg == "sum" else join([total, wrap("nullif({x}, 0)", rows)], " / ")), rows
        if measure.agg in QUANTILES:
            assert self.dialect.quantile is not None  # else `windowed`
            template = self.dialect.quantile.replace("{p}", repr(fraction))
        else:
            template = AGGREGATES[measure.agg]
        return self.filtered(template, of, where), rows

    def side(self, indicator: Indicator, of: Expression | None, where: SqlFragment | None) -> SqlFragment:
        if self.attribution == "split":
            value = self.exact(indicator, self.expr(of, bind=True), where) if of is not None else SqlFragment("1")
            return self.weighted_sum(value, where)
        if of is None:
            return self.filtered("count({x})", None, where)
        return self.filtered(exact_sum(self.dialect), self.exact(indicator, self.expr(of, bind=True), where), where)

    def appraisee_source(self) -> tuple[SqlFragment, str]:
        """The FROM clause and the expression naming each row's appraisee.

        A dataset reached through `via` also gets `v.__excluded`: true when the row it joins
        through was excluded (a survey of a supplier-defect ticket goes with its ticket).
        """
        table = quote_identifier(self.dataset.name)
        if self.dataset.via is None:
            appraisee = f"CAST(d.{quote_identifier(self.dataset.appraisee or '')} AS {self.dialect.types['text']})"
            if self.group_by is None:
                return SqlFragment(f"{table} AS d"), appraisee
            # a row counts for its appraisee's group; rows of no one on the roster for none
            group = members(self.scheme, self.group_by, self.dialect)
            joined = f"{table} AS d LEFT JOIN {group} AS m ON {appraisee} = m.__member"
            return SqlFragment(joined), "m.__group"
        via = self.dataset.via
        on = quote_identifier(via.on)
        owners = self.owners(via.dataset, via.on, via.order_by if self.attribution != "all" else None)
        # Several appraisees may share a row (several agents touched a ticket): `__owners`
        # counts them, so data-quality counts and split shares can give each row a total of 1.
        ranked = join([
            SqlFragment(f"(SELECT *, count(*) OVER (PARTITION BY {on}) AS __owners"),
            SqlFragment(
                f", row_number() OVER (PARTITION BY {on} ORDER BY __first_at, __owner) AS __rank_first"
                f", row_number() OVER (PARTITION BY {on} ORDER BY __last_at DESC, __owner) AS __rank_last"
                if self.attribution != "all" else ""
            ),
            SqlFragment(" FROM "), owners, SqlFragment(" AS o)"),
        ], "")
        if self.attribution in ("first", "last"):  # one owner: the first (or last) to touch the row
            ranked = join([SqlFragment(f"(SELECT {on}, __owner, __excluded, 1 AS __owners FROM "), ranked,
                           SqlFragment(f" AS r WHERE __rank_{self.attribution} = 1)")], "")
        if self.group_by is not None:
            # A row joins each group of its owners once; `__members` of its `__owners` are in
            # the group, which is the group's share of a split row.
            ranked = join([
                SqlFragment(f"(SELECT o.{on}, m.__group AS __owner, bool_or(o.__excluded) AS __excluded,"
                            " count(*) AS __members, min(o.__owners) AS __owners FROM "),
                ranked, SqlFragment(f" AS o JOIN {members(self.scheme, self.group_by, self.dialect)} AS m"
                                    f" ON o.__owner = m.__member GROUP BY o.{on}, m.__group)"),
            ], "")
        source = join([SqlFragment(f"{table} AS d LEFT JOIN "), ranked, SqlFragment(f" AS v ON d.{on} = v.{on}")], "")
        return source, "v.__owner"

    def excluded(self) -> SqlFragment:
        """SQL true for rows of this dataset that one of its exclusions removes (reading
        `bindings`)."""
        flags = [
            wrap("coalesce({x}, FALSE)", condition)
            for e in self.scheme.exclusions if e.dataset == self.dataset.name
            for condition in [self.condition(e.where)] if condition is not None
        ]
        return join(flags, " OR ") if flags else SqlFragment("FALSE")

    def owners(self, name: str, on: str, order_by: str | None = None) -> SqlFragment:
        """(`on`, `__owner`, `__excluded`) of dataset `name`, following its own `via` chain;
        with `order_by`, also each owner's first and last time (`__first_at`, `__last_at`).

        The rows joined through are not limited to the period: a survey answered in Q3 about
        a ticket created in Q2 still reaches that ticket's agent.
        """
        dataset = self.scheme.datasets[name]
        key = quote_identifier(on)
        at = quote_identifier(order_by) if order_by else ""
        times = f", min(p.{at}) AS __first_at, max(p.{at}) AS __last_at" if order_by else ""
        other = DatasetCompiler(self.scheme, dataset, self.functions, dialect=self.dialect)
        flag = other.excluded()
        table = other.bindings.wrap(SqlFragment(quote_identifier(name)), "__owned", fence=self.dialect.layer_fence)
        rows = join([SqlFragment("(SELECT *, "), flag, SqlFragment(" AS __self_excluded FROM "), table,
                     SqlFragment(")")], "")
        if dataset.via is None:
            owner = quote_identifier(dataset.appraisee or "")
            return join([
                SqlFragment(f"(SELECT p.{key}, CAST(p.{owner} AS {self.dialect.types['text']}) AS __owner,"
                            f" bool_or(p.__self_excluded) AS __excluded{times} FROM "),
                rows,
                SqlFragment(" AS p GROUP BY 1, 2)"),
            ], "")
        link = quote_identifier(dataset.via.on)
        inner = self.owners(dataset.via.dataset, dataset.via.on)
        return join([
            SqlFragment(f"(SELECT p.{key}, g.__owner,"
                        f" bool_or(p.__self_excluded OR coalesce(g.__excluded, FALSE)) AS __excluded{times} FROM "),
            rows,
            SqlFragment(" AS p JOIN "),
            inner,
            SqlFragment(f" AS g ON p.{link} = g.{link} GROUP BY 1, 2)"),
        ], "")

    def base(self, period: Period, column_types: Mapping[str, str]) -> SqlBuilder:
        """The CTEs `base` (rows in the window, with their appraisee), the layers of `bindings`
        and `kept` (not excluded). Compile every expression the query uses before this."""
        source, appraisee = self.appraisee_source()
        excluded = self.excluded()
        # a lookup table (targets per appraisee) has no window: every row
        placed = in_window(self.scheme, self.dataset, period, column_types)
        via = "coalesce(v.__excluded, FALSE)" if self.dataset.via is not None else "FALSE"
        layers, last = self.bindings.ctes("base", "__layer", self.dialect.layer_fence)
        out = SqlBuilder()
        out.add(f"WITH base AS (SELECT d.*, {appraisee} AS __appraisee, {via} AS __via_excluded FROM ", source)
        out.add(" WHERE ", placed).add(")", layers)
        out.add(f", kept AS (SELECT * FROM {last} WHERE NOT (__via_excluded OR ")
        out.add("", excluded).add("))")
        return out


def in_window(scheme: Scheme, ds: Dataset, period: Period, column_types: Mapping[str, str]) -> SqlFragment:
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


def is_duration(measure: Measure) -> bool:
    """A measure of elapsed time (`hours(resolved_at - created_at)`): never negative."""
    return measure.of is not None and bool(measure.of.functions & _INTERVAL_FUNCTIONS)
