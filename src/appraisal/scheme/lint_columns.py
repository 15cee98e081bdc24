"""The lint of how files are read: `rename` maps and the long form of declared columns.

What the file itself holds (a renamed header that is not there) is checked when the data is
loaded (appraisal.engines.duckdb_engine); these are the mistakes the scheme alone shows: a new name that
expressions cannot use, two headers renamed to one name, a format that cannot parse anything,
a timestamp built from a date and a time that names neither.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from appraisal.scheme.model import EXCEL

Problem = Callable[..., None]  # (key path, message, key=...)

# strptime directives DuckDB reads (with an optional '-' for no padding); %z and %Z are left
# out: text with an offset is read without a format (see the scheme reference).
_DIRECTIVE = re.compile(r"%(-?[aAwdbBmyYHIpMSfjUWGVu]|%)|%(.?)")
_TIME_KINDS = ("date", "timestamp")


def name_problem(name: str) -> str | None:
    """Why `name` cannot be written in an expression, or None when it can."""
    if not name.isidentifier() or keyword.iskeyword(name):
        return "use letters, digits and _, not starting with a digit, and not a Python keyword"
    if unicodedata.normalize("NFKC", name) != name:
        return f"it changes under Unicode NFKC normalisation; write {unicodedata.normalize('NFKC', name)!r}"
    if name.startswith("__"):
        return "names with double underscores are reserved"
    return None


def lint_rename(path: tuple[str | int, ...], spec: Mapping[str, Any], problem: Problem) -> None:
    """A source's `rename`: usable new names, one header per new name, no column declared by its old name."""
    rename: Mapping[str, str] = spec.get("rename") or {}
    first: dict[str, str] = {}
    for header, new in rename.items():
        where = (*path, "rename", header)
        why = name_problem(new)
        if why is not None:
            problem(where, f"new name {new!r} of column {header!r} cannot be named in expressions: {why}")
        if new in first:
            problem(where,
                    f"{first[new]!r} and {header!r} are both renamed to {new!r}; a name can stand for one column")
        first.setdefault(new, header)
    columns = spec.get("columns") or {}
    for header, new in rename.items():
        if header in columns and header not in first:
            problem((*path, "columns", header), f"column {header!r} is renamed to {new!r}; declare it as {new!r}",
                    key=True)
    named: list[tuple[tuple[str | int, ...], Any]] = [
        ((field,), spec.get(field))
        for field in ("key", "appraisee", "period_by", "name", "team", "manager", "role", "start", "end")
    ]
    named += [(("columns", column, part), declared.get(part)) for column, declared in columns.items()
              if isinstance(declared, Mapping) for part in ("date", "time")]
    for sub, value in named:
        if isinstance(value, str) and value in rename and value not in first:
            problem(path + sub, f"column {value!r} is renamed to {rename[value]!r}; use the new name")


def lint_columns(path: tuple[str | int, ...], columns: Mapping[str, Any], problem: Problem) -> None:
    """The long form of declared columns: `format` for dates and timestamps, `date` and `time` together."""
    for name, declared in columns.items():
        if isinstance(declared, str):
            continue
        where, kind = (*path, "columns", name), declared["type"]
        built = [k for k in ("date", "time") if k in declared]
        if "format" in declared and kind not in _TIME_KINDS:
            problem((*where, "format"), f"'format' is for date and timestamp columns; {name!r} is {kind}", key=True)
        if built and kind != "timestamp":
            problem((*where, built[0]), f"'date' and 'time' build a timestamp; {name!r} is {kind}", key=True)
        elif len(built) == 1:
            other = "time" if built[0] == "date" else "date"
            problem(where, f"a timestamp built from two columns needs both 'date' and 'time'; add {other!r}")
        for part in built:
            if declared[part] == name:
                problem((*where, part), f"{name!r} cannot be built from itself; name the file's {part} column")
        if "format" in declared and kind in _TIME_KINDS:
            formats = declared["format"]
            for i, text in enumerate([formats] if isinstance(formats, str) else formats):
                at = (*where, "format") if isinstance(formats, str) else (*where, "format", i)
                message = format_problem(text, built=bool(built), alone=isinstance(formats, str))
                if message:
                    problem(at, message)


def format_problem(text: str, *, built: bool = False, alone: bool = True) -> str | None:
    """What is wrong with a declared date or time format, or None."""
    if text == EXCEL:
        if built:
            return "'excel' reads one serial number; a timestamp built from a date and a time needs a strptime format"
        return None if alone else "'excel' is a format of its own; give it alone, not in a list"
    directives = list(_DIRECTIVE.finditer(text))
    for match in directives:
        if match.group(2) is not None:
            shown = "a lone '%' at the end" if not match.group(2) else f"'%{match.group(2)}'"
            offset = match.group(2) in "zZ" and match.group(2)
            extra = "; text with a time-zone offset is read without a format" if offset else ""
            return f"format {text!r} has {shown}, which is not a date or time directive{extra}"
    if not any(m.group(1) and m.group(1) != "%" for m in directives):
        return (f"format {text!r} has no % directive; write for example '%m/%d/%Y' for 7/4/2026, "
                "or 'excel' for serial numbers")
    return None
