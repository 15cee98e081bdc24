"""History and calibration beside a run: earlier periods, and grades moved after calibration.

The summary, the team report and the workbook show the run among earlier results of the same
scheme (from the run store, or run folders given with `--previous`): per period the headcount,
the mean total, the grade distribution and each indicator's mean score, and the change from the
period before. Runs of different scheme versions (another scheme text: another SHA-256) are
compared with a warning naming them, never silently.

Calibration decisions (`appraisal calibrate`, kept in the run store) are handed in as plain
mappings; the team report sets the computed and the calibrated grade side by side, and the
distribution before and after against the scheme's target shares.
"""

from __future__ import annotations

import itertools
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from appraisal.scheme.model import pick

if TYPE_CHECKING:
    from appraisal.results.result import Result


def history_view(result: Result) -> dict[str, Any]:
    """What `history` and `reports.trends` read of an earlier result, as `Result.as_dict` has it:
    its period, scheme version and SHA-256, and each appraisee's id, total, grade and scores.
    `as_dict` would copy every word of every appraisee (2.3 s a period at 100,000); a run read
    `brief` (`results.storing.load_run`) hands them over without an object per cell."""
    brief = getattr(result.appraisees, "brief", False) is True  # results.stored.StoredAppraisees
    people = result.appraisees.history if brief else [  # type: ignore[attr-defined]
        {"id": a.id, "total": a.total, "grade": a.grade,
         "cells": [{"indicator": c.indicator, "score": c.score} for c in a.cells]} for a in result.appraisees]
    return {
        "period": dict(result.period),
        "scheme": {"version": result.scheme.get("version", "")},
        "provenance": {"scheme_sha256": result.provenance.get("scheme_sha256", "")},
        "appraisees": people,
    }


def history(current: Mapping[str, Any], earlier: Sequence[Mapping[str, Any]], language: str) -> dict[str, Any] | None:
    """The periods oldest first, each with its figures and the change from the one before, and
    the periods whose scheme differs from this run's; None without earlier results."""
    if not earlier:
        return None
    runs = [*sorted(earlier, key=lambda d: str(d["period"].get("start", ""))), current]
    ids = [str(i["id"]) for i in current["scheme"].get("indicators", [])]
    titles = {str(i["id"]): pick(i.get("title") or {"en": str(i["id"])}, language)
              for i in current["scheme"].get("indicators", [])}
    grades = [str(g["grade"]) for g in current.get("grades") or []]
    periods = [_figures(run, ids) for run in runs]
    for before, after in itertools.pairwise(periods):
        after["change"] = _change(before["mean_total"], after["mean_total"])
        after["indicator_changes"] = {i: _change(before["indicators"].get(i), after["indicators"].get(i)) for i in ids}
    first = periods[0]
    first["change"], first["indicator_changes"] = None, {i: None for i in ids}
    mine = str(current["provenance"].get("scheme_sha256", ""))
    other = [p for p in periods[:-1] if p["scheme_sha256"] != mine]
    return {"periods": periods, "indicators": [{"id": i, "title": titles[i]} for i in ids],
            "grades": list(dict.fromkeys([*grades, *(g for p in periods for g in p["grades"])])),
            "other_schemes": [{"period": p["label"], "version": p["scheme_version"]} for p in other],
            "current_version": str(current["scheme"].get("version", ""))}


def _figures(run: Mapping[str, Any], ids: Sequence[str]) -> dict[str, Any]:
    people = run["appraisees"]
    totals = [a["total"] for a in people if a.get("total") is not None]
    scores: dict[str, list[float]] = {i: [] for i in ids}
    for a in people:
        for cell in a.get("cells") or ():
            if cell["indicator"] in scores and cell.get("score") is not None:
                scores[cell["indicator"]].append(float(cell["score"]))
    return {
        "label": str(run["period"].get("label", "")), "scheme_version": str(run["scheme"].get("version", "")),
        "scheme_sha256": str(run["provenance"].get("scheme_sha256", "")), "headcount": len(people),
        "mean_total": statistics.fmean(totals) if totals else None,
        "grades": dict(Counter(str(a["grade"]) for a in people if a.get("grade") is not None)),
        "indicators": {i: (statistics.fmean(found) if found else None) for i, found in scores.items()},
    }


def _change(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


def with_calibration(
    ranked: Sequence[Mapping[str, Any]], grades: Sequence[Mapping[str, Any]],
    calibrations: Mapping[str, Mapping[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ranking with each appraisee's `calibrated` grade (their final decision: `after`,
    `reason`, `decided_by`; None when not moved), and the grade rows with `calibrated_count`
    and `calibrated_share` (of those graded after calibration) beside the computed ones."""
    people = [{**a, "calibrated": calibrations.get(a["id"])} for a in ranked]
    final = Counter(str(a["calibrated"]["after"]) if a["calibrated"] else str(a["grade"])
                    for a in people if a["calibrated"] or a["grade"] is not None)
    graded = sum(final.values()) or 1
    rows = [{**row, "calibrated_count": final.get(str(row["grade"]), 0),
             "calibrated_share": final.get(str(row["grade"]), 0) / graded} for row in grades]
    return people, rows
