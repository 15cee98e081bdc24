"""The scheme-level evaluator: simpleeval on checked trees, with the table's semantics."""

from __future__ import annotations

from datetime import datetime

import pytest

from appraisal.errors import ExpressionError
from appraisal.expressions.evaluation import evaluate
from appraisal.expressions.parsing import NameKind, parse_expression
from appraisal.plugins import default_functions

FUNCTIONS = default_functions()


def run(source: str, **values: object) -> object:
    names = {n: (NameKind.MAPPING if isinstance(v, dict) else NameKind.COLUMN)
             for n, v in values.items()}
    return evaluate(parse_expression(source, names=names, functions=FUNCTIONS), values, FUNCTIONS)


def test_gate_condition_from_the_agent_scheme() -> None:
    assert run("resolution_rate < 0.5", resolution_rate=0.4) is True


def test_numbers_come_back_as_doubles() -> None:
    assert run("x + 1", x=2) == 3.0 and isinstance(run("x + 1", x=2), float)


def test_int_inputs_are_doubles_so_large_products_do_not_grow_exactly() -> None:
    assert run("x * x", x=2**62) == float(2**62) ** 2


def test_simpleeval_default_functions_are_gone() -> None:
    with pytest.raises(ExpressionError, match="unknown function 'int'"):
        run("int(x)", x=1)


def test_simpleeval_default_names_are_gone() -> None:
    with pytest.raises(ExpressionError, match=r"unknown name 'True_'|unknown name 'randint'"):
        run("randint", x=1)


def test_missing_value_for_a_declared_name_is_an_error() -> None:
    expr = parse_expression("x + 1", names={"x": NameKind.COLUMN}, functions=FUNCTIONS)
    with pytest.raises(ExpressionError, match="no value was given for 'x'"):
        evaluate(expr, {}, FUNCTIONS)


def test_nan_and_infinite_inputs_are_null() -> None:
    assert run("x + 1", x=float("nan")) is None
    assert run("x", x=float("inf")) is None


TARGETS = {"logistics": 24, "product_quality": 48, "return_refund": 72, "account": 8}


def test_mapping_entry_is_read_and_a_missing_entry_is_null() -> None:
    assert run("r['peer'] * 2", r={"peer": 4}) == 8.0
    assert run("r['boss']", r={"peer": 4}) is None


def test_map_constant_is_looked_up_by_a_column_value() -> None:
    assert run("t[k]", t=TARGETS, k="return_refund") == 72.0


def test_map_constant_key_it_does_not_hold_gives_null() -> None:
    assert run("t[k]", t=TARGETS, k="warranty") is None


def test_map_constant_null_key_gives_null() -> None:
    assert run("t[k]", t=TARGETS, k=None) is None


def test_map_constant_whole_number_key_finds_a_digit_key() -> None:
    assert run("t[n]", t={"1": 10, "2": 20}, n=2) == 20.0


def test_map_constant_text_values_come_back_as_text() -> None:
    assert run("t[k] == 'east'", t={"logistics": "east"}, k="logistics") is True


def test_per_key_target_in_a_condition() -> None:
    assert run("h <= t[k]", t=TARGETS, h=30.0, k="product_quality") is True


def test_subscript_of_a_name_given_a_plain_value_is_an_error() -> None:
    expr = parse_expression("t['a']", names={"t": NameKind.MAPPING}, functions=FUNCTIONS)
    with pytest.raises(ExpressionError, match="'t' is not a map constant"):
        evaluate(expr, {"t": 3}, FUNCTIONS)


def test_kleene_and_does_not_return_an_operand() -> None:
    assert run("x and y", x=2.0, y=3.0) is True


def test_text_comparison_and_membership() -> None:
    assert run("s in ('open', 'pending')", s="pending") is True
    assert run("s == '已解决'", s="已解决") is True


def test_comparing_text_with_number_is_an_error() -> None:
    with pytest.raises(ExpressionError, match="cannot compare a text with a number"):
        run("s < 1", s="a")


def test_text_as_condition_is_an_error() -> None:
    with pytest.raises(ExpressionError, match="a condition must be true or false"):
        run("s and True", s="a")


def test_function_with_wrong_type_is_an_error_in_plain_words() -> None:
    with pytest.raises(ExpressionError, match=r"hours\(\) cannot take a text"):
        run("hours(x)", x="3")


def test_timestamp_difference_in_hours() -> None:
    assert run("hours(b - a)", a=datetime(2026, 7, 1, 8), b=datetime(2026, 7, 1, 9, 30)) == 1.5


def test_null_skips_a_non_null_safe_function() -> None:
    assert run("hours(b - a)", a=None, b=datetime(2026, 7, 1, 9, 30)) is None


def test_expression_is_not_reparsed() -> None:
    expr = parse_expression("x + 1", names={"x": NameKind.COLUMN}, functions=FUNCTIONS)
    # a different source text with the same tree: the tree is what runs
    forged = type(expr)("this is not python", expr.tree, expr.names, expr.functions)
    assert evaluate(forged, {"x": 1}, FUNCTIONS) == 2.0
