"""Calibration decisions: a grade moved after the calibration meeting, only with a reason and a name.

The computed grade stays as the run stored it; a decision is a row of its own (run, appraisee,
the grade before and after, the reason, who decided, when), appended with its audit entry in one
transaction and never changed (a later decision for the same person supersedes it, and both
stay). The grade an appraisee ends with is the latest decision's, else the computed one, and the
distribution before and after is set beside the scheme's target shares.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from appraisal.errors import AppraisalError
from appraisal.store import audit
from appraisal.store.guards import Guard, Statement
from appraisal.suggestions import suggest

if TYPE_CHECKING:
    from appraisal.store.runs import RunStore, StoredRun

SCHEMA: list[Statement] = [
    "CREATE TABLE calibrations (seq INTEGER PRIMARY KEY, run TEXT NOT NULL REFERENCES runs(id),"
    " appraisee TEXT NOT NULL, before TEXT, after TEXT NOT NULL, reason TEXT NOT NULL, decided_by TEXT NOT NULL,"
    " at TEXT NOT NULL)",
    Guard("calibrations", "calibration decisions are evidence: they cannot be changed", "seq = NEW.seq"),
]


@dataclass(frozen=True)
class Decision:
    """One calibration decision."""

    seq: int
    run: str
    appraisee: str
    before: str | None
    after: str
    reason: str
    decided_by: str
    at: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def decide(store: RunStore, run_id: str, appraisee: str, grade: str, *, reason: str, by: str) -> Decision:
    """Record that `appraisee`'s grade in run `run_id` is `grade` after calibration."""
    if not reason.strip():
        raise AppraisalError("a calibration needs its reason (--reason): a moved grade without one is not allowed")
    if not by.strip():
        raise AppraisalError("a calibration needs who decided (--by)")
    run = store.get(run_id)
    grades = _scheme_grades(store, run)
    if grade not in grades:
        close = suggest(grade, grades)
        raise AppraisalError(f"grade {grade!r} is not one of run {run.id}'s grades ({', '.join(grades)})"
                             + (f"; did you mean {close!r}?" if close else ""))
    computed = computed_grades(store, run)
    if appraisee not in computed:
        close = suggest(appraisee, computed)
        hint = f"; did you mean {close!r}?" if close else ""
        raise AppraisalError(f"no appraisee {appraisee!r} in run {run.id}{hint}")
    with store.writing():  # the grade before, read under the lock: two reviewers at once each see the other's
        before = final_grades(store, run).get(appraisee)
        if before == grade:
            raise AppraisalError(f"{appraisee}'s grade in run {run.id} is {grade} already")
        at = datetime.now(UTC).isoformat(timespec="seconds")
        [(seq,)] = store.db.execute("SELECT coalesce(max(seq), 0) + 1 FROM calibrations").fetchall()
        decision = Decision(int(seq), run.id, appraisee, before, grade, reason.strip(), by.strip(), at)
        store.db.execute("INSERT INTO calibrations VALUES (?, ?, ?, ?, ?, ?, ?, ?)", tuple(decision.as_dict().values()))
        audit.append(store.db, "calibrate", by=decision.decided_by, run=run.id, appraisee=appraisee,
                     detail={"calibration": decision.seq, "before": before, "after": grade, "reason": decision.reason})
    return decision


def decisions(store: RunStore, run_id: str) -> list[Decision]:
    """The calibration decisions of run `run_id`, in the order they were made."""
    with store.reading():
        rows = store.db.execute("SELECT * FROM calibrations WHERE run = ? ORDER BY seq", (run_id,)).fetchall()
    return [Decision(*row) for row in rows]


def computed_grades(store: RunStore, run: StoredRun) -> dict[str, str | None]:
    """Each appraisee's grade as the run computed it (None: not graded)."""
    import pyarrow.parquet as pq  # Arrow and numpy: 0.1 s that every stored run would pay for importing this module

    table = pq.read_table(io.BytesIO(store.file(run.id, "appraisees.parquet")), columns=["appraisee", "grade"],
                          use_threads=False)  # no thread pool left running when the command exits
    return dict(zip(table["appraisee"].to_pylist(), table["grade"].to_pylist(), strict=True))


def final_grades(store: RunStore, run: StoredRun) -> dict[str, str | None]:
    """Each appraisee's grade after calibration: the latest decision's, else the computed one."""
    found = computed_grades(store, run)
    for decision in decisions(store, run.id):
        found[decision.appraisee] = decision.after
    return found


def distribution(store: RunStore, run: StoredRun) -> list[dict[str, Any]]:
    """Per grade of the scheme: its target share, and how many have it before and after calibration."""
    result = json.loads(store.file(run.id, "result.json"))
    before = Counter(g for g in computed_grades(store, run).values() if g is not None)
    after = Counter(g for g in final_grades(store, run).values() if g is not None)
    targets = {row["grade"]: row.get("target_share") for row in result.get("calibration") or []}
    return [{"grade": grade, "target_share": targets.get(grade), "before": before[grade], "after": after[grade]}
            for grade in _scheme_grades(store, run)]


def _scheme_grades(store: RunStore, run: StoredRun) -> list[str]:
    return [str(row["grade"]) for row in json.loads(store.file(run.id, "result.json"))["grades"]]


def distribution_lines(shares: list[dict[str, object]]) -> list[str]:
    """The grade distribution before and after calibration beside the target, a line per grade."""
    graded = sum(int(str(row["after"])) for row in shares) or 1
    lines = ["grade  target  computed  calibrated"]
    for row in shares:
        target = row["target_share"]
        expected = f"{float(str(target)) * 100:.0f}%" if target is not None else "-"
        after = int(str(row["after"]))
        lines.append(f"{row['grade']:<6} {expected:>6}  {row['before']!s:>8}  {after:>10} ({after / graded:.0%})")
    return lines
