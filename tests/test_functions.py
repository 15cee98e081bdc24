"""The function registry and the built-in functions."""

from __future__ import annotations

from datetime import datetime, timedelta

import pluggy
import pytest

from appraisal import hookspecs
from appraisal.default_plugins.functions import BUILTINS, round_digits, round_half_away
from appraisal.errors import PluginError
from appraisal.expressions.functions import Function, FunctionRegistry, collect_functions
from appraisal.plugins import default_functions


def make(name: str = "double") -> Function:
    return Function(name, 1, 1, lambda x: 2 * x, lambda a, d: f"(2 * {a[0]})", "Twice x.")


def test_registry_looks_up_by_name() -> None:
    registry = FunctionRegistry([make()])
    assert "double" in registry
    assert registry.get("double").python(2) == 4
    assert registry.get("missing") is None
    assert registry.names() == ["double"]


def test_duplicate_name_is_an_error_naming_both_plugins() -> None:
    registry = FunctionRegistry()
    registry.register(make(), plugin="first-plugin")
    with pytest.raises(PluginError) as caught:
        registry.register(make(), plugin="second-plugin")
    assert "'double' is registered twice" in str(caught.value)
    assert "'first-plugin'" in str(caught.value) and "'second-plugin'" in str(caught.value)


def test_clash_with_a_builtin_through_the_hook_names_both_plugins() -> None:
    class Rogue:
        @hookspecs.hookimpl
        def register_functions(self, register):
            register(make("hours"))

    manager = pluggy.PluginManager("appraisal")
    manager.add_hookspecs(hookspecs)
    manager.register(__import__("appraisal.default_plugins.functions", fromlist=["x"]),
                     name="builtin-functions")
    manager.register(Rogue(), name="rogue")
    with pytest.raises(PluginError, match=r"'builtin-functions' and by plugin 'rogue'|"
                                          r"'rogue' and by plugin 'builtin-functions'"):
        collect_functions(manager)


def test_default_functions_include_the_required_builtins() -> None:
    names = set(default_functions().names())
    assert {"hours", "minutes", "days", "seconds", "coalesce", "min", "max", "abs", "round",
            "clamp", "is_null", "not_null", "year", "quarter", "month", "day", "weekday",
            "hour", "floor", "ceil"} <= names


def test_no_random_or_clock_functions() -> None:
    names = set(default_functions().names())
    assert not names & {"random", "rand", "now", "today", "current_date", "uuid"}


def test_every_builtin_is_documented() -> None:
    for function in BUILTINS:
        assert function.doc.strip().endswith("."), function.name


def test_arity_text_reads_naturally() -> None:
    registry = default_functions()
    assert registry["abs"].arity_text() == "1 argument"
    assert registry["round"].arity_text() == "1 to 2 arguments"
    assert registry["min"].arity_text() == "at least 2 arguments"
    assert registry["clamp"].arity_text() == "3 arguments"


@pytest.mark.parametrize(("value", "expected"), [
    (2.5, 3.0), (-2.5, -3.0), (0.5, 1.0), (-0.5, -1.0), (1.5, 2.0), (2.4999, 2.0),
    (0.49999999999999994, 0.0), (4503599627370497.0, 4503599627370497.0),
])
def test_round_half_away_from_zero(value: float, expected: float) -> None:
    assert round_half_away(value) == expected


def test_round_digits_scales_like_duckdb() -> None:
    assert round_digits(2.675, 2) == 2.68
    assert round_digits(1.005, 2) == 1.0
    assert round_digits(-1250.0, -2) == -1300.0
    assert round_digits(1e307, 2) == 1e307


def test_interval_functions_convert_a_timedelta() -> None:
    registry = default_functions()
    assert registry["hours"].python(timedelta(minutes=90)) == 1.5
    assert registry["days"].python(timedelta(hours=36)) == 1.5


def test_interval_function_reads_a_number_as_the_seconds_of_a_duration() -> None:
    assert default_functions()["hours"].python(5400.0) == 1.5


def test_interval_function_refuses_a_text() -> None:
    with pytest.raises(TypeError, match="time interval"):
        default_functions()["hours"].python("3")


def test_date_parts() -> None:
    registry = default_functions()
    moment = datetime(2026, 8, 16, 22, 5)  # a Sunday
    parts = {n: registry[n].python(moment) for n in
             ("year", "quarter", "month", "day", "weekday", "hour")}
    assert parts == {"year": 2026.0, "quarter": 3.0, "month": 8.0, "day": 16.0,
                     "weekday": 7.0, "hour": 22.0}


def test_null_safe_flags() -> None:
    registry = default_functions()
    assert {f.name for f in registry if f.null_safe} == {"coalesce", "is_null", "not_null"}
