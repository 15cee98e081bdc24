"""What an accepted appeal (申诉) changes in a run: rows excluded, a value corrected, a rating redone.

An accepted appeal does not edit the stored run: the run is measured again from its stored scheme
on the data it read, with the corrections of its appeals applied, and kept as a new version. Rows
named by their key become one more exclusion of the scheme (`appeal N` is its reason, so the rows
are counted among the data-quality counts like any exclusion, and every indicator reading them
follows); a corrected value or rating replaces the appraisee's measured one in the engine's table
before scoring. The cell then carries the flag `corrected by appeal N`, and everything computed
from it (scores, totals, grades, pay) follows in the engine as in any run.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from appraisal.errors import AppraisalError, DataError
from appraisal.expressions.kinds import Kind, column_kind
from appraisal.expressions.parsing import NameKind, parse_expression
from appraisal.scheme.model import Exclusion

if TYPE_CHECKING:
    import duckdb

    from appraisal.engines.duckdb_engine import QualityCount
    from appraisal.expressions.functions import FunctionRegistry
    from appraisal.measuring.tables import Wide
    from appraisal.scheme.model import Dataset, Indicator, Scheme

KINDS = ("exclude_rows", "value", "rating")
WORDS = {"exclude_rows": "rows excluded", "value": "value corrected", "rating": "re-rated"}


@dataclass(frozen=True)
class Correction:
    """One accepted appeal's change to one appraisee's indicator (see the module docstring)."""

    appeal: int
    appraisee: str
    indicator: str
    kind: str
    rows: tuple[str, ...] = ()
    value: float | None = None

    @property
    def flag(self) -> str:
        return f"corrected by appeal {self.appeal}"

    def describe(self) -> str:
        """In words, as the audit log and the scorecard say it."""
        what = (f"rows {', '.join(self.rows)} excluded" if self.kind == "exclude_rows"
                else f"value corrected to {self.value:g}" if self.kind == "value"
                else f"re-rated {self.value:g}")
        return f"appeal {self.appeal}: {self.indicator} of {self.appraisee}, {what}"

    def as_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found["rows"] = list(self.rows)
        return found

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Correction:
        value = data.get("value")
        return cls(int(data["appeal"]), str(data["appraisee"]), str(data["indicator"]), str(data["kind"]),
                   tuple(str(r) for r in data.get("rows") or ()), None if value is None else float(value))


def check(scheme: Scheme, correction: Correction) -> None:
    """Refuse a correction the scheme cannot take, saying why: rows of an indicator that reads no
    dataset with a `key`, a value for an indicator computed from others, a rating off its scale."""
    indicator = _indicator(scheme, correction.indicator)
    if correction.kind not in KINDS:
        raise AppraisalError(f"a correction excludes rows, corrects a value or re-rates, not {correction.kind!r}")
    if correction.kind == "exclude_rows":
        _row_exclusion(scheme, indicator, correction.rows, correction.appeal, correction.appraisee)
        return
    value = correction.value
    if value is None or not math.isfinite(value):
        raise AppraisalError(f"the corrected value of {indicator.id} must be a finite number, not {value!r}")
    if correction.kind == "rating":
        if indicator.kind != "rating":
            raise AppraisalError(f"{indicator.id} is not rated: correct its value (--value) or exclude rows "
                                 "(--exclude-rows) instead of re-rating it")
        low, high = indicator.scale or (-math.inf, math.inf)
        if not low <= value <= high:
            raise AppraisalError(f"the rating {value:g} is off {indicator.id}'s scale ({low:g} to {high:g})")
        return
    if indicator.kind == "rating":
        raise AppraisalError(f"{indicator.id} is rated: re-rate it (--rating) instead of correcting its value")
    if indicator.kind not in ("measure", "custom"):
        raise AppraisalError(f"{indicator.id} is computed from other indicators ({indicator.kind}): correct "
                             "the indicators it is computed from instead")


def with_exclusions(scheme: Scheme, corrections: Iterable[Correction], functions: FunctionRegistry) -> Scheme:
    """`scheme` with one more exclusion per correction that excludes rows (after its own ones,
    so the data-quality counts of its own exclusions keep their order)."""
    added = []
    for correction in corrections:
        if correction.kind != "exclude_rows":
            continue
        indicator = _indicator(scheme, correction.indicator)
        dataset, condition = _row_exclusion(scheme, indicator, correction.rows, correction.appeal,
                                            correction.appraisee)
        names = {name: NameKind.COLUMN for name in scheme.datasets[dataset].columns}
        where = parse_expression(condition, names=names, functions=functions)
        # no one's id in the reason: every page that counts excluded rows may show it
        added.append(Exclusion(dataset, where, {"en": f"appeal {correction.appeal} ({correction.indicator})",
                                                "zh": f"申诉 {correction.appeal}（{correction.indicator}）"}))
    return replace(scheme, exclusions=(*scheme.exclusions, *added)) if added else scheme


def exclusion_reason(correction: Correction) -> str:
    """The English cause its excluded rows are counted under in the data-quality counts."""
    return f"excluded: appeal {correction.appeal} ({correction.indicator})"


def apply(connection: duckdb.DuckDBPyConnection, wide: Wide, quality: Sequence[QualityCount],
          corrections: Sequence[Correction]) -> None:
    """Apply `corrections` to the measured table `wide` before scoring: replace corrected values
    and ratings, flag every corrected cell. Refuse rows named that the run did not read in its
    period, and a correction for someone not on the roster: a correction that changes nothing
    is a mistake, never a silent no-op."""
    counts = {(c.dataset, c.cause): c.count for c in quality}
    columns = {column.indicator: n for n, column in enumerate(wide.columns)}
    for correction in corrections:
        if correction.kind == "exclude_rows":
            found = sum(count for (_, cause), count in counts.items() if cause == exclusion_reason(correction))
            named = len(set(correction.rows))
            if found != named:
                raise DataError(f"appeal {correction.appeal}: of the {named} rows named to exclude, {found} are "
                                f"{correction.appraisee}'s rows of the run's period (named by the key of the dataset "
                                f"{correction.indicator} reads); name each of their rows by its key, as `appraisal "
                                "explain` shows it")
        n = columns.get(correction.indicator)
        if n is None:
            raise DataError(f"appeal {correction.appeal}: {correction.indicator} is not measured in this run")
        values = [] if correction.kind == "exclude_rows" else [correction.value]
        setting = f"v{n} = ?, " if values else ""
        flag = correction.flag.replace("'", "''")
        [(changed,)] = connection.execute(
            f"UPDATE {wide.table} SET {setting}f{n} = list_append(coalesce(CAST(f{n} AS VARCHAR[]),"
            f" []::VARCHAR[]), '{flag}') WHERE appraisee = ?", [*values, correction.appraisee]).fetchall()
        if not changed:
            raise DataError(f"appeal {correction.appeal}: {correction.appraisee} is not on the run's roster")


def _indicator(scheme: Scheme, name: str) -> Indicator:
    for indicator in scheme.indicators:
        if indicator.id == name:
            return indicator
    raise AppraisalError(f"the scheme {scheme.id} has no indicator {name!r}")


def _row_exclusion(
    scheme: Scheme, indicator: Indicator, rows: Sequence[str], appeal: int, appraisee: str,
) -> tuple[str, str]:
    """The dataset and the condition that names the rows: their keys, and the appraisee's own
    (an appeal corrects its appraisee's numbers, never another's: rows of someone else are not
    excluded, and then not found, which refuses the correction)."""
    if not rows:
        raise AppraisalError(f"appeal {appeal}: name the rows to exclude by their key (--exclude-rows KEY,KEY)")
    if indicator.measure is None:
        raise AppraisalError(f"{indicator.id} reads no dataset ({indicator.kind}): no rows of it can be excluded; "
                             "correct its value instead")
    dataset = scheme.datasets[indicator.measure.dataset]
    if dataset.key is None:
        raise AppraisalError(f"the dataset {dataset.name} has no `key` column: its rows cannot be named; "
                             "correct the value instead (--value)")
    if dataset.appraisee is None:
        owner = dataset.via.dataset if dataset.via else "another dataset"
        raise AppraisalError(f"the rows of {dataset.name} are someone's through {owner}: exclude the rows they go "
                             "with there (an excluded row takes its rows along)")
    for column in (dataset.key, dataset.appraisee):
        if not column.isidentifier():
            raise AppraisalError(f"the column {column!r} of {dataset.name} cannot be named in a condition")
    keys = ", ".join(_literal(row, dataset, dataset.key) for row in rows)
    return dataset.name, (f"{dataset.key} in ({keys},) and {dataset.appraisee} == "
                          f"{_literal(appraisee, dataset, dataset.appraisee)}")


def _literal(text: str, dataset: Dataset, column: str) -> str:
    """`text` as a literal of `column`'s kind: a whole number as it is written (no float between:
    a 19-digit id keeps every digit), another number, or text."""
    kind = column_kind(dataset.columns.get(column, "text"))
    if kind in (Kind.TEXT, Kind.ANY):
        return repr(str(text))
    if kind is not Kind.NUMBER:
        raise AppraisalError(f"{column} of {dataset.name} is a {kind.value}: rows are named by a text or number")
    cleaned = str(text).strip()
    if re.fullmatch(r"[+-]?\d+", cleaned):
        return str(int(cleaned))
    try:
        number = float(cleaned)
    except ValueError:
        raise AppraisalError(f"{column} of {dataset.name} is a number, not {text!r}") from None
    if not math.isfinite(number):
        raise AppraisalError(f"{column} of {dataset.name} is a number, not {text!r}")
    return repr(number)
