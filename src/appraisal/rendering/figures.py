"""Figures of a run's pages, computed from `Result.as_dict()`: the ranking, the grade
distribution against the target (with who to look at again), the team comparison, the
indicators' spread, and the geometry of their charts. The summary, the team report and the
workbook share them, so a share or a rank is the same number wherever it is shown: shares of a
grade are of those graded (an appraisee without a grade is counted apart, never in a share).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from appraisal.rendering.phrasing import num
from appraisal.scheme.model import pick

REPORT_WORDS: dict[str, tuple[str, str]] = {  # the team report's words, and the figures'
    "legend_count": ("bar: how many have the grade", "柱：该等级人数"),
    "legend_target": ("dashed line: the headcount the target share expects", "虚线：目标比例对应的人数"),
    "legend_score": ("bar: the score", "柱：得分"),
    "legend_score_target": ("line: the target met (100 points)", "竖线：达到目标（100 分）"),
    "legend_team": ("bar: the team's mean total", "柱：团队平均总分"),
    "team_report": ("Team report", "团队报告"), "ideal": ("ideal", "理想"), "quadrant_side": ("Side", "所在象限"),
    "not_placed": ("Not placed (a value is missing)", "未能定位（缺少数值）"), "better": ("better", "达标"),
    "worse": ("worse", "未达标"), "ranking": ("Ranking", "排名"), "rank": ("Rank", "名次"),
    "target_share": ("Target share", "目标比例"), "expected": ("Expected", "目标人数"),
    "over": ("Over quota", "超出人数"), "over_quota": ("Named for a second look", "建议复核"),
    "named_down": ("lowest totals", "总分最低者"), "named_up": ("highest totals", "总分最高者"),
    "advice_note": (("Advice only: calibration never changes a grade. Where a grade holds more people than its "
                     "target share, those nearest the grade toward the middle are named for a second look: the "
                     "lowest totals of a grade above the middle, the highest of a grade below it."),
                    ("仅供参考：强制分布校准不会改变任何人的等级。某等级人数超出目标比例时，列出最接近中间等级的人员以供复核："
                     "中间以上的等级列出总分最低者，中间以下的等级列出总分最高者。")),
    "distributions": ("Indicator distributions", "指标分布"), "values": ("Values", "实际值"),
    "scores": ("Scores", "得分"), "n": ("n", "人数"), "min": ("Min", "最小值"), "q1": ("Q1", "下四分位"),
    "median": ("Median", "中位数"), "q3": ("Q3", "上四分位"), "max": ("Max", "最大值"),
    "teams": ("Team comparison", "团队对比"), "mean_total": ("Mean total", "平均总分"),
    "no_team": ("no team", "未分组"), "team_chart": ("Mean total per team", "各团队平均总分"),
    "trend": ("Trend", "趋势"), "trend_line": ("Line", "走势"),
    "drill": ("Rows behind each score", "得分明细数据"),
    "drill_how": ("To see the rows behind a score, run", "查看得分背后的数据行，请运行"),
    "drill_rows": ("rows", "明细"),
    "history": ("Period over period", "历史与环比"), "change": ("Change", "变化"),
    "history_indicators": ("Mean score per indicator, by period", "各周期指标平均得分"),
    "history_warning": (("Compared with runs of another scheme version (their numbers were computed by other "
                         "rules)"), "对比的运行使用了不同版本的考核方案（其数值按其他规则计算）"),
    "calibrated": ("Calibrated", "校准后"), "computed": ("Computed", "计算结果"),
    "calibrations": ("Grades moved after calibration", "校准调整的等级"),
    "calibrated_share": ("Calibrated share", "校准后占比"),
}


def ranking(appraisees: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Highest total first, ties by id; ties share a rank (1, 1, 3); no total, no rank, last."""
    ordered = sorted(appraisees, key=lambda a: (a["total"] is None, -(a["total"] or 0.0), a["id"]))
    ranked: list[dict[str, Any]] = []
    for i, a in enumerate(ordered):
        rank = None if a["total"] is None else (
            ranked[-1]["rank"] if ranked and ranked[-1]["total"] == a["total"] else i + 1)
        ranked.append({**a, "rank": rank})
    return ranked


def calibrated(data: Mapping[str, Any], ranked: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each grade against its target share, and who in a grade over its quota is nearest the
    grade toward the middle, as advice (`direction`): the lowest totals of a grade above the
    middle ("down"), the highest of one below it ("up"); for the middle grade, toward the
    neighbour with more room under its own quota (down on a tie)."""
    targets = {c["grade"]: c for c in data.get("calibration") or ()}
    graded = [a for a in ranked if a["grade"] is not None]  # highest total first
    bands = list(data["grades"])
    best_first = sorted(range(len(bands)), key=lambda i: -(bands[i].get("min") or 0.0))
    place = {bands[i]["grade"]: rank for rank, i in enumerate(best_first)}
    middle = (len(bands) - 1) / 2

    def room(rank: int) -> float:
        """How many more the grade at `rank` (best first) may hold under its quota."""
        if not 0 <= rank < len(bands):
            return float("-inf")
        grade = bands[best_first[rank]]["grade"]
        target = targets.get(grade, {})
        expected = target.get("expected")
        return float("-inf") if expected is None else expected - sum(a["grade"] == grade for a in graded)

    rows = []
    for band in bands:
        grade = band["grade"]
        members = [a for a in graded if a["grade"] == grade]
        target = targets.get(grade, {})
        over = target.get("over") or 0
        rank = place[grade]
        up = rank > middle or (rank == middle and room(rank - 1) > room(rank + 1))
        named = members[:over] if up else list(reversed(members[len(members) - over:]))
        rows.append({
            "grade": grade, "title": band.get("title") or {}, "count": len(members),
            "share": len(members) / (len(graded) or 1), "target_share": target.get("target_share"),
            "expected": target.get("expected"), "over": target.get("over"),
            "over_quota": named if over else [], "direction": "up" if up else "down",
        })
    return rows


def summary_stats(values: Sequence[float]) -> dict[str, float] | None:
    """n, min, quartiles (linear interpolation, inclusive), median and max; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    q1, median, q3 = statistics.quantiles(ordered, n=4, method="inclusive") if len(ordered) > 1 else ordered * 3
    return {"n": len(ordered), "min": ordered[0], "q1": q1, "median": median, "q3": q3, "max": ordered[-1]}


def indicators_of(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    declared = list(data["scheme"].get("indicators") or ())
    if declared:
        return declared
    seen = {c["indicator"]: c for a in data["appraisees"] for c in a["cells"]}
    return [{"id": i, "title": c["title"], "unit": c["unit"]} for i, c in seen.items()]


def distributions(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per indicator: the spread of values and of scores over everyone measured."""
    cells: dict[str, list[Mapping[str, Any]]] = {}
    for a in data["appraisees"]:
        for c in a["cells"]:
            cells.setdefault(c["indicator"], []).append(c)
    rows = []
    for ind in indicators_of(data):
        found = cells.get(ind["id"], [])
        rows.append({
            "indicator": ind["id"], "title": ind.get("title") or ind["id"], "unit": ind.get("unit", ""),
            "value_stats": summary_stats([c["value"] for c in found if c["value"] is not None]),
            "score_stats": summary_stats([c["score"] for c in found if c["score"] is not None]),
        })
    return rows


def _mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def teams(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per team (by name; no team last): headcount, mean total, grade counts, mean score per indicator."""
    groups: dict[str | None, list[Mapping[str, Any]]] = {}
    for a in data["appraisees"]:
        groups.setdefault(a["team"], []).append(a)
    indicators = [i["id"] for i in indicators_of(data)]
    rows = []
    for team in sorted(groups, key=lambda t: (t is None, t or "")):
        members = groups[team]
        counts = Counter(a["grade"] for a in members)
        scores = {i: [c["score"] for a in members for c in a["cells"] if c["indicator"] == i and c["score"] is not None]
                  for i in indicators}
        rows.append({
            "team": team, "headcount": len(members),
            "mean_total": _mean([a["total"] for a in members if a["total"] is not None]),
            "grades": [{"grade": g["grade"], "count": counts[g["grade"]]} for g in data["grades"]],
            "scores": [{"indicator": i, "mean": _mean(scores[i])} for i in indicators],
        })
    return rows


def grade_chart(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Vertical bars, one per grade, with a target mark at the expected headcount."""
    width, base, tall = 640, 190, 160
    scale = max([1.0, *(r["count"] for r in rows), *(r["expected"] or 0 for r in rows)])
    slot = width / max(len(rows), 1)
    bars = []
    for i, r in enumerate(rows):
        height = round(tall * r["count"] / scale, 2)
        bars.append({
            "grade": r["grade"], "count": r["count"], "x": round(i * slot + slot / 4, 2), "width": round(slot / 2, 2),
            "y": round(base - height, 2), "height": height, "label_x": round(i * slot + slot / 2, 2),
            "target_y": None if r["expected"] is None else round(base - tall * r["expected"] / scale, 2),
        })
    return {"width": width, "height": base + 24, "base": base, "bars": bars}


def team_chart(rows: Sequence[Mapping[str, Any]], no_team: str) -> dict[str, Any]:
    """Horizontal bars, one per team: its mean total, the team's name above it."""
    row, length = 36, 520
    scale = max([100.0, *(r["mean_total"] for r in rows if r["mean_total"] is not None)])
    bars = [{"team": r["team"], "label": r["team"] or no_team, "text": num(r["mean_total"]),
             "x": 0, "y": i * row + 16, "height": 14,
             "width": round(length * max(r["mean_total"] or 0.0, 0.0) / scale, 2)} for i, r in enumerate(rows)]
    return {"width": 640, "height": row * max(len(rows), 1), "length": length, "scale": scale, "bars": bars}


def scorecard_chart(cells: Sequence[Mapping[str, Any]], language: str) -> dict[str, Any]:
    """Horizontal bars, one per scored indicator, its title above it; full length is `scale`
    points. Indicators only reported (weight 0, no score: a cost beside its budget) have no bar."""
    cells = [c for c in cells if c["weight"] or c["score"] is not None]
    row, length = 36, 520
    scale = max([100.0, *(c["score"] for c in cells if c["score"] is not None)])
    bars = [
        {"indicator": c["indicator"], "label": pick(c["title"], language) if c["title"] else c["indicator"],
         "score": c["score"], "text": num(c["score"]), "x": 0, "y": i * row + 16, "height": 14,
         "width": round(length * max(c["score"] or 0.0, 0.0) / scale, 2)}
        for i, c in enumerate(cells)
    ]
    return {"width": 640, "height": row * max(len(cells), 1), "length": length, "scale": scale, "bars": bars,
            "target_x": round(length * 100.0 / scale, 2)}  # 100 points: the target met
