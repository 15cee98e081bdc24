"""The appraisal form (考核表): each indicator explained in words, with blanks to fill in and sign.

`form_context` turns a `Scheme` into plain mappings and strings (a stable template API, see docs/templates.md);
`render_form` writes them through the reports' layered, sandboxed loader (`form-<scheme id>.<fmt>.j2`, then
`form.<fmt>.j2`). `in_words` reads an expression's syntax tree aloud in English or Chinese."""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from appraisal.errors import AppraisalError
from appraisal.expressions.parsing import Expression
from appraisal.rendering import pages as rendering
from appraisal.scheme.model import Indicator, Measure, Scheme, TargetFrom, pick

FORMATS = ("html", "md")  # the form's own formats: the reports may gain more than a form has templates for
RATERS = 3  # rating rows per rating indicator: the scheme does not say how many raters there are

_FORM_LABELS: dict[str, tuple[str, str]] = {
    "form": ("Appraisal form", "考核表"), "definition": ("Definition", "定义"),
    "formula": ("How it is measured", "计算方法"),
    "unit": ("Unit", "单位"), "direction": ("Direction", "方向"), "curve": ("Score curve", "评分曲线"),
    "source": ("Data source", "数据来源"), "otherwise": ("Otherwise", "其他情况"), "range": ("Range", "区间"),
    "rules": ("Gates, adjustments and exclusions", "否决项、加减分与剔除项"), "grades": ("Grades", "等级"),
    "ratings": ("Ratings", "评分"), "rater": ("Rater", "评分人"), "rating": ("Rating", "评分"),
    "comment": ("Comment", "评语"), "comments": ("General comments", "综合评语"),
    "signatures": ("Signatures", "签字确认"), "signature": ("Signature", "签名"),
    "date": ("Date", "日期"), "hr": ("HR", "人力资源"), "total_weight": ("Total weight", "权重合计"),
    "missing_data": ("Indicators without data", "无数据的指标"), "version": ("Version", "版本"),
}
_TEXT: dict[str, tuple[str, str]] = {
    "higher": ("Higher is better", "越高越好"), "lower": ("Lower is better", "越低越好"),
    "target_from": ("per appraisee, from {dataset}.{column}", "按被考核人，取自 {dataset}.{column}"),
    "count": ("Number of {ds}{where}", "{ds}{where} 的记录数"),
    "count_distinct": ("Number of distinct {of} over {ds}{where}", "{ds}{where} 中 {of} 的不同值个数"),
    "sum": ("Sum of {of} over {ds}{where}", "{ds}{where} 中 {of} 的总和"),
    "mean": ("Mean of {of} over {ds}{where}", "{ds}{where} 中 {of} 的平均值"),
    "median": ("Median of {of} over {ds}{where}", "{ds}{where} 中 {of} 的中位数"),
    "percentile": ("{p:g}{th} percentile of {of} over {ds}{where}", "{ds}{where} 中 {of} 的第 {p:g} 百分位数"),
    "min": ("Smallest {of} over {ds}{where}", "{ds}{where} 中 {of} 的最小值"),
    "max": ("Largest {of} over {ds}{where}", "{ds}{where} 中 {of} 的最大值"),
    "ratio": ("Share of {ds}{where}", "{ds}{where} 所占比例"),
    "ratio_of": ("{top} divided by {bottom}", "{top} 除以 {bottom}"),
    "where": (" where {x}", "（满足 {x}）"), "among": (", among {ds} where {x}", "（在满足 {x} 的 {ds} 中）"),
    "min_rows": ("At least {n} rows are needed; fewer give 'insufficient data', never zero.",
                 "至少需要 {n} 条记录；不足时记为“数据不足”，不记零分。"),
    "formula_kind": ("Calculated from other indicators: {x}", "由其他指标计算：{x}"),
    "rating_kind": ("Rated by reviewers from {low:g} to {high:g}; the raters' mean counts",
                    "由评审人按 {low:g} 至 {high:g} 分评分，取各评分人的平均分"),
    "custom_kind": ("Computed by the plugin '{plugin}'", "由插件 '{plugin}' 计算"),
    "from_file": ("{name}: {file} ({source})", "{name}：{file}（{source}）"),
    "from_indicators": ("other indicators", "其他指标"), "no_rule": ("Not scored", "不计分"),
    "curve_rule": (("Points rise in a straight line from {worst} (0 points) through the target {target} (100) "
                    "to {best} ({cap:g}); beyond these they stay at {floor:g} and {cap:g}."),
                   ("从 {worst}（0 分）经目标值 {target}（100 分）到 {best}（{cap:g} 分）按直线计分；"
                    "超出后保持 {floor:g} 分和 {cap:g} 分。")),
    "bands_rule": ("Points by band, as in the table; any other value scores {default:g}.",
                   "按区间计分，见下表；其他值得 {default:g} 分。"),
    "ratio_rule": ("Points are 100 × {a} ÷ {b}, at most {cap:g}.", "得分为 100 × {a} ÷ {b}，最高 {cap:g} 分。"),
    "formula_rule": ("Points are {x}.", "得分为 {x}。"), "value": ("value", "实际值"),
    "the_target": ("target", "目标值"),
    "gate_cap": ("If {x}: the total is at most {n:g} ({reason}).", "若 {x}：总分最高 {n:g} 分（{reason}）。"),
    "gate_veto": ("If {x}: the total becomes 0 ({reason}).", "若 {x}：总分记为 0（{reason}）。"),
    "adjust": ("If {x}: {n:+g} points ({reason}).", "若 {x}：{n:+g} 分（{reason}）。"),
    "limits": ("All adjustments together: at most +{bonus:g} and −{penalty:g} points.",
               "加减分合计：最多加 {bonus:g} 分、减 {penalty:g} 分。"),
    "exclude": ("Left out: {ds} rows where {x} ({reason}).", "剔除：{ds} 中满足 {x} 的记录（{reason}）。"),
    "grade_top": ("{low:g} and above", "{low:g} 分及以上"),
    "grade_band": ("{low:g} to under {high:g}", "{low:g} 至 {high:g} 分（不含）"),
    "reweight": ("their weight is shared among the others", "其权重分配给其他指标"),
    "zero": ("they score 0", "记 0 分"), "fail": ("no total is given", "不计算总分"),
    "week": ("week", "周"), "month": ("month", "月度"), "quarter": ("quarter", "季度"), "half": ("half year", "半年度"),
    "year": ("year", "年度"), "period": ("{p} (time zone {tz})", "{p}（时区 {tz}）"),
}
# Expression words: operators, comparisons and functions ({0}, {1}... are the arguments in words).
_OPS = {ast.Add: ("{0} plus {1}", "{0} 加 {1}"), ast.Sub: ("{0} minus {1}", "{0} 减 {1}"),
        ast.Mult: ("{0} times {1}", "{0} 乘以 {1}"), ast.Div: ("{0} divided by {1}", "{0} 除以 {1}"),
        ast.FloorDiv: ("{0} divided by {1}, rounded down", "{0} 除以 {1} 后向下取整"),
        ast.Mod: ("the remainder of {0} divided by {1}", "{0} 除以 {1} 的余数"),
        ast.Pow: ("{0} to the power {1}", "{0} 的 {1} 次方"),
        ast.Eq: ("is", "为"), ast.NotEq: ("is not", "不为"), ast.Lt: ("is below", "小于"),
        ast.LtE: ("is at most", "不超过"),
        ast.Gt: ("is above", "大于"), ast.GtE: ("is at least", "不低于"), ast.In: ("is one of", "为以下之一："),
        ast.NotIn: ("is none of", "不为以下任一："), ast.And: (" and ", " 且 "), ast.Or: (" or ", " 或 ")}
_UNITS = {"seconds": ("seconds", "秒数"), "minutes": ("minutes", "分钟数"), "hours": ("hours", "小时数"),
          "days": ("days", "天数")}
_FUNCTIONS = {
    "abs": ("the absolute value of {0}", "{0} 的绝对值"), "ceil": ("{0} rounded up", "{0} 向上取整"),
    "floor": ("{0} rounded down", "{0} 向下取整"), "round": ("{0} rounded", "{0} 四舍五入"),
    "round2": ("{0} rounded to {1} decimals", "{0} 四舍五入保留 {1} 位小数"),
    "clamp": ("{0}, kept between {1} and {2}", "{0}（限制在 {1} 到 {2} 之间）"),
    "year": ("the year of {0}", "{0} 的年份"), "quarter": ("the quarter of {0}", "{0} 的季度"),
    "month": ("the month of {0}", "{0} 的月份"), "day": ("the day of {0}", "{0} 的日期"),
    "hour": ("the hour of {0}", "{0} 的小时"),
    "weekday": ("the weekday of {0} (1 is Monday)", "{0} 的星期（1 为周一）"),
    "is_null": ("{0} is empty", "{0} 为空"), "not_null": ("{0} is not empty", "{0} 不为空"),
    "min": ("the smallest of {all}", "{all} 中的最小值"), "max": ("the largest of {all}", "{all} 中的最大值"),
    "coalesce": ("the first of {all} that is not empty", "{all} 中第一个非空值"),
    "between": ("{unit} from {1} to {0}", "从 {1} 到 {0} 的{unit}"), "interval": ("{0} in {unit}", "{0} 的{unit}"),
}
_SUBSCRIPT = ("{0} for {1}", "{1} 对应的 {0}")  # handling_target_h[problem_type]: the map's entry for the key
_COMPOUND = (ast.BinOp, ast.BoolOp, ast.IfExp, ast.Compare)


def _t(table: Mapping[str, tuple[str, str]], key: str, language: str, **values: Any) -> str:
    return table[key][language == "zh"].format(**values)


def in_words(expression: Expression | ast.AST, language: str = "en", names: Mapping[str, str] | None = None,
             *, condition: bool = False) -> str:
    """An expression read aloud: `hours(a - b)` is "hours from b to a" / "从 b 到 a 的小时数".

    `names` replaces names (indicator ids by their titles); `condition` reads a bare name `x` as
    "x is true"; a map constant's entry `m[k]` is "m for k" / "k 对应的 m". Anything unusual (a plugin's
    function) is shown as its source.
    """
    node = expression.tree.body if isinstance(expression, Expression) else expression
    zh, names = language == "zh", names or {}

    def w(n: ast.AST) -> str:
        if isinstance(n, ast.Constant):
            if (v := n.value) is None or isinstance(v, bool):
                return {True: ("true", "真"), False: ("false", "假"), None: ("empty", "空")}[v][zh]
            return repr(v) if isinstance(v, str) else f"{v:g}" if isinstance(v, float) else str(v)
        if isinstance(n, ast.Name):
            return names.get(n.id, n.id)
        if isinstance(n, ast.BinOp) and type(n.op) in _OPS:
            return _OPS[type(n.op)][zh].format(inner(n.left), inner(n.right))
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.Not):
            if zh:
                return f"{inner(n.operand)} 为假"
            return f"{w(n.operand)} is false" if isinstance(n.operand, ast.Name) else f"not {inner(n.operand)}"
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
            sign = "-" if isinstance(n.op, ast.USub) else ""
            if isinstance(n.operand, ast.Constant):
                return sign + w(n.operand)
            return ("负 " if zh else "minus ") * bool(sign) + inner(n.operand)
        if isinstance(n, ast.BoolOp):
            return _OPS[type(n.op)][zh].join(cond(v, wrap=isinstance(v, (ast.BoolOp, ast.IfExp))) for v in n.values)
        if isinstance(n, ast.Compare):
            parts, left = [], n.left
            for op, right in zip(n.ops, n.comparators, strict=True):
                if isinstance(right, (ast.Tuple, ast.List)):
                    shown = ("、" if zh else ", ").join(w(e) for e in right.elts)
                else:
                    shown = inner(right)
                parts.append(f"{inner(left)} {_OPS[type(op)][zh]} {shown}".replace("： ", "："))
                left = right
            return _OPS[ast.And][zh].join(parts)
        if isinstance(n, ast.IfExp):
            text = "若 {1} 则 {0}，否则 {2}" if zh else "{0} if {1}, otherwise {2}"
            return text.format(w(n.body), cond(n.test), w(n.orelse))
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and not n.keywords:
            return call(n.func.id, n.args) or ast.unparse(n)
        if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name):  # a map constant's entry
            return _SUBSCRIPT[zh].format(w(n.value), inner(n.slice))
        return ast.unparse(n)

    def inner(n: ast.AST) -> str:
        return f"({w(n)})" if isinstance(n, _COMPOUND) else w(n)

    def cond(n: ast.AST, wrap: bool = False) -> str:
        if isinstance(n, ast.Name):  # a flag column or indicator used as a condition
            return f"{w(n)} 为真" if zh else f"{w(n)} is true"
        return f"({w(n)})" if wrap else w(n)

    def call(name: str, args: list[ast.expr]) -> str | None:
        if name in _UNITS and len(args) == 1:  # hours(a - b): "hours from b to a"
            if isinstance(a := args[0], ast.BinOp) and isinstance(a.op, ast.Sub):
                return _FUNCTIONS["between"][zh].format(inner(a.left), inner(a.right), unit=_UNITS[name][zh])
            return _FUNCTIONS["interval"][zh].format(inner(a), unit=_UNITS[name][zh])
        key, words = ("round2" if name == "round" and len(args) == 2 else name), [w(a) for a in args]
        together = "、".join(words) if zh or len(words) < 2 else ", ".join(words[:-1]) + " and " + words[-1]
        try:
            return _FUNCTIONS[key][zh].format(*words, all=together) if key not in ("between", "interval") else None
        except (KeyError, IndexError):  # a plugin's function, or too few arguments
            return None

    return cond(node) if condition else w(node)


def _value(x: float | None, unit: str = "", language: str = "en") -> str:
    return "–" if x is None else ("-∞" if x < 0 else "∞") if math.isinf(x) else rendering.quantity(x, unit, language)


def _measure_words(m: Measure, language: str) -> str:
    """The measure in words: aggregate, per-row value, dataset and filters."""
    where = _t(_TEXT, "where", language, x=in_words(m.where, language, condition=True)) if m.where else ""
    if m.agg != "ratio":
        p = 100.0 * (m.percentile or 0)
        th = "th" if not p.is_integer() or 10 <= p % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(int(p) % 10, "th")
        of = in_words(m.of, language) if m.of else ""
        return _t(_TEXT, m.agg, language, ds=m.dataset, where=where, of=of, p=p, th=th)
    top, bottom = m.numerator, m.denominator

    def _all(conditions: Sequence[Expression | None], language: str) -> str:
        joint = " 且 " if language == "zh" else " and "
        return joint.join(in_words(c, language, condition=True) for c in conditions if c)

    below = _all([m.where, bottom.where if bottom else None], language)

    def side(part: Any, base: str) -> str:
        text = _t(_TEXT, "where", language, x=base) if base else ""
        if part is not None and part.of is not None:
            return _t(_TEXT, "sum", language, ds=m.dataset, where=text, of=in_words(part.of, language))
        return _t(_TEXT, "count", language, ds=m.dataset, where=text)
    if (top is None or top.of is None) and (bottom is None or bottom.of is None):
        above = _all([top.where if top else None], language)
        text = _t(_TEXT, "ratio", language, ds=m.dataset, where=_t(_TEXT, "where", language, x=above) if above else "")
        return (text + (_t(_TEXT, "among", language, ds=m.dataset, x=below) if below else "")).replace("） ", "）")
    above = _all([m.where, top.where if top else None], language)
    lower = side(bottom, below)
    bottom_words = lower if language == "zh" else lower[:1].lower() + lower[1:]
    return _t(_TEXT, "ratio_of", language, top=side(top, above), bottom=bottom_words)


def _target(ind: Indicator, language: str) -> str:
    if isinstance(ind.target, TargetFrom):
        return _t(_TEXT, "target_from", language, dataset=ind.target.dataset, column=ind.target.column)
    return _value(ind.target, ind.unit, language)


def _how(ind: Indicator, language: str, titles: Mapping[str, str]) -> str:
    if ind.measure is not None:
        return _measure_words(ind.measure, language)
    if ind.formula is not None:
        return _t(_TEXT, "formula_kind", language, x=in_words(ind.formula, language, titles))
    if ind.kind == "rating" and ind.scale:
        return _t(_TEXT, "rating_kind", language, low=ind.scale[0], high=ind.scale[1])
    return _t(_TEXT, "custom_kind", language, plugin=(ind.custom or {}).get("plugin", ind.kind))


def _source(ind: Indicator, scheme: Scheme, language: str) -> str:
    if ind.measure is not None:
        ds = scheme.datasets[ind.measure.dataset]
        where = ds.source.table if ds.source.in_database else ds.source.path.name
        return _t(_TEXT, "from_file", language, name=ds.name, file=where, source=ds.source.source)
    if ind.kind == "rating" and (r := scheme.ratings) is not None:
        name = _t(_FORM_LABELS, "ratings", language)
        return _t(_TEXT, "from_file", language, name=name, file=r.table if r.in_database else r.path.name,
                  source=r.source)
    return _t(_TEXT, "from_indicators", language) if ind.formula is not None else "–"


def _score(ind: Indicator, language: str) -> tuple[str, list[dict[str, str]], list[dict[str, Any]]]:
    """The score rule in words, its points (value -> points) and its bands."""
    s, unit, target = ind.score, ind.unit, _target(ind, language)
    if s is None:
        return _t(_TEXT, "no_rule", language), [], []
    if s.rule == "curve":
        points = [(_value(s.worst, unit, language), 0.0), (target, 100.0), (_value(s.best, unit, language), s.cap)]
        words = _t(_TEXT, "curve_rule", language, worst=points[0][0], target=target, best=points[2][0], cap=s.cap,
                   floor=s.floor)
    elif s.rule == "bands":
        bands = [{"range": str(b.interval), "low": b.interval.low, "high": b.interval.high, "score": b.score}
                 for b in s.bands]
        return _t(_TEXT, "bands_rule", language, default=s.default or 0), [], bands
    elif s.rule == "ratio_to_target":
        value, goal = _t(_TEXT, "value", language), _t(_TEXT, "the_target", language)
        a, b = (goal, value) if ind.direction == "lower" else (value, goal)
        words = _t(_TEXT, "ratio_rule", language, a=a, b=b, cap=s.cap)
        factor = s.cap / 100 if ind.direction == "higher" else 100 / s.cap
        best = (_value(ind.target * factor, unit, language) if isinstance(ind.target, (int, float))
                else f"{goal} × {factor:.3g}")
        points = [(target, 100.0), (best, s.cap)]
    else:
        words, points = _t(_TEXT, "formula_rule", language, x=in_words(s.formula, language)) if s.formula else "–", []
    return words, [{"value": v, "points": f"{p:g}"} for v, p in points], []


def form_context(
    scheme: Scheme, language: str, appraisee: Mapping[str, Any] | None = None, *, raters: int = RATERS
) -> dict[str, Any]:
    """The form's template context: plain mappings and strings (documented in docs/templates.md)."""
    words = {**rendering.labels(language), **{k: v[language == "zh"] for k, v in _FORM_LABELS.items()}}
    titles = {i.id: pick(i.title, language) or i.id for i in scheme.indicators}
    period = _t(_TEXT, scheme.period, language) if scheme.period in _TEXT else scheme.period
    indicators = []
    for ind in scheme.indicators:
        rule, points, bands = _score(ind, language)
        indicators.append({
            "id": ind.id, "title": titles[ind.id], "definition": pick(ind.definition, language), "kind": ind.kind,
            "unit": ind.unit, "weight": ind.weight, "target": _target(ind, language),
            "direction": _t(_TEXT, ind.direction, language), "how": _how(ind, language, titles),
            "min_count": (_t(_TEXT, "min_rows", language, n=ind.measure.min_count)
                          if ind.measure and ind.measure.min_count > 1 else ""),
            "source": _source(ind, scheme, language), "rule": rule, "points": points,
            "bands": [{**b, "score": f"{b['score']:g}"} for b in bands],
            "band_default": None if ind.score is None or ind.score.default is None else f"{ind.score.default:g}",
            "scale": list(ind.scale) if ind.scale else None,
            "raters": list(range(1, raters + 1)) if ind.kind == "rating" else [],
        })
    rules = [_t(_TEXT, "exclude", language, ds=e.dataset, x=in_words(e.where, language, condition=True),
                reason=pick(e.reason, language)) for e in scheme.exclusions]
    rules += [_t(_TEXT, "gate_veto" if g.veto else "gate_cap", language,
                 x=in_words(g.when, language, titles, condition=True), n=g.cap_total or 0,
                 reason=pick(g.reason, language)) for g in scheme.gates]
    rules += [_t(_TEXT, "adjust", language, x=in_words(a.when, language, titles, condition=True), n=a.points,
                 reason=pick(a.reason, language)) for a in scheme.adjustments]
    if scheme.max_bonus is not None or scheme.max_penalty is not None:
        rules.append(_t(_TEXT, "limits", language, bonus=scheme.max_bonus or 0, penalty=scheme.max_penalty or 0))
    grades = [{"grade": g.grade, "title": pick(g.title, language), "min": g.min,
               "max": None if math.isinf(g.max) else g.max,
               "range": _t(_TEXT, "grade_top" if math.isinf(g.max) else "grade_band", language, low=g.min, high=g.max)}
              for g in scheme.grades]
    return {
        "language": language, "labels": words, "format": "", "scheme_title": pick(scheme.title, language) or scheme.id,
        "scheme": {"id": scheme.id, "version": scheme.version, "title": dict(scheme.title), "role": scheme.role or "",
                   "period": scheme.period, "timezone": scheme.timezone},
        "description": pick(scheme.description, language),
        "period_label": _t(_TEXT, "period", language, p=period, tz=scheme.timezone),
        "missing_data": _t(_TEXT, scheme.missing_data, language), "indicators": indicators, "rules": rules,
        "grades": grades,
        "appraisee": None if appraisee is None else {k: str(appraisee.get(k) or "") for k in ("id", "name", "team")},
        "total_weight": sum(i.weight for i in scheme.indicators),
        "signatures": [words["appraisee"], words["manager"], words["hr"]],
    }


def render_form(
    scheme: Scheme, out_dir: Path, *, formats: Sequence[str] = FORMATS, language: str = "en",
    appraisee: Mapping[str, Any] | None = None, user_dir: Path | None = None, pack_dirs: Sequence[Path] = (),
) -> list[Path]:
    """Write `form-<scheme id>[-<appraisee id>].<fmt>` for each format; return the paths. `pack_dirs`
    are the packs' template folders (`scheme.packs.template_dirs`)."""
    if unknown := [f for f in formats if f not in FORMATS]:
        raise AppraisalError(f"unknown format {unknown[0]!r}: choose from {', '.join(FORMATS)}")
    context, env = form_context(scheme, language, appraisee), rendering.environment(user_dir, pack_dirs)
    scheme_id = rendering.safe_name(scheme.id)
    stem = f"form-{scheme_id}"
    if appraisee and appraisee.get("id"):
        stem += f"-{rendering.safe_name(str(appraisee['id']))}"
    (out_dir := Path(out_dir)).mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        names = [f"form-{scheme_id}.{fmt}.j2", f"form.{fmt}.j2"]
        text = rendering.render_template(env, names, {**context, "format": fmt})
        written.append(rendering.write_atomically(out_dir / f"{stem}.{fmt}", text))
    return written
