"""Phrasing: the engine's explanations said in the reader's language.

The engine records each rule, step, effect and failed status as a phrasebook key with its numbers
(`rule_parts`, `step_parts`, `effect_parts`, `status_parts` in results.py), next to the English
sentence it always wrote. This module says them in English or Chinese, with numbers as the
templates show them: a value in its indicator's unit (a `%` unit as a percentage), points to at
most two decimals, weights as percentages. Flags, statuses and data-quality causes are plain
words from the engine: the known ones are translated here, including those with a known shape
(a rater group with too few raters, an exclusion's reason); a plugin's own words are shown as
they are. A result stored before the parts existed still reads: its English sentence is shown.
A reason the scheme gives per language (a gate's, an adjustment's, an exclusion's: in a step's or
a data-quality count's parts) is said in the reader's language, else in English, else as given.
Where a value came from (a cell's `source`) and the rows behind it (`explaining.CountedRows`,
for drill-down pages) are phrased here too; `appraisal explain` prints the English of the latter.

The number filters of the templates (`num`, `pct`, `quantity`) live here so that a sentence
and a table cell show a number alike; `rendering` registers them.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from appraisal.scheme.model import pick

LANGUAGES = ("en", "zh")
DASH = "–"

# key: (English, Chinese). Placeholders are filled with texts already formatted (see _fields).
PHRASES: dict[str, tuple[str, str]] = {
    # score rules (ScoredCell.rule_parts)
    "curve_linear": ("linear: worst {worst} = 0, target {target} = 100, best {best} = {cap}",
                     "线性计分：最差值 {worst} 得 0 分，目标值 {target} 得 100 分，最佳值 {best} 得 {cap} 分"),
    "band": ("band {interval}: {score}", "区间 {interval}：{score} 分"),
    "band_default": ("outside every band: default {default}", "不在任何区间内：默认 {default} 分"),
    "ratio_higher": ("100 x value / target {target}, cap {cap}", "100 × 实际值 ÷ 目标值 {target}，最高 {cap} 分"),
    "ratio_lower": ("100 x target {target} / value, cap {cap}", "100 × 目标值 {target} ÷ 实际值，最高 {cap} 分"),
    "formula": ("formula {formula}, between {floor} and {cap}", "公式 {formula}，得分在 {floor} 到 {cap} 分之间"),
    "formula_no_number": ("formula {formula} gave no number", "公式 {formula} 未得出数值：不计分"),
    "not_scored": ("not scored", "不计分"),
    "insufficient_data": ("insufficient data: not scored", "数据不足：不计分"),
    "no_target": ("no target for this appraisee: not scored", "该被考核人没有目标值：不计分"),
    "target_zero": ("target is 0: ratio not defined", "目标值为 0：无法计算比率"),
    # steps (AppraiseeResult.step_parts; failed_missing is also a status_parts)
    "failed_missing": ("failed: no data for {missing} (missing_data: fail)",
                       "未能考核：{missing} 没有数据（缺失数据时不予考核）"),
    "nothing_scored": ("no indicator could be scored: insufficient data", "没有可计分的指标：数据不足"),
    "weighted_total": ("weighted total {total} = {parts}", "加权总分 {total} = {parts}"),
    "weighted_part": ("{score} x {weight}", "{score} × {weight}"),
    "missing_reweighted": ("no score for {missing}: the others were re-weighted (missing_data: reweight)",
                           "{missing} 没有得分：其余指标按比例重新分配权重"),
    "missing_zero": ("no score for {missing}: they count as 0 (missing_data: zero)",
                     "{missing} 没有得分：按 0 分计"),
    "bonus_limited": ("bonus {bonus} limited to {limit}", "加分 {bonus} 超过上限，按 {limit} 分计"),
    "penalty_limited": ("penalty {penalty} limited to {limit}", "减分 {penalty} 超过上限，按 {limit} 分计"),
    "adjustments": ("adjustments {points}: total {total}", "加减分 {points}：总分 {total}"),
    "gate_applied": ("gate {when} holds ({reason}): {effect}; total {total}",
                     "否决项条件 {when} 成立（{reason}）：{effect}；总分 {total}"),
    "grade": ("grade {grade}: {min} <= {total}{upper}", "等级 {grade}：{min} ≤ {total}{upper}"),
    "grade_upper": (" < {max}", " < {max}"),
    "bonus_pay": ("bonus: base {base} x coefficient {coefficient} (grade {grade}) = {bonus}{capped}",
                  "奖金：基数 {base} × 系数 {coefficient}（等级 {grade}）= {bonus}{capped}"),
    "commission_pay": ("commission: {rate} of sales {sales} = {commission}{capped}",
                       "提成：销售额 {sales} × 提成比例 {rate} = {commission}{capped}"),
    "capped": (", capped at {capped_at}", "，封顶 {capped_at}"),
    # gates and adjustments (Effect.effect_parts)
    "effect_points": ("{points} points", "{points} 分"),
    "effect_veto": ("veto: total 0", "一票否决：总分为 0"),
    "effect_cap": ("cap total at {cap}", "总分封顶 {cap} 分"),
    # flags and data-quality causes with a shape (matched in the engine's English, see _SHAPES)
    "few_raters": ("{group}: {count} of at least {min} raters, not counted",
                   "{group}：仅 {count} 名评价人，不足最低要求 {min} 名，不计入"),
    "excluded": ("excluded: {reason}", "已排除：{reason}"),
    "excluded_via": ("excluded with its {dataset} row", "随其 {dataset} 记录一并排除"),
    "data_warning": ("data warning: {share} {cause} in {where}", "数据警告：{where} 中 {share} 的行{cause}"),
    "target_scaled": ("target scaled to the period: {days} of {of} days",
                      "目标值已按考核期折算：{of} 天中的 {days} 天"),
    "corrected": ("corrected by appeal {appeal}", "已按申诉 {appeal} 更正"),
    # what an accepted appeal corrected (result.json `corrections`), on the scorecard
    "correction_exclude_rows": ("rows {rows} left out", "剔除数据行 {rows}"),
    "correction_value": ("value corrected to {value}", "实际值更正为 {value}"),
    "correction_rating": ("re-rated {value}", "重新评分为 {value}"),
    # the rows behind a value (explaining.CountedRows.parts), for drill-down pages and `explain`
    "rows_counted": (("{in_period} of {appraisee}'s rows in {dataset} fall in the period, {excluded} excluded; "
                      "the first {shown} counted:"),
                     ("{appraisee} 在 {dataset} 中有 {in_period} 行数据落在考核期内，其中 {excluded} 行被排除；"
                      "以下是计入的前 {shown} 行：")),
    "rows_none_counted": ("none of {appraisee}'s rows in {dataset} were counted in this period",
                          "本考核期内 {appraisee} 在 {dataset} 中没有计入的数据行"),
    "rows_scheme_gone": ("not shown, the scheme file {file} is gone", "不予显示：方案文件 {file} 已不存在"),
    "rows_scheme_changed": ("not shown, {file} changed since the run",
                            "不予显示：方案文件 {file} 在本次考核之后已被修改"),
    "rows_data_changed": ("not shown, the data files changed since the run",
                          "不予显示：数据文件在本次考核之后已被修改"),
    "rows_in_database": ("not shown, the rows are in the database table {table}, which may have changed since "
                         "the run", "不予显示：数据行位于数据库表 {table} 中，考核之后可能已有变动"),
    # where a value came from (ScoredCell.source, matched in the engine's English, see _SOURCES)
    "source_dataset": ("dataset {dataset}", "数据集 {dataset}"),
    "source_ratings": ("ratings", "评分"),
    "source_plugin": ("plugin {plugin}", "插件 {plugin}"),
    "source_formula": ("formula {formula}", "公式 {formula}"),
    "source_none": ("no value", "无数值"),
}

# Statuses, flags and data-quality causes the engine writes as fixed words: (English, Chinese).
WORDS: dict[str, tuple[str, str]] = {
    # statuses of cells and appraisees (measuring.OK, INSUFFICIENT)
    "ok": ("ok", "正常"),
    "insufficient data": ("insufficient data", "数据不足"),
    # employment flags (measuring.JOINED, LEFT, ABSENT)
    "joined during period": ("joined during period", "期中入职"),
    "left during period": ("left during period", "期中离职"),
    "not employed during period": ("not employed during period", "考核期内未在职"),
    # data-quality causes (engine.py, measuring.py)
    "duplicate key": ("duplicate key", "主键重复"),
    "negative duration": ("negative duration", "时长为负"),
    "unparseable integer": ("unparseable integer", "无法识别的整数"),
    "unparseable number": ("unparseable number", "无法识别的数值"),
    "unparseable flag": ("unparseable flag", "无法识别的是否值"),
    "unparseable date": ("unparseable date", "无法识别的日期"),
    "unparseable timestamp": ("unparseable timestamp", "无法识别的时间"),
    "unparseable duration": ("unparseable duration", "无法识别的时长"),
    "unknown appraisee": ("unknown appraisee", "不在名单中的被考核人"),
    "empty id": ("empty id", "编号为空"),
    "ragged row": ("ragged row", "字段数不符的行"),
    "unterminated quote": ("unterminated quote", "引号未闭合"),
    "line too long": ("line too long", "行过长"),
    "invalid text encoding": ("invalid text encoding", "文本编码无效"),
    "unreadable row": ("unreadable row", "无法读取的行"),
    "outside period": ("outside period", "不在考核期内"),
    "no period value": ("no period value", "缺少考核期字段的值"),
    "self rating": ("self rating", "自评"),
    "rating outside scale": ("rating outside scale", "评分超出量表"),
    "unknown rater group": ("unknown rater group", "未知的评价人组"),
    "unknown indicator": ("unknown indicator", "未知的指标"),
    # data-quality verdicts (quality_checks.OK, WARNING, ERROR)
    "warning": ("warning", "警告"),
    "error": ("error", "错误"),
}

# Flags and causes the engine builds from a name or a number: its English shape, and the key.
_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(?P<group>.+): (?P<count>\d+) of at least (?P<min>\d+) raters, not counted$"), "few_raters"),
    (re.compile(r"^excluded with its (?P<dataset>.+) row$"), "excluded_via"),
    (re.compile(r"^excluded: (?P<reason>.+)$"), "excluded"),
    (re.compile(r"^data warning: (?P<share>\S+) (?P<cause>.+?) in (?P<where>.+)$"), "data_warning"),
    (re.compile(r"^target scaled to the period: (?P<days>\d+) of (?P<of>\d+) days$"), "target_scaled"),
    (re.compile(r"^corrected by appeal (?P<appeal>\d+)$"), "corrected"),
)

# Where a value came from, as the engine writes it (measuring.py, totals.py): its shape, and the key.
_SOURCES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^dataset (?P<dataset>.+)$"), "source_dataset"),
    (re.compile(r"^ratings$"), "source_ratings"),
    (re.compile(r"^plugin (?P<plugin>.+)$"), "source_plugin"),
    (re.compile(r"^formula (?P<formula>.+)$", re.DOTALL), "source_formula"),
    (re.compile(r"^no value$"), "source_none"),
)

_IN_UNIT = ("worst", "target", "best")
_POINTS = ("cap", "floor", "score", "default", "total", "limit", "min", "bonus", "penalty", "coefficient")
_MONEY = ("base", "sales", "commission", "bonus", "capped_at")  # in pay parts, which name a currency
_COUNTS = ("in_period", "excluded", "shown")  # whole numbers of rows


def num(x: Any, digits: int = 1) -> str:
    """A number with `digits` decimals; None (or NaN) becomes a dash."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return DASH
    return f"{x:.{digits}f}" if isinstance(x, (int, float)) else str(x)


def pct(x: Any, digits: int = 1) -> str:
    """A fraction as a percentage: 0.905 -> 90.5%."""
    return DASH if x is None or not isinstance(x, (int, float)) else num(100 * x, digits) + "%"


# Units a scheme commonly writes, said in each language (a unit not here is shown as written).
UNITS: dict[str, tuple[str, str]] = {
    "h": ("h", "小时"), "hours": ("hours", "小时"), "min": ("min", "分钟"), "minutes": ("minutes", "分钟"),
    "s": ("s", "秒"), "seconds": ("seconds", "秒"), "d": ("d", "天"), "days": ("days", "天"),
    "tickets": ("tickets", "单"), "orders": ("orders", "单"), "calls": ("calls", "通"), "items": ("items", "件"),
    "pcs": ("pcs", "件"), "count": ("count", "个"), "points": ("points", "分"), "times": ("times", "次"),
    "CNY": ("CNY", "元"), "RMB": ("RMB", "元"), "USD": ("USD", "美元"), "EUR": ("EUR", "欧元"),
}


def unit_text(unit: str, language: str = "en") -> str:
    """`unit` in `language`: a known unit's word, else the unit as the scheme wrote it."""
    words = UNITS.get(unit)
    return words[LANGUAGES.index(language) if language in LANGUAGES else 0] if words else unit


def quantity(x: Any, unit: str = "", language: str = "en") -> str:
    """A value with its unit (in `language`): fractions as percentages for "%", whole numbers
    without decimals."""
    if unit == "%":
        return pct(x)
    text = num(x, 0 if isinstance(x, (int, float)) and float(x).is_integer() else 2)
    return f"{text} {unit_text(unit, language)}" if unit and x is not None else text


def points(x: Any) -> str:
    """Points in a sentence: at most two decimals, no trailing zeros (51.67, 100), never 1e+06."""
    if x is None or not isinstance(x, (int, float)) or math.isnan(x):
        return DASH
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    return f"{round(x, 2) + 0.0:.2f}".rstrip("0").rstrip(".")  # + 0.0 turns -0.0 into 0.0


def _signed(x: Any) -> str:
    text = points(x)
    return text if text == DASH or text.startswith("-") else f"+{text}"


def _interval(parts: Mapping[str, Any], unit: str, language: str = "en") -> str:
    """"[90.0%, 100.0%]": an open end (None) is an infinity."""
    low, high = parts.get("low"), parts.get("high")
    shown = [DASH if end is None else quantity(end, unit, language) for end in (low, high)]
    return (f"{'[' if parts.get('low_closed') else '('}{'-∞' if low is None else shown[0]}, "
            f"{'∞' if high is None else shown[1]}{']' if parts.get('high_closed') else ')'}")


def _pick(key: str, language: str) -> str:
    return PHRASES[key][LANGUAGES.index(language) if language in LANGUAGES else 0]


def _fields(parts: Mapping[str, Any], language: str, titles: Mapping[str, str]) -> dict[str, str]:
    """Every number and name of `parts` as the text its placeholder takes."""
    unit = str(parts.get("unit") or "")
    money = f" {unit_text(str(parts['currency']), language)}" if parts.get("currency") else ""
    comma = "、" if language == "zh" else ", "
    out: dict[str, str] = {k: str(v) for k, v in parts.items() if isinstance(v, str)}
    for name in _IN_UNIT:
        if name in parts:
            out[name] = DASH if parts[name] is None else quantity(parts[name], unit, language)
    out |= {name: points(parts[name]) for name in _POINTS if name in parts}
    out |= {name: str(parts[name]) for name in _COUNTS if isinstance(parts.get(name), int)}
    if "currency" in parts:
        out |= {name: points(parts[name]) + money for name in _MONEY if name in parts}
    if "points" in parts:
        out["points"] = _signed(parts["points"])
    if "rate" in parts:
        out["rate"] = points(100 * parts["rate"]) + "%" if isinstance(parts["rate"], (int, float)) else DASH
    if "missing" in parts:
        out["missing"] = comma.join(titles.get(i, i) for i in parts["missing"])
    if isinstance(parts.get("parts"), Sequence):
        out["parts"] = " + ".join(_pick("weighted_part", language).format(
            score=points(p.get("score")), weight=points(p.get("weight")) + "%") for p in parts["parts"])
    if isinstance(parts.get("effect"), Mapping):
        out["effect"] = phrase(parts["effect"], language) or ""
    if isinstance(parts.get("reason"), Mapping):  # the scheme's text per language
        out["reason"] = pick(parts["reason"], language)
    if parts.get("key") == "band":
        out["interval"] = _interval(parts, unit, language)
    if parts.get("key") == "grade":
        upper = parts.get("max")
        out["upper"] = "" if upper is None else _pick("grade_upper", language).format(max=points(upper))
    if "capped_at" in parts:
        capped = "" if parts["capped_at"] is None else _pick("capped", language).format(capped_at=out["capped_at"])
        out["capped"] = capped
    return out


def phrase(parts: Mapping[str, Any] | None, language: str, titles: Mapping[str, str] | None = None) -> str | None:
    """`parts` ({key, ...numbers}) as a sentence in `language`; None for a key this version does not
    know (a newer engine's), so the caller shows the English sentence instead. `titles` names
    indicators by id."""
    if not parts:
        return None
    key = parts.get("key")
    if not isinstance(key, str) or key not in PHRASES:  # an edited run may hold any JSON there
        return None
    if not titles and (flat := _flat(parts)) is not None:
        return _said(flat, language)
    return _say(parts, language, titles or {})


def _say(parts: Mapping[str, Any], language: str, titles: Mapping[str, str]) -> str | None:
    try:
        return _pick(parts["key"], language).format(**_fields(parts, language, titles))
    except (KeyError, TypeError, ValueError, AttributeError):
        return None  # parts of another shape than this phrasebook's: the English sentence stands


_SCALARS = (str, int, float, bool, type(None))


def _flat(parts: Mapping[str, Any]) -> tuple[tuple[str, type, Any], ...] | None:
    """`parts` as a key for `_said` when it holds scalars only; each value's type is part of the
    key, since 1, 1.0 and True are equal but not said alike."""
    flat = tuple((k, type(v), v) for k, v in parts.items())
    return flat if all(t in _SCALARS for _, t, _ in flat) else None


@functools.lru_cache(maxsize=4096)
def _said(flat: tuple[tuple[str, type, Any], ...], language: str) -> str | None:
    """A rule or status said once for every cell that has the same parts (a scheme's rule is the
    same for nearly everyone): phrasing it afresh was a tenth of a scorecard's time."""
    return _say({k: v for k, _, v in flat}, language, {})


def titles_of(appraisee: Mapping[str, Any], language: str) -> dict[str, str]:
    """The appraisee's indicators' titles in `language`, by id."""
    return {c["indicator"]: pick(c["title"], language) if c.get("title") else c["indicator"]
            for c in appraisee.get("cells") or ()}


def rule_text(cell: Mapping[str, Any], language: str) -> str:
    """How the cell was scored, in `language` (its English `rule` without parts)."""
    return phrase(cell.get("rule_parts"), language) or str(cell.get("rule") or "")


def step_texts(appraisee: Mapping[str, Any], language: str) -> list[str]:
    """How the total came about, one sentence per step, in `language` (the English `steps`
    where a step has no parts)."""
    steps = list(appraisee.get("steps") or ())
    parts = list(appraisee.get("step_parts") or ())
    if len(parts) != len(steps):
        return [str(s) for s in steps]
    names = titles_of(appraisee, language)
    return [phrase(p, language, names) or str(s) for s, p in zip(steps, parts, strict=True)]


def effect_text(effect: Mapping[str, Any], language: str) -> str:
    """What a gate or adjustment does, in `language` (its English `effect` without parts)."""
    return phrase(effect.get("effect_parts"), language) or str(effect.get("effect") or "")


def word(text: Any, language: str) -> str:
    """A status, flag or data-quality cause in `language`: a known word, a known shape, else as is."""
    if text is None:
        return ""
    text = str(text)
    i = LANGUAGES.index(language) if language in LANGUAGES else 0
    if text in WORDS:
        return WORDS[text][i]
    for shape, key in _SHAPES:
        if match := shape.match(text):
            found = match.groupdict()
            if "cause" in found:  # a data-quality cause inside a flag is said in the language too
                found["cause"] = word(found["cause"], language)
            return PHRASES[key][i].format(**found)
    return text


def cause_text(cause: Any, language: str) -> str:
    """A data-quality cause in `language`: a quality row (whose `cause_parts`, for an exclusion,
    carry the scheme's reason in each language it gave) or a cause text, as `word` says it."""
    if isinstance(cause, Mapping):
        return phrase(cause.get("cause_parts"), language) or word(cause.get("cause"), language)
    return word(cause, language)


def source_text(source: Any, language: str) -> str:
    """Where a cell's value came from (`dataset tickets`, `ratings`, ...) in `language`; a source
    of another shape (a newer engine's) as it is."""
    if isinstance(source, Mapping):
        source = source.get("source")
    if source is None:
        return ""
    text = str(source)
    for shape, key in _SOURCES:
        if match := shape.match(text):
            return _pick(key, language).format(**match.groupdict())
    return text


def status_text(status: Any, language: str) -> str:
    """A status in `language`: a status text, or an appraisee or cell (whose `status_parts`, when
    it failed, say why)."""
    if isinstance(status, Mapping):
        parts = status.get("status_parts")
        said = phrase(parts, language, titles_of(status, language)) if parts else None
        return said or word(status.get("status"), language)
    return word(status, language)
