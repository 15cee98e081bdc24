"""The levels a scheme's `quality:` block sets, and their lint.

A level (`warn_if: "> 1%"`, `error_if: ">= 10"`, `never`) is scheme data: parsed here, checked
by the semantic lint here (the datasets and columns the block names exist; no warning level sits
above its error level), and applied by the measuring stage (`appraisal.measuring.quality`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from appraisal.errors import DataError
from appraisal.suggestions import suggest

# A level as written: "> 5%" (a share of the rows), ">= 10" (a number of rows), or "never".
# The JSON Schema holds the same pattern (tests/test_quality.py checks that they agree).
LIMIT_PATTERN = r"^(never|(>|>=) ?[0-9]+(\.[0-9]+)?%?)$"
_LIMIT = re.compile(r"(>=?) ?([0-9]+(?:\.[0-9]+)?)(%?)")


@dataclass(frozen=True)
class Limit:
    """A level: more than (or at least) `amount` rows, or percent of the rows when `share`."""

    text: str
    inclusive: bool
    amount: float
    share: bool

    def crossed(self, count: int, rows: int | None) -> bool:
        if self.share:
            if not rows:
                return False
            value = 100.0 * count / rows
        else:
            value = float(count)
        return value >= self.amount if self.inclusive else value > self.amount

    def words(self) -> str:
        """`above 5%`, `5% or more`, `above 10 rows`, `1 row or more`."""
        amount = f"{self.amount:g}"
        unit = "%" if self.share else (" row" if self.amount == 1 else " rows")
        return f"{amount}{unit} or more" if self.inclusive else f"above {amount}{unit}"


def parse_limit(text: str) -> Limit | None:
    """A level as written in a scheme; None for `never` (the schema has refused anything else)."""
    text = str(text).strip()
    if text == "never":
        return None
    match = _LIMIT.fullmatch(text)
    if match is None:
        raise DataError(f"{text!r} is not a data-quality level; write e.g. '> 5%', '>= 10' or 'never'")
    return Limit(text, match[1] == ">=", float(match[2]), bool(match[3]))


# -- the lint -----------------------------------------------------------------------------------

def lint_quality(data: Mapping[str, Any], add: Any) -> None:
    """Semantic checks of a `quality:` block: the datasets and columns it names exist, and no
    warning level sits above its error level (it could never warn). Parts of another shape are
    left to the schema check.

    `add(path, message)` records a problem at a key path inside the document."""
    policy = data.get("quality")
    if not isinstance(policy, Mapping):
        return
    tables: dict[str, Any] = dict(_mapping(data.get("datasets")))
    roster = _mapping(data.get("roster"))
    if roster:
        named = {roster[f]: "" for f in _ROSTER_KEYS if isinstance(roster.get(f), str)}
        tables.setdefault("roster", {"columns": {**named, **_mapping(roster.get("columns"))}})
    if "ratings" in data:
        tables.setdefault("ratings", {"columns": dict.fromkeys(("appraisee", "indicator", "rater", "rating", "group"))})
    _lint_levels(policy, ("quality",), add)
    for name, spec in _mapping(policy.get("datasets")).items():
        path = ("quality", "datasets", name)
        if name not in tables:
            add(path, _unknown("dataset", name, tables))
            continue
        _lint_levels(_mapping(spec), path, add)
        columns = _mapping(tables[name]).get("columns")
        measured = {i.get("id") for i in data.get("indicators") or [] if isinstance(i, Mapping)
                    and _mapping(i.get("measure")).get("dataset") == name}
        for column, levels in _mapping(_mapping(spec).get("columns")).items():
            if isinstance(columns, Mapping) and column not in columns and column not in measured:
                add((*path, "columns", column), _unknown("column", column, columns, f" in dataset {name!r}"))
            _lint_levels(_mapping(levels), (*path, "columns", column), add)


_ROSTER_KEYS = ("key", "name", "team", "manager", "role", "start", "end")


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _lint_levels(levels: Mapping[str, Any], path: tuple[Any, ...], add: Any) -> None:
    causes = [((*path, "causes", c), _mapping(s)) for c, s in _mapping(levels.get("causes")).items()]
    for where, spec in [(path, levels), *causes]:
        texts = [t for key in ("warn_if", "error_if")
                 if isinstance(t := spec.get(key), str) and re.fullmatch(LIMIT_PATTERN, t)]
        if len(texts) != 2:
            continue
        warn, error = parse_limit(texts[0]), parse_limit(texts[1])
        if warn is None or error is None or warn.share != error.share:
            continue
        # A warning needs a value above its level that is not above the error's: none when the
        # warning's level is higher, or equal unless only the warning's includes the level itself.
        if warn.amount > error.amount or (warn.amount == error.amount and not (warn.inclusive and not error.inclusive)):
            add((*where, "warn_if"),
                f"warn_if {warn.text!r} can never warn: error_if {error.text!r} stops the run first")


def _unknown(what: str, name: str, known: Iterable[str], where: str = "") -> str:
    known = [str(k) for k in known]
    near = suggest(name, known)
    hint = f"; did you mean {near!r}?" if near else (f"; known: {', '.join(known)}" if known else "")
    return f"unknown {what} {name!r}{where}{hint}"
