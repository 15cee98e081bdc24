"""Hand-built results for the report and workbook tests: two indicators, three grades.

`person` makes one appraisee whose speed and rate scores are given; `make_result` wraps them
in a `Result` of the scheme `demo`, with optional period, calibration advice and quality rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from appraisal.results.result import AppraiseeResult, Result, ScoredCell

GRADES = ({"grade": "A", "min": 90, "max": None, "title": {}}, {"grade": "B", "min": 60, "max": 90, "title": {}},
          {"grade": "C", "min": 0, "max": 60, "title": {}})


def person(appraisee_id: str, total: float | None, team: str | None, scores=(80.0, 0.9)) -> AppraiseeResult:
    speed, rate = scores
    cells = (
        ScoredCell("speed", {"en": "Speed", "zh": "速度"}, "h", "measure", 2.0, 5, "ok", 2.0, speed, 50, 50,
                   None if speed is None else speed / 2, "linear", "dataset tickets"),
        ScoredCell("rate", {"en": "Rate", "zh": "比率"}, "%", "measure", rate, 5, "ok", 0.9,
                   100 * rate, 50, 50, 50 * rate, "linear", "dataset tickets"),
    )
    grade = None if total is None else next(g["grade"] for g in GRADES if total >= g["min"])
    return AppraiseeResult(appraisee_id, appraisee_id.upper(), team, None, None, (), cells, total, 0.0, total, grade,
                           "ok" if total is not None else "insufficient data")


def make_result(
    people: Iterable[AppraiseeResult], label: str = "2026-Q3", start: str = "2026-07-01",
    calibration: Iterable[Mapping[str, Any]] = (), quality: Iterable[Mapping[str, Any]] = (),
    provenance: Mapping[str, Any] | None = None,
) -> Result:
    return Result(
        scheme={"id": "demo", "version": 1, "title": {"en": "Demo", "zh": "演示"}, "indicators": [
            {"id": "speed", "title": {"en": "Speed", "zh": "速度"}, "unit": "h"},
            {"id": "rate", "title": {"en": "Rate", "zh": "比率"}, "unit": "%"}]},
        period={"label": label, "start": start, "end": "2026-10-01", "timezone": "UTC"},
        provenance=dict(provenance or {"scheme_file": "nowhere.yaml"}), appraisees=tuple(people),
        quality=tuple(quality), queries={}, grades=GRADES, calibration=tuple(calibration),
    )
