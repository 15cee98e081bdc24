"""The built-in expression functions, registered like any plugin's.

Each function has a Python implementation and a SQL emitter that agree with
`appraisal/expressions/semantics.yaml`; engine-specific spellings come from the `Dialect` passed in.
There are deliberately no random or clock-reading functions: an appraisal must give the
same result every time it is re-run on the same data.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from appraisal.expressions.functions import Function
from appraisal.expressions.kinds import NUMERIC, TIMES, Kind, anything, same_kind, takes
from appraisal.hookspecs import hookimpl

if TYPE_CHECKING:
    from collections.abc import Callable

    from appraisal.sql.dialect import Dialect


def round_half_away(value: float) -> float:
    """Round to a whole number, x.5 away from zero (C's `round`, which DuckDB uses)."""
    if value >= 0:
        whole = math.floor(value)
        return float(whole + 1) if value - whole >= 0.5 else float(whole)
    whole = math.ceil(value)
    return float(whole - 1) if whole - value >= 0.5 else float(whole)


def round_digits(value: float, digits: float = 0) -> float:
    """`round(x, n)`: scale by 10**n, round half away from zero, scale back.

    This is DuckDB's own recipe, so both evaluators give the same double; when scaling
    overflows the value is returned unchanged, as DuckDB does.
    """
    n = int(digits)
    if n < 0:
        modifier = 10.0 ** (-n)
        result = round_half_away(value / modifier) * modifier
    else:
        modifier = 10.0**n
        scaled = value * modifier
        if not math.isfinite(scaled):
            return value
        result = round_half_away(scaled) / modifier
    return result if math.isfinite(result) else value


def _interval(unit_seconds: float) -> Callable[[timedelta | float], float]:
    def convert(interval: timedelta | float) -> float:
        if isinstance(interval, float):  # a duration column: seconds
            return interval / unit_seconds
        if not isinstance(interval, timedelta):
            raise TypeError("expects a time interval, the difference of two timestamps")
        return interval.total_seconds() / unit_seconds

    return convert


def _interval_sql(unit_seconds: int) -> Callable[[list[str], Dialect], str]:
    """Time intervals and durations are both seconds in SQL (see Dialect.interval)."""

    def emit(args: list[str], dialect: Dialect) -> str:
        return dialect.divide.format(a=args[0], b=str(unit_seconds))

    return emit


def _round_sql(args: list[str], dialect: Dialect) -> str:
    """semantics.yaml's round, written out: scale by 10**n, round half away from zero, scale
    back; x itself when scaling overflows. Never the engine's own round, whose handling of
    ties (2.675 -> 2.67 or 2.68) differs between engines and between versions of one."""
    x = args[0]
    digits = int(args[1]) if len(args) > 1 else 0
    factor = f"CAST({float(10 ** abs(digits))!r} AS {dialect.types['number']})"
    scale, unscale = (dialect.multiply, dialect.divide) if digits >= 0 else (dialect.divide, dialect.multiply)
    scaled = scale.format(a=x, b=factor)
    down, up = dialect.floor.replace("{x}", scaled), dialect.ceil.replace("{x}", scaled)
    whole = (f"(CASE WHEN {scaled} >= 0"
             f" THEN {down} + CASE WHEN {scaled} - {down} >= 0.5 THEN 1 ELSE 0 END"
             f" ELSE {up} - CASE WHEN {up} - {scaled} >= 0.5 THEN 1 ELSE 0 END END)")
    back = unscale.format(a=whole, b=factor)
    finite = " AND ".join(dialect.is_finite.format(x=v) for v in (scaled, back))
    # + 0.0 turns a -0.0 into 0.0, as Python's float(int) does
    return f"(CASE WHEN {finite} THEN {back} + 0.0 ELSE {x} END)"


def _date_part(part: str, python: Callable[[datetime], int], doc: str, on: frozenset[Kind] = TIMES) -> Function:
    def compute(moment: datetime) -> float:
        if not isinstance(moment, datetime):
            raise TypeError("expects a timestamp")
        return float(python(moment))

    def emit(args: list[str], dialect: Dialect) -> str:
        return dialect.date_part.format(part=dialect.date_parts[part], x=args[0])

    return Function(part, 1, 1, compute, emit, doc, kinds=takes(on, returns=Kind.NUMBER))


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("expects numbers")
    return float(value)


def _min(*values: object) -> float:
    return min(_number(v) for v in values)


def _max(*values: object) -> float:
    return max(_number(v) for v in values)


def _clamp(value: object, low: object, high: object) -> float:
    return min(max(_number(value), _number(low)), _number(high))


def _coalesce(*values: object) -> object:
    return next((v for v in values if v is not None), None)


_INTERVALS = frozenset({Kind.INTERVAL, Kind.DURATION})
_NUMBERS = takes(NUMERIC, returns=Kind.NUMBER)

BUILTINS: list[Function] = [
    Function("seconds", 1, 1, _interval(1), _interval_sql(1),
             "Seconds in a time interval, e.g. seconds(first_response_at - created_at), or in a duration.",
             kinds=takes(_INTERVALS, returns=Kind.NUMBER)),
    Function("minutes", 1, 1, _interval(60), _interval_sql(60),
             "Minutes in a time interval, e.g. minutes(first_response_at - created_at), or in a duration.",
             kinds=takes(_INTERVALS, returns=Kind.NUMBER)),
    Function("hours", 1, 1, _interval(3600), _interval_sql(3600),
             "Hours in a time interval, e.g. hours(resolved_at - created_at), or in a duration.",
             kinds=takes(_INTERVALS, returns=Kind.NUMBER)),
    Function("days", 1, 1, _interval(86400), _interval_sql(86400),
             "Days (of 24 hours) in a time interval, e.g. days(resolved_at - created_at), or in a duration.",
             kinds=takes(_INTERVALS, returns=Kind.NUMBER)),
    Function("coalesce", 1, None, _coalesce,
             lambda a, d: f"coalesce({', '.join(a)})",
             "The first argument that is not null, e.g. coalesce(bonus, 0); null if all are.",
             null_safe=True, kinds=same_kind),
    Function("is_null", 1, 1, lambda v: v is None,
             lambda a, d: f"({a[0]} IS NULL)",
             "True when the value is missing (null), otherwise false; never null itself.",
             null_safe=True, kinds=anything),
    Function("not_null", 1, 1, lambda v: v is not None,
             lambda a, d: f"({a[0]} IS NOT NULL)",
             "True when the value is present, otherwise false; never null itself.",
             null_safe=True, kinds=anything),
    Function("min", 2, None, _min, lambda a, d: d.strict_least(a),
             "The smallest of two or more numbers; null if any of them is null.", kinds=_NUMBERS),
    Function("max", 2, None, _max, lambda a, d: d.strict_greatest(a),
             "The largest of two or more numbers; null if any of them is null.", kinds=_NUMBERS),
    Function("clamp", 3, 3, _clamp,
             lambda a, d: d.strict_least([d.strict_greatest(a[:2]), a[2]]),
             "clamp(x, low, high): x limited to the range low..high; null if any is null.", kinds=_NUMBERS),
    Function("abs", 1, 1, lambda v: abs(_number(v)), lambda a, d: f"abs({a[0]})",
             "The absolute value of a number.", kinds=_NUMBERS),
    Function("round", 1, 2, lambda v, n=0: round_digits(_number(v), n), _round_sql,
             "round(x) or round(x, digits): half away from zero (2.5 -> 3, -2.5 -> -3); "
             "digits is a whole number from -10 to 10.",
             literal_args=(1,), kinds=_NUMBERS),
    Function("floor", 1, 1, lambda v: float(math.floor(_number(v))),
             lambda a, d: d.floor.replace("{x}", a[0]), "The largest whole number not above x.", kinds=_NUMBERS),
    Function("ceil", 1, 1, lambda v: float(math.ceil(_number(v))),
             lambda a, d: d.ceil.replace("{x}", a[0]), "The smallest whole number not below x.", kinds=_NUMBERS),
    _date_part("year", lambda t: t.year, "The year of a timestamp, e.g. 2026."),
    _date_part("quarter", lambda t: (t.month - 1) // 3 + 1, "The quarter of a timestamp, 1 to 4."),
    _date_part("month", lambda t: t.month, "The month of a timestamp, 1 to 12."),
    _date_part("day", lambda t: t.day, "The day of the month of a timestamp, 1 to 31."),
    _date_part("weekday", lambda t: t.isoweekday(),
               "The ISO weekday of a timestamp: 1 is Monday, 7 is Sunday."),
    _date_part("hour", lambda t: t.hour, "The hour of a timestamp, 0 to 23.", on=frozenset({Kind.TIMESTAMP})),
]


@hookimpl
def register_functions(register: Callable[[Function], None]) -> None:
    """Register every built-in; a plugin that reuses one of these names is a clash."""
    for function in BUILTINS:
        register(function)
