"""Spark SQL's spellings of the expression language and of the measure statements (`SPARK`).

The session runs in ANSI mode with double-quoted identifiers (`appraisal.engines.spark_engine`),
so names are quoted as everywhere else; doubles follow IEEE 754 there as in DuckDB (an overflow
is infinity, which the emitter turns into null) and a division by zero is guarded as everywhere.
What differs:

- `floor` and `ceil` return a 64-bit integer, which saturates beyond 9.2e18: the dialect floors a
  double as `x - (x % 1)` (exact: the remainder of a division by one) less one where that is
  above x (a negative fraction);
- a double becomes a DECIMAL through its shortest text (Java's `Double.toString`), not as DuckDB
  rounds it: `exact` reproduces DuckDB's (x * 1e9 rounded half away from zero, as the PostgreSQL
  dialect does) and carries the whole number over in two exact 64-bit parts;
- there is no `isfinite` (`isnan` and a comparison with infinity), no `epoch_us` (`unix_micros`),
  and the ISO day of the week is `dayofweek_iso`;
- `percentile` interpolates as `lo + (hi - lo) * d`, DuckDB as `lo * (1 - d) + hi * d`: the values
  are sorted and interpolated in SQL (`Dialect.quantile` None, see appraisal.sql.quantiles).
"""

from __future__ import annotations

from appraisal.sql.dialect import SPACES, Dialect, inline_literal

_INFINITY = "CAST('Infinity' AS DOUBLE)"
# floor of a double, exact for every finite double (a saturating BIGINT is never involved)
_TRUNCATED = "({x} - ({x} % 1))"
# a zero keeps its sign, as C's floor keeps it (x - (x % 1) would make -0.0 a 0.0)
_FLOOR = ("(CASE WHEN {x} = 0 THEN {x} WHEN " + _TRUNCATED + " > {x} THEN " + _TRUNCATED + " - 1 ELSE "
          + _TRUNCATED + " END)")
_QUOTIENT = "({a} / CASE WHEN {b} <> 0 THEN {b} END)"
_FLOORED = _FLOOR.replace("{x}", _QUOTIENT)

# DuckDB's CAST(x AS DECIMAL(38, 9)): R = x * 1e9 rounded half away from zero (`round` of a double
# rounds half up, away from zero, through its shortest text: exact for a rounding to a whole
# number), then R / 1e9 exactly, R carried as high * 2 ** 53 + low (both exact BIGINTs).
_R = "round({x} * CAST(1e9 AS DOUBLE), 0)"
_HIGH = "(" + _FLOOR.replace("{x}", "(" + _R + " / CAST(9007199254740992 AS DOUBLE))") + ")"
_EXACT = ("CAST((CAST(CAST(" + _HIGH + " AS BIGINT) AS DECIMAL(38, 0)) * CAST(9007199254740992 AS DECIMAL(38, 0))"
          " + CAST(CAST(" + _R + " - " + _HIGH + " * CAST(9007199254740992 AS DOUBLE) AS BIGINT) AS DECIMAL(38, 0)))"
          " * CAST(0.000000001 AS DECIMAL(10, 9)) AS DECIMAL(38, 9))")

SPARK = Dialect(
    "spark",
    number_param="CAST(? AS DOUBLE)",
    text_param="CAST(? AS STRING)",
    timestamp_param="CAST(? AS TIMESTAMP)",
    finite=f"CASE WHEN NOT isnan({{x}}) AND abs({{x}}) <> {_INFINITY} THEN {{x}} END",
    is_finite=f"(NOT isnan({{x}}) AND abs({{x}}) <> {_INFINITY})",
    binary={
        "+": "({a} + {b})",
        "-": "({a} - {b})",
        "*": "({a} * {b})",
        "/": _QUOTIENT,
        "//": _FLOORED,
        "%": "({a} - {b} * " + _FLOORED + ")",
        "**": "pow({a}, {b})",
    },
    interval="(CAST(unix_micros(CAST({a} AS TIMESTAMP_LTZ)) - unix_micros(CAST({b} AS TIMESTAMP_LTZ)) AS DOUBLE)"
             " / 1000000)",
    date_interval=("(CAST(unix_micros(CAST({a} AS TIMESTAMP_LTZ)) - unix_micros(CAST({b} AS TIMESTAMP_LTZ))"
                   " AS DOUBLE) / 1000000)"),
    elapsed="(unix_micros(CAST({a} AS TIMESTAMP_LTZ)) - unix_micros(CAST({b} AS TIMESTAMP_LTZ)))",
    elapsed_seconds="(CAST({x} AS DOUBLE) / 1000000)",
    date_part="CAST(date_part('{part}', {x}) AS DOUBLE)",
    date_parts={"year": "year", "quarter": "quarter", "month": "month", "day": "day",
                "weekday": "dayofweek_iso", "hour": "hour"},
    exact=_EXACT,
    to_double="CAST(CAST({x} AS STRING) AS DOUBLE)",
    quantile=None,
    unmaterialized="",
    floor=_FLOOR,
    ceil="(- " + _FLOOR.replace("{x}", "(- {x})") + ")",
    text_of="CAST({x} AS STRING)",
    trim="trim(BOTH " + inline_literal(SPACES) + " FROM {x})",
    # a TIMESTAMP_LTZ is an instant; the session's zone is UTC, so its NTZ cast is the shifted wall clock
    local_time="CAST(from_utc_timestamp({x}, {zone}) AS TIMESTAMP_NTZ)",
    interval_seconds=None,
    types={
        "number": "DOUBLE", "duration": "DOUBLE", "time interval": "DOUBLE", "text": "STRING",
        "true/false value": "BOOLEAN", "timestamp": "TIMESTAMP", "date": "DATE",
    },
)
