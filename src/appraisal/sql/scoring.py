"""Scoring compiled to SQL: every appraisee's scores, weights, totals, gates, grade and pay in
one statement over a table of measured values.

Scoring one appraisee at a time in Python costs about a millisecond each: 100,000 appraisees
take longer than measuring a million rows. This compiler writes the same arithmetic as one
query, a column per step, so the engine does it column-wise. `appraisal.scoring.grading` stays
the reference (and writes the explanations); tests hold the two equal number for number on
every shipped scheme (tests/test_scoring_sql.py). Every operation is written in the order the
reference performs it, with doubles bound as parameters, so the results are the same bits.

The input relation has a row per appraisee: `appraisee`, `<id>__value` for each measured
indicator (measure, custom, rating), `<id>__target` for each target read from a dataset,
`__bonus_base` and `__sales` when the incentives read them. `scoring_columns` names the output.
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from appraisal.expressions.kinds import Kind, value_kind
from appraisal.scheme.model import (
    BAND_DEFAULT,
    BONUS_BASE,
    CURVE,
    FORMULA,
    FORMULA_NO_NUMBER,
    INSUFFICIENT,
    MEASURED_KINDS,
    NO_DATA,
    NO_TARGET,
    NOT_SCORED,
    OK,
    RATIO,
    SALES,
    TARGET_ZERO,
    TargetFrom,
    band_case,
    formula_order,
)
from appraisal.sql.dialect import DUCKDB, ColumnResolver, Dialect, SqlFragment, bind_value
from appraisal.sql.emitter import Bindings, to_sql_kind

if TYPE_CHECKING:
    from appraisal.expressions.functions import FunctionRegistry
    from appraisal.expressions.parsing import Expression
    from appraisal.scheme.model import Indicator, Scheme, Score

FAILED = "failed"


def value_column(indicator: str) -> str:
    return f"{indicator}__value"


def target_column(indicator: str) -> str:
    return f"{indicator}__target"


def score_column(indicator: str) -> str:
    return f"{indicator}__score"


def effective_column(indicator: str) -> str:
    return f"{indicator}__effective"


def contribution_column(indicator: str) -> str:
    return f"{indicator}__contribution"


def rule_column(indicator: str) -> str:
    """Which words explain the cell's points: a case of `scores.rule_words`."""
    return f"{indicator}__rule"


def input_columns(scheme: Scheme) -> list[str]:
    """The columns the input relation must have, after `appraisee`."""
    columns = [value_column(i.id) for i in scheme.indicators if i.kind in MEASURED_KINDS]
    columns += [target_column(i.id) for i in scheme.indicators if isinstance(i.target, TargetFrom)]
    if scheme.incentives is not None:
        if isinstance(scheme.incentives.base, TargetFrom):
            columns.append(BONUS_BASE)
        if scheme.incentives.commission_from is not None:
            columns.append(SALES)
    return columns


def scoring_columns(scheme: Scheme) -> list[str]:
    """The output columns, in order: per indicator its value, score, effective weight and
    contribution; then the appraisee's totals, status, which adjustments and gates applied, the
    grade and the pay."""
    columns = ["appraisee"]
    for i in scheme.indicators:
        columns += [value_column(i.id), score_column(i.id), effective_column(i.id), contribution_column(i.id),
                    rule_column(i.id)]
    columns += ["weighted_total", "adjustment_points", "total", "grade", "status", "missing"]
    columns += [f"adjustment_{n}" for n in range(len(scheme.adjustments))]
    columns += [f"gate_{n}" for n in range(len(scheme.gates))]
    if scheme.incentives is not None:
        columns += ["bonus_base", "coefficient", "bonus", "sales", "commission", "pay_total"]
    return columns


def _number(x: float) -> SqlFragment:
    """A double as the engine must see it, bit for bit: a bound parameter (infinities spelled)."""
    if math.isinf(x):
        return SqlFragment(f"CAST('{'inf' if x > 0 else '-inf'}' AS DOUBLE)")
    return SqlFragment("CAST(? AS DOUBLE)", (float(x),))


_NULL = SqlFragment("CAST(NULL AS DOUBLE)")
_ZERO = SqlFragment("CAST(0 AS DOUBLE)")
_HUNDRED = SqlFragment("CAST(100 AS DOUBLE)")


def _col(name: str, dialect: Dialect = DUCKDB) -> SqlFragment:
    return SqlFragment(dialect.quote_identifier(name))


def fill(template: str, **parts: SqlFragment) -> SqlFragment:
    """`template` with each `{name}` replaced by its fragment, parameters in placeholder order
    (a fragment named twice has its parameters twice)."""
    sql: list[str] = []
    params: list[object] = []
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        sql.append(literal)
        if name is not None:
            sql.append(parts[name].sql)
            params.extend(parts[name].params)
    return SqlFragment("".join(sql), tuple(params))


def _sum(terms: Sequence[SqlFragment]) -> SqlFragment:
    """0 + a + b + ...: left to right, as Python's `sum` adds."""
    result = _ZERO
    for term in terms:
        result = fill("({a} + {b})", a=result, b=term)
    return result


@dataclass
class _Chain:
    """The query as a chain of CTEs, each adding columns to the one before: a step reads
    every earlier step's columns by name, so no computation is written twice."""

    source: str
    dialect: Dialect
    parts: list[SqlFragment] = field(default_factory=list)
    last: str = ""
    count: int = 0

    def __post_init__(self) -> None:
        self.last = "__s0"

    def step(self, columns: Sequence[tuple[str, SqlFragment]], bindings: Bindings | None = None) -> None:
        if not columns:
            return
        if bindings:
            layers, self.last = bindings.ctes(self.last, f"__b{self.count}_")
            self.parts.append(layers)
        self.count += 1
        name = f"__s{self.count}"
        select = ", ".join(f"{{p{n}}} AS {self.dialect.quote_identifier(c)}" for n, (c, _) in enumerate(columns))
        body = fill(f", {name} AS (SELECT *, {select} FROM {self.last})",
                    **{f"p{n}": f for n, (_, f) in enumerate(columns)})
        self.parts.append(body)
        self.last = name

    def query(self, columns: Sequence[str]) -> SqlFragment:
        ctes = fill("".join(f"{{p{n}}}" for n in range(len(self.parts))),
                    **{f"p{n}": p for n, p in enumerate(self.parts)})
        selected = ", ".join(self.dialect.quote_identifier(c) for c in columns)
        return SqlFragment(f"WITH __s0 AS (SELECT * FROM {self.source}){ctes.sql} "
                           f"SELECT {selected} FROM {self.last} ORDER BY __row", ctes.params)


class _Compiler:
    def __init__(self, scheme: Scheme, functions: FunctionRegistry, dialect: Dialect) -> None:
        self.scheme = scheme
        self.functions = functions
        self.dialect = dialect
        self.kinds: dict[str, Kind] = {name: value_kind(v) for name, v in scheme.constants.items()}
        self.kinds.update({i.id: Kind.NUMBER for i in scheme.indicators})
        self.kinds.update({"total": Kind.NUMBER, "value": Kind.NUMBER, "target": Kind.NUMBER})

    def names(self, special: Mapping[str, SqlFragment]) -> ColumnResolver:
        """The column resolver of a scheme-level formula: `special` names first (value,
        target, total), then constants, then indicator values."""
        def column(name: str) -> str | SqlFragment:
            if name in special:
                return special[name]
            if name in self.scheme.constants:
                return bind_value(self.scheme.constants[name], self.dialect)
            return self.dialect.quote_identifier(value_column(name))
        return column

    def number(self, expression: Expression, bindings: Bindings, special: Mapping[str, SqlFragment]) -> SqlFragment:
        """A formula's value as the reference takes it: a finite number, else null (a true/false
        value or a text is no number)."""
        sql, kind = to_sql_kind(expression, column=self.names(special), functions=self.functions,
                                kinds=self.kinds, bindings=bindings, dialect=self.dialect)
        if kind is Kind.NUMBER or kind is Kind.DURATION:
            return fill("CAST({x} AS DOUBLE)", x=sql)
        if kind is Kind.ANY:  # a plugin function that declares no kind: a number if it is one
            return fill("TRY_CAST(CASE WHEN typeof({x}) IN ('DOUBLE', 'FLOAT', 'BIGINT', 'INTEGER', 'HUGEINT',"
                        " 'DECIMAL', 'SMALLINT', 'TINYINT') THEN {x} END AS DOUBLE)", x=sql)
        return _NULL

    def holds(self, expression: Expression, bindings: Bindings, special: Mapping[str, SqlFragment]) -> SqlFragment:
        """A gate's or an adjustment's condition as the reference tests it: `is True`, so only
        a true/false value that is true applies (null, a number or a text never does)."""
        sql, kind = to_sql_kind(expression, column=self.names(special), functions=self.functions,
                                kinds=self.kinds, bindings=bindings, dialect=self.dialect)
        if kind is Kind.FLAG or kind is Kind.ANY:
            return fill("coalesce(({x}) IS TRUE, FALSE)", x=sql) if kind is Kind.FLAG else fill(
                "coalesce(TRY_CAST(CASE WHEN typeof({x}) = 'BOOLEAN' THEN {x} END AS BOOLEAN), FALSE)", x=sql)
        return SqlFragment("FALSE")

    def target(self, indicator: Indicator) -> SqlFragment:
        if isinstance(indicator.target, TargetFrom):
            return _col(target_column(indicator.id), self.dialect)
        if isinstance(indicator.target, (int, float)):
            return _number(float(indicator.target))
        return _NULL

    def score(self, indicator: Indicator, bindings: Bindings) -> SqlFragment:
        """`scores.score_value`: the points, or null where the reference gives None."""
        score = indicator.score
        if score is None:
            return _NULL
        value = _col(value_column(indicator.id), self.dialect)
        target = self.target(indicator)
        if score.rule == "bands":
            return fill("CASE WHEN {v} IS NULL THEN NULL ELSE {b} END", v=value, b=self.bands(value, score))
        if score.rule == "curve":
            points = self.linear(value, target, score)
            guard = fill("{v} IS NULL OR {t} IS NULL", v=value, t=target)
        elif score.rule == "ratio_to_target":
            points = self.ratio(value, target, score, indicator.direction)
            guard = fill("{v} IS NULL OR {t} IS NULL OR {t} = 0", v=value, t=target)
        else:
            assert score.formula is not None
            result = self.number(score.formula, bindings, {"value": value, "target": target})
            points = fill("CASE WHEN {r} IS NULL THEN NULL ELSE {c} END", r=result,
                          c=self.clamp(result, score))
            guard = fill("{v} IS NULL OR {t} IS NULL", v=value, t=target)
        return fill("CASE WHEN {g} THEN CAST(NULL AS DOUBLE) ELSE {p} END", g=guard, p=points)

    def case(self, indicator: Indicator) -> SqlFragment:
        """The cell's rule case (`scores.rule_words`), from its value, target and score."""
        score = indicator.score
        if score is None:
            return SqlFragment(f"'{NOT_SCORED}'")
        value = _col(value_column(indicator.id), self.dialect)
        if score.rule == "bands":
            return fill(f"CASE WHEN {{v}} IS NULL THEN '{NO_DATA}' ELSE {{b}} END", v=value,
                        b=self.bands(value, score, case=True))
        scored = {"curve": f"'{CURVE}'",
                  "ratio_to_target": f"CASE WHEN {{t}} = 0 THEN '{TARGET_ZERO}' ELSE '{RATIO}' END"}
        last = scored.get(score.rule, f"CASE WHEN {{s}} IS NULL THEN '{FORMULA_NO_NUMBER}' ELSE '{FORMULA}' END")
        return fill(f"CASE WHEN {{v}} IS NULL THEN '{NO_DATA}' WHEN {{t}} IS NULL THEN '{NO_TARGET}' ELSE {last} END",
                    v=value, t=self.target(indicator), s=_col(score_column(indicator.id), self.dialect))

    def clamp(self, points: SqlFragment, score: Score) -> SqlFragment:
        """min(cap, max(floor, points)), as `scores._clamp`."""
        return fill("least({cap}, greatest({floor}, {p}))", cap=_number(score.cap), floor=_number(score.floor),
                    p=points)

    def linear(self, value: SqlFragment, target: SqlFragment, score: Score) -> SqlFragment:
        """`scores.linear`, in "goodness" terms: both directions share one formula."""
        assert score.worst is not None and score.best is not None
        sign = -1.0 if score.best < score.worst else 1.0
        v = fill("(- {x})", x=value) if sign < 0 else value
        t = fill("(- {x})", x=target) if sign < 0 else target
        w, b = _number(sign * score.worst), _number(sign * score.best)
        cap = _number(score.cap)
        points = fill(
            "CASE WHEN {v} <= {w} THEN {zero}"
            " WHEN {v} < {t} THEN {hundred} * ({v} - {w}) / ({t} - {w})"
            " WHEN {b} <= {t} THEN {hundred}"
            " WHEN {v} >= {b} THEN {cap}"
            " ELSE {hundred} + ({cap} - {hundred}) * ({v} - {t}) / ({b} - {t}) END",
            v=v, w=w, t=t, b=b, cap=cap, zero=_ZERO, hundred=_HUNDRED)
        return self.clamp(points, score)

    def bands(self, value: SqlFragment, score: Score, *, case: bool = False) -> SqlFragment:
        """The first band holding the value, else the default (0 when none is given); with
        `case`, which of them: `band_N` or `band_default` (see `scores.rule_words`)."""
        parts = ["CASE"]
        fragments: dict[str, SqlFragment] = {"v": value}
        for n, band in enumerate(score.bands):
            i = band.interval
            tests = []
            if not (math.isinf(i.low) and i.low < 0 and not i.low_closed):
                fragments[f"lo{n}"] = _number(i.low)
                tests.append(f"{{v}} {'>=' if i.low_closed else '>'} {{lo{n}}}")
            if not (math.isinf(i.high) and i.high > 0 and not i.high_closed):
                fragments[f"hi{n}"] = _number(i.high)
                tests.append(f"{{v}} {'<=' if i.high_closed else '<'} {{hi{n}}}")
            fragments[f"s{n}"] = SqlFragment(f"'{band_case(n)}'") if case else _number(band.score)
            parts.append(f" WHEN {' AND '.join(tests) or 'TRUE'} THEN {{s{n}}}")
        fragments["d"] = (SqlFragment(f"'{BAND_DEFAULT}'") if case
                          else _number(float(score.default if score.default is not None else 0.0)))
        parts.append(" ELSE {d} END")
        return fill("".join(parts), **fragments)

    def ratio(self, value: SqlFragment, target: SqlFragment, score: Score, direction: str) -> SqlFragment:
        """`scores.ratio_to_target`: 100 x value / target (target / value when lower is better);
        a result that is not finite is the cap."""
        cap = _number(score.cap)
        if direction == "lower":
            raw = fill("CASE WHEN {v} = 0 THEN {cap} ELSE {hundred} * {t} / {v} END",
                       v=value, t=target, cap=cap, hundred=_HUNDRED)
        else:
            raw = fill("{hundred} * {v} / {t}", v=value, t=target, hundred=_HUNDRED)
        finite = fill("CASE WHEN isfinite({r}) THEN {r} ELSE {cap} END", r=raw, cap=cap)
        return self.clamp(finite, score)


def compile_scoring(
    scheme: Scheme, functions: FunctionRegistry, source: str, *, dialect: Dialect = DUCKDB, keep: Sequence[str] = (),
) -> SqlFragment:
    """The query that scores every row of `source` (a table or view with the columns of
    `input_columns` and `__row`, the order rows come back in) as `grading.appraise_one` would;
    the columns of `source` named in `keep` come first."""
    c = _Compiler(scheme, functions, dialect)
    chain = _Chain(source, dialect)
    q = dialect.quote_identifier
    weights = {i.id: i.weight for i in scheme.indicators}

    for n, indicator in enumerate(formula_order(scheme)):  # each after the formulas it names
        assert indicator.formula is not None
        bindings = Bindings(f"__f{n}_")
        chain.step([(value_column(indicator.id), c.number(indicator.formula, bindings, {}))], bindings)
    unmeasured = [i for i in scheme.indicators if i.kind not in MEASURED_KINDS and i.formula is None]
    chain.step([(value_column(i.id), _NULL) for i in unmeasured])

    bindings = Bindings("__p")
    chain.step([(score_column(i.id), c.score(i, bindings)) for i in scheme.indicators], bindings)
    chain.step([(rule_column(i.id), c.case(i)) for i in scheme.indicators])

    weighted = [i for i in scheme.indicators if i.weight > 0]
    scored = {i.id: f"{q(score_column(i.id))} IS NOT NULL" for i in weighted}
    available = _sum([fill(f"CASE WHEN {scored[i.id]} THEN {{w}} ELSE {{z}} END", w=_number(i.weight), z=_ZERO)
                      for i in weighted])
    missing = " + ".join(f"CASE WHEN {scored[i.id]} THEN 0 ELSE 1 END" for i in weighted) or "0"
    policy = scheme.missing_data
    failed = f"({missing}) > 0" if policy == "fail" else "FALSE"
    nothing = f"({missing}) = {len(weighted)}" if weighted else "FALSE"
    status = f"CASE WHEN {failed} THEN '{FAILED}' WHEN {nothing} THEN '{INSUFFICIENT}' ELSE '{OK}' END"
    chain.step([("__available", available), ("missing", SqlFragment(missing)), ("status", SqlFragment(status))])

    steps: list[tuple[str, SqlFragment]] = []
    for i in scheme.indicators:
        weight, s = _number(weights[i.id]), _col(score_column(i.id))
        if i.weight == 0:
            effective = fill(f"CASE WHEN status = '{FAILED}' THEN {{z}} ELSE {{w}} END", z=_ZERO, w=weight)
        elif policy == "reweight":
            effective = fill(f"CASE WHEN status = '{FAILED}' THEN {{z}} WHEN {{s}} IS NOT NULL AND __available <> 0"
                             " THEN {w} * {hundred} / __available ELSE {z} END",
                             z=_ZERO, s=s, w=weight, hundred=_HUNDRED)
        else:
            effective = fill(f"CASE WHEN status = '{FAILED}' THEN {{z}} ELSE {{w}} END", z=_ZERO, w=weight)
        steps.append((effective_column(i.id), effective))
    chain.step(steps)
    steps = []
    for i in scheme.indicators:
        s, e = _col(score_column(i.id)), _col(effective_column(i.id))
        counts = "TRUE" if policy == "zero" else f"{q(score_column(i.id))} IS NOT NULL"
        contribution = (fill(f"CASE WHEN status <> '{FAILED}' AND {counts} THEN coalesce({{s}}, {{z}}) * {{e}} /"
                             " {hundred} END", s=s, z=_ZERO, e=e, hundred=_HUNDRED)
                        if i.weight > 0 else _NULL)
        steps.append((contribution_column(i.id), contribution))
    chain.step(steps)
    contributions = [fill(f"coalesce({q(contribution_column(i.id))}, {{z}})", z=_ZERO) for i in weighted]
    chain.step([("weighted_total", fill(f"CASE WHEN status = '{OK}' THEN {{t}} END", t=_sum(contributions)))])

    _adjust(chain, c, scheme)
    _gate(chain, c, scheme)
    _grade(chain, scheme)
    if scheme.incentives is not None:
        _pay(chain, scheme)
    return chain.query([*keep, *scoring_columns(scheme)])


def _adjust(chain: _Chain, c: _Compiler, scheme: Scheme) -> None:
    """Adjustments (evaluated with `total` = the weighted total), their bonus and penalty within
    the scheme's limits, and the total before gates."""
    bindings = Bindings("__a")
    total = {"total": SqlFragment('"weighted_total"')}
    applied = [(f"adjustment_{n}", fill(f"CASE WHEN status = '{OK}' THEN {{h}} END",
                                         h=c.holds(a.when, bindings, total)))
               for n, a in enumerate(scheme.adjustments)]
    chain.step(applied, bindings)
    bonus = _sum([fill(f"CASE WHEN adjustment_{n} THEN {{p}} ELSE {{z}} END", p=_number(max(a.points, 0.0)), z=_ZERO)
                  for n, a in enumerate(scheme.adjustments)])
    penalty = _sum([fill(f"CASE WHEN adjustment_{n} THEN {{p}} ELSE {{z}} END", p=_number(max(-a.points, 0.0)),
                         z=_ZERO) for n, a in enumerate(scheme.adjustments)])
    chain.step([("__bonus_points", bonus), ("__penalty_points", penalty)])
    points = fill(f"CASE WHEN status = '{OK}' THEN {{b}} - {{p}} ELSE {{z}} END",
                  b=_capped("__bonus_points", scheme.max_bonus), p=_capped("__penalty_points", scheme.max_penalty),
                  z=_ZERO)
    chain.step([("adjustment_points", points)])
    chain.step([("__total0", SqlFragment("weighted_total + adjustment_points"))])


def _gate(chain: _Chain, c: _Compiler, scheme: Scheme) -> None:
    """Gates, each evaluated with `total` before any gate, applied in order: a veto makes the
    total 0, a cap takes the smaller."""
    bindings = Bindings("__g")
    total = {"total": SqlFragment('"__total0"')}
    chain.step([(f"gate_{n}", fill(f"CASE WHEN status = '{OK}' THEN {{h}} END", h=c.holds(g.when, bindings, total)))
                for n, g in enumerate(scheme.gates)], bindings)
    for n, gate in enumerate(scheme.gates):
        after = _ZERO if gate.veto else fill(f"least(__total{n}, {{cap}})", cap=_number(float(gate.cap_total or 0.0)))
        chain.step([(f"__total{n + 1}", fill(f"CASE WHEN gate_{n} THEN {{a}} ELSE __total{n} END", a=after))])
    chain.step([("total", SqlFragment(f"__total{len(scheme.gates)}"))])


def _capped(column: str, cap: float | None) -> SqlFragment:
    """`if x > cap: x = cap`, null staying null (`least` would drop it and give the cap)."""
    if cap is None:
        return SqlFragment(column)
    return fill(f"CASE WHEN {column} > {{cap}} THEN {{cap}} ELSE {column} END", cap=_number(float(cap)))


def _grade(chain: _Chain, scheme: Scheme) -> None:
    parts, fragments = ["CASE"], {}
    for n, band in enumerate(scheme.grades):
        fragments[f"lo{n}"], fragments[f"g{n}"] = _number(band.min), SqlFragment("CAST(? AS VARCHAR)", (band.grade,))
        upper = "" if math.isinf(band.max) else f" AND total < {{hi{n}}}"
        if upper:
            fragments[f"hi{n}"] = _number(band.max)
        parts.append(f" WHEN {{lo{n}}} <= total{upper} THEN {{g{n}}}")
    parts.append(" END")
    grade = fill("".join(parts), **fragments) if scheme.grades else SqlFragment("CAST(NULL AS VARCHAR)")
    chain.step([("grade", grade)])


def _pay(chain: _Chain, scheme: Scheme) -> None:
    """`grading._incentives`: bonus = base x the grade's coefficient, commission = rate x sales,
    each within its cap; only for an appraisee whose total was worked out."""
    incentives = scheme.incentives
    assert incentives is not None
    base = (_col(BONUS_BASE) if isinstance(incentives.base, TargetFrom)
            else _number(float(incentives.base)) if incentives.base is not None else _NULL)
    parts, fragments = ["CASE"], {}
    for n, (grade, factor) in enumerate(incentives.coefficients.items()):
        fragments[f"g{n}"], fragments[f"c{n}"] = SqlFragment("CAST(? AS VARCHAR)", (grade,)), _number(factor)
        parts.append(f" WHEN grade = {{g{n}}} THEN {{c{n}}}")
    parts.append(" END")
    coefficient = fill("".join(parts), **fragments) if incentives.coefficients else _NULL
    ok = f"status = '{OK}'"
    chain.step([("bonus_base", fill(f"CASE WHEN {ok} THEN {{b}} END", b=base)),
                ("coefficient", fill(f"CASE WHEN {ok} THEN {{c}} END", c=coefficient)),
                ("sales", fill(f"CASE WHEN {ok} THEN {{s}} END",
                               s=_col(SALES) if incentives.commission_from is not None else _NULL))])
    chain.step([("__bonus", SqlFragment("bonus_base * coefficient")),
                ("__commission", fill("sales * {rate}", rate=_number(incentives.commission_rate)))])
    chain.step([("bonus", _capped("__bonus", incentives.bonus_cap)),
                ("commission", _capped("__commission", incentives.commission_cap))])
    chain.step([("pay_total", fill("CASE WHEN bonus IS NULL AND commission IS NULL THEN NULL"
                                   " ELSE coalesce(bonus, {z}) + coalesce(commission, {z}) END", z=_ZERO))])
