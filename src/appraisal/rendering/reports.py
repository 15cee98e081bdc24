"""The team report, and what a scorecard adds when more is known: earlier periods and the rows.

`render_report` writes what `rendering.render_result` writes (the summary and one scorecard per
appraisee) plus `team.<fmt>`, the team report, through the same layered, sandboxed loader
(`team-<scheme id>.<fmt>.j2` before `team.<fmt>.j2`). Calibration is advice: the report names
the lowest totals in a grade that is over its target share, and never changes a grade.

`team.*.j2` gets the summary page's context (rendering.summary_context) and:

    ranking          list[Mapping]  appraisees by total (highest first, ties by id): the appraisee
                                    fields plus `rank` (ties share it; None without a total), `href`
    calibrated       list[Mapping]  per grade: grade, title, count, share, target_share, expected,
                                    over, over_quota (the appraisees named as advice, lowest first)
    distributions    list[Mapping]  per indicator: indicator, title, unit, value_stats and score_stats, each
                                    {n, min, q1, median, q3, max} or None when nothing was measured
    teams            list[Mapping]  per team: team, headcount, mean_total, grades [{grade, count}],
                                    scores [{indicator, mean}]
    indicators       list[Mapping]  result["scheme"]["indicators"]
    grade_chart      Mapping        width, height, base, bars [{grade, count, x, y, width, height,
                                    target_y}] (target_y None without a target)
    team_chart       Mapping        width, height, length, scale, bars [{team, label, text, x, y,
                                    width, height}]
    home             str            the summary page in the same format
    history          Mapping | None the periods (rendering.history.history): None without earlier results
    calibrations     list[Mapping]  the ranking's appraisees whose grade was moved after calibration
    (`ranking` rows carry `calibrated`: the final decision or None; `calibrated` rows carry
    `calibrated_count` and `calibrated_share` beside `count` and `share`)

Scorecards rendered here also get `trend` (None, or periods, rows and total over earlier
results) and `drill` ({indicator: {href, command}}: the rows behind each score, linked) and
`drill_how` (None when linked, else the `appraisal explain` command that shows them). The
drill-down pages themselves are written by `drilling.write_drill`, in the report's language, from
the rows the caller hands in: rendering never opens the data.
"""

from __future__ import annotations

import shlex
import statistics
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

from appraisal.errors import AppraisalError
from appraisal.rendering import pages as rendering
from appraisal.rendering.audience import as_seen_by
from appraisal.rendering.drilling import write_drill
from appraisal.rendering.history import history, with_calibration
from appraisal.rendering.quadrant import quadrant_context
from appraisal.rendering.workers import write_pages
from appraisal.results.result import Result
from appraisal.results.row_evidence import RowEvidence
from appraisal.scheme.model import pick

Progress = Callable[[int, int], None]
REPORT_FORMATS = ("html", "md")

_LABELS: dict[str, tuple[str, str]] = {
    "team_report": ("Team report", "团队报告"), "ideal": ("ideal", "理想"), "quadrant_side": ("Side", "所在象限"),
    "not_placed": ("Not placed (a value is missing)", "未能定位（缺少数值）"), "better": ("better", "达标"),
    "worse": ("worse", "未达标"), "ranking": ("Ranking", "排名"), "rank": ("Rank", "名次"),
    "target_share": ("Target share", "目标比例"), "expected": ("Expected", "目标人数"),
    "over": ("Over quota", "超出人数"), "over_quota": ("Lowest totals in an over-quota grade", "超额等级中总分最低者"),
    "advice_note": (("Advice only: calibration never changes a grade. Where a grade holds more people than its "
                     "target share, the lowest totals in it are named for a second look."),
                    "仅供参考：强制分布校准不会改变任何人的等级。某等级人数超出目标比例时，列出其中总分最低者以供复核。"),
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


def report_labels(language: str) -> dict[str, str]:
    """The interface words of the summary and scorecards, and those of the team report."""
    words = rendering.labels(language)
    return {**words, **{key: pair[rendering.LANGUAGES.index(language)] for key, pair in _LABELS.items()}}


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
    """Each grade against its target share; who is over quota (the lowest-ranked in it), as advice."""
    targets = {c["grade"]: c for c in data.get("calibration") or ()}
    graded = [a for a in ranked if a["grade"] is not None]
    rows = []
    for band in data["grades"]:
        grade = band["grade"]
        members = [a for a in graded if a["grade"] == grade]
        target = targets.get(grade, {})
        over = target.get("over") or 0
        rows.append({
            "grade": grade, "title": band.get("title") or {}, "count": len(members),
            "share": len(members) / (len(graded) or 1), "target_share": target.get("target_share"),
            "expected": target.get("expected"), "over": target.get("over"),
            "over_quota": list(reversed(members[len(members) - over:])) if over else [],
        })
    return rows


def summary_stats(values: Sequence[float]) -> dict[str, float] | None:
    """n, min, quartiles (linear interpolation, inclusive), median and max; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    q1, median, q3 = statistics.quantiles(ordered, n=4, method="inclusive") if len(ordered) > 1 else ordered * 3
    return {"n": len(ordered), "min": ordered[0], "q1": q1, "median": median, "q3": q3, "max": ordered[-1]}


def _indicators(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
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
    for ind in _indicators(data):
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
    indicators = [i["id"] for i in _indicators(data)]
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
    bars = [{"team": r["team"], "label": r["team"] or no_team, "text": rendering.num(r["mean_total"]),
             "x": 0, "y": i * row + 16, "height": 14,
             "width": round(length * max(r["mean_total"] or 0.0, 0.0) / scale, 2)} for i, r in enumerate(rows)]
    return {"width": 640, "height": row * max(len(rows), 1), "length": length, "scale": scale, "bars": bars}


def team_context(data: Mapping[str, Any], names: Mapping[str, str], language: str, fmt: str, *,
                 calibrations: Mapping[str, Mapping[str, Any]] | None = None,
                 past: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The team report's context (see the module docstring)."""
    context = rendering.summary_context(data, names, language, fmt)
    words = report_labels(language)
    hrefs = {a["id"]: a["href"] for a in context["appraisees"]}
    ranked = [{**a, "href": hrefs[a["id"]]} for a in ranking(data["appraisees"])]
    grades = calibrated(data, ranked)
    ranked, grades = with_calibration(ranked, grades, calibrations or {})
    compared = teams(data)
    return {
        **context, "labels": words, "ranking": ranked, "calibrated": grades, "distributions": distributions(data),
        "teams": compared, "indicators": _indicators(data), "grade_chart": grade_chart(grades),
        "team_chart": team_chart(compared, words["no_team"]), "home": f"index.{fmt}",
        "quadrant": quadrant_context(data, hrefs, language), "history": past,
        "calibrations": [a for a in ranked if a["calibrated"]],
    }


def _sparkline(scores: Sequence[float | None], width: int = 120, height: int = 24) -> str:
    """SVG polyline points for the scores given (None skipped), scaled to their own range."""
    known = [(i, s) for i, s in enumerate(scores) if s is not None]
    if not known:
        return ""
    low, high = min(s for _, s in known), max(s for _, s in known)
    step = width / max(len(scores) - 1, 1)
    span = (high - low) or 1.0
    return " ".join(f"{round(i * step, 1)},{round(height - 2 - (height - 4) * (s - low) / span, 1)}" for i, s in known)


def trend(appraisee: Mapping[str, Any], current: Mapping[str, Any], previous: Sequence[Mapping[str, Any]],
          language: str) -> dict[str, Any] | None:
    """The appraisee's scores and total over the earlier results and this one; None without any."""
    if not previous:
        return None
    runs = [*sorted(previous, key=lambda d: str(d["period"].get("start", ""))), current]
    people = [next((a for a in run["appraisees"] if a["id"] == appraisee["id"]), None) for run in runs]

    def score(person: Mapping[str, Any] | None, indicator: str) -> float | None:
        found = [c["score"] for c in (person or {}).get("cells", ()) if c["indicator"] == indicator]
        return found[0] if found else None

    rows = []
    for cell in appraisee["cells"]:
        scores = [score(p, cell["indicator"]) for p in people]
        rows.append({"indicator": cell["indicator"], "label": pick(cell["title"], language) if cell["title"]
                     else cell["indicator"], "scores": scores, "points": _sparkline(scores)})
    totals = [p["total"] if p else None for p in people]
    return {"periods": [str(r["period"].get("label", "")) for r in runs], "rows": rows,
            "total": {"scores": totals, "points": _sparkline(totals)},
            "grades": [p["grade"] if p else None for p in people]}


def explain_command(run_dir: Path | str, appraisee: str, indicator: str) -> str:
    """The command that shows the rows behind one score; the run folder by its name (a report
    carries no path of the operator's machine)."""
    folder = Path(run_dir).name or Path(run_dir).resolve().name
    return f"appraisal explain {shlex.quote(folder)} -a {shlex.quote(appraisee)} -i {shlex.quote(indicator)}"


def render_report(
    result: Result, out_dir: Path, *, formats: Sequence[str] = REPORT_FORMATS, language: str = "en",
    user_dir: Path | None = None, pack_dirs: Sequence[Path] = (), previous: Sequence[Result] = (),
    run_dir: Path | None = None, drill_rows: RowEvidence | None = None, progress: Progress | None = None,
    workers: int | None = None, calibrations: Mapping[str, Mapping[str, Any]] | None = None,
    audience: str = "hr",
) -> list[Path]:
    """Write `index.<fmt>`, `team.<fmt>` and `scorecards/<id>.<fmt>` for each format, and with
    `drill_rows` (the rows behind the measured values, read by the caller: see
    `explaining.counted_rows`) `drill/<id>/<indicator>.md`. `pack_dirs` are the packs' template
    folders (`scheme.packs.template_dirs`). `run_dir` names the run folder in the `appraisal
    explain` hint when rows are not written. Scorecards show the trend over `previous` results,
    the summary and the team report the periods (`rendering.history`); the team report sets
    `calibrations` (appraisee -> final decision: after, reason, decided_by) beside the grades.
    `audience` (`rendering.audience`): an employee gets scorecards alone, and no one but HR a
    command or the operator's provenance.
    `progress(done, total)` after each file. `workers`: the processes that write scorecards
    (default: one per CPU for many; `rendering.workers`)."""
    if unknown := [f for f in formats if f not in REPORT_FORMATS]:
        raise AppraisalError(f"unknown format {unknown[0]!r}: choose from {', '.join(REPORT_FORMATS)}")
    words = report_labels(language)
    env = rendering.environment(user_dir, pack_dirs)
    data, earlier = as_seen_by(result.as_dict(), audience), [r.as_dict() for r in previous]
    pages_of_all = audience != "employee"  # the summary and the team report list everyone
    operator = audience == "hr"  # commands that run on the operator's machine
    people = data["appraisees"]
    names = rendering.scorecard_names(a["id"] for a in people)
    scheme_id = rendering.safe_name(str(data["scheme"].get("id", "")))
    out_dir = Path(out_dir)
    if formats:
        out_dir.joinpath("scorecards").mkdir(parents=True, exist_ok=True)
    total = len(people) * (drill_rows is not None) + len(formats) * (2 * pages_of_all + len(people))
    written: list[Path] = []
    done = 0

    def wrote(*paths: Path) -> None:
        written.extend(paths)
        counted()

    def counted(*_paths: Path) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    drills: dict[str, dict[str, str]] = {}
    if drill_rows is not None:
        for a in people:
            back = f"../../scorecards/{quote(names[a['id']])}.md" if "md" in formats else None
            drills[a["id"]] = write_drill(drill_rows, out_dir, data, a, names[a["id"]], language=language, env=env,
                                          scorecard=back)
            wrote(*(out_dir / path for path in drills[a["id"]].values()))
    trends = {a["id"]: trend(a, data, earlier, language) for a in people}
    past = history(data, earlier, language)
    for fmt in formats:
        if pages_of_all:
            page = rendering.summary_context(data, names, language, fmt)
            wrote(rendering.write_atomically(out_dir / f"index.{fmt}", rendering.render_template(
                env, [f"summary-{scheme_id}.{fmt}.j2", f"summary.{fmt}.j2"],
                {**page, "labels": words, "team_href": f"team.{fmt}", "history": past})))
            wrote(rendering.write_atomically(out_dir / f"team.{fmt}", rendering.render_template(
                env, [f"team-{scheme_id}.{fmt}.j2", f"team.{fmt}.j2"],
                team_context(data, names, language, fmt, calibrations=calibrations, past=past))))
        card = rendering.select_template(env, [f"scorecard-{scheme_id}.{fmt}.j2", f"scorecard.{fmt}.j2"])

        def scorecard(i: int, fmt: str = fmt, card: jinja2.Template = card) -> Path:
            a = people[i]
            links = drills.get(a["id"], {})
            drill = {c["indicator"]: {"href": f"../{quote(links[c['indicator']])}" if c["indicator"] in links else None,
                                      "command": explain_command(run_dir or "DIR", a["id"], c["indicator"])
                                      if operator else None}
                     for c in a["cells"]}
            how = None if links or not operator else explain_command(run_dir or "DIR", a["id"], "INDICATOR")
            context = {**rendering.scorecard_context(data, a, language, fmt), "labels": words,
                       "trend": trends[a["id"]], "drill": drill, "drill_how": how}
            if not pages_of_all:
                context["home"] = None  # no summary to go back to
            return rendering.write_atomically(out_dir / "scorecards" / f"{names[a['id']]}.{fmt}",
                                              rendering.fill(card, context))

        written.extend(write_pages(len(people), scorecard, workers=workers, progress=counted))
    return written
