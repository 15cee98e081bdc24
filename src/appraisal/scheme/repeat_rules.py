"""A dataset's `repeats:` rule, as the scheme model holds it, and its lint.

What the rule means, and the SQL that adds the column it declares, are in `appraisal.sql.repeats`;
the rule itself is scheme data, read by the model, the lint and the compiler alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

TIME_KINDS = ("timestamp", "date")


@dataclass(frozen=True)
class Repeats:
    column: str
    same: tuple[str, ...]
    after: str | None
    within_days: float
    looked_in: str | None = None  # `in`: the dataset whose rows count as the return
    at: str | None = None  # the time column of `looked_in`; its period_by when None

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Repeats:
        return cls(spec["column"], tuple(spec["same"]), spec.get("after"), float(spec["within_days"]),
                   spec.get("in"), spec.get("at"))

    def added_columns(self, keyed: bool) -> dict[str, str]:
        """The columns the engine adds (name -> kind), for expressions and the lint."""
        return {self.column: "flag", **({f"{self.column}_by": "text"} if keyed else {})}


def added_columns(spec: Mapping[str, Any], datasets: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The derived columns of a dataset's raw spec (none without `repeats`); `datasets` (all
    raw specs) says whether an `in` dataset has the key that `<column>_by` needs."""
    if "repeats" not in spec:
        return {}
    repeats = Repeats.from_spec(spec["repeats"])
    keyed_by = spec if repeats.looked_in is None else (datasets or {}).get(repeats.looked_in, {})
    return repeats.added_columns("key" in keyed_by)


Problem = Callable[[tuple[str | int, ...], str], None]  # (subpath, message)


def lint_repeats(spec: Mapping[str, Any], problem: Problem, looked_in: Mapping[str, Any] | None = None) -> None:
    """Check a dataset's `repeats`; `problem(subpath, message)` reports against the scheme file.

    `looked_in` is the raw spec of the `in` dataset once the caller has found it declared
    (unknown names and columns are the caller's, with its did-you-mean hints)."""
    repeats = spec.get("repeats")
    if repeats is None:
        return
    columns: Mapping[str, str] = spec.get("columns", {})
    if "period_by" not in spec:
        why = ("without it the dataset is a lookup table, never measured" if "in" in repeats
               else "it orders the rows in time")
        problem(("repeats",), f"'repeats' needs the dataset's 'period_by': {why}")
    for name in (repeats["column"], f"{repeats['column']}_by"):
        if name in columns:
            problem(("repeats", "column"),
                    f"the dataset already has a column {name!r}; name the added column differently")
    after = repeats.get("after")
    if after is not None and columns.get(after) not in TIME_KINDS:
        said = f"is {columns[after]}" if after in columns else "is not a declared column"
        problem(("repeats", "after"), f"'after' column {after!r} {said}; it must be a timestamp or a date")
    if "at" in repeats and "in" not in repeats:
        problem(("repeats", "at"), "'at' is a time column of the 'in' dataset; add 'in' or leave 'at' out")
    if looked_in is not None:
        _lint_looked_in(repeats, columns, looked_in, problem)


def _lint_looked_in(repeats: Mapping[str, Any], columns: Mapping[str, str], other: Mapping[str, Any],
                    problem: Problem) -> None:
    """The `in` dataset's side: a time to order its rows by, and `same` columns of one type in
    both datasets, so that the join compares like with like (a text id is not the number 7)."""
    name, theirs = repeats["in"], other.get("columns", {})
    at = repeats.get("at", other.get("period_by"))
    if at is None:
        problem(("repeats",), f"'repeats' needs 'at': dataset {name!r} has no 'period_by' to say when its rows happen")
    elif at in theirs and theirs[at] not in TIME_KINDS:
        if "at" in repeats:
            problem(("repeats", "at"), f"'at' column {at!r} is {theirs[at]}; it must be a timestamp or a date")
        else:
            problem(("repeats", "in"), f"dataset {name!r} is placed in time by {at!r}, which is {theirs[at]}; "
                                       "name its timestamp or date column in 'at'")
    for i, column in enumerate(repeats["same"]):
        here, there = columns.get(column), theirs.get(column)
        if here is not None and there is not None and here != there:
            problem(("repeats", "same", i),
                    f"'same' column {column!r} is {here} here but {there} in dataset {name!r}; "
                    "declare one type in both")
