"""The expression checker: what it accepts, what it refuses, and how it says so."""

from __future__ import annotations

from datetime import datetime

import pytest

from appraisal.errors import ExpressionError
from appraisal.expressions.parsing import (
    MAX_NODES,
    Expression,
    NameKind,
    literal_keys,
    map_key,
    parse_expression,
)
from appraisal.plugins import default_functions

FUNCTIONS = default_functions()
NAMES = {
    "status": NameKind.COLUMN,
    "score": NameKind.COLUMN,
    "created_at": NameKind.COLUMN,
    "resolved_at": NameKind.COLUMN,
    "reopened": NameKind.COLUMN,
    "状态": NameKind.COLUMN,
    "resolution_rate": NameKind.INDICATOR,
    "satisfied_from": NameKind.CONSTANT,
    "ratings": NameKind.MAPPING,
    "handling_target_h": NameKind.MAPPING,
    "problem_type": NameKind.COLUMN,
    "value": NameKind.SPECIAL,
}


def parse(source: str) -> Expression:
    return parse_expression(source, names=NAMES, functions=FUNCTIONS)


def refused(source: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        parse(source)
    return caught.value


# -- accepted ---------------------------------------------------------------------------


@pytest.mark.parametrize("source", [
    "status == 'resolved'",
    "hours(resolved_at - created_at)",
    "resolution_rate < 0.5",
    "score >= satisfied_from",
    "-score + 2 * 3 / 4 // 5 % 6 ** 2",
    "score ** -2",
    "score ** 0.5",
    "1 < score <= 5",
    "status in ('open', 'pending') and not reopened",
    "status not in ('open',) or score != 3",
    "score in (1, -2, 2.5)",
    "1 if score > 3 else 0",
    "ratings['peer'] * 0.4 + ratings[1]",
    "hours(resolved_at - created_at) <= handling_target_h[problem_type]",
    "coalesce(handling_target_h[status], 48)",
    "ratings[score + 1]",
    "value >= 0",
    "None",
    "True",
    "round(score, 2) + round(score) + min(score, 1, 2) + clamp(score, 0, 5)",
    "coalesce(score, 0)",
    "is_null(score) or not_null(status)",
])
def test_whitelisted_expression_is_accepted(source: str) -> None:
    assert parse(source).source == source


def test_expression_records_names_and_functions_used() -> None:
    expr = parse("hours(resolved_at - created_at) > satisfied_from and ratings['peer'] > 1")
    assert expr.names == {"resolved_at", "created_at", "satisfied_from", "ratings"}
    assert expr.functions == {"hours"}


def test_expression_is_frozen_and_compares_by_text() -> None:
    assert parse("score > 1") == parse("score > 1")
    with pytest.raises(AttributeError):
        parse("score > 1").source = "x"  # type: ignore[misc]


def test_chinese_identifiers_work() -> None:
    assert parse("状态 == '已解决'").names == {"状态"}


def test_leading_whitespace_is_allowed_and_offsets_count_it() -> None:
    assert parse("  score > 1").names == {"score"}
    assert refused("  scor > 1").offset == 2


def test_expression_of_exactly_the_node_limit_is_accepted() -> None:
    # n constants and n - 1 additions: 2n - 1 nodes
    n = (MAX_NODES + 1) // 2
    parse(" + ".join(["1"] * n))


# -- refused, one construct per test ----------------------------------------------------


def test_attribute_access_is_refused() -> None:
    assert "attribute access is not allowed ('status.lower')" in refused(
        "status.lower() == 'x'").message


def test_map_constant_can_be_looked_up_by_a_column() -> None:
    expr = parse("hours(resolved_at - created_at) <= handling_target_h[problem_type]")
    assert {"handling_target_h", "problem_type"} <= expr.names


def test_key_expression_of_a_subscript_is_checked() -> None:
    assert "unknown name 'problem_typ'; did you mean 'problem_type'?" in refused(
        "handling_target_h[problem_typ]").message


def test_subscript_on_a_column_is_refused() -> None:
    assert ("subscripts are only allowed on map constants, and 'status' is a column"
            in refused("status[0]").message)


def test_subscript_on_a_scalar_constant_is_refused() -> None:
    assert "'satisfied_from' is a constant with a single value, not a map" in refused(
        "satisfied_from['a']").message


def test_subscript_on_an_indicator_is_refused() -> None:
    assert "'resolution_rate' is an indicator" in refused("resolution_rate['a']").message


def test_subscript_on_an_expression_is_refused() -> None:
    assert "subscripts are only allowed on map constants, not on 'score + 1'" in refused(
        "(score + 1)[0]").message


def test_nested_subscript_is_refused() -> None:
    assert "looks up a key twice" in refused("handling_target_h[status][0]").message


def test_subscript_with_two_keys_is_refused() -> None:
    assert "a map constant is looked up by one key" in refused(
        "handling_target_h[status, problem_type]").message


def test_mapping_slice_is_refused() -> None:
    assert "slices are not allowed" in refused("ratings[1:2]").message


def test_bare_mapping_name_is_refused() -> None:
    assert "'ratings' is a map constant; pick one entry with a key" in refused(
        "ratings > 1").message


def test_refused_subscript_points_at_the_subscript() -> None:
    assert refused("1 + status[0]").offset == 4


def test_lambda_is_refused() -> None:
    assert "lambda functions are not allowed" in refused("coalesce(lambda: 1, 0)").message


def test_list_comprehension_is_refused() -> None:
    assert "comprehensions are not allowed" in refused("[s for s in (1, 2)]").message


def test_generator_expression_is_refused() -> None:
    assert "generator expressions are not allowed" in refused("max(s for s in (1, 2))").message


def test_walrus_is_refused() -> None:
    assert "assignment with ':=' is not allowed" in refused("(n := 3) > 2").message


def test_f_string_is_refused() -> None:
    assert "f-strings are not allowed" in refused("status == f'{score}'").message


def test_starred_argument_is_refused() -> None:
    assert "starred arguments (*args) are not allowed" in refused("max(*(1, 2))").message


def test_kwargs_unpacking_is_refused() -> None:
    assert "keyword unpacking (**kwargs) is not allowed" in refused("round(1, **{})").message


def test_keyword_argument_is_refused() -> None:
    assert "keyword arguments are not allowed ('ndigits=...')" in refused(
        "round(1.5, ndigits=1)").message


def test_power_with_large_exponent_is_refused() -> None:
    assert "'**' exponent 11 is too large" in refused("score ** 11").message


def test_power_with_large_negative_exponent_is_refused() -> None:
    assert "'**' exponent -11 is too large" in refused("score ** -11").message


def test_power_with_name_exponent_is_refused() -> None:
    assert "'**' needs a number literal exponent" in refused("score ** satisfied_from").message


@pytest.mark.parametrize(("source", "symbol"), [
    ("reopened & reopened", "&"), ("reopened | reopened", "|"), ("reopened ^ reopened", "^"),
    ("~reopened", "~"), ("score << 1", "<<"), ("score >> 1", ">>"),
])
def test_each_bitwise_operator_is_refused(source: str, symbol: str) -> None:
    assert f"bitwise operator '{symbol}' is not allowed" in refused(source).message


def test_more_than_the_node_limit_is_refused() -> None:
    error = refused(" + ".join(["1"] * 101))
    assert "201 syntax nodes, more than the limit of 200" in error.message


def test_very_long_text_is_refused_before_parsing() -> None:
    assert "more than the limit of 4000" in refused("1" * 5000).message


def test_deep_nesting_is_refused_without_crashing() -> None:
    assert refused("(" * 500 + "1" + ")" * 500).message


def test_unknown_name_gets_a_suggestion() -> None:
    assert refused("stauts == 'x'").message == "unknown name 'stauts'; did you mean 'status'?"


def test_unknown_name_without_close_match_says_how_to_declare() -> None:
    assert "declare it as a column, indicator or constant" in refused("zzz > 1").message


def test_unknown_function_gets_a_suggestion() -> None:
    assert refused("hous(score)").message == "unknown function 'hous'; did you mean 'hours'?"


def test_call_of_a_declared_name_is_an_unknown_function() -> None:
    assert "unknown function 'status'" in refused("status(1)").message


def test_function_used_as_a_name_is_refused() -> None:
    assert "'hours' is a function; call it" in refused("hours > 1").message


def test_call_of_a_non_name_is_refused() -> None:
    assert "only named functions can be called" in refused("(1)(2)").message


def test_wrong_arity_is_refused() -> None:
    assert refused("round(1, 2, 3)").message == "round() takes 1 to 2 arguments but 3 were given"


def test_round_digits_must_be_a_small_whole_literal() -> None:
    assert "must be a whole-number literal from -10 to 10" in refused("round(1, 11)").message
    assert "must be a whole-number literal" in refused("round(1, score)").message


def test_nfkc_changing_name_is_refused() -> None:
    assert refused("ｓcore > 1").message == (
        "name 'ｓcore' changes under Unicode NFKC normalisation; write 'score'")


def test_nfkc_changing_function_name_is_refused() -> None:
    assert "changes under Unicode NFKC normalisation" in refused("ｈours(score)").message


def test_dunder_name_is_refused() -> None:
    assert "names with double underscores are not allowed" in refused("__class__").message


def test_import_call_is_refused() -> None:
    assert "names with double underscores are not allowed ('__import__')" in refused(
        "__import__('os')").message


def test_syntax_error_is_refused_with_its_position() -> None:
    error = refused("score > > 1")
    assert "syntax error in expression" in error.message
    assert error.offset == 8


def test_statement_is_a_syntax_error() -> None:
    assert "syntax error in expression" in refused("import os").message


def test_is_operator_is_refused() -> None:
    assert "'is' is not allowed; test for a missing value with is_null" in refused(
        "score is None").message


def test_comparison_with_none_is_refused() -> None:
    assert "comparing with None always gives null" in refused("score == None").message


def test_in_with_a_non_literal_right_side_is_refused() -> None:
    assert "'in' needs a non-empty tuple of literals" in refused("status in status").message


def test_in_list_with_a_name_is_refused() -> None:
    assert "cannot be in an 'in' list" in refused("status in ('a', status)").message


def test_tuple_outside_in_is_refused() -> None:
    assert "only allowed on the right of 'in'" in refused("(1, 2)").message


def test_dict_literal_is_refused() -> None:
    assert "dict literals are not allowed" in refused("{1: 2}").message


def test_bytes_literal_is_refused() -> None:
    assert "bytes literals are not allowed" in refused("b'x'").message


def test_infinite_number_literal_is_refused() -> None:
    assert "is too large" in refused("1e999").message


def test_empty_expression_is_refused() -> None:
    assert "expression is empty" in refused("   ").message


def test_offset_points_at_the_offending_construct_in_characters() -> None:
    # 状态 is two characters but six UTF-8 bytes: the offset must count characters
    assert refused("状态 == 'x' and stauts").offset == len("状态 == 'x' and ")


# -- map constant keys ------------------------------------------------------------------


def test_map_key_writes_a_whole_number_without_a_decimal_point() -> None:
    assert (map_key(2.0), map_key(2), map_key(-0.0)) == ("2", "2", "0")


def test_map_key_writes_other_numbers_as_doubles_print() -> None:
    assert (map_key(2.5), map_key(1e16)) == ("2.5", "1e+16")


def test_map_key_of_a_text_is_the_text_and_of_a_flag_is_true_or_false() -> None:
    assert (map_key("it's"), map_key(True), map_key(False)) == ("it's", "true", "false")


def test_map_key_of_null_or_a_timestamp_is_none() -> None:
    assert map_key(None) is None and map_key(datetime(2026, 7, 1)) is None


def test_literal_keys_lists_each_literal_lookup_with_its_offset() -> None:
    expr = parse("  ratings['peer'] + ratings[2] + handling_target_h[problem_type]")
    assert literal_keys(expr) == [("ratings", "peer", 10), ("ratings", "2", 28)]
