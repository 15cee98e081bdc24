"""Explaining a score: from the grade back down to the data rows, in plain steps.

Explains a stored run (never recomputes its scores); for one indicator, the rows that were
counted come from the caller (`rows`, usually `appraisal.row_reader.rows_of`), which reopens the
scheme's data only when they are asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from appraisal.errors import AppraisalError
from appraisal.rendering.phrasing import phrase
from appraisal.results.result import AppraiseeResult, Result, ScoredCell
from appraisal.results.row_evidence import IN_NUMERATOR, CountedRows
from appraisal.suggestions import suggest

# Reads the rows behind one value: (appraisee, indicator) -> the counts and first rows.
RowSource = Callable[[str, str], CountedRows]


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{round(x, 4):g}"


def _title(cell: ScoredCell | dict[str, Any], language: str = "en") -> str:
    title = cell.title if isinstance(cell, ScoredCell) else cell.get("title", {})
    return title.get(language) or title.get("en") or next(iter(title.values()), "")


def find_appraisee(result: Result, appraisee: str) -> AppraiseeResult:
    try:
        return result.appraisee(appraisee)
    except KeyError:
        ids = result.appraisee_ids()
        near = suggest(appraisee, ids)
        hint = f"did you mean {near!r}?" if near else f"{len(ids)} appraisees, e.g. {', '.join(ids[:5])}"
        raise AppraisalError(f"no appraisee {appraisee!r} in this run; {hint}") from None


def explain(
    result: Result, appraisee: str, indicator: str | None = None, *, rows: RowSource | None = None
) -> list[str]:
    """The explanation of one appraisee in `result` as lines of text; with `indicator`, of that
    value alone, and the rows behind it when it is measured (read by `rows`, if given)."""
    person = find_appraisee(result, appraisee)
    scheme, period = result.scheme, result.period
    lines = [
        f"{person.id}" + (f" ({person.name})" if person.name else "")
        + (f", team {person.team}" if person.team else ""),
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
            near = suggest(indicator, known)
            hint = f"did you mean {near!r}?" if near else f"indicators: {', '.join(known)}"
            raise AppraisalError(f"no indicator {indicator!r} in this scheme; {hint}")
    for n, cell in enumerate(cells, 1):
        lines += _cell_lines(n, cell)
    if indicator is not None and cells[0].kind == "measure" and rows is not None:
        found = row_lines(rows(person.id, indicator))
        lines += ["   " + found[0]] + ["     " + line for line in found[1:]]
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
            f"   weight {_fmt(cell.weight)}%, effective {_fmt(cell.effective_weight)}%: "
            f"contributes {contribution} points"
        )
    if cell.flags:
        lines.append(f"   flags: {'; '.join(cell.flags)}")
    return lines


def row_lines(found: CountedRows) -> list[str]:
    """The counts and first rows behind one value, as the lines `appraisal explain` prints."""
    lines = [f"rows: {phrase(found.parts, 'en') or found.parts['key']}"]
    if found.why_not is None:
        lines.append(" | ".join("in numerator" if n == IN_NUMERATOR else n for n in found.columns))
        lines += [" | ".join("" if v is None else str(v) for v in row) for row in found.rows]
    return lines
