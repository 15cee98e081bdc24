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
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

from appraisal.errors import AppraisalError
from appraisal.rendering import pages as rendering
from appraisal.rendering.audience import as_seen_by
from appraisal.rendering.drilling import write_drill
from appraisal.rendering.figures import (
    calibrated,
    distributions,
    grade_chart,
    indicators_of,
    ranking,
    team_chart,
    teams,
)
from appraisal.rendering.history import history, history_view, with_calibration
from appraisal.rendering.quadrant import quadrant_context
from appraisal.rendering.workers import write_pages
from appraisal.results.result import Result
from appraisal.results.row_evidence import RowEvidence
from appraisal.scheme.model import pick

Progress = Callable[[int, int], None]
REPORT_FORMATS = ("html", "md")



def report_labels(language: str) -> dict[str, str]:
    """The interface words of the summary and scorecards, and those of the team report
    (`rendering.figures.REPORT_WORDS`, which every page has)."""
    return rendering.labels(language)


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
        "teams": compared, "indicators": indicators_of(data), "grade_chart": grade_chart(grades),
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


def trends(appraisees: Sequence[Mapping[str, Any]], current: Mapping[str, Any],
           previous: Sequence[Mapping[str, Any]], language: str) -> dict[str, dict[str, Any] | None]:
    """Each appraisee's scores and total over the earlier results and this one (None without any);
    each result's appraisees found by id once, not searched per person."""
    if not previous:
        return {a["id"]: None for a in appraisees}
    runs = [*sorted(previous, key=lambda d: str(d["period"].get("start", ""))), current]
    indexed = [{a["id"]: a for a in run["appraisees"]} for run in runs]
    return {a["id"]: _trend(a, runs, indexed, language) for a in appraisees}


def _trend(appraisee: Mapping[str, Any], runs: Sequence[Mapping[str, Any]],
           indexed: Sequence[Mapping[str, Mapping[str, Any]]], language: str) -> dict[str, Any]:
    people = [by_id.get(appraisee["id"]) for by_id in indexed]

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
    data, earlier = as_seen_by(result.as_dict(), audience), [history_view(r) for r in previous]
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
    trends_of = trends(people, data, earlier, language)
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
                       "trend": trends_of[a["id"]], "drill": drill, "drill_how": how,
                       "calibrated": (calibrations or {}).get(a["id"])}
            if not pages_of_all:
                context["home"] = None  # no summary to go back to
            return rendering.write_atomically(out_dir / "scorecards" / f"{names[a['id']]}.{fmt}",
                                              rendering.fill(card, context))

        written.extend(write_pages(len(people), scorecard, workers=workers, progress=counted))
    return written
