"""Explaining a score: from the grade back down to the data rows, in plain steps.

Reads a stored run (never recomputes its scores) and, for one indicator, reopens the scheme's
data to show the rows that were counted, after checking that neither the scheme nor the data
changed since the run: an explanation of different data would be a false one.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appraisal.errors import AppraisalError
from appraisal.rendering.phrasing import phrase
from appraisal.results.result import AppraiseeResult, Result, ScoredCell
from appraisal.results.storing import load_run


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{round(x, 4):g}"


def _title(cell: ScoredCell | dict[str, Any], language: str = "en") -> str:
    title = cell.title if isinstance(cell, ScoredCell) else cell.get("title", {})
    return title.get(language) or title.get("en") or next(iter(title.values()), "")


def find_appraisee(result: Result, appraisee: str) -> AppraiseeResult:
    try:
        return result.appraisee(appraisee)
    except KeyError:
        ids = [a.id for a in result.appraisees]
        close = difflib.get_close_matches(appraisee, ids, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"{len(ids)} appraisees, e.g. {', '.join(ids[:5])}"
        raise AppraisalError(f"no appraisee {appraisee!r} in this run; {hint}") from None


def explain(folder: Path, appraisee: str, indicator: str | None = None, *, rows: int = 5) -> list[str]:
    """The explanation as lines of text."""
    result = load_run(folder)
    person = find_appraisee(result, appraisee)
    scheme, period = result.scheme, result.period
    lines = [
        f"{person.id}" + (f" ({person.name})" if person.name else "") + (f", team {person.team}" if person.team else ""),
        f"scheme {scheme['id']} v{scheme['version']}, period {period['label']} "
        f"[{period['start']} .. {period['end']}) {period['timezone']}",
    ]
    if person.flags:
        lines.append(f"flags: {'; '.join(person.flags)}")
    cells = list(person.cells)
    if indicator is not None:
        cells = [c for c in cells if c.indicator == indicator]
        if not cells:
            known = [c.indicator for c in person.cells]
            close = difflib.get_close_matches(indicator, known, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else f"indicators: {', '.join(known)}"
            raise AppraisalError(f"no indicator {indicator!r} in this scheme; {hint}")
    for n, cell in enumerate(cells, 1):
        lines += _cell_lines(n, cell)
    if indicator is not None and cells[0].kind == "measure":
        lines += _row_lines(result, person.id, indicator, rows)
    elif indicator is None:
        lines.append("(add --indicator ID to see the rows behind one value)")
    if indicator is None:
        lines.append("total:")
        lines += [f"  {step}" for step in person.steps]
        for effect in person.effects:
            state = "applied" if effect.applied else "did not apply"
            lines.append(f"  {effect.kind} when {effect.when}: {effect.effect} ({effect.reason}) - {state}")
        lines.append(f"  total {_fmt(person.total)}, grade {person.grade or '-'}, status {person.status}")
    return lines


def _quantity(x: float | None, unit: str) -> str:
    """A value with its unit; `%` values are fractions, shown as percentages."""
    if x is None:
        return "-"
    if unit == "%":
        return f"{_fmt(x * 100)}%"
    return f"{_fmt(x)} {unit}" if unit else _fmt(x)


def _cell_lines(n: int, cell: ScoredCell) -> list[str]:
    lines = [
        f"{n}. {_title(cell)} [{cell.indicator}]",
        f"   value: {_quantity(cell.value, cell.unit)} from {cell.rows} rows ({cell.source}); status {cell.status}",
        f"   target: {_quantity(cell.target, cell.unit)}",
        f"   score: {_fmt(cell.score)} by {cell.rule}",
    ]
    if cell.weight:
        contribution = "-" if cell.contribution is None else _fmt(cell.contribution)
        lines.append(
            f"   weight {_fmt(cell.weight)}%, effective {_fmt(cell.effective_weight)}%: contributes {contribution} points"
        )
    if cell.flags:
        lines.append(f"   flags: {'; '.join(cell.flags)}")
    return lines


ALL_ROWS = 2**63 - 1  # the most rows `RowReader` asks for: every row there is

# The column of CountedRows.columns that says whether a ratio's numerator counted the row.
IN_NUMERATOR = "__in_numerator"


@dataclass(frozen=True)
class CountedRows:
    """The rows behind one appraisee's value, as data: reports phrase it in their language,
    `RowReader.lines` in English. Either rows (`why_not` is None) or why there are none to show.

    `columns` are the dataset's columns as the query returns them, then `IN_NUMERATOR` for a
    ratio; `rows` are the first rows counted, one tuple of values per row, in a fixed order.
    `why_not` is phrasebook parts (`appraisal.rendering.phrasing`): `rows_scheme_gone` and
    `rows_scheme_changed` (with `file`), `rows_data_changed`, `rows_none_counted` (with
    `appraisee`, `dataset`).
    """

    appraisee: str
    dataset: str = ""
    rows_in_period: int = 0
    excluded: int = 0
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...], ...] = ()
    why_not: Mapping[str, Any] | None = None

    @property
    def parts(self) -> Mapping[str, Any]:
        """What the rows are, as phrasebook parts: `why_not`, or `rows_counted` with the counts."""
        if self.why_not is not None:
            return self.why_not
        return {"key": "rows_counted", "appraisee": self.appraisee, "dataset": self.dataset,
                "in_period": self.rows_in_period, "excluded": self.excluded, "shown": len(self.rows)}


class RowReader:
    """The rows behind a run's values, from the data the run used, opened once for many cells.

    Rows are shown only if neither the scheme file nor its data changed since the run: an
    explanation of different data would be a false one. `counted` gives, for one appraisee and
    indicator, the counts and the first `limit` rows counted (in a fixed order); `lines` says
    the same in English.
    """

    def __init__(self, result: Result, limit: int = 5):
        from appraisal.pipeline import data_fingerprint
        from appraisal.scheme.validation import load_scheme

        # DuckDB's LIMIT is a BIGINT: asking for more rows than it holds asks for them all.
        self.result, self.limit = result, min(limit, ALL_ROWS)
        self.engine: Any = None
        self.scheme: Any = None
        self.why_not: Mapping[str, Any] | None = None
        scheme_file = Path(str(result.provenance.get("scheme_file", "")))
        # The scheme file by its name: these words end up in drill-down pages, which carry no
        # path of the operator's machine.
        if not scheme_file.is_file():
            self.why_not = {"key": "rows_scheme_gone", "file": scheme_file.name}
        elif (scheme := load_scheme(scheme_file)).digest != result.provenance.get("scheme_sha256"):
            self.why_not = {"key": "rows_scheme_changed", "file": scheme_file.name}
        elif data_fingerprint(scheme) != result.provenance.get("data_sha256"):
            self.why_not = {"key": "rows_data_changed"}
        else:
            self.scheme = scheme

    def __enter__(self) -> RowReader:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.engine is not None:
            self.engine.close()
            self.engine = None

    def counted(self, appraisee: str, indicator: str) -> CountedRows:
        """The counts and first rows behind one measured value, or why they cannot be shown."""
        from appraisal.sql.measures import compile_rows
        from appraisal.engines.duckdb_engine import open_engine
        from appraisal.periods import parse_period
        from appraisal.plugins import get_functions

        if self.scheme is None:
            return CountedRows(appraisee, why_not=self.why_not)
        if self.engine is None:
            self.engine = open_engine(self.scheme)
        period = parse_period(str(self.result.period["label"]))
        query = compile_rows(self.scheme, self.scheme.indicator(indicator), period, get_functions(), appraisee, self.limit)
        cursor = self.engine.connection.execute(query.sql, list(query.params))
        names, found = [d[0] for d in cursor.description], cursor.fetchall()
        if not found:
            return CountedRows(appraisee, query.dataset, why_not={
                "key": "rows_none_counted", "appraisee": appraisee, "dataset": query.dataset})
        first = dict(zip(names, found[0], strict=True))
        shown = [i for i, n in enumerate(names) if n not in ("__rows_in_period", "__excluded")]
        return CountedRows(
            appraisee, query.dataset, int(first["__rows_in_period"]), int(first["__excluded"]),
            tuple(names[i] for i in shown), tuple(tuple(row[i] for i in shown) for row in found),
        )

    def lines(self, appraisee: str, indicator: str) -> list[str]:
        """The counts and first rows, as the lines `appraisal explain` prints."""
        found = self.counted(appraisee, indicator)
        lines = [f"rows: {phrase(found.parts, 'en') or found.parts['key']}"]
        if found.why_not is None:
            lines.append(" | ".join("in numerator" if n == IN_NUMERATOR else n for n in found.columns))
            lines += [" | ".join("" if v is None else str(v) for v in row) for row in found.rows]
        return lines


def _row_lines(result: Result, appraisee: str, indicator: str, limit: int) -> list[str]:
    """The first rows counted for this value, indented under the cell's lines."""
    with RowReader(result, limit) as reader:
        found = reader.lines(appraisee, indicator)
    return ["   " + found[0]] + ["     " + line for line in found[1:]]
