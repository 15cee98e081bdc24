"""An accepted appeal's correction made: the run measured again, corrected, kept as a new version.

The run first computed (the *base*) is measured again from its stored scheme text on the files it
read (each checked against its recorded SHA-256), with every correction accepted on it so far and
this one (`appraisal.measuring.corrections`); the result is written and stored as the next version
of the scheme and period, in one transaction with the decision, the correction and their audit
entries. The appealed run stays as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from appraisal.measuring.corrections import Correction
    from appraisal.plugins import Extensions
    from appraisal.store.appeals import Appeal
    from appraisal.store.comparing import CellDiff
    from appraisal.store.runs import RunStore, StoredRun


@dataclass(frozen=True)
class Corrected:
    """The version an accepted appeal produced, its folder, and what moved against the one before."""

    run: StoredRun
    folder: Path
    compared_with: str
    cells: CellDiff


def correct(runs: RunStore, appeal: Appeal, correction: Correction, *, note: str, by: str, out: Path | None,
            extensions: Extensions, language: str = "en", report: bool = True) -> Corrected:
    """Accept `appeal` with `correction` and store the corrected version (see the module docstring)."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    import json
    from contextlib import ExitStack, contextmanager

    from appraisal.cli.rerun import recorded_groups, stored_scheme
    from appraisal.cli.run_cmd import checked_run, copied_tables, write_with_report
    from appraisal.cli.stored_context import earlier_periods
    from appraisal.errors import AppraisalError
    from appraisal.measuring.corrections import check
    from appraisal.periods import parse_period
    from appraisal.store import appeals
    from appraisal.store.comparing import compare_cells, ids_of

    if appeal.outcome is not None:
        raise AppraisalError(f"appeal {appeal.id} was {appeal.outcome} already, by {appeal.decided_by} on "
                             f"{appeal.decided_at}: a decision is final")
    appealed = runs.get(appeal.run)
    done = json.loads(runs.file(appealed.id, "result.json")).get("corrections") or []
    base = runs.get(str(done[0]["base"]) if done else appealed.id)
    earlier = appeals.corrections(runs, base.id)
    latest = runs.get(str(earlier[-1]["produced"])) if earlier else base
    entry = {**correction.as_dict(), "run": appealed.id, "base": base.id, "reason": appeal.reason,
             "note": note.strip(), "decided_by": by.strip()}
    applied = [{k: v for k, v in e.items() if k != "produced"} for e in earlier] + [entry]
    recorded = json.loads(runs.file(base.id, "result.json"))
    folder = out or _beside(base, appeal.id)
    stored: list[StoredRun] = []

    @contextmanager
    def record(partial: Path, published: Path) -> Iterator[Callable[[], object]]:
        _changes_something(runs, latest, partial, correction)

        def decided(run: StoredRun) -> None:  # under the store's write lock
            now = [c["produced"] for c in appeals.corrections(runs, base.id)]
            if now != [c["produced"] for c in earlier]:  # another decision landed while this one measured
                raise AppraisalError(f"another appeal on {base.id} was decided while appeal {appeal.id} was being "
                                     "measured again; decide it again (its correction then builds on that one)")
            appeals.record_correction(runs, appeal.id, note=note, by=by, correction=entry, base=base.id,
                                      corrected=run.id)

        with runs.recording(partial, published, scheme_text=runs.scheme_text(base), then=decided) as commit:
            yield lambda: stored.append(commit())

    with stored_scheme(runs, base, extensions, "correct") as scheme:
        check(scheme, correction)  # before an hour of measuring
        with copied_tables() as tables, ExitStack() as stack:
            result = checked_run(scheme, parse_period(base.period), extensions, show=False,
                                 groups=recorded_groups(recorded), tables=tables, corrections=applied)
            history = earlier_periods(stack, runs, base.scheme, base.period) if report else []
            written = write_with_report(result, folder, extensions, language=language, report=report,
                                        tables=tables, record=record, earlier=history)
    before = json.loads(runs.file(latest.id, "result.json"))
    cells = compare_cells(runs.file(latest.id, "appraisees.parquet"), (written / "appraisees.parquet").read_bytes(),
                          ids_of(before), ids_of(json.loads((written / "result.json").read_text("utf-8"))))
    return Corrected(stored[0], written, latest.id, cells)


def _changes_something(runs: RunStore, latest: StoredRun, partial: Path, correction: Correction) -> None:
    """Refuse a correction that leaves the appraisee's cell as it was (rows an exclusion of the
    scheme or an earlier appeal already left out, a value corrected to what it was): a decision
    recorded as a correction must correct something."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    import io
    import json

    import pyarrow.parquet as pq

    from appraisal.errors import AppraisalError

    ids = [str(i["id"]) for i in json.loads((partial / "result.json").read_text("utf-8"))["scheme"]["indicators"]]
    n = ids.index(correction.indicator)
    columns = ["appraisee", f"value_{n}", f"rows_{n}"]
    rows = []
    for source in (io.BytesIO(runs.file(latest.id, "appraisees.parquet")), partial / "appraisees.parquet"):
        table = pq.read_table(source, columns=columns, use_threads=False).to_pylist()
        rows.append(next((r for r in table if r["appraisee"] == correction.appraisee), None))
    if rows[0] == rows[1]:
        raise AppraisalError(f"appeal {correction.appeal}: the correction changes nothing in {correction.indicator} "
                             f"of {correction.appraisee} ({latest.id} has the same value from the same rows): rows "
                             "already left out, or the value it has; accept it without a correction, or reject it")


def lines(appeal: Appeal, correction: Correction, corrected: Corrected, by: str) -> list[str]:
    """What the command prints: the decision, the correction, the new version, who moved."""
    found = [f"appeal {appeal.id} accepted by {by.strip()}: {correction.describe()}",
             f"stored as {corrected.run.id}, {corrected.compared_with} corrected: {corrected.folder}"]
    moves = {move.appraisee: move for move in corrected.cells.grade_moves}
    mine = moves.pop(appeal.appraisee, None)
    if mine is not None:
        found.append(f"{mine.appraisee} {mine.name or ''}: {mine.before or '-'} -> {mine.after or '-'}"
                     f" (total {_number(mine.total_before)} -> {_number(mine.total_after)})")
    else:
        found.append(f"{appeal.appraisee} keeps the grade")
    if moves:
        found.append("also changed grade (the same rows or a shared pool): "
                     + ", ".join(f"{m.appraisee} {m.before or '-'} -> {m.after or '-'}" for m in moves.values()))
    return found


def _beside(run: StoredRun, number: int) -> Path:
    """The corrected version's folder: beside the folder of the run it corrects."""
    folder = Path(run.folder)
    parent = folder.parent if folder.parent.is_dir() else Path.cwd()
    return parent / f"{folder.name}-appeal-{number}"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
