"""Ratings collected in a workbook, read back: every filled cell a rating, every bad cell named.

HR teams collect manager, self and 360 ratings in spreadsheets. `appraisal form --xlsx` writes a
workbook with a sheet per rater (`rendering.ratings_form`); filled in, `appraisal ratings` reads
it back here into the rows a scheme's `ratings` file holds (appraisee, indicator, rater, group,
rating, comment). Nothing is guessed: a cell that is not a number, a rating off its scale, an
appraisee the roster does not have, a group the indicator does not take, or a rater rating
themselves outside the `self` group is a problem named by sheet and cell, and with any problem
nothing is written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import openpyxl

from appraisal.engines.duckdb_engine import open_engine
from appraisal.errors import AppraisalError
from appraisal.scheme.model import ROSTER
from appraisal.sql.dialect import SPACES
from appraisal.sql.dialect import quote_identifier as q
from appraisal.sql.ratings import SELF

if TYPE_CHECKING:
    from appraisal.engines.sources import SourceRegistry
    from appraisal.scheme.model import Indicator, Scheme

META = "_appraisal"  # the hidden sheet: which scheme, which rater each sheet is, which indicator each column
FIXED = ("appraisee", "name", "group")  # the columns before the ratings; the comment comes after them


@dataclass(frozen=True)
class Rating:
    appraisee: str
    indicator: str
    rater: str
    group: str
    rating: float
    comment: str


def roster_names(scheme: Scheme, sources: SourceRegistry) -> dict[str, str]:
    """Everyone on the scheme's roster, by id, with their name (the id when the roster has none),
    read and typed as a run reads it (the datasets are not read)."""
    if scheme.roster is None:
        raise AppraisalError(f"scheme {scheme.id!r} has no roster: a ratings workbook lists the roster's people")
    key = q(scheme.roster.key)
    name = q(scheme.roster.fields["name"]) if "name" in scheme.roster.fields else key
    with open_engine(replace(scheme, datasets={}, ratings=None), sources) as engine:
        rows = engine.connection.execute(
            f"SELECT DISTINCT CAST({key} AS VARCHAR), CAST({name} AS VARCHAR) FROM {q(ROSTER)}"
            f" WHERE {key} IS NOT NULL ORDER BY 1").fetchall()
    return {str(k): str(n) if n is not None else str(k) for k, n in rows}


def rated(scheme: Scheme) -> list[Indicator]:
    """The scheme's rating indicators, in order: the workbook's rating columns."""
    found = [i for i in scheme.indicators if i.kind == "rating" and i.scale is not None]
    if not found:
        raise AppraisalError(f"scheme {scheme.id!r} rates nothing: it has no indicator of kind rating")
    return found


def scale_of(indicator: Indicator, group: str) -> tuple[float, float]:
    """The scale a rating of `indicator` by a rater of `group` is given on."""
    assert indicator.scale is not None
    for g in indicator.raters:
        if g.name == group and g.scale is not None:
            return g.scale
    return indicator.scale


def read_ratings(path: Path, scheme: Scheme, roster: dict[str, str]) -> tuple[list[Rating], list[str]]:
    """The ratings of the filled workbook at `path`, and every problem as `Sheet!C5: ...`."""
    try:
        book = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise AppraisalError(f"cannot read {path} as a workbook: {exc}") from None
    if META not in book.sheetnames:
        raise AppraisalError(f"{path} is not a ratings workbook of appraisal (it has no {META} sheet): write one "
                             "with `appraisal form SCHEME --xlsx --raters FILE`")
    meta_rows = [row for row in book[META].iter_rows(values_only=True) if row and row[0] is not None]
    meta = {str(row[0]): row[1:] for row in meta_rows}
    if (meta.get("scheme") or (None,))[0] != scheme.id:
        raise AppraisalError(f"{path} was written for the scheme {(meta.get('scheme') or ('?',))[0]!r}, "
                             f"not {scheme.id!r}")
    indicators = {i.id: i for i in rated(scheme)}
    written = [str(row[0])[len("sheet:"):] for row in meta_rows if str(row[0]).startswith("sheet:")]
    ratings: list[Rating] = []
    problems = [f"{title}: a sheet the workbook was not written with (renamed or added): not read"
                for title in book.sheetnames if title != META and title not in written]
    problems += [f"{title}: the sheet of {(meta.get(f'sheet:{title}') or ('?',))[0]} is gone (renamed or deleted)"
                 for title in written if title not in book.sheetnames]
    for title in (t for t in written if t in book.sheetnames):
        rater = _text((meta.get(f"sheet:{title}") or (title,))[0])
        columns = [_text(v) for v in (meta.get(f"columns:{title}") or ()) if v is not None]
        asked = {(_text(r[1]), _text(r[2])) for r in meta_rows if str(r[0]) == f"row:{title}" and len(r) > 2}
        sheet = book[title]
        headers = [_text(v) for v in (meta.get(f"headers:{title}") or ()) if v is not None]
        if [_text(c.value) for c in sheet[1]][:len(headers)] != headers:
            problems.append(f"{title}!1: the columns were changed (added, moved or renamed): the ratings are not read")
            continue
        for offset, indicator_id in enumerate(columns):
            if indicator_id not in indicators:
                problems.append(f"{title}!{sheet.cell(row=1, column=len(FIXED) + offset + 1).coordinate}: "
                                f"{indicator_id} is no rating indicator of {scheme.id} (the scheme changed since)")
        seen: set[tuple[str, str]] = set()
        for cells in sheet.iter_rows(min_row=2):
            values = [c.value for c in cells]
            if not any(v not in (None, "") for v in values):
                continue
            appraisee, group = _text(values[0]), _text(values[2]) if len(values) > 2 else ""
            comment = _text(values[len(FIXED) + len(columns)]) if len(values) > len(FIXED) + len(columns) else ""
            where = f"{title}!{cells[0].coordinate}"
            if appraisee not in roster:
                problems.append(f"{where}: {appraisee or '(empty)'} is not on the roster")
                continue
            if (appraisee, group) not in asked:
                problems.append(f"{where}: {rater} was not asked to rate {appraisee} in the group {group or '(none)'}")
                continue
            if (appraisee, group) in seen:
                problems.append(f"{where}: {appraisee} in the group {group or '(none)'} a second time")
                continue
            seen.add((appraisee, group))
            if (rater == appraisee) != (group == SELF):
                problems.append(f"{where}: {rater} rates themselves outside the {SELF} group" if rater == appraisee
                                else f"{where}: {rater} is in the {SELF} group of {appraisee}, where only "
                                     f"{appraisee} rates")
                continue
            for offset, indicator_id in enumerate(columns):
                cell = cells[len(FIXED) + offset] if len(cells) > len(FIXED) + offset else None
                if cell is None or cell.value in (None, "") or indicator_id not in indicators:
                    continue
                found = _rating(cell.value, indicators[indicator_id], group, f"{title}!{cell.coordinate}")
                if isinstance(found, str):
                    problems.append(found)
                else:
                    ratings.append(Rating(appraisee, indicator_id, rater, group, found, comment))
    return ratings, problems


def _rating(value: Any, indicator: Indicator, group: str, where: str) -> float | str:
    """The cell's rating, or the problem with it."""
    groups = [g.name for g in indicator.raters]
    if groups and group not in groups:
        return f"{where}: {indicator.id} takes ratings of the groups {', '.join(groups)}, not {group or '(none)'}"
    if not groups and group == SELF:
        return f"{where}: {indicator.id} takes no self-assessment (it has no rater group {SELF})"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(str(value).strip())
        except ValueError:
            return f"{where}: {str(value)!r} is not a number"
    low, high = scale_of(indicator, group)
    if not math.isfinite(value) or not low <= value <= high:
        return f"{where}: {value:g} is off {indicator.id}'s scale ({low:g} to {high:g})"
    return float(value)


def _text(value: Any) -> str:
    """A cell as text without the spaces a typed text loses (ids compare as the roster's do)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip(SPACES)
