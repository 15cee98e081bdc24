"""PostgreSQL's spellings of the expression language (`POSTGRES`, a `Dialect`), and its placeholders.

DuckDB lets a double overflow to infinity, which the emitter then turns into null
(semantics.yaml, "Overflow, NaN and infinity become null"). PostgreSQL stops the query instead
("value out of range: overflow"), and also when a product or quotient of non-zero numbers
rounds to zero ("underflow"), when zero is raised to a negative power or a negative number to a
fractional one. So each of those operations is written with its guard: a result that would
overflow is null before it is computed, one that would underflow is a zero of the right sign,
and the other two are null, as they are (NaN, infinity) in DuckDB. A guard places the result by
logarithms and decides the narrow band at each edge with numbers scaled by powers of two, never
computing anything that could itself overflow (see below). Layers of bound columns end with
`OFFSET 0`, so that the planner computes each once (`Dialect.layer_fence`).

`numbered` turns a fragment's `?` placeholders into psycopg's `%s` (and a `%` of the SQL into
`%%`), outside quoted texts and names.
"""

from __future__ import annotations

import hashlib
import re

from appraisal.sql.dialect import SPACES, Dialect, inline_literal

DOUBLE = "DOUBLE PRECISION"
MAX = "1.7976931348623157e308"  # the largest double
SMALLEST = "4.9406564584124654e-324"  # the smallest positive double (subnormal)
LN_MAX = "709.782712893384"  # ln(MAX)
LN_SMALLEST = "-744.4400719213812"  # ln(SMALLEST)
# exact powers of two (repr gives the digits that read back as exactly that double), for scaling
# without rounding: (|a| 2**537)(|b| 2**537) <= 2**-1075 2**1074
TWO_537, TWO_1000, TWO_75, TWO_MINUS_48 = (repr(2.0**n) for n in (537, 1000, 75, -48))
LN_HALF_SMALLEST = "-745.1332191019412"  # ln(SMALLEST / 2): below, a result rounds to zero


def _float(text: str) -> str:
    return f"CAST('{text}' AS {DOUBLE})"


# Every part of a guard is defined for every input (greatest/least keep a logarithm's argument
# above zero, a factor or divisor in range): PostgreSQL computes a CASE arm whose operands are
# constants when it plans the query, taken or not, so an arm that could fail on some constant
# would fail the query. Each guard first places the result by logarithms (certainly too large,
# certainly rounding to zero), then decides the narrow band left exactly, by numbers scaled by
# powers of two (exact) so that the scaled result cannot overflow or round to zero.


def _ln(x: str) -> str:
    return f"ln(greatest(abs({x}), {SMALLEST}))"


_LN_A, _LN_B = _ln("{a}"), _ln("{b}")
_BAND = "1e-6"  # in the logarithm: the band decided exactly
_ZERO_TIMES = "{a} * 0.0 * sign({b})"  # a zero with the sign of a * b
_ZERO_OVER = "{a} * 0.0 / sign({b})"
# a * b: null when it overflows, a signed zero when it rounds to zero
_NULL = "WHEN {a} IS NULL OR {b} IS NULL THEN NULL"  # first: least() and greatest() skip a null
_TIMES = (
    "(CASE " + _NULL + " WHEN {a} = 0 OR {b} = 0 THEN {a} * {b}"
    " WHEN " + _LN_A + " + " + _LN_B + " > " + LN_MAX + " + " + _BAND + " THEN NULL"
    " WHEN " + _LN_A + " + " + _LN_B + " > " + LN_MAX + " - " + _BAND + " THEN"
    " (CASE WHEN (greatest(abs({a}), 1) * 0.5) * abs({b}) > " + MAX + " / 2 THEN NULL"
    " ELSE {a} * {b} END)"
    " WHEN " + _LN_A + " + " + _LN_B + " < " + LN_HALF_SMALLEST + " - " + _BAND + " THEN " + _ZERO_TIMES +
    " WHEN " + _LN_A + " + " + _LN_B + " < " + LN_SMALLEST + " + " + _BAND + " THEN"
    " (CASE WHEN (least(abs({a}), 1) * " + TWO_537 + ") * (least(abs({b}), 1) * " + TWO_537 + ") <= 0.5 THEN "
    + _ZERO_TIMES + " ELSE {a} * {b} END)"
    " ELSE {a} * {b} END)"
)
# a / b for b <> 0 (the caller makes b null where it is 0)
_OVER = (
    "(CASE " + _NULL + " WHEN {a} = 0 THEN {a} / {b}"
    " WHEN " + _LN_A + " - " + _LN_B + " > " + LN_MAX + " + " + _BAND + " THEN NULL"
    " WHEN " + _LN_A + " - " + _LN_B + " > " + LN_MAX + " - " + _BAND + " THEN"
    " (CASE WHEN abs({a}) / (least(abs({b}), 1) * 2) > " + MAX + " / 2 THEN NULL ELSE {a} / {b} END)"
    " WHEN " + _LN_A + " - " + _LN_B + " < " + LN_HALF_SMALLEST + " - " + _BAND + " THEN " + _ZERO_OVER +
    " WHEN " + _LN_A + " - " + _LN_B + " < " + LN_SMALLEST + " + " + _BAND + " THEN"
    " (CASE WHEN ((least(abs({a}), " + TWO_MINUS_48 + ") * " + TWO_1000 + ") / greatest(abs({b}), 1)) * " + TWO_75
    + " <= 1 THEN "
    + _ZERO_OVER + " ELSE {a} / {b} END)"
    " ELSE {a} / {b} END)"
)
_NONZERO = "CASE WHEN {b} <> 0 THEN {b} END"
# a ** b, as the engine's power() where it has a finite result. L = b * ln|a| places the result:
# above ln(MAX) it overflows, below ln(SMALLEST / 2) it rounds to zero. Within 1e-9 of the first,
# a whole exponent up to 1000 is decided exactly: (|a| / 2) ** b (or (2|a|) ** b for b < 0) is the
# result scaled by 2 ** -|b|, exactly, and overflows nothing. Other exponents there are null, and
# results within 1e-9 of half the smallest double zero (docs/engines.md says so); above that,
# power() rounds to a double that is not zero.
_L = "({b} * ln(greatest(abs({a}), " + SMALLEST + ")))"
_SCALED = ("power(CASE WHEN {b} > 0 THEN greatest(abs({a}), 1) * 0.5 ELSE least(abs({a}), 1) * 2 END, {b})"
           " > " + MAX + " * power(0.5, least(abs({b}), 1000))")
_POWER = (
    "(CASE " + _NULL + " WHEN {a} = 0 AND {b} < 0 THEN NULL"
    " WHEN {a} < 0 AND {b} <> floor({b}) THEN NULL"
    " WHEN {a} = 0 OR abs({b}) < 0.001 OR abs({a}) = 1 THEN power({a}, {b})"  # b * ln|a| could underflow
    " WHEN " + _L + " > " + LN_MAX + " + 1e-9 THEN NULL"
    " WHEN " + _L + " > " + LN_MAX + " - 1e-9 THEN"
    " (CASE WHEN {b} = floor({b}) AND abs({b}) <= 1000 AND NOT (" + _SCALED + ") THEN power({a}, {b}) END)"
    " WHEN " + _L + " < " + LN_HALF_SMALLEST + " + 1e-9 THEN power(sign({a}), {b}) * 0.0"  # a signed zero
    " ELSE power({a}, {b}) END)"
)
# a + b overflows only when a and b have one sign, both at least 1, and the sum of their halves
# (exact for numbers that large, and never above MAX) is above MAX / 2; a - b likewise.
_HALVES = "greatest(abs({a}), 1) * 0.5 + greatest(abs({b}), 1) * 0.5 > " + MAX + " / 2"
_PLUS = ("(CASE " + _NULL + " WHEN sign({a}) = sign({b}) AND abs({a}) >= 1 AND abs({b}) >= 1 AND " + _HALVES
         + " THEN NULL ELSE {a} + {b} END)")
_MINUS = ("(CASE " + _NULL + " WHEN sign({a}) = -sign({b}) AND abs({a}) >= 1 AND abs({b}) >= 1 AND " + _HALVES
          + " THEN NULL ELSE {a} - {b} END)")
_QUOTIENT = _OVER.replace("{b}", "(" + _NONZERO + ")")  # a / b, null where b is 0
_FLOORED = "floor(" + _QUOTIENT + ")"
# a * b and a / b for a constant b of at least 1 (Dialect.multiply, .divide): one comparison each.
# A product overflows only above MAX / b; a quotient rounds to zero only up to SMALLEST * b / 2,
# which for b >= 2 is a whole number of SMALLEST (exact; b is 60, 3600, 10 ** n), and for b < 2
# only at zero.
_SCALE_UP = "(CASE WHEN abs({a}) > " + MAX + " / {b} THEN NULL ELSE {a} * {b} END)"
_SCALE_DOWN = ("(CASE WHEN {b} >= 2 AND abs({a}) <= " + SMALLEST + " * ({b} * 0.5) THEN {a} * 0.0"
               " ELSE {a} / {b} END)")

# a % b = a - b * floor(a / b). |b * floor(a / b)| <= |a| + |b| <= 2 MAX, so half of it cannot
# overflow: the product overflows when half of it (exact: |b| is at least 1 where it can) is
# above MAX / 2.
_REMAINDER = "{a} - {b} * " + _FLOORED
_MODULO = (
    "(CASE " + _NULL + " WHEN (greatest(abs({b}), 1) * 0.5) * abs(" + _FLOORED + ") > " + MAX + " / 2"
    " THEN NULL ELSE " + _REMAINDER + " END)"
)

# A double as the exact decimal sums add, as DuckDB's CAST(x AS DECIMAL(38, 9)) makes it: x * 1e9
# in double arithmetic, rounded half away from zero (R), then R / 1e9 exactly. PostgreSQL's own
# cast of a double to numeric keeps 15 digits, so R (whole, below 1e29: `exact` sees values up to
# 1e20) goes over as two whole parts of at most 2 ** 53 each, which convert exactly.
_TWO_53 = _float("9007199254740992")
_Y = "({x} * " + _float("1e9") + ")"
_T = "trunc(" + _Y + ")"
_R = "(" + _T + " + CASE WHEN abs(" + _Y + " - " + _T + ") >= 0.5 THEN sign(" + _Y + ") ELSE 0 END)"
_HIGH = "trunc(" + _R + " / " + _TWO_53 + ")"
_EXACT = ("((CAST(" + _HIGH + " AS BIGINT) * CAST(9007199254740992 AS NUMERIC) + CAST(" + _R + " - " + _HIGH
          + " * " + _TWO_53 + " AS BIGINT)) * 0.000000001)")

POSTGRES = Dialect(
    "postgres",
    number_param=f"CAST(? AS {DOUBLE})",
    text_param='CAST(? AS TEXT) COLLATE "C"',  # texts compare by code point, whatever the database's collation
    timestamp_param="CAST(? AS TIMESTAMP)",
    finite=f"CASE WHEN {{x}} NOT IN ({_float('Infinity')}, {_float('-Infinity')}, {_float('NaN')}) THEN {{x}} END",
    is_finite=f"({{x}} NOT IN ({_float('Infinity')}, {_float('-Infinity')}, {_float('NaN')}))",
    binary={"+": _PLUS, "-": _MINUS, "*": _TIMES, "/": _QUOTIENT, "//": _FLOORED, "%": _MODULO, "**": _POWER},
    interval=f"CAST(EXTRACT(EPOCH FROM {{a}}) - EXTRACT(EPOCH FROM {{b}}) AS {DOUBLE})",
    date_interval=(f"CAST(EXTRACT(EPOCH FROM CAST({{a}} AS TIMESTAMP)) - EXTRACT(EPOCH FROM CAST({{b}} AS TIMESTAMP))"
                   f" AS {DOUBLE})"),
    elapsed="(EXTRACT(EPOCH FROM {a}) - EXTRACT(EPOCH FROM {b}))",  # numeric seconds, exact (PostgreSQL 14+)
    elapsed_seconds=f"CAST({{x}} AS {DOUBLE})",
    date_part=f"CAST(date_part('{{part}}', {{x}}) AS {DOUBLE})",
    types={
        "number": DOUBLE, "duration": DOUBLE, "time interval": DOUBLE, "text": "TEXT",
        "true/false value": "BOOLEAN", "timestamp": "TIMESTAMP", "date": "DATE",
    },
    multiply=_SCALE_UP,
    divide=_SCALE_DOWN,
    exact=_EXACT,
    to_double=f"CAST({{x}} AS {DOUBLE})",  # through the decimal's text: the nearest double
    quantile=None,  # percentile_cont interpolates as lo + (hi - lo) * d, DuckDB as lo * (1 - d) + hi * d
    layer_fence=" OFFSET 0",  # the planner would copy each layer's guards into every use: exponential
    text_of='CAST({x} AS TEXT) COLLATE "C"',
    trim="btrim({x}, " + inline_literal(SPACES) + ")",
    name_bytes=63,
    local_time="({x} AT TIME ZONE {zone})",
    interval_seconds=f"CAST(EXTRACT(EPOCH FROM {{x}}) AS {DOUBLE})",
)


def numbered(sql: str) -> str:
    """`sql` with each `?` placeholder written `%s` and each `%` written `%%` (psycopg's
    placeholders), except inside quoted texts ('...') and names ("..."), which are kept as
    they are but for `%`, which psycopg reads everywhere."""
    out: list[str] = []
    quote: str | None = None
    for char in sql:
        if char == "%":
            out.append("%%")
        elif quote is not None:
            out.append(char)
            if char == quote:
                quote = None  # a doubled quote closes and reopens: the same state after both
        elif char in ("'", '"'):
            quote = char
            out.append(char)
        elif char == "?":
            out.append("%s")
        else:
            out.append(char)
    return "".join(out)


NAME_BYTES = 63  # PostgreSQL keeps the first 63 bytes of a longer name, silently
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")


def short_name(name: str) -> str:
    """`name`, or for one PostgreSQL would cut (an indicator id of 60 letters with `__value`),
    its first 50 bytes and a hash of the whole: two long names that begin alike stay two."""
    encoded = name.encode("utf-8")
    if len(encoded) <= NAME_BYTES:
        return name
    return f"{encoded[:50].decode('utf-8', 'ignore')}_{hashlib.sha256(encoded).hexdigest()[:12]}"


def fitted(sql: str) -> tuple[str, dict[str, str]]:
    """`sql` with every quoted name too long for PostgreSQL written short (`short_name`; quoted
    texts are left alone), and the long name of each short one, to name a result's columns."""
    long: dict[str, str] = {}

    def fit(found: re.Match[str]) -> str:
        token = found.group(0)
        if token[0] == "'":
            return token
        name = token[1:-1].replace('""', '"')
        if (short := short_name(name)) == name:
            return token
        long[short] = name
        return '"' + short.replace('"', '""') + '"'

    return _QUOTED.sub(fit, sql), long
