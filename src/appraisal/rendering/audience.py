"""Who the pages are for, and whom they show: `render --for employee|manager|hr`, `--appraisee`,
`--team`, `--manager`.

HR gets everything. A manager's and an employee's pages carry no operator detail: no command to
run, no path, no plugin or engine versions (the provenance keeps the scheme's and the data's
SHA-256, which say exactly what was computed), no example values of the data-quality counts
(raw values can name other people). An employee gets their own scorecard alone (no summary and no
team report, which list others), and the bonus and commission amounts only when the scheme says
so (`incentives.employees_see_pay`). A selection renders some appraisees only; the run-wide
calibration advice and the pooled group rows, which speak of everyone, are left out of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from appraisal.errors import AppraisalError
from appraisal.results.result import Result
from appraisal.suggestions import suggest

AUDIENCES = ("hr", "manager", "employee")
KEPT_PROVENANCE = ("scheme_sha256", "data_sha256")


def check_audience(audience: str) -> None:
    if audience not in AUDIENCES:
        raise AppraisalError(f"unknown audience {audience!r}: choose one of {', '.join(AUDIENCES)}")


def as_seen_by(data: Mapping[str, Any], audience: str) -> dict[str, Any]:
    """`result.as_dict()` as `audience` may see it (see the module docstring)."""
    check_audience(audience)
    if audience == "hr":
        return dict(data)
    shown = dict(data)
    provenance = data.get("provenance") or {}
    shown["provenance"] = {key: provenance[key] for key in KEPT_PROVENANCE if key in provenance}
    shown["quality"] = [{**row, "examples": []} for row in data.get("quality") or ()]
    if audience == "employee" and not (data.get("scheme") or {}).get("employees_see_pay"):
        shown["appraisees"] = [_without_pay(a) for a in data["appraisees"]]
    return shown


PAY_STEPS = ("bonus_pay", "commission_pay")


def _without_pay(appraisee: Mapping[str, Any]) -> dict[str, Any]:
    """The appraisee without the pay: its amounts, and the steps that say how they came about."""
    steps, parts = list(appraisee.get("steps") or ()), list(appraisee.get("step_parts") or ())
    if len(parts) == len(steps):
        kept = [i for i, p in enumerate(parts) if (p or {}).get("key") not in PAY_STEPS]
    else:  # a result stored before the steps had parts: the steps' own English words
        kept = [i for i, s in enumerate(steps) if not str(s).startswith(("bonus:", "commission:"))]
    return {**appraisee, "incentives": None, "steps": [steps[i] for i in kept],
            "step_parts": [parts[i] for i in kept] if len(parts) == len(steps) else parts}


def selected(result: Result, *, appraisees: Sequence[str] = (), teams: Sequence[str] = (),
             managers: Sequence[str] = (), strict: bool = True) -> Result:
    """`result` with only the appraisees named, or in a team or under a manager named (any of
    them); a name the run does not have is an error with the closest one (`strict`: an earlier
    period may lack someone). Nothing selected: all."""
    if not (appraisees or teams or managers):
        return result
    people = list(result.appraisees)
    for what, names, known in (("appraisee", appraisees, [a.id for a in people]),
                               ("team", teams, [a.team for a in people if a.team]),
                               ("manager", managers, [a.manager for a in people if a.manager])):
        for name in names if strict else ():
            if name not in known:
                close = suggest(name, sorted(set(known)))
                hint = f"; did you mean {close!r}?" if close else ""
                raise AppraisalError(f"no {what} {name!r} in this run{hint}")
    kept = tuple(a for a in people if a.id in appraisees or (a.team and a.team in teams)
                 or (a.manager and a.manager in managers))
    ids = {a.id for a in kept}
    corrections = tuple(c for c in result.corrections if c.get("appraisee") in ids)  # nobody else's appeals
    return replace(result, appraisees=kept, calibration=(), groups=(), corrections=corrections)
