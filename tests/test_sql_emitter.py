"""The SQL emitter, run against a real in-memory DuckDB."""

from __future__ import annotations

import duckdb
import pytest

from appraisal.errors import ExpressionError
from appraisal.expressions.kinds import Kind
from appraisal.expressions.parsing import NameKind, parse_expression
from appraisal.plugins import default_functions
from appraisal.sql.dialect import DUCKDB, Dialect, SqlFragment, SqlMap, bind_value, quote_identifier
from appraisal.sql.emitter import Bindings, select_expression, to_sql

FUNCTIONS = default_functions()
KINDS = {"ticket_id": Kind.TEXT, "agent_id": Kind.TEXT, "created_at": Kind.TIMESTAMP,
         "first_response_at": Kind.TIMESTAMP, "status": Kind.TEXT, 'we"ird': Kind.NUMBER,
         "score": Kind.NUMBER, "satisfied_from": Kind.NUMBER, "m": Kind.MAP, "k": Kind.TEXT,
         "null_value": Kind.NUMBER, "cost": Kind.NUMBER, "opened_on": Kind.DATE, "closed_on": Kind.DATE,
         "handled": Kind.DURATION}


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute(
        """CREATE TABLE tickets AS SELECT * FROM (VALUES
            ('t1', 'a1', TIMESTAMP '2026-07-01 08:00', TIMESTAMP '2026-07-01 09:30', 'resolved', 5),
            ('t2', 'a1', TIMESTAMP '2026-07-01 10:00', NULL, 'open', 3),
            ('t3', 'a2', TIMESTAMP '2026-07-02 08:00', TIMESTAMP '2026-07-02 08:30', 'it''s', 4)
        ) AS t(ticket_id, agent_id, created_at, first_response_at, status, "we""ird")"""
    )
    yield connection
    connection.close()


def parse(source: str, names: dict[str, NameKind] | None = None):
    names = names or {n: NameKind.COLUMN for n in
                      ("ticket_id", "agent_id", "created_at", "first_response_at", "status",
                       'we"ird')}
    return parse_expression(source, names=names, functions=FUNCTIONS)


def compile_(source: str, names: dict[str, NameKind] | None = None, *, kinds: dict[str, Kind] | None = None,
             **kw) -> SqlFragment:
    """A fragment that needs no layer of computed columns (the emitter binds nothing)."""
    bindings = Bindings()
    fragment = to_sql(parse(source, names), column=kw.pop("column", quote_identifier), functions=FUNCTIONS,
                      kinds=kinds or KINDS, bindings=bindings, **kw)
    assert not bindings, f"{source} needs computed columns: use select() instead"
    return fragment


def select(source: str, table: str = "tickets", names: dict[str, NameKind] | None = None, *,
           kinds: dict[str, Kind] | None = None, **kw) -> SqlFragment:
    """`SELECT <source> FROM <table>`, with whatever layers the expression needs."""
    return select_expression(parse(source, names), SqlFragment(table), column=kw.pop("column", quote_identifier),
                             functions=FUNCTIONS, kinds=kinds or KINDS, **kw)


def test_identifier_quoting_doubles_embedded_quotes() -> None:
    assert quote_identifier('we"ird') == '"we""ird"'
    assert quote_identifier("状态") == '"状态"'


def test_literals_are_bound_never_pasted() -> None:
    fragment = compile_("status == 'resolved' and agent_id != 'x' or 12345 > 0")
    assert "resolved" not in fragment.sql and "12345" not in fragment.sql
    assert fragment.params == ("resolved", "x", 12345.0, 0.0)


def test_quote_in_a_text_literal_works_end_to_end(con) -> None:
    fragment = compile_("status == \"it's\"")
    sql = f"SELECT ticket_id FROM tickets WHERE {fragment.sql} ORDER BY 1"
    assert con.execute(sql, fragment.params).fetchall() == [("t3",)]


def test_double_quote_in_a_column_name_works_end_to_end(con) -> None:
    # Python syntax cannot spell such a name, so the resolver maps a declared name onto it
    fragment = compile_("score >= 4", {"score": NameKind.COLUMN},
                        column=lambda name: f"CAST({quote_identifier('we' + chr(34) + 'ird')} AS DOUBLE)")
    sql = f"SELECT ticket_id FROM tickets WHERE {fragment.sql} ORDER BY 1"
    assert con.execute(sql, fragment.params).fetchall() == [("t1",), ("t3",)]


def test_measure_of_the_agent_scheme_runs_grouped(con) -> None:
    measure = compile_("hours(first_response_at - created_at)")
    where = compile_("status == 'resolved'")
    sql = (f"SELECT agent_id, median({measure.sql}) FILTER (WHERE {where.sql}) "
           "FROM tickets GROUP BY agent_id ORDER BY agent_id")
    rows = con.execute(sql, measure.params + where.params).fetchall()
    assert rows == [("a1", 1.5), ("a2", None)]


def test_bound_expression_can_be_grouped_by_alias(con) -> None:
    fragment = compile_("status in ('open', 'resolved')")
    sql = (f"SELECT {fragment.sql} AS open_or_resolved, count(*) FROM tickets "
           "GROUP BY open_or_resolved ORDER BY 1")
    assert con.execute(sql, fragment.params).fetchall() == [(False, 1), (True, 2)]


def test_constant_can_be_bound_by_the_resolver(con) -> None:
    names = {"score": NameKind.COLUMN, "satisfied_from": NameKind.CONSTANT}

    def column(name: str):
        if name == "satisfied_from":
            return bind_value(4)
        return f"CAST({quote_identifier('we' + chr(34) + 'ird')} AS DOUBLE)"

    fragment = compile_("score >= satisfied_from", names, column=column)
    assert fragment.params == (4.0,)
    sql = f"SELECT count(*) FROM tickets WHERE {fragment.sql}"
    assert con.execute(sql, fragment.params).fetchone() == (2,)


def test_params_follow_placeholder_order_when_templates_reorder(con) -> None:
    dialect = Dialect("reversed", binary={**DUCKDB.binary, "-": "(- {b} + {a})"})
    fragment = select("1 - 2 + 0 * score", "(SELECT 1.0 AS score)", {"score": NameKind.COLUMN}, dialect=dialect)
    assert fragment.params == (2.0, 1.0, 0.0)
    assert con.execute(fragment.sql, fragment.params).fetchone() == (-1.0,)


TARGETS = {"resolved": 24, "open": 48, "it's": 72}


def lookup(con, source: str, key: object, key_type: str, entries: dict, kind: Kind = Kind.TEXT) -> object:
    """`source` over one row whose column `k` holds `key`, with the map constant `m`."""
    fragment = compile_(source, {"m": NameKind.MAPPING, "k": NameKind.COLUMN}, kinds={**KINDS, "k": kind},
                        column=lambda name: bind_value(entries) if name == "m" else '"k"')
    sql = f"SELECT {fragment.sql} FROM (SELECT CAST(? AS {key_type}) AS k)"
    return con.execute(sql, [*fragment.params, key]).fetchone()[0]


def test_map_lookup_is_a_case_over_bound_keys_and_values() -> None:
    fragment = compile_("m[status]", {"m": NameKind.MAPPING, "status": NameKind.COLUMN},
                        column=lambda name: bind_value(TARGETS) if name == "m" else '"status"')
    assert fragment.sql.startswith('(CASE WHEN "status" = ') and fragment.sql.endswith(" END)")
    assert fragment.params == ("resolved", 24.0, "open", 48.0, "it's", 72.0)
    assert "resolved" not in fragment.sql and "it's" not in fragment.sql


def test_map_lookup_runs_per_row(con) -> None:
    fragment = compile_("m[status]", {"m": NameKind.MAPPING, "status": NameKind.COLUMN},
                        column=lambda name: bind_value(TARGETS) if name == "m" else '"status"')
    sql = f"SELECT ticket_id, {fragment.sql} FROM tickets ORDER BY 1"
    assert con.execute(sql, fragment.params).fetchall() == [("t1", 24.0), ("t2", 48.0), ("t3", 72.0)]


def test_map_key_with_a_quote_is_bound_safely(con) -> None:
    assert lookup(con, "m[k]", "it's", "VARCHAR", TARGETS) == 72.0


def test_map_literal_key_with_a_quote_is_bound_safely(con) -> None:
    assert lookup(con, 'm["it\'s"]', None, "VARCHAR", TARGETS) == 72.0


def test_map_key_it_does_not_hold_gives_null(con) -> None:
    assert lookup(con, "m[k]", "closed", "VARCHAR", TARGETS) is None


def test_map_null_key_gives_null(con) -> None:
    assert lookup(con, "m[k]", None, "VARCHAR", TARGETS) is None


def test_integer_column_indexes_digit_keys(con) -> None:
    assert lookup(con, "m[k]", 2, "BIGINT", {"1": 10, "2": 20}, Kind.NUMBER) == 20.0


def test_integer_column_cast_to_double_indexes_digit_keys(con) -> None:
    fragment = compile_("m[k]", {"m": NameKind.MAPPING, "k": NameKind.COLUMN}, kinds={**KINDS, "k": Kind.NUMBER},
                        column=lambda name: bind_value({"1": 10, "2": 20}) if name == "m"
                        else 'CAST("k" AS DOUBLE)')
    sql = f"SELECT {fragment.sql} FROM (SELECT CAST(? AS BIGINT) AS k)"
    assert con.execute(sql, [*fragment.params, 1]).fetchone()[0] == 10.0


def test_a_number_key_is_compared_as_a_number_not_as_printed_text(con) -> None:
    fragment = compile_("m[k]", {"m": NameKind.MAPPING, "k": NameKind.COLUMN}, kinds={**KINDS, "k": Kind.NUMBER},
                        column=lambda name: bind_value({"2.5": 1, "x": 2, "02": 3}) if name == "m" else '"k"')
    assert "VARCHAR" not in fragment.sql and fragment.params == (2.5, 1.0)  # 'x' and '02' no number reaches


def test_a_flag_key_looks_up_true_and_false(con) -> None:
    assert lookup(con, "m[k]", False, "BOOLEAN", {"true": 1, "false": 0}, Kind.FLAG) == 0.0


def test_map_with_text_values_gives_text(con) -> None:
    assert lookup(con, "m[k]", "a", "VARCHAR", {"a": "east", "b": "west"}) == "east"


def test_subscript_of_a_name_the_resolver_does_not_bind_as_a_map_is_refused() -> None:
    with pytest.raises(ExpressionError, match="'ratings' is not a map constant"):
        compile_("ratings['peer'] > 1", {"ratings": NameKind.MAPPING})


def test_bind_value_spells_keywords_and_binds_the_rest() -> None:
    assert bind_value(None).sql == "NULL" and bind_value(True).sql == "TRUE"
    assert bind_value("x") == SqlFragment("CAST(? AS VARCHAR)", ("x",))
    assert bind_value(float("inf")).sql == "NULL"


def test_bind_value_keeps_a_map_constant_for_subscripts() -> None:
    bound = bind_value({"a": 1})
    assert isinstance(bound, SqlMap) and bound.entries == (("a", 1),) and bound.params == ()


def test_min_is_null_when_any_argument_is_null(con) -> None:
    fragment = select("min(1, 2) + min(1, null_value)", "(SELECT CAST(NULL AS DOUBLE) AS null_value)",
                      {"null_value": NameKind.COLUMN})
    assert con.execute(fragment.sql, fragment.params).fetchone() == (None,)


def test_date_parts_run(con) -> None:
    fragment = select("weekday(created_at) * 100 + hour(created_at)", "(SELECT * FROM tickets WHERE ticket_id = 't1')")
    assert con.execute(fragment.sql, fragment.params).fetchone() == (308.0,)  # 2026-07-01 is a Wednesday


def test_date_minus_date_is_an_interval_in_days(con) -> None:
    fragment = compile_("days(closed_on - opened_on)", {"opened_on": NameKind.COLUMN, "closed_on": NameKind.COLUMN})
    sql = f"SELECT {fragment.sql} FROM (SELECT DATE '2026-07-01' AS opened_on, DATE '2026-07-04' AS closed_on)"
    assert con.execute(sql, fragment.params).fetchone() == (3.0,)


def test_a_duration_column_gives_its_seconds_to_the_interval_functions(con) -> None:
    fragment = select("minutes(handled) + seconds(handled)", "(SELECT CAST(90 AS DOUBLE) AS handled)",
                      {"handled": NameKind.COLUMN})
    assert con.execute(fragment.sql, fragment.params).fetchone() == (91.5,)


def test_a_number_used_as_a_condition_is_compared_with_zero(con) -> None:
    fragment = compile_("score and score > 1", {"score": NameKind.COLUMN})
    assert fragment.sql.startswith('(("score" <> 0) AND')


def sum_of(terms: int) -> str:
    return " + ".join(["cost"] * terms)


def test_emitted_sql_grows_linearly_with_the_expression() -> None:
    names = {"cost": NameKind.COLUMN}
    short, long = (len(select(sum_of(n), "t", names).sql) for n in (20, 40))
    assert long < 2.2 * short


def test_an_operand_needed_twice_is_computed_once_in_a_layer_below() -> None:
    fragment = select("(cost + 1) % (cost + 2)", "t", {"cost": NameKind.COLUMN})
    assert fragment.sql.count(" + ") == 2  # each sum written once, then read as a column


def test_a_long_sum_runs_on_a_small_table(con) -> None:
    # 7 terms took 60 s and more when every operator copied its operands
    fragment = select(sum_of(60), "(SELECT CAST(range AS DOUBLE) AS cost FROM range(4))", {"cost": NameKind.COLUMN})
    assert sorted(r[0] for r in con.execute(fragment.sql, fragment.params).fetchall()) == [0.0, 60.0, 120.0, 180.0]


def test_nested_divisions_and_modulos_run(con) -> None:
    source = "cost" + "".join(f" / (cost % {n} + 1)" for n in range(2, 14))
    fragment = select(source, "(SELECT CAST(range AS DOUBLE) AS cost FROM range(1, 5))", {"cost": NameKind.COLUMN})
    assert len(con.execute(fragment.sql, fragment.params).fetchall()) == 4


def test_the_same_subexpression_is_bound_once() -> None:
    bindings = Bindings()
    for _ in range(2):
        to_sql(parse("cost * 2 > 1", {"cost": NameKind.COLUMN}), column=quote_identifier, functions=FUNCTIONS,
               kinds=KINDS, bindings=bindings)
    assert bindings.names() == ["__e1"]


def test_a_kind_that_does_not_fit_is_refused_when_compiled() -> None:
    with pytest.raises(ExpressionError, match="'\\+' needs numbers, but 'status' is a text"):
        compile_("status + 1")
