"""An appraisal result as an Excel workbook: a sheet per view, real numbers with number formats.

Sheets: Summary (one row per appraisee, with the calibrated grade when grades were moved after
calibration), Scores (a row per appraisee and indicator), Team (per team), Weighted total
(appraisee x indicator: scores, effective weights, and the weighted total as a live formula beside
the engine's, to check one against the other), Chart (the grade distribution against the
target), Incentives (amounts rounded to cents), Quality (rows dropped or flagged, and why),
Provenance, and History (earlier periods, `rendering.history`) when earlier results are given.
Numbers are stored as numbers, never as text: fractions of a "%" unit as 0.0%, scores and
totals as 0.0. Headers and sheet names are in the run's language, and so are rules, statuses,
flags and data-quality causes (phrased by `appraisal.rendering.phrasing`); every sheet has a
frozen header row and an autofilter. The file's bytes do not depend on the clock: its creation
and modification times are the period's end. Every text is a string cell, never a formula,
whatever it begins with (`appraisal.results.inert`); the only formulas are the Weighted total
sheet's, written by this module.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from appraisal.rendering.figures import teams
from appraisal.rendering.history import history, history_view
from appraisal.rendering.pages import shown_provenance
from appraisal.rendering.phrasing import cause_text, rule_text, status_text, word
from appraisal.rendering.reports import report_labels
from appraisal.results.inert import mark_text, xlsx_value
from appraisal.results.result import Result
from appraisal.scheme.model import pick

SCORE = "0.0"
POINTS = "0.00"
PERCENT = "0.0%"
COUNT = "0"
MONEY = "#,##0.00"

_SHEETS = {"summary": ("Summary", "汇总"), "scores": ("Scores", "得分明细"), "teams": ("Team", "团队"),
           "quality": ("Quality", "数据质量"), "provenance": ("Provenance", "溯源信息"),
           "incentives": ("Incentives", "奖金与提成"), "history": ("History", "历史"),
           "check": ("Weighted total", "加权总分核算"), "chart": ("Chart", "图表")}
_MORE = {"key": ("Key", "项目"), "text": ("Value", "内容"), "indicator_id": ("Indicator ID", "指标编号"),
         "appraisee_id": ("Appraisee ID", "被考核人编号"), "unit": ("Unit", "单位"),
         "scheme_version": ("Scheme version", "方案版本"),
         "by_formula": ("Weighted total (formula)", "加权总分（公式）"),
         "by_engine": ("Weighted total (computed)", "加权总分（计算结果）"),
         "weight_of": ("Weight", "权重"), "score_of": ("Score", "得分")}


def _value_format(unit: str) -> str:
    return PERCENT if unit == "%" else POINTS


def _stamp(period: Mapping[str, Any]) -> dt.datetime:
    """The period's end (exclusive) as a naive UTC-less timestamp; 1980-01-01 if it has none."""
    try:
        return dt.datetime.fromisoformat(str(period.get("end", ""))).replace(tzinfo=None)
    except ValueError:
        return dt.datetime(1980, 1, 1)


def _sheet(book: Any, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]],
           formats: Mapping[int, str] | None = None, row_formats: Sequence[Mapping[int, str]] | None = None) -> Any:
    """A sheet with a bold, frozen, filterable header; `formats` by column (0-based), or per row."""
    sheet = book.create_sheet(title)
    sheet.append([xlsx_value(h) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        mark_text(cell)
    widths = [max(8, _width(h)) for h in header]
    for r, row in enumerate(rows):
        sheet.append([xlsx_value(v) for v in row])
        number_formats = dict(formats or {}) | dict(row_formats[r] if row_formats else {})
        for c, value in enumerate(row):
            cell = sheet.cell(row=r + 2, column=c + 1)
            mark_text(cell)  # a name `=HYPERLINK(...)` is text, never a formula
            if c in number_formats and isinstance(value, (int, float)):
                cell.number_format = number_formats[c]
            widths[c] = max(widths[c], min(60, _width(value)))
    for c, width in enumerate(widths):
        sheet.column_dimensions[get_column_letter(c + 1)].width = width + 2
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    return sheet


def _width(value: Any) -> int:
    """Display width: CJK characters take two columns."""
    text = "" if value is None else (f"{value:.2f}" if isinstance(value, float) else str(value))
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _text(value: Any) -> str:
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return "" if value is None else str(value)


def build_workbook(result: Result, language: str = "en", *, previous: Sequence[Result] = (),
                   calibrations: Mapping[str, Mapping[str, Any]] | None = None) -> Any:
    """The workbook as an `openpyxl.Workbook` (not yet saved); `previous` results add the
    History sheet, `calibrations` (appraisee -> final decision) the Summary's calibrated grade."""
    words = report_labels(language)
    i = 0 if language == "en" else 1
    words |= {key: pair[i] for key, pair in _MORE.items()}
    sheets = {key: pair[i] for key, pair in _SHEETS.items()}
    data = result.as_dict()
    book = Workbook()
    book.remove(book.active)
    stamp = _stamp(data["period"])
    book.properties.created = book.properties.modified = stamp
    book.properties.creator = book.properties.lastModifiedBy = "appraisal"
    book.properties.title = xlsx_value(  # the document's properties are XML too
        f"{pick(data['scheme'].get('title') or {'en': data['scheme'].get('id', '')}, language)} "
        f"{data['period'].get('label', '')}")

    def flags(items: Iterable[str]) -> str:
        return "; ".join(word(f, language) for f in items)

    people = data["appraisees"]
    moved = calibrations or {}
    _sheet(book, sheets["summary"],
           [words[k] for k in ("id", "name", "team", "weighted_total", "adjustment_points", "total", "grade", "status",
                               "flags")] + ([words["calibrated"], words["reason"]] if moved else []),
           ([a["id"], a["name"], a["team"], a["weighted_total"], a["adjustment_points"], a["total"], a["grade"],
             status_text(a, language), flags(a["flags"])]
            + ([moved[a["id"]]["after"] if a["id"] in moved else a["grade"], moved.get(a["id"], {}).get("reason")]
               if moved else []) for a in people),
           {3: SCORE, 4: SCORE, 5: SCORE})
    cells = [(a, c) for a in people for c in a["cells"]]
    _sheet(book, sheets["scores"],
           [words[k] for k in ("appraisee_id", "name", "indicator_id", "indicator", "value", "unit", "target", "score",
                               "weight", "effective_weight", "contribution", "rows", "status", "rule", "flags")],
           ([a["id"], a["name"], c["indicator"], pick(c["title"], language) if c["title"] else c["indicator"],
             c["value"], c["unit"], c["target"], c["score"], c["weight"], c["effective_weight"], c["contribution"],
             c["rows"], status_text(c, language), rule_text(c, language), flags(c["flags"])] for a, c in cells),
           {7: SCORE, 8: SCORE, 9: SCORE, 10: POINTS, 11: COUNT},
           [{4: _value_format(c["unit"]), 6: _value_format(c["unit"])} for _, c in cells])
    compared = teams(data)
    indicators = {i["id"]: i for i in data["scheme"].get("indicators") or ()}
    titles = [pick(indicators[s["indicator"]]["title"], language) if s["indicator"] in indicators
              and indicators[s["indicator"]].get("title") else s["indicator"]
              for s in (compared[0]["scores"] if compared else [])]
    grade_names = [g["grade"] for g in data["grades"]]
    _sheet(book, sheets["teams"],
           [words["team"], words["headcount"], words["mean_total"], *(f"{words['grade']} {g}" for g in grade_names),
            *titles],
           ([t["team"] or words["no_team"], t["headcount"], t["mean_total"], *(g["count"] for g in t["grades"]),
             *(s["mean"] for s in t["scores"])] for t in compared),
           {1: COUNT, 2: SCORE, **{3 + k: COUNT for k in range(len(grade_names))},
            **{3 + len(grade_names) + k: SCORE for k in range(len(titles))}})
    _check_sheet(book, sheets["check"], data, words, language)
    _chart_sheet(book, sheets["chart"], data, words)
    paid = [a for a in people if a.get("incentives")]
    if paid:  # only when the scheme declares incentives
        _sheet(book, sheets["incentives"],
               [words[k] for k in ("id", "name", "grade", "bonus_base", "coefficient", "bonus", "sales", "commission",
                                   "pay_total", "currency")],
               ([a["id"], a["name"], a["grade"], *(_money(a["incentives"][k]) if k != "coefficient"
                                                   else a["incentives"][k]
                                                   for k in ("base", "coefficient", "bonus", "sales", "commission",
                                                             "total", "currency"))]
                for a in paid),
               {3: MONEY, 4: "0.00", 5: MONEY, 6: MONEY, 7: MONEY, 8: MONEY})
    _sheet(book, sheets["quality"],
           [words[k] for k in ("dataset", "cause", "column", "count", "rows", "share", "level", "limit", "examples")],
           ([q.get("dataset"), cause_text(q, language), q.get("column"), q.get("count"), q.get("rows"), q.get("share"),
             word(q["level"], language) if q.get("level") else None, q.get("limit"), ", ".join(q.get("examples") or ())]
            for q in data["quality"]),
           {3: COUNT, 4: COUNT, 5: "0.00%"})
    if before := history(data, [history_view(r) for r in previous], language):
        _history_sheet(book, sheets["history"], before, words)
    scheme = data["scheme"]
    facts = [("scheme", f"{scheme.get('id', '')} v{scheme.get('version', '')}"),
             ("period", f"{data['period'].get('label', '')} [{data['period'].get('start', '')} .. "
                        f"{data['period'].get('end', '')}) {data['period'].get('timezone', '')}".strip()),
             *((key, _text(value)) for key, value in shown_provenance(data["provenance"]).items())]
    _sheet(book, sheets["provenance"], [words["key"], words["text"]],
           ([words.get(key, key), value] for key, value in facts))
    return book


def _money(value: Any) -> Any:
    """An amount rounded to the currency's cents (695.8000000000001 is 695.80), other values as they are."""
    return round(value, 2) if isinstance(value, float) else value


def _check_sheet(book: Any, title: str, data: Mapping[str, Any], words: Mapping[str, str], language: str) -> None:
    """Appraisee x indicator: each score and its effective weight, and the weighted total as a live
    formula (SUMPRODUCT of the scores and the weights, over 100) beside the total the engine
    computed, so a reader can check one with the other in the spreadsheet itself."""
    indicators = list(data["scheme"].get("indicators") or ())
    count = len(indicators)
    titles = [pick(i.get("title") or {"en": i["id"]}, language) for i in indicators]
    header = [words["id"], words["name"], *(f"{words['score_of']}: {t}" for t in titles),
              *(f"{words['weight_of']}: {t}" for t in titles), words["by_formula"], words["by_engine"]]
    rows = []
    for r, a in enumerate(data["appraisees"], start=2):
        cells = {c["indicator"]: c for c in a["cells"]}
        scores = [cells.get(i["id"], {}).get("score") for i in indicators]
        weights = [cells.get(i["id"], {}).get("effective_weight") for i in indicators]
        first, last = get_column_letter(3), get_column_letter(2 + count)
        w_first, w_last = get_column_letter(3 + count), get_column_letter(2 + 2 * count)
        formula = (f"=SUMPRODUCT({first}{r}:{last}{r},{w_first}{r}:{w_last}{r})/100"
                   if count and a["weighted_total"] is not None else None)  # no total computed: none to check
        rows.append([a["id"], a["name"], *scores, *weights, formula, a["weighted_total"]])
    sheet = _sheet(book, title, header, rows, {**{2 + k: SCORE for k in range(2 * count)},
                                               2 + 2 * count: POINTS, 3 + 2 * count: POINTS})
    for r in range(2, len(rows) + 2):  # the one cell per row that is a formula, and ours
        if (formula := rows[r - 2][2 + 2 * count]) is not None:
            cell = sheet.cell(row=r, column=3 + 2 * count)
            cell.value, cell.data_type, cell.number_format = formula, "f", POINTS


def _chart_sheet(book: Any, title: str, data: Mapping[str, Any], words: Mapping[str, str]) -> None:
    """The grade distribution as a bar chart beside its table: how many have each grade, and how
    many the scheme's target share expects."""
    targets = {c["grade"]: c for c in data.get("calibration") or ()}
    counts = Counter(a["grade"] for a in data["appraisees"] if a.get("grade") is not None)
    rows = [[g["grade"], counts.get(g["grade"], 0), targets.get(g["grade"], {}).get("expected")]
            for g in data["grades"]]
    sheet = _sheet(book, title, [words["grade"], words["headcount"], words["expected"]], rows, {1: COUNT, 2: SCORE})
    chart = BarChart()
    chart.title, chart.y_axis.title = words["grade_distribution"], words["headcount"]
    chart.x_axis.title = words["grade"]
    chart.add_data(Reference(sheet, min_col=2, max_col=3, min_row=1, max_row=len(rows) + 1), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=len(rows) + 1))
    sheet.add_chart(chart, "E2")


def _history_sheet(book: Any, title: str, past: Mapping[str, Any], words: Mapping[str, str]) -> None:
    """A row per period, oldest first: headcount, mean total and its change, grades, indicator means."""
    grades, indicators = past["grades"], past["indicators"]
    header = [words["period"], words["scheme_version"], words["appraisees"], words["mean_total"], words["change"],
              *(f"{words['grade']} {g}" for g in grades), *(i["title"] for i in indicators)]
    rows = [[p["label"], p["scheme_version"], p["headcount"], p["mean_total"], p["change"],
             *(p["grades"].get(g, 0) for g in grades), *(p["indicators"].get(i["id"]) for i in indicators)]
            for p in past["periods"]]
    if past["other_schemes"]:
        rows.append([f"{words['history_warning']}: " + ", ".join(f"{o['period']} (v{o['version']})"
                                                                 for o in past["other_schemes"])])
    width = len(header)
    _sheet(book, title, header, [row + [None] * (width - len(row)) for row in rows],
           {2: COUNT, 3: SCORE, 4: SCORE, **{5 + k: COUNT for k in range(len(grades))},
            **{5 + len(grades) + k: SCORE for k in range(len(indicators))}})


class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose members all carry one timestamp, so the same workbook gives the same bytes."""

    stamp: tuple[int, int, int, int, int, int] = (1980, 1, 1, 0, 0, 0)

    def writestr(self, zinfo_or_arcname: Any, data: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, date_time=self.stamp)
            zinfo_or_arcname.compress_type = zipfile.ZIP_DEFLATED
            zinfo_or_arcname.external_attr = 0o644 << 16
        super().writestr(zinfo_or_arcname, data, *args, **kwargs)

    def write(self, filename: Any, arcname: Any = None, *args: Any, **kwargs: Any) -> None:
        # openpyxl writes each worksheet from a temporary file, whose time is the clock's.
        self.writestr(str(arcname or filename), Path(filename).read_bytes())


def workbook_bytes(result: Result, language: str = "en", *, previous: Sequence[Result] = (),
                   calibrations: Mapping[str, Mapping[str, Any]] | None = None) -> bytes:
    """The .xlsx file's bytes: the same inputs always give the same bytes."""
    book = build_workbook(result, language, previous=previous, calibrations=calibrations)
    buffer = io.BytesIO()
    stamp = max(book.properties.modified, dt.datetime(1980, 1, 1))
    archive = _FixedTimeZip(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    archive.stamp = stamp.timetuple()[:6]
    # save_workbook would stamp `modified` with the clock; the writer itself keeps ours.
    ExcelWriter(book, archive).save()
    return buffer.getvalue()


def write_workbook(result: Result, path: Path, language: str = "en", *, previous: Sequence[Result] = (),
                   calibrations: Mapping[str, Mapping[str, Any]] | None = None) -> Path:
    """Write the workbook to `path` (under a temporary name, then renamed)."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_bytes(workbook_bytes(result, language, previous=previous, calibrations=calibrations))
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
