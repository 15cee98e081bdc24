"""A ratings workbook (评分表): a sheet per rater, ready to be filled in and read back.

Each rater's sheet lists the people they rate (appraisee, name, the rater group they rate them
in), a column per rating indicator of the scheme whose cells only take a number on the scale
(the group's scale where it has one: Excel's and Calc's data validation, with a prompt), and a
comment column. A hidden sheet records the scheme, which rater each sheet is and which indicator
each column is, so `appraisal ratings` reads the filled workbook back (`engines.ratings_sheets`)
whatever the sheet names became. Self-assessment is a rater group like the others: a row whose
appraisee is the rater is in the group `self`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from appraisal.engines.ratings_sheets import FIXED, META, rated, scale_of
from appraisal.errors import AppraisalError
from appraisal.results.inert import mark_text, xlsx_value
from appraisal.scheme.model import pick
from appraisal.sql.ratings import SELF

if TYPE_CHECKING:
    from appraisal.scheme.model import Scheme

_WORDS = {"appraisee": ("Appraisee", "被考核人"), "name": ("Name", "姓名"), "group": ("Rater group", "评价人类别"),
          "comment": ("Comment", "评语"),
          "prompt": ("A number from {low:g} to {high:g}", "请填写 {low:g} 至 {high:g} 的数字"),
          "error": ("{low:g} to {high:g} only", "只能填写 {low:g} 至 {high:g}")}
FILL = PatternFill("solid", fgColor="FFF8E1")  # the cells to fill in


def ratings_workbook(scheme: Scheme, assignments: Sequence[tuple[str, str, str]], names: Mapping[str, str],
                     language: str = "en") -> Any:
    """The workbook for `assignments` ((rater, appraisee, group) each): a sheet per rater, in the
    order they first appear. An appraisee not in `names` (the roster) or a rater rating themselves
    outside the `self` group is refused before anything is written."""
    indicators = rated(scheme)
    selves = any(g.name == SELF for ind in indicators for g in ind.raters)
    i = 1 if language == "zh" else 0
    words = {key: pair[i] for key, pair in _WORDS.items()}
    for rater, appraisee, group in assignments:
        if appraisee not in names:
            raise AppraisalError(f"{appraisee} (rated by {rater}) is not on the roster of {scheme.id}")
        if rater == appraisee and group != SELF:
            raise AppraisalError(f"{rater} rates themselves outside the {SELF} group: give that row the group {SELF}")
        if group == SELF and rater != appraisee:
            raise AppraisalError(f"{rater} is in the {SELF} group of {appraisee}: only {appraisee} rates there")
        if group == SELF and not selves:
            raise AppraisalError(f"no rating indicator of {scheme.id} has a rater group {SELF}: a self-assessment "
                                 "would count nowhere (give an indicator `raters: {self: {weight: ...}}`)")
    if len(set(assignments)) < len(assignments):
        twice = next(a for a in assignments if assignments.count(a) > 1)
        raise AppraisalError(f"{twice[0]} is asked twice to rate {twice[1]} in the group {twice[2] or '(none)'}")
    book = Workbook()
    book.remove(book.active)
    meta = book.create_sheet(META)
    meta.append(["scheme", scheme.id])
    meta.append(["version", scheme.version])
    titles: dict[str, str] = {}
    for rater in dict.fromkeys(a[0] for a in assignments):
        title = _title(rater, set(titles.values()))
        titles[rater] = title
        sheet = book.create_sheet(title)
        header = [words["appraisee"], words["name"], words["group"],
                  *(pick(ind.title, language) if ind.title else ind.id for ind in indicators), words["comment"]]
        rows = [(a, g) for r, a, g in assignments if r == rater]
        for line in ([f"sheet:{title}", rater], [f"columns:{title}", *(ind.id for ind in indicators)],
                     [f"headers:{title}", *header], *([f"row:{title}", a, g] for a, g in rows)):
            meta.append([xlsx_value(v) for v in line])
        sheet.append([xlsx_value(h) for h in header])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            mark_text(cell)
        for n, (appraisee, group) in enumerate(rows, start=2):
            sheet.append([xlsx_value(appraisee), xlsx_value(names[appraisee]), xlsx_value(group)])
            for cell in sheet[n]:
                mark_text(cell)  # a name such as =HYPERLINK(...) stays text
            for offset, indicator in enumerate(indicators):
                low, high = scale_of(indicator, group)
                cell = sheet.cell(row=n, column=len(FIXED) + offset + 1)
                cell.fill = FILL
                check = DataValidation(type="decimal", operator="between", formula1=f"{low:g}", formula2=f"{high:g}",
                                       allow_blank=True, showErrorMessage=True, showInputMessage=True,
                                       prompt=words["prompt"].format(low=low, high=high),
                                       error=words["error"].format(low=low, high=high))
                sheet.add_data_validation(check)
                check.add(cell.coordinate)
            sheet.cell(row=n, column=len(FIXED) + len(indicators) + 1).fill = FILL
        for column in range(1, len(header) + 1):
            sheet.column_dimensions[get_column_letter(column)].width = 16
        sheet.freeze_panes = "D2"
    for row in meta.iter_rows():
        for cell in row:
            mark_text(cell)
    meta.sheet_state = "hidden"
    book.move_sheet(META, offset=len(book.sheetnames))
    return book


def _title(rater: str, taken: set[str]) -> str:
    """A sheet name for `rater`: Excel's limits (31 characters, none of []:*?/\\), distinct."""
    base = re.sub(r"[\[\]:*?/\\]", "_", rater).strip("'")[:24] or "rater"
    title, n = base, 2
    while title.casefold() in {t.casefold() for t in taken} or title.casefold() == META.casefold():
        title, n = f"{base}~{n}", n + 1
    return title
