"""Both evaluators implement semantics.yaml: every example row, and drawn cases.

The drawn cases are checked against `Reference`, a few lines of plain Python written from
the table's rules, and the two evaluators against each other. DuckDB work is batched: one
query per drawn batch of rows, over one connection for the whole module.
"""

from __future__ import annotations

import decimal
import math
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import appraisal
from appraisal.errors import ExpressionError
from appraisal.expressions.evaluation import evaluate
from appraisal.expressions.kinds import Kind
from appraisal.expressions.parsing import NameKind, parse_expression
from appraisal.plugins import default_functions
from appraisal.sql.dialect import DUCKDB, Dialect, SqlFragment, bind_value, quote_identifier
from appraisal.sql.emitter import select_expression

ROOT = Path(__file__).resolve().parents[1]
TABLE_PATH = Path(appraisal.__file__).parent / "expressions" / "semantics.yaml"
DOCS_PATH = ROOT / "docs" / "semantics.md"
TABLE = yaml.safe_load(TABLE_PATH.read_text(encoding="utf-8"))
FUNCTIONS = default_functions()
EXAMPLES = [
    pytest.param(rule["id"], example, id=f"{rule['id']}: {example['expr']}")
    for rule in TABLE["rules"]
    for example in rule["examples"]
]
PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@dataclass(frozen=True)
class Engine:
    """An SQL engine the examples run on: its dialect, its names of the example types, the
    error it raises, and `rows(sql, params)` (the SQL with `?` placeholders)."""

    dialect: Dialect
    types: Mapping[str, str]
    error: type[Exception] | tuple[type[Exception], ...]
    rows: Callable[[str, list], list]
    holds: Callable[[str], bool] = lambda text: True  # a text the engine can hold (PostgreSQL: no NUL)
    exact_power: Callable[[float, float], bool] = lambda x, exponent: True  # x ** exponent as the table says


def postgres_exact_power(x: float, exponent: float) -> bool:
    """False where docs/engines.md says PostgreSQL's x ** e is null or zero instead of a number: a
    result within 1e-9 (of its logarithm) of the largest double, unless e is whole and at most
    1000, and one within 1e-9 of half the smallest."""
    if x == 0 or exponent == 0 or abs(x) == 1 or not math.isfinite(x):
        return True
    power = exponent * math.log(abs(x))
    whole = exponent == math.floor(exponent) and abs(exponent) <= 1000
    return not ((abs(power - math.log(sys.float_info.max)) < 1e-9 and not whole)
                or abs(power + 1075 * math.log(2)) < 1e-9)


@pytest.fixture(scope="module", params=["duckdb", "postgres", "spark"])
def con(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """DuckDB in memory, a real PostgreSQL server (tests/postgres_server.py) and Spark in local
    mode (tests/spark_session.py)."""
    if request.param == "spark":
        from appraisal.engines.spark_engine import spark_literal
        from appraisal.sql.spark import SPARK

        session = request.getfixturevalue("spark")
        yield Engine(SPARK, SPARK_TYPES, Exception,
                     lambda sql, params: [tuple(row) for row in session.sql(
                         sql, args=[spark_literal(p) for p in params]).collect()])
        return
    if request.param == "duckdb":
        connection = duckdb.connect()
        yield Engine(DUCKDB, {t: t for t in SQL_KINDS}, duckdb.Error,
                     lambda sql, params: connection.execute(sql, params).fetchall())
        connection.close()
        return
    import psycopg

    from appraisal.sql.postgres import POSTGRES, numbered

    with request.getfixturevalue("postgres").connect() as server:
        server.execute("SET statement_timeout = '60s'")  # a query that runs away fails, not the machine
        yield Engine(POSTGRES, POSTGRES_TYPES, psycopg.Error,
                     lambda sql, params: server.execute(numbered(sql), params).fetchall(),
                     holds=lambda text: "\x00" not in text, exact_power=postgres_exact_power)


# -- the two evaluators, on typed inputs -------------------------------------------------


def typed(value: object) -> tuple[str, object]:
    """An example input as (SQL type, Python value); a map constant's type is MAP."""
    if isinstance(value, dict) and "map" in value:
        return "MAP", {str(key): entry for key, entry in value["map"].items()}
    if isinstance(value, dict) and "timestamp" in value:
        raw = value["timestamp"]
        return "TIMESTAMP", None if raw is None else datetime.fromisoformat(raw)
    if isinstance(value, dict) and "text" in value:
        return "VARCHAR", value["text"]
    if isinstance(value, bool):
        return "BOOLEAN", value
    if isinstance(value, str):
        return "VARCHAR", value
    return "DOUBLE", None if value is None else float(value)


SQL_KINDS = {"DOUBLE": Kind.NUMBER, "VARCHAR": Kind.TEXT, "BOOLEAN": Kind.FLAG, "TIMESTAMP": Kind.TIMESTAMP,
             "MAP": Kind.MAP}
POSTGRES_TYPES = {"DOUBLE": "DOUBLE PRECISION", "VARCHAR": "TEXT", "BOOLEAN": "BOOLEAN", "TIMESTAMP": "TIMESTAMP"}
SPARK_TYPES = {"DOUBLE": "DOUBLE", "VARCHAR": "STRING", "BOOLEAN": "BOOLEAN", "TIMESTAMP": "TIMESTAMP"}


def kinds_of(inputs: Mapping[str, object]) -> dict[str, Kind]:
    """The kind of each example input, as a declared column of that type would have."""
    return {name: SQL_KINDS[typed(value)[0]] for name, value in inputs.items()}


def select(source: str, inputs: Mapping[str, object], rows_sql: str, maps: Mapping[str, object] | None = None,
           sql_type: str | None = None, dialect: Dialect = DUCKDB) -> SqlFragment:
    """`SELECT <expression> FROM (<rows_sql>)`, compiled as a measure is."""
    maps = maps or {}
    kinds = {**kinds_of({n: v for n, v in inputs.items() if n not in maps}), **{n: Kind.MAP for n in maps}}
    if sql_type is not None:
        kinds.update({n: SQL_KINDS[sql_type] for n in inputs if n not in maps})
    expr = parse(source, [n for n in inputs if n not in maps], maps)
    return select_expression(expr, SqlFragment(f"({rows_sql})"), column=resolver(maps, dialect), functions=FUNCTIONS,
                             kinds=kinds, dialect=dialect)


def parse(source: str, names: list[str], maps: Mapping[str, object] | None = None):
    kinds = {n: NameKind.COLUMN for n in names}
    kinds.update({n: NameKind.MAPPING for n in maps or {}})
    return parse_expression(source, names=kinds, functions=FUNCTIONS)


def resolver(maps: Mapping[str, object], dialect: Dialect = DUCKDB):
    """Columns by quoted name; a map constant bound the way the compiler binds constants."""
    return lambda name: bind_value(maps[name], dialect) if name in maps else quote_identifier(name)


def split_maps(inputs: dict[str, object]) -> tuple[dict[str, object], dict[str, object]]:
    """(column inputs, map constants) of an example."""
    maps = {n: typed(v)[1] for n, v in inputs.items() if typed(v)[0] == "MAP"}
    return {n: v for n, v in inputs.items() if n not in maps}, maps


def run_python(source: str, inputs: dict[str, object]) -> object:
    columns, maps = split_maps(inputs)
    values = {name: typed(value)[1] for name, value in inputs.items()}
    return evaluate(parse(source, list(columns), maps), values, FUNCTIONS)


def run_sql(con: Engine, source: str, inputs: dict[str, object]) -> object:
    columns_in, maps = split_maps(inputs)
    columns = [f"CAST(? AS {con.types[typed(v)[0]]}) AS {quote_identifier(n)}" for n, v in columns_in.items()]
    row = ", ".join(columns) or "1 AS one"
    fragment = select(source, inputs, f"SELECT {row}", maps, dialect=con.dialect)
    # the rows' parameters come last: the source is written after the expression
    params = list(fragment.params) + [typed(v)[1] for v in columns_in.values()]
    return con.rows(fragment.sql, params)[0][0]


def same(left: object, right: object) -> bool:
    if left is None or right is None:
        return left is right
    if isinstance(left, float) and isinstance(right, float):
        return left == right
    return type(left) is type(right) and left == right


AGGREGATES = [
    pytest.param(example, id=f"{example['agg']}: {example['values']}")
    for rule in TABLE["rules"]
    for example in rule.get("aggregates", ())
]
AGGREGATE_SCHEME = """scheme: aggregates
version: 1
title: Aggregates
period: month
roster: {source: csv, path: roster.csv, key: agent_id}
datasets:
  rows: {source: csv, path: rows.csv, appraisee: agent_id, period_by: at,
         columns: {agent_id: text, at: timestamp, x: number}}
indicators:
  - {id: probe, title: Probe, measure: {dataset: rows, agg: AGG, of: x}, weight: 100, target: 1,
     score: {curve: linear, worst: 0, best: 2}}
grades: {A: 0}
quality: {error_if: never, warn_if: never}
"""


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
@pytest.mark.parametrize("example", AGGREGATES)
def test_aggregate_example_holds_in_a_measure(tmp_path: Path, example: dict, engine: str,
                                              request: pytest.FixtureRequest) -> None:
    from appraisal.periods import parse_period
    from appraisal.pipeline import load_scheme, measure

    settings = {"dsn": request.getfixturevalue("postgres").dsn} if engine == "postgres" else None

    (tmp_path / "roster.csv").write_text("agent_id\nA\n", encoding="utf-8")
    rows = "".join(f"A,2026-07-01 09:00,{'' if v is None else repr(float(v))}\n" for v in example["values"])
    (tmp_path / "rows.csv").write_text("agent_id,at,x\n" + rows, encoding="utf-8")
    (tmp_path / "s.yaml").write_text(AGGREGATE_SCHEME.replace("AGG", example["agg"]), encoding="utf-8")
    measured = measure(load_scheme(tmp_path / "s.yaml"), parse_period("2026-07"), engine=engine, settings=settings)
    assert measured.cell("A", "probe").value == pytest.approx(example["result"], rel=1e-9, abs=1e-12)
    counted = sum(q.count for q in measured.quality if q.cause == "value out of range")
    assert counted == example.get("out_of_range", 0)


# -- (a) every example row holds in both evaluators --------------------------------------


@pytest.mark.parametrize(("rule", "example"), EXAMPLES)
def test_example_holds_in_python(rule: str, example: dict) -> None:
    inputs = example.get("inputs") or {}
    if example.get("error"):
        with pytest.raises(ExpressionError):
            run_python(example["expr"], inputs)
        return
    assert same(run_python(example["expr"], inputs), example["result"])


@pytest.mark.parametrize(("rule", "example"), EXAMPLES)
def test_example_holds_in_sql(con: Engine, rule: str, example: dict) -> None:
    inputs = example.get("inputs") or {}
    if example.get("error"):  # refused when compiled (the kinds do not fit) or by the engine
        with pytest.raises((ExpressionError, con.error)):  # type: ignore[arg-type]
            run_sql(con, example["expr"], inputs)
        return
    result = run_sql(con, example["expr"], inputs)
    expected = example["result"]
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        expected = float(expected)
    assert same(result, expected)


def test_every_rule_has_examples_and_a_title() -> None:
    for rule in TABLE["rules"]:
        assert rule["title"] and rule["rule"] and (rule["examples"] or rule.get("aggregates")), rule["id"]


# -- the reference, written from the table ----------------------------------------------


def finite(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


def strict(compute):
    def apply(*args):
        if any(a is None for a in args):
            return None
        try:
            return finite(compute(*args))
        except (OverflowError, ValueError, ZeroDivisionError):
            return None

    return apply


def half_away(v: float) -> float:
    """Exact decimal rounding of the double's true value, ties away from zero."""
    with decimal.localcontext() as context:
        context.prec = 400
        return float(decimal.Decimal(v).to_integral_value(rounding=decimal.ROUND_HALF_UP))


def rounded(x: float, n: int = 0) -> float:
    """The table: scale by 10**n in doubles, round half away from zero, scale back."""
    if n >= 0:
        scaled = x * 10.0**n
        return x if not math.isfinite(scaled) else half_away(scaled) / 10.0**n
    return half_away(x / 10.0 ** (-n)) * 10.0 ** (-n)


def kleene(values, absorbing):
    if absorbing in values:
        return absorbing
    return None if None in values else not absorbing


REFERENCE = {
    "+": strict(lambda a, b: a + b),
    "-": strict(lambda a, b: a - b),
    "*": strict(lambda a, b: a * b),
    "/": strict(lambda a, b: a / b),
    "//": strict(lambda a, b: float(math.floor(a / b))),
    "%": strict(lambda a, b: a - b * math.floor(a / b)),
    "==": strict(lambda a, b: a == b),
    "!=": strict(lambda a, b: a != b),
    "<": strict(lambda a, b: a < b),
    "<=": strict(lambda a, b: a <= b),
    ">": strict(lambda a, b: a > b),
    ">=": strict(lambda a, b: a >= b),
}

NUMBERS = st.one_of(
    st.none(),
    st.sampled_from([0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 7.0, -7.0, 2.0, -2.0,
                     1e308, -1e308, 1e200, 1e-10, 0.125, -0.125, 2.675, 1.005]),
    st.integers(-1000, 1000).map(float),
    st.integers(-4000, 4000).map(lambda i: i / 4),
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False),
    st.floats(allow_nan=False, allow_infinity=False),
)
BOOLS = st.sampled_from([True, False, None])


def run_batch(con, source: str, rows: list[tuple], names: tuple[str, ...], sql_type: str,
              maps: Mapping[str, object] | None = None):
    """Evaluate `source` over all rows in one DuckDB query and, row by row, in Python."""
    maps = maps or {}
    expr = parse(source, list(names), maps)
    cells = ", ".join(f"CAST(? AS {con.types[sql_type]})" for _ in names)
    values = ", ".join(f"({i}, {cells})" for i in range(len(rows)))
    columns = ", ".join(["i", *(quote_identifier(n) for n in names)])
    fragment = select(source, {**dict.fromkeys(names), **maps}, f"SELECT * FROM (VALUES {values}) AS v({columns})",
                      maps, sql_type=sql_type, dialect=con.dialect)
    params = list(fragment.params) + [v for row in rows for v in row]
    from_sql = [r[0] for r in con.rows(fragment.sql + " ORDER BY i", params)]
    from_python = [evaluate(expr, {**maps, **dict(zip(names, row, strict=True))}, FUNCTIONS) for row in rows]
    return from_python, from_sql


def check(rows, from_python, from_sql, expected) -> None:
    for row, py, sq, ref in zip(rows, from_python, from_sql, expected, strict=True):
        assert same(py, ref), f"python {row}: {py!r} != reference {ref!r}"
        assert same(sq, ref), f"sql {row}: {sq!r} != reference {ref!r}"


ROWS2 = st.lists(st.tuples(NUMBERS, NUMBERS), min_size=1, max_size=25)
ROWS1 = st.lists(st.tuples(NUMBERS), min_size=1, max_size=25)


@PROPERTY
@given(rows=ROWS2, op=st.sampled_from(["+", "-", "*", "/", "//", "%"]))
def test_binary_operators_agree(con, rows, op) -> None:
    source = f"(x * 1) {op} y"  # x * 1 keeps the overflow guard on column - column
    py, sq = run_batch(con, source, rows, ("x", "y"), "DOUBLE")
    check(rows, py, sq, [REFERENCE[op](REFERENCE["*"](x, 1.0), y) for x, y in rows])


@PROPERTY
@given(rows=ROWS1, exponent=st.sampled_from(["2", "3", "0.5", "-1", "-2", "10", "0", "1.5"]))
def test_power_agrees(con, rows, exponent) -> None:
    assume(all(con.exact_power(x, float(exponent)) for (x,) in rows if x is not None))
    py, sq = run_batch(con, f"x ** {exponent}", rows, ("x",), "DOUBLE")
    ref = [strict(math.pow)(x, float(exponent)) for (x,) in rows]
    for row, a, b, r in zip(rows, py, sq, ref, strict=True):
        assert same(a, r), row
        assert (b is None and r is None) or math.isclose(b, r, rel_tol=1e-15), row


@PROPERTY
@given(rows=ROWS2, op=st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
def test_comparisons_agree(con, rows, op) -> None:
    py, sq = run_batch(con, f"x {op} y", rows, ("x", "y"), "DOUBLE")
    check(rows, py, sq, [REFERENCE[op](x, y) for x, y in rows])


@PROPERTY
@given(rows=st.lists(st.tuples(BOOLS, BOOLS), min_size=1, max_size=9),
       source=st.sampled_from(["a and b", "a or b", "not a", "not (a and not b)"]))
def test_kleene_logic_agrees(con, rows, source) -> None:
    def ref(a, b):
        neg = lambda v: None if v is None else not v  # noqa: E731
        return {
            "a and b": lambda: kleene([a, b], False),
            "a or b": lambda: kleene([a, b], True),
            "not a": lambda: neg(a),
            "not (a and not b)": lambda: neg(kleene([a, neg(b)], False)),
        }[source]()

    py, sq = run_batch(con, source, rows, ("a", "b"), "BOOLEAN")
    check(rows, py, sq, [ref(a, b) for a, b in rows])


UNARY = {
    "round(x)": lambda x: rounded(x),
    "round(x, 1)": lambda x: rounded(x, 1),
    "round(x, 2)": lambda x: rounded(x, 2),
    "round(x, -1)": lambda x: rounded(x, -1),
    "floor(x)": lambda x: float(math.floor(x)),
    "ceil(x)": lambda x: float(math.ceil(x)),
    "abs(x)": abs,
    "-x": lambda x: -x,
}


@PROPERTY
@given(rows=ROWS1, source=st.sampled_from(sorted(UNARY)))
def test_rounding_and_unary_functions_agree(con, rows, source) -> None:
    py, sq = run_batch(con, source, rows, ("x",), "DOUBLE")
    check(rows, py, sq, [strict(UNARY[source])(x) for (x,) in rows])


BINARY_FUNCTIONS = {
    "min(x, y)": strict(min),
    "max(x, y)": strict(max),
    "clamp(x, y, 10)": strict(lambda x, y: min(max(x, y), 10.0)),
    "coalesce(x, y)": lambda x, y: x if x is not None else y,
    "coalesce(x, y, 0)": lambda x, y: x if x is not None else (y if y is not None else 0.0),
    "is_null(x) or not_null(y)": lambda x, y: x is None or y is not None,
    "x if x > y else y": lambda x, y: x if (x is not None and y is not None and x > y) else y,
}


@PROPERTY
@given(rows=ROWS2, source=st.sampled_from(sorted(BINARY_FUNCTIONS)))
def test_null_handling_functions_agree(con, rows, source) -> None:
    py, sq = run_batch(con, source, rows, ("x", "y"), "DOUBLE")
    check(rows, py, sq, [BINARY_FUNCTIONS[source](x, y) for x, y in rows])


MAP_KEYS = ["logistics", "Logistics", "it's", "", " 1", "1", "2", "-3", "0", "2.5", "1e+16",
            "true", "已解决"]
TEXT_KEYS = st.one_of(st.none(), st.sampled_from(MAP_KEYS), st.text(max_size=4))
MAPS = st.dictionaries(st.sampled_from(MAP_KEYS), NUMBERS.filter(lambda v: v is not None),
                       min_size=1, max_size=len(MAP_KEYS))


def reference_key(key: object) -> str | None:
    """The table: texts as they are, a number as printed without a trailing '.0'."""
    if key is None or isinstance(key, str):
        return key
    return repr(key + 0.0).removesuffix(".0")


@PROPERTY
@given(rows=st.lists(st.tuples(TEXT_KEYS), min_size=1, max_size=25), entries=MAPS)
def test_map_lookup_by_text_agrees(con, rows, entries) -> None:
    assume(all(con.holds(text) for text in [*entries, *(k for (k,) in rows if k is not None)]))
    py, sq = run_batch(con, "m[k]", rows, ("k",), "VARCHAR", {"m": entries})
    check(rows, py, sq, [entries.get(reference_key(k)) if k is not None else None
                         for (k,) in rows])


@PROPERTY
@given(rows=st.lists(st.tuples(NUMBERS), min_size=1, max_size=25), entries=MAPS)
def test_map_lookup_by_number_agrees(con, rows, entries) -> None:
    py, sq = run_batch(con, "m[n]", rows, ("n",), "DOUBLE", {"m": entries})
    check(rows, py, sq, [entries.get(reference_key(n)) if n is not None else None
                         for (n,) in rows])


# -- docs/semantics.md is generated from the table --------------------------------------


def show(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict) and "map" in value:
        entries = ", ".join(f"{show(str(key))}: {show(entry)}" for key, entry in value["map"].items())
        return f"map {{{entries}}}"
    if isinstance(value, dict):
        inner = next(iter(value.values()))
        return f"timestamp {inner}" if "timestamp" in value else show(inner)
    if isinstance(value, str):
        return repr(value)
    return repr(float(value))


def render_markdown(table: dict) -> str:
    lines = [
        "# Expression semantics",
        "",
        "<!-- generated from src/appraisal/expressions/semantics.yaml by "
        "`python tests/test_semantics.py --write-docs`; do not edit by hand -->",
        "",
        "Scheme expressions run in two places: scheme-level formulas in Python (simpleeval on",
        "checked trees) and row-level filters and measures in SQL (compiled for the engine).",
        "Python and SQL disagree on nulls, `%`, `//`, rounding and division by zero, and SQL",
        "engines disagree with each other and between their own versions, so this table is the",
        "reference all follow: the SQL emitter writes each rule as its formula, never as an",
        "engine built-in whose meaning drifts. The test suite checks every example below in",
        "both evaluators, on every DuckDB version the package allows, and draws random cases",
        "that must agree with it.",
        "",
    ]
    for rule in table["rules"]:
        lines += [f"## {rule['title']}", "", rule["rule"], "",
                  "| expression | inputs | result |", "|---|---|---|"]
        for example in rule["examples"]:
            inputs = ", ".join(f"{k} = {show(v)}" for k, v in (example.get("inputs") or {}).items())
            result = "error" if example.get("error") else show(example["result"])
            expr = example["expr"].replace("|", "\\|")
            lines.append(f"| `{expr}` | {inputs or '–'} | {result} |")
        if rule.get("aggregates"):
            lines[-2:] = ["| aggregate | values | result | out of range |", "|---|---|---|---|"]
            for example in rule["aggregates"]:
                values = ", ".join(show(v) for v in example["values"])
                lines.append(f"| `{example['agg']}` | {values} | {show(example['result'])} | "
                             f"{example.get('out_of_range', 0)} |")
        lines.append("")
    return "\n".join(lines)


def test_docs_match_the_table() -> None:
    assert DOCS_PATH.read_text(encoding="utf-8") == render_markdown(TABLE), (
        "docs/semantics.md is stale; run python tests/test_semantics.py --write-docs"
    )


if __name__ == "__main__" and "--write-docs" in sys.argv:
    DOCS_PATH.parent.mkdir(exist_ok=True)
    DOCS_PATH.write_text(render_markdown(TABLE), encoding="utf-8")


EXTREME_CONSTANTS = ["x * 5e-324", "5e-324 * x", "x / 5e-324", "x // 5e-324", "x % 5e-324", "5e-324 % x",
                     "x % 1e308", "1e308 % x", "x + 1e308", "1e308 - x", "x ** -2", "x ** 10", "x ** -10",
                     "x ** 1.5", "x ** 0.5", "x ** 5e-324", "x ** 3", "round(x, 10)", "round(x, -2)",
                     "round(1e300, 10) + x", "x * 0",
                     # nested: each layer of bound columns is computed once (PostgreSQL: a fence)
                     "x * x * x * x * x * x * x * x * x * x", "x + x + x + x + x + x + x + x + x + x",
                     "((x * 2) % 3 * x) % 3", "round(round(x, 2) * 1e306, -5)"]


@pytest.mark.parametrize("source", EXTREME_CONSTANTS)
def test_extreme_constants_agree_with_python(con, source) -> None:
    """A constant operand is computed when PostgreSQL plans the query, in every arm of a guard,
    taken or not: no guard may fail on one (appraisal.sql.postgres)."""
    rows = [(x,) for x in (None, 0.0, -0.0, 0.5, -3.0, 2.0, 7.0, 1e308, -1e308, 5e-324, 1e-300, 1e154)]
    py, sq = run_batch(con, source, rows, ("x",), "DOUBLE")
    for row, a, b in zip(rows, py, sq, strict=True):
        assert same(b, a) or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-15)), (row, a, b)


EDGES = [0.0, 5e-324, 1e-320, 2.2250738585072014e-308, 1e-300, 2.0**-51, 1e-10, 0.5, 1.0, 1.5, 2.0, 3.0,
         859247121275.373, 1e154, 1e200, 1e300, 2.0**1023 / 0.75, sys.float_info.max / 2, sys.float_info.max * 0.75,
         1.7e308, sys.float_info.max]
SIGNED_EDGES = [None, *EDGES, *(-v for v in EDGES)]
EDGE_PAIRS = [(x, y) for x in SIGNED_EDGES for y in SIGNED_EDGES]


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "//", "%"])
def test_binary_operators_agree_on_the_edges(con, op) -> None:
    """Every pair of the numbers where doubles overflow, round to zero or lose digits: where the
    engine would stop on an overflow or an underflow, its dialect's guard gives the table's result."""
    py, sq = run_batch(con, f"(x * 1) {op} y", EDGE_PAIRS, ("x", "y"), "DOUBLE")
    check(EDGE_PAIRS, py, sq, [REFERENCE[op](REFERENCE["*"](x, 1.0), y) for x, y in EDGE_PAIRS])
