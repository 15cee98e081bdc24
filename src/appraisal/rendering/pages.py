"""Rendering: a `Result` becomes a summary page and one scorecard per appraisee, in HTML and Markdown.

A layered loader reads the user's folder, then packs, then the shipped `templates/`; `default:NAME`
always names the shipped one, for `{% extends %}`. `scorecard-<scheme id>.<fmt>.j2` is tried before
`scorecard.<fmt>.j2` (likewise `summary`). Sandboxed, strict undefined, HTML autoescaped, and every
`{{ }}` in a `*.md.j2` escaped for Markdown. A template mistake is an `AppraisalError` with file:line.

The template context is a stable API (also in docs/templates.md). Every template gets:

    language       str                 "en" or "zh": the language of labels and titles
    labels         Mapping[str, str]   interface words in `language`, and known status and flag words
    format         str                 "html" or "md": the format being written
    result         Mapping             the whole `Result.as_dict()` (the result.json contract), its provenance as shown
    scheme         Mapping             result["scheme"]: id, version, title, ...
    scheme_title   str                 the scheme's title in `language` (else its id)
    period         Mapping[str, str]   result["period"]
    period_label   str                 the period as text, e.g. "2026-Q3"
    provenance     Mapping             result["provenance"]: scheme hash, data fingerprint, versions; the
                                       scheme file by its name only (`shown_provenance`)
    grades         list[Mapping]       result["grades"]: the grade bands, best first
    calibration    list[Mapping]       result["calibration"]: advice, never a changed grade
    groups         list[Mapping]       the group rows (run --groups): by, key, members, cells, total, grade

`summary.*.j2` also gets:

    appraisees          list[Mapping]  each appraisee as in result.json, plus `href` (its scorecard)
    grade_distribution  list[Mapping]  {grade: str | None, count, share (of those graded; None for no
                                   grade), target_share, expected} per grade
    ranking             list[Mapping]  the appraisees by total, each with `rank` (rendering.figures)
    calibrated          list[Mapping]  each grade against its target, with whom to look at again
    grade_chart         Mapping        the grade distribution's bars and target marks
    teams               list[Mapping]  per team: headcount, mean total, grade counts, mean scores
    status_counts       list[Mapping]  {status: str, count: int}: indicator cells per status
    quality             list[Mapping]  result["quality"]: data-quality counts (rows dropped, why)
    quality_columns     list[str]      the keys of the quality rows, in first-seen order (but `cause_parts`)
    corrections         list[Mapping]  what accepted appeals corrected (rendering.corrections), if any

`scorecard.*.j2` also gets:

    appraisee  Mapping        the appraisee as in result.json (fields of results.AppraiseeResult)
    cells      list[Mapping]  appraisee["cells"] (fields of results.ScoredCell)
    notes      list[Mapping]  the cells whose status is not "ok" or that carry flags
    chart      Mapping        width, height, length (of a full bar), scale (its points), target_x (where
                              100 points lies) and bars: one {indicator, label, score, text, x, y,
                              width, height} per cell
    home       str            the relative URL of the summary page in the same format
    corrections  list[Mapping]  as the summary's, this appraisee's alone

Appraisees, cells, effects and quality rows carry the engine's explanations as phrasebook parts too
(`step_parts`, `status_parts`, `rule_parts`, `effect_parts`, `cause_parts`); the filters below say
them in `language`, falling back to the English sentences of results stored without them. An
effect's `reason_text` is the scheme's {language: text}: `effect.reason_text|title` (its `reason`
is the English, as before).
Filters: num(x, digits=1), pct(x, digits=1), quantity(x, unit, lang=language), title(text, lang=language), md(x),
rule_text(cell), step_texts(appraisee), effect_text(effect), status_text(appraisee, cell or status),
flag_text(flag), cause_text(quality row or cause), source_text(cell or source), phrase(parts) (each
of these with lang=language), quality_cell(row, column, lang=language) (a data-quality table cell),
quality_flags(cell) (its data warnings).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import traceback
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

import jinja2
import markupsafe
from jinja2.compiler import CodeGenerator
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from appraisal.errors import AppraisalError
from appraisal.measuring.quality import is_quality_flag, share_text
from appraisal.rendering import figures, phrasing
from appraisal.rendering.corrections import corrections_of
from appraisal.rendering.phrasing import DASH, LANGUAGES, num, pct, quantity
from appraisal.rendering.workers import frozen, write_pages
from appraisal.results.result import Result
from appraisal.scheme.model import pick
from appraisal.shipped import templates_dir

FORMATS = ("html", "md")
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}

_LABELS: dict[str, tuple[str, str]] = {
    "summary": ("Summary", "汇总"), "scorecard": ("Scorecard", "考核结果"), "period": ("Period", "考核周期"),
    "appraisee": ("Appraisee", "被考核人"), "appraisees": ("Appraisees", "被考核人"), "id": ("ID", "编号"),
    "name": ("Name", "姓名"), "team": ("Team", "团队"), "manager": ("Manager", "上级"), "role": ("Role", "岗位"),
    "indicators": ("Indicators", "考核指标"), "indicator": ("Indicator", "指标"), "value": ("Value", "实际值"),
    "target": ("Target", "目标值"), "score": ("Score", "得分"), "weight": ("Weight", "权重"),
    "effective_weight": ("Effective weight", "有效权重"), "contribution": ("Contribution", "加权得分"),
    "rule": ("Rule", "评分规则"), "rows": ("Rows", "数据行数"), "status": ("Status", "状态"),
    "flags": ("Flags", "标记"),
    "weighted_total": ("Weighted total", "加权总分"), "adjustment_points": ("Adjustments", "加减分"),
    "total": ("Total", "总分"), "grade": ("Grade", "等级"), "effects": ("Gates and adjustments", "否决项与加减分"),
    "kind": ("Kind", "类型"), "when": ("Condition", "条件"), "reason": ("Reason", "原因"), "effect": ("Effect", "效果"),
    "applied": ("Applied", "是否生效"), "points": ("Points", "分值"), "yes": ("yes", "是"), "no": ("no", "否"),
    "steps": ("How the total came about", "计算过程"), "chart": ("Indicator scores", "指标得分"),
    "quality": ("Data quality", "数据质量"), "no_notes": ("No data-quality notes.", "无数据质量问题。"),
    "none": ("None.", "无。"), "open": ("open", "查看"), "back": ("Back to the summary", "返回汇总"),
    "grade_distribution": ("Grade distribution", "等级分布"), "headcount": ("Count", "人数"),
    "share": ("Share", "占比"), "ungraded": ("no grade", "未评级"), "cells": ("Cells", "指标数"),
    "provenance": ("Provenance", "溯源信息"), "scheme": ("Scheme", "考核方案"),
    "scheme_hash": ("Scheme hash", "方案哈希"),
    "data_fingerprint": ("Data fingerprint", "数据指纹"), "versions": ("Versions", "版本"),
    "scheme_file": ("Scheme file", "方案文件"), "scheme_sha256": ("Scheme SHA-256", "方案 SHA-256"),
    "data_sha256": ("Data SHA-256", "数据 SHA-256"), "appraisal": ("appraisal", "appraisal 版本"),
    "duckdb": ("DuckDB", "DuckDB 版本"), "engine": ("Engine", "计算引擎"), "plugins": ("Plugins", "插件"),
    "gate": ("gate", "否决项"),
    "adjustment": ("adjustment", "加减分"), "dataset": ("Dataset", "数据集"), "cause": ("Cause", "原因"),
    "column": ("Column", "字段"), "count": ("Count", "数量"),
    "incentives": ("Incentives", "绩效奖金与提成"), "bonus_base": ("Bonus base", "奖金基数"),
    "coefficient": ("Coefficient", "绩效系数"), "bonus": ("Bonus", "绩效奖金"), "sales": ("Sales", "销售额"),
    "commission": ("Commission", "提成"), "pay_total": ("Bonus and commission", "奖金与提成合计"),
    "amount": ("Amount", "金额"), "item": ("Item", "项目"), "currency": ("Currency", "币种"),
    "level": ("Level", "级别"), "limit": ("Limit", "阈值"), "examples": ("Examples", "示例值"),
    "quality_warning": ("data warning", "数据警告"),
    "groups": ("Teams and the whole roster, pooled", "团队与全员（合并计算）"),
    "groups_note": ("Each group's values are computed from the rows of all its members together, not as a mean "
                    "of its members' values.", "各组数值由其全部成员的数据行合并计算，而非成员数值的平均。"),
    "group": ("Group", "组别"), "members": ("Members", "人数"), "whole_roster": ("Whole roster", "全员"),
    "corrections": ("Corrected after an appeal", "申诉后更正"), "appeal": ("Appeal", "申诉"),
    "correction": ("Correction", "更正"), "decided_by": ("Decided by", "决定人"), "note": ("Note", "说明"),
    "corrected_from": ("This is a corrected version of run {run}; that run stays as it was.",
                       "本结果是运行 {run} 的更正版本；原运行保持不变。"),
    "corrected_mark": ("corrected", "已更正"),
}


def labels(language: str) -> dict[str, str]:
    """The interface words in one language, and the engine's status, flag and cause words."""
    if language not in LANGUAGES:
        raise AppraisalError(f"unknown language {language!r}: choose one of {', '.join(LANGUAGES)}")
    return dict(_labels(language))


@functools.cache
def _labels(language: str) -> dict[str, str]:
    every = {**phrasing.WORDS, **_LABELS, **figures.REPORT_WORDS}
    return {key: words[LANGUAGES.index(language)] for key, words in every.items()}


@jinja2.pass_context
def title(context: Any, text: Any, lang: str | None = None) -> str:
    """An {en, zh} mapping as one string in `lang` (default: the page's language)."""
    if text is None:
        return DASH
    return pick(text, lang or context.get("language", "en")) if isinstance(text, Mapping) else str(text)


class _MarkdownSafe(str):
    """Text already escaped for Markdown, so the output hook leaves it alone."""


_MD_ESCAPES = str.maketrans({"\\": "\\\\", "|": "\\|", "[": "\\[", "]": "\\]", "`": "\\`",
                             "<": "&lt;", ">": "&gt;", "\n": " ", "\r": " "})


def md(x: Any) -> str:
    """Escape a value for Markdown (table cells included): no markup, no broken rows."""
    if isinstance(x, (_MarkdownSafe, Markup)):
        return _MarkdownSafe(x)
    return _MarkdownSafe(DASH if x is None else str(x).translate(_MD_ESCAPES))


def _in_language(say: Callable[[Any, str], Any]) -> Callable[..., Any]:
    """A phrasing function as a filter that speaks the page's language (or `lang`)."""

    @jinja2.pass_context
    def said(context: Any, value: Any, lang: str | None = None) -> Any:
        return say(value, lang or context.get("language", "en"))

    return said


@jinja2.pass_context
def _quantity(context: Any, x: Any, unit: str = "", lang: str | None = None) -> str:
    """`quantity` as a filter: the unit said in the page's language (`lang` to choose another)."""
    return quantity(x, unit, lang or context.get("language", "en"))


_PHRASING_FILTERS = {
    "rule_text": phrasing.rule_text, "step_texts": phrasing.step_texts, "effect_text": phrasing.effect_text,
    "status_text": phrasing.status_text, "flag_text": phrasing.word, "cause_text": phrasing.cause_text,
    "source_text": phrasing.source_text,
    "phrase": lambda parts, language: phrasing.phrase(parts, language) or "",
}


@jinja2.pass_context
def quality_cell(context: Any, row: Mapping[str, Any], column: str, lang: str | None = None) -> Any:
    """One cell of the data-quality table: the cause and the verdict in `lang`, the share as a
    percentage, the examples joined; an absent value (a result stored before it existed) empty."""
    language = lang or context.get("language", "en")
    value = row.get(column)
    if column == "cause":
        return phrasing.cause_text(row, language)
    if value is None:
        return ""
    if column == "share":
        return share_text(value)
    if column == "level":
        return phrasing.word(value, language)
    if column == "examples":
        return ", ".join(str(v) for v in value)
    return value


def quality_flags(cell: Mapping[str, Any]) -> list[str]:
    """The cell's data-quality warnings (flags `data warning: ...`), for a mark beside its status."""
    return [f for f in cell.get("flags") or () if is_quality_flag(f)]


def _is_markdown(name: str | None) -> bool:
    return (name or "").endswith((".md.j2", ".md"))


class _Generator(CodeGenerator):
    """Compiles `{{ }}` through `md` in Markdown templates only, decided once per template when it
    is compiled rather than on every output at run time: a finalize that asks the context for the
    template's name is called for every `{{ }}` (a tenth of a scorecard's time) and keeps Jinja
    from writing constant output at compile time."""

    def _make_finalize(self) -> Any:
        if self._finalize is None and not _is_markdown(self.name):
            self._finalize = self._FinalizeInfo(self._default_finalize, None)
        return super()._make_finalize()


_DICT_ATTRIBUTES = frozenset(dir(dict))
_escape_text = getattr(markupsafe, "_escape_inner", None)  # markupsafe's own escaping of a str, in C
_new_markup = str.__new__


def _escape(value: Any) -> Markup:
    """`markupsafe.escape`, with a plain string (nearly every `{{ }}` of a page) escaped by
    markupsafe's own C function and made `Markup` without `Markup.__new__`'s checks, which a
    plain string does not need, and a number (the chart's coordinates) taken as its text, which
    has nothing to escape: the same text for less work on each of a page's 400 `{{ }}`."""
    kind = type(value)
    if kind is str and _escape_text is not None:
        return _new_markup(Markup, _escape_text(value))
    if kind is int or kind is float:  # digits, ".", "-", "e", "inf", "nan": nothing to escape
        return _new_markup(Markup, str(value))
    return markupsafe.escape(value)


class _Template(jinja2.Template):
    """A template whose `{{ }}` in an autoescaped template are escaped by `_escape`."""

    @classmethod
    def _from_namespace(cls, environment: jinja2.Environment, namespace: MutableMapping[str, Any],
                        globals: MutableMapping[str, Any]) -> Any:
        namespace["escape"] = _escape  # the name the compiled code calls (imported from jinja2.runtime)
        return super()._from_namespace(environment, namespace, globals)


class _Sandbox(SandboxedEnvironment):
    """The sandbox, with `mapping.key` on a plain dict (nearly every lookup in a page) found
    without first failing to find an attribute: a failed `getattr` raises and catches an
    exception, a third of the sandbox's time in a scorecard. The outcome is the sandbox's own:
    a dict's methods are still found first, and then its items, with no safety check, as before."""

    code_generator_class = _Generator
    template_class = _Template

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def environment(user_dir: Path | None = None, pack_dirs: Sequence[Path] = ()) -> SandboxedEnvironment:
    """A sandboxed Jinja environment over the user's folder, then packs' template folders
    (`scheme.packs.template_dirs`), then the defaults."""
    defaults = jinja2.FileSystemLoader(templates_dir())
    layers = [jinja2.FileSystemLoader(d) for d in ([user_dir] if user_dir else []) + list(pack_dirs)]
    env = _Sandbox(
        # "default:NAME" is always the shipped template; other names go to the first layer that has them.
        loader=jinja2.ChoiceLoader([jinja2.PrefixLoader({"default": defaults}, delimiter=":"), *layers, defaults]),
        # select_autoescape matches name endings, so "x.html.j2" needs "html.j2" (not "html").
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "xml", "svg", "html.j2", "htm.j2", "xml.j2", "svg.j2"),
            disabled_extensions=("md", "md.j2", "txt", "txt.j2"), default_for_string=True, default=True,
        ),
        undefined=jinja2.StrictUndefined, finalize=md,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters.update(num=num, pct=pct, quantity=_quantity, title=title, md=md, quality_cell=quality_cell,
                       quality_flags=quality_flags)
    env.filters.update({name: _in_language(say) for name, say in _PHRASING_FILTERS.items()})
    return env


def _template_error(exc: Exception) -> AppraisalError | None:
    """The exception as a message naming the template file and line, if it came from one."""
    if isinstance(exc, jinja2.TemplateNotFound):
        names = ", ".join(map(str, exc.templates)) if isinstance(exc, jinja2.TemplatesNotFound) else exc.name
        return AppraisalError(f"template not found: {names}")
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return AppraisalError(f"{exc.filename or exc.name}:{exc.lineno}: {exc.message}")
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.endswith(".py")]
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return AppraisalError(f"{frames[-1].filename}:{frames[-1].lineno}: {message}") if frames else None


def render_template(env: jinja2.Environment, names: Sequence[str], context: Mapping[str, Any]) -> str:
    """Render the first of `names` that exists; template mistakes become an `AppraisalError`."""
    return fill(select_template(env, names), context)


def select_template(env: jinja2.Environment, names: Sequence[str]) -> jinja2.Template:
    """The first of `names` that exists, compiled; template mistakes become an `AppraisalError`.
    Chosen once for all the scorecards of a run: each choice looks for the names not found again."""
    try:
        return env.select_template(list(names))
    except Exception as exc:  # a user's template can fail in any way; say where, not how
        if (error := _template_error(exc)) is None:
            raise
        raise error from exc


def fill(template: jinja2.Template, context: Mapping[str, Any]) -> str:
    """The template rendered with `context`; template mistakes become an `AppraisalError`."""
    try:
        return template.render(context)
    except Exception as exc:  # a user's template can fail in any way; say where, not how
        if (error := _template_error(exc)) is None:
            raise
        raise error from exc


def safe_name(text: str) -> str:
    """A file name for an id: letters (any script), digits, - and _ kept; anything else (path
    separators, dots, spaces) replaced, with a short hash so changed names cannot collide."""
    text = unicodedata.normalize("NFC", text)
    kept = "".join(c if c in "-_" or unicodedata.category(c)[0] in "LNM" else "_" for c in text)[:80]
    if kept != text or not kept or kept.upper() in _RESERVED:
        kept = f"{kept}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
    return kept


def scorecard_names(ids: Iterable[str]) -> dict[str, str]:
    """Each appraisee's scorecard file stem, unique even on case-insensitive file systems."""
    names: dict[str, str] = {}
    seen: set[str] = set()
    for appraisee_id in ids:
        name = safe_name(appraisee_id)
        if name.casefold() in seen:
            name = f"{name}-{hashlib.sha256(appraisee_id.encode()).hexdigest()[:8]}"
        seen.add(name.casefold())
        names[appraisee_id] = name
    return names


def shown_provenance(provenance: Mapping[str, Any]) -> dict[str, Any]:
    """The provenance as reports and workbooks show it: the scheme file by its name alone. Where
    it lay on the operator's machine (result.json keeps it, for `explain`) is nobody's business
    who reads a scorecard, and a path would date and place every copy of it."""
    shown = dict(provenance)
    shown.pop("data_files", None)  # each file's path and hash: for verifying a stored run, not for readers
    if isinstance(shown.get("scheme_file"), str):
        shown["scheme_file"] = PurePath(shown["scheme_file"]).name
    return shown


def base_context(data: Mapping[str, Any], language: str, fmt: str) -> dict[str, Any]:
    """What every template gets, from the `Result.as_dict()` shape (its provenance as shown)."""
    scheme, period = data["scheme"], data["period"]
    named = [str(period[key]) for key in ("label", "name", "id") if period.get(key)]
    provenance = shown_provenance(data["provenance"])
    return {
        "language": language, "labels": labels(language), "format": fmt,
        "result": {**data, "provenance": provenance}, "scheme": scheme,
        "scheme_title": pick(scheme.get("title") or {"en": str(scheme.get("id", ""))}, language),
        "period": period, "period_label": named[0] if named else " – ".join(str(v) for v in period.values()),
        "provenance": provenance, "grades": list(data["grades"]),
        "calibration": list(data.get("calibration") or ()),
        "groups": [_group(g) for g in data.get("groups") or ()],
    }


def _group(group: Mapping[str, Any]) -> dict[str, Any]:
    """A group row for the templates: `by`, `key`, `members`, and its appraisal's fields
    (`cells`, `total`, `grade`, ...) at the top level, like an appraisee's."""
    return {**group["appraisal"], "by": group["by"], "key": group["key"], "members": group["members"]}


def summary_context(data: Mapping[str, Any], names: Mapping[str, str], language: str, fmt: str) -> dict[str, Any]:
    """The summary page's context (see the module docstring)."""
    appraisees = [{**a, "href": f"scorecards/{quote(names[a['id']])}.{fmt}"} for a in data["appraisees"]]
    counts = Counter(a["grade"] for a in appraisees)
    graded = sum(n for g, n in counts.items() if g is not None) or 1  # one denominator: those graded
    order = [g.get("grade", g.get("name")) for g in data["grades"]]
    order += [*sorted(g for g in counts if g is not None and g not in order), None]
    quality = [dict(q) for q in data["quality"]]
    statuses = Counter(c["status"] for a in appraisees for c in a["cells"])
    ranked = figures.ranking(appraisees)
    grades = figures.calibrated(data, ranked)
    targets = {row["grade"]: row for row in grades}
    distribution = [{"grade": g, "count": counts[g], "share": counts[g] / graded if g is not None else None,
                     "target_share": targets.get(g, {}).get("target_share"),
                     "expected": targets.get(g, {}).get("expected")} for g in order if g or counts[g]]
    return {
        **base_context(data, language, fmt), "appraisees": appraisees, "grade_distribution": distribution,
        "ranking": ranked, "calibrated": grades, "grade_chart": figures.grade_chart(grades),
        "teams": figures.teams(data),
        "status_counts": [{"status": s, "count": n} for s, n in sorted(statuses.items())],
        "quality": quality,  # cause_parts is how `row|cause_text` says the cause, not a column of its own
        "quality_columns": list(dict.fromkeys(k for q in quality for k in q if k != "cause_parts")),
        "corrections": corrections_of(data, None, language),
    }


def scorecard_context(data: Mapping[str, Any], appraisee: Mapping[str, Any], language: str, fmt: str) -> dict[str, Any]:
    """One appraisee's scorecard context (see the module docstring)."""
    cells = list(appraisee["cells"])
    return {
        **base_context(data, language, fmt), "appraisee": appraisee, "cells": cells,
        "notes": [c for c in cells if c["status"] != "ok" or c["flags"]],
        "chart": figures.scorecard_chart(cells, language), "home": f"../index.{fmt}",
        "corrections": corrections_of(data, appraisee["id"], language),
    }


def write_atomically(path: Path, text: str) -> Path:
    """Write `text` under a temporary name and rename it: a reader never sees half a page.
    (Plain `os` calls: pathlib's and `finally`'s extra system calls were a fifth of a scorecard.)"""
    temporary = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            _write_all(fd, text.encode("utf-8"))
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return path


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def render_result(
    result: Result, out_dir: Path, *, formats: Sequence[str] = FORMATS, language: str = "en",
    user_dir: Path | None = None, pack_dirs: Sequence[Path] = (), workers: int | None = None,
) -> list[Path]:
    """Write `index.<fmt>` and `scorecards/<appraisee>.<fmt>` for each format; return the paths.
    `pack_dirs` are the packs' template folders (`scheme.packs.template_dirs`). `workers`: the
    processes that write scorecards (default: one per CPU for many; `rendering.workers`)."""
    if unknown := [f for f in formats if f not in FORMATS]:
        raise AppraisalError(f"unknown format {unknown[0]!r}: choose from {', '.join(FORMATS)}")
    labels(language)  # an unknown language fails before anything is written
    env = environment(user_dir, pack_dirs)
    data = result.as_dict()
    with frozen():  # the result's copy, read by every page, out of the collector's passes
        return _render_all(data, out_dir, formats, language, env, workers)


def _render_all(data: dict[str, Any], out_dir: Path, formats: Sequence[str], language: str,
                env: jinja2.Environment, workers: int | None) -> list[Path]:
    names = scorecard_names(a["id"] for a in data["appraisees"])
    scheme_id = safe_name(str(data["scheme"].get("id", "")))
    (out_dir := Path(out_dir)).joinpath("scorecards").mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    people = data["appraisees"]
    for fmt in formats:
        context = summary_context(data, names, language, fmt)
        summary = render_template(env, [f"summary-{scheme_id}.{fmt}.j2", f"summary.{fmt}.j2"], context)
        written.append(write_atomically(out_dir / f"index.{fmt}", summary))
        card = select_template(env, [f"scorecard-{scheme_id}.{fmt}.j2", f"scorecard.{fmt}.j2"])

        def page(i: int, fmt: str = fmt, card: jinja2.Template = card) -> Path:
            text = fill(card, scorecard_context(data, people[i], language, fmt))
            return write_atomically(out_dir / "scorecards" / f"{names[people[i]['id']]}.{fmt}", text)

        written.extend(write_pages(len(people), page, workers=workers))
    return written
