"""Typing a raw column as declared, in SQL: text, integer, number, flag, date, timestamp,
duration. A cell that does not fit becomes NULL (and is counted by the engine).

Typed values: `date` is DATE; `timestamp` is TIMESTAMP, wall-clock time in the scheme's zone
(a value written with an offset, `...T10:00+08:00`, is converted into that zone by our own
rule, `_utc`); `duration` is seconds as DOUBLE (`h:mm[:ss]`, a time of day, or a plain number
of seconds); a negative duration becomes NULL; `flag` is BOOLEAN (`TRUE` and `FALSE` list the
spellings); `text` is trimmed. Regular expressions are matched with regexp_matches, never `~`,
which matched the whole text before DuckDB 2.0 and any part of it since.
"""

from __future__ import annotations

from appraisal.engines.date_formats import formatted_sql
from appraisal.errors import DataError
from appraisal.sql.dialect import inline_literal

_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL",
            "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")
TRUE = ("y", "yes", "true", "t", "1", "是")
FALSE = ("n", "no", "false", "f", "0", "否")
# A time-zone offset after a time of day: one that exists (-14:00 to +14:00) is read, any
# other (+25:00) makes the cell unparseable; a date's own `-01` is no offset.
_AFTER_TIME = r"[0-9]:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)? ?"
_OFFSET = _AFTER_TIME + r"(Z|z|[+-](0[0-9]|1[0-3])(:?[0-5][0-9])?|[+-]14(:?00)?)$"
_ANY_OFFSET = _AFTER_TIME + r"(Z|z|[+-][0-9]{1,2}(:?[0-9]{2})?)$"
_SIGNED_DURATION = r"^-?[0-9]+:[0-5]?[0-9](:[0-5]?[0-9](\.[0-9]+)?)?$"


_INTEGERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")


def always_fits(raw_type: str, kind: str) -> bool:
    """A column the source already typed so that coercing it cannot fail: no need to count."""
    base = raw_type.split("(")[0]
    aware = "TIME ZONE" in raw_type or base == "TIMESTAMPTZ"
    return (
        (kind == "timestamp" and (aware or base in ("TIMESTAMP", "DATE")))
        or (kind == "date" and base in ("DATE", "TIMESTAMP") and not aware)
        or (kind == "flag" and base == "BOOLEAN")
        or (kind in ("integer", "number") and base in _INTEGERS)
        or (kind == "number" and base == "DECIMAL")
    )


def edged(text: str) -> str:
    """SQL true for a text that may begin or end with one of the SPACES DuckDB's `trim` removes:
    empty, a space at either end, or any character beyond ASCII (`strlen`, bytes, differs from
    `length`, characters). Cheap where `trim` is not: only the texts it passes are trimmed."""
    return f"({text} = '' OR {text} LIKE ' %' OR {text} LIKE '% ' OR strlen({text}) <> length({text}))"


def _trimmed(text: str) -> str:
    """`text` without the spaces at its ends (appraisal.sql.dialect.SPACES), blank as NULL;
    trimming only the `edged` texts (at ten million ASCII cells 0.13 s where trimming all takes 0.2 s)."""
    return f"CASE WHEN {edged(text)} THEN nullif(trim({text}), '') ELSE {text} END"


def blank(text: str) -> str:
    """SQL true for a text that is NULL or nothing but the spaces DuckDB's `trim` removes (the
    ASCII space and Unicode's). Such a text is empty or begins below '!' or beyond ASCII, so
    `trim` runs only on the texts that do: at a million cells 1 ms instead of 48."""
    return f"({text} IS NULL OR (({text} < '!' OR {text} >= chr(128)) AND trim({text}) = ''))"


def present(column: str, raw_type: str) -> str:
    """SQL true when a raw cell holds something: not NULL and, as text, not blank."""
    if raw_type == "VARCHAR":
        return f"NOT {blank(column)}"
    return f"{column} IS NOT NULL"


def coerce_sql(
    column: str, raw_type: str, kind: str, tz: str, *, inline: bool = False, formats: tuple[str, ...] = (),
) -> tuple[str, list[object]]:
    """SQL turning a raw column of `raw_type` into `kind`; NULL when a cell does not fit.

    `column` is already quoted; `formats` are a date or timestamp column's declared formats
    (see appraisal.engines.date_formats), which replace the default spellings. Returns the SQL and its
    bound parameters (the time zone).
    """
    base = raw_type.split("(")[0]
    already = base in ("DATE", "TIMESTAMP", "TIMESTAMPTZ", "BOOLEAN", "INTERVAL", "TIME") or base in _NUMERIC
    if already or "TIME ZONE" in raw_type:
        typed = _typed_raw(column, raw_type, base, kind, tz, inline)
        if typed is not None:
            return typed
    s = _trimmed(f"CAST({column} AS VARCHAR)")
    if kind == "text":
        return s, []
    if kind == "integer":
        return (f"CASE WHEN regexp_matches({s}, '^[+-]?[0-9]+(\\.0*)?$') "
                f"THEN TRY_CAST(regexp_replace({s}, '\\.0*$', '') AS BIGINT) END"), []
    if kind == "number":
        return f"CASE WHEN isfinite(TRY_CAST({s} AS DOUBLE)) THEN TRY_CAST({s} AS DOUBLE) END", []
    if kind == "flag":
        yes = ", ".join(f"'{v}'" for v in TRUE)
        no = ", ".join(f"'{v}'" for v in FALSE)
        return f"CASE WHEN lower({s}) IN ({yes}) THEN TRUE WHEN lower({s}) IN ({no}) THEN FALSE END", []
    if kind in ("date", "timestamp") and formats:
        return formatted_sql(s, kind, formats), []
    if kind == "date":
        return f"CAST(try_strptime({s}, ['%Y-%m-%d', '%Y/%m/%d']) AS DATE)", []
    if kind == "timestamp":
        # strptime only where a `/` says it may fit: a failing try_strptime costs ~10 µs a
        # cell, forty times a cast, and most cells are ISO text the cast reads
        naive = (f"CASE WHEN contains({s}, '/') THEN coalesce(try_strptime({s}, ['%Y/%m/%d %H:%M:%S', "
                 f"'%Y/%m/%d %H:%M', '%Y/%m/%d']), TRY_CAST({s} AS TIMESTAMP)) ELSE TRY_CAST({s} AS TIMESTAMP) END")
        zone = inline_literal(tz) if inline else "?"
        bound: list[object] = [] if inline else [tz]
        return (f"CASE WHEN regexp_matches({s}, '{_OFFSET}') THEN timezone({zone}, timezone('UTC', {_utc(s)})) "
                f"WHEN NOT regexp_matches({s}, '{_ANY_OFFSET}') THEN {naive} END"), bound
    if kind in ("duration", "signed_duration"):
        seconds = (f"CASE WHEN regexp_matches({s}, '{_SIGNED_DURATION}') THEN epoch(TRY_CAST({s} AS INTERVAL)) "
                   f"WHEN isfinite(TRY_CAST({s} AS DOUBLE)) THEN TRY_CAST({s} AS DOUBLE) END")
        return (seconds if kind == "signed_duration" else f"CASE WHEN {seconds} >= 0 THEN {seconds} END"), []
    raise DataError(f"unknown column type {kind!r}")


_OFFSET_PARTS = r"([+-])([0-9]{1,2}):?([0-9]{2})?$"


def _utc(text: str) -> str:
    """The UTC time of a text with an offset (`...T10:00+08:00`, `...Z`), read by our own rule:
    the engine's casts to TIMESTAMPTZ accept different spellings in different versions (DuckDB
    2.0 reads `10:00+08:00`, 1.4 only `10:00:00+08:00`). Regular expressions are matched with
    regexp_matches, never `~`, which matched the whole text before DuckDB 2.0 and any part since."""
    local = f"TRY_CAST(rtrim(regexp_replace({text}, '(Z|z|[+-][0-9]{{1,2}}(:?[0-9]{{2}})?)$', '')) AS TIMESTAMP)"
    def part(n: int) -> str:
        return f"regexp_extract({text}, '{_OFFSET_PARTS}', {n})"

    minutes = (f"CASE WHEN regexp_matches({text}, '[Zz]$') THEN 0 ELSE (CASE {part(1)} WHEN '-' THEN -1 ELSE 1 END)"
               f" * (TRY_CAST({part(2)} AS INTEGER) * 60"
               f" + coalesce(TRY_CAST(nullif({part(3)}, '') AS INTEGER), 0)) END")
    return f"({local} - to_minutes({minutes}))"


def _typed_raw(
    column: str, raw_type: str, base: str, kind: str, tz: str, inline: bool
) -> tuple[str, list[object]] | None:
    """Coercion of a column the source already typed (Parquet, JSON); None: go through text."""
    aware = "TIME ZONE" in raw_type or base == "TIMESTAMPTZ"
    if kind == "integer" and base in _NUMERIC:
        return f"CASE WHEN {column} = trunc({column}) THEN TRY_CAST({column} AS BIGINT) END", []
    if kind == "number" and base in _NUMERIC:
        return f"CASE WHEN isfinite(CAST({column} AS DOUBLE)) THEN CAST({column} AS DOUBLE) END", []
    if kind == "flag" and base == "BOOLEAN":
        return column, []
    if kind == "date" and (base in ("DATE", "TIMESTAMP") and not aware):
        return f"CAST({column} AS DATE)", []
    if kind == "timestamp" and aware:
        return (f"timezone({inline_literal(tz)}, {column})", []) if inline else (f"timezone(?, {column})", [tz])
    if kind == "timestamp" and base in ("DATE", "TIMESTAMP"):
        return f"CAST({column} AS TIMESTAMP)", []
    if kind in ("duration", "signed_duration") and (base in ("INTERVAL", "TIME") or base in _NUMERIC):
        # an infinite or NaN number of seconds is no duration, as its text is not
        seconds = (f"CAST(epoch({column}) AS DOUBLE)" if base in ("INTERVAL", "TIME")
                   else f"CASE WHEN isfinite(CAST({column} AS DOUBLE)) THEN CAST({column} AS DOUBLE) END")
        return (seconds if kind == "signed_duration" else f"CASE WHEN {seconds} >= 0 THEN {seconds} END"), []
    return None
