"""`appraisal simulate`: a changed scheme tried on the data of stored runs, before it is adopted."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from appraisal.cli.runs_cmd import Store, _json, _open
from appraisal.cli.terminal import echo

if TYPE_CHECKING:
    from appraisal.plugins import Extensions
    from appraisal.scheme.model import Scheme
    from appraisal.store.comparing import CellDiff
    from appraisal.store.runs import RunStore


def simulate(
    scheme: Annotated[Path, typer.Argument(help="The new scheme to try.", metavar="NEW_SCHEME")],
    against: Annotated[list[str], typer.Option(
        "--against", metavar="RUN", help="A stored run whose data the new scheme measures again (repeatable).")],
    store: Store = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Measure and score the data each stored RUN used with NEW_SCHEME, and show who would move
    grade and by how much, the grade distribution and the cost of pay before and after. Each
    run's files are first checked against the SHA-256 it recorded: a changed file is named and
    that run is not simulated. Nothing is stored."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal import plugins
    from appraisal.scheme.validation import load_scheme

    extensions = plugins.extensions()
    new = load_scheme(scheme, extensions)
    reports = []
    with _open(store) as runs:
        for run_id in against:
            reports.append(_simulated(runs, run_id, new, extensions))
    if json_output:
        _json([{key: value for key, value in report.items() if key not in ("cells", "order")} for report in reports])
        return
    for report in reports:
        for line in _lines(report):
            echo(line)


def _simulated(runs: RunStore, run_id: str, new: Scheme, extensions: Extensions) -> dict[str, Any]:
    """The new scheme on stored run `run_id`'s data, compared with the run."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    import json
    import tempfile
    from dataclasses import asdict

    from appraisal.cli.run_cmd import checked_run, copied_tables, write_with_report
    from appraisal.errors import AppraisalError
    from appraisal.periods import parse_period
    from appraisal.results.fingerprint import data_files
    from appraisal.store.calibration import decisions
    from appraisal.store.comparing import compare_cells, ids_of
    from appraisal.store.verifying import changed_files

    stored = runs.get(run_id)
    recorded = json.loads(runs.file(stored.id, "result.json"))
    if changed := changed_files(recorded["provenance"]):
        raise AppraisalError(f"cannot simulate against {stored.id}: its data changed since it ran: "
                             f"{'; '.join(changed)}")
    read_then = {entry["file"] for entry in recorded["provenance"].get("data_files", [])}
    _, now = data_files(new)
    others = [entry["file"] for entry in now if entry["file"] not in read_then]
    if read_then and not read_then & {entry["file"] for entry in now}:
        raise AppraisalError(f"{new.source} reads none of the files {stored.id} read: put it beside the run's scheme "
                             f"({stored.scheme_file}), so its data paths name the same files")
    if not stored.data_sha256:  # rows in a database: named by the run, not hashed
        others.append("the database tables (their rows as they are today; the run could not hash them)")
    with tempfile.TemporaryDirectory(prefix="appraisal-simulate-") as tmp, copied_tables() as tables:
        result = checked_run(new, parse_period(stored.period), extensions, show=False, tables=tables)
        folder = write_with_report(result, Path(tmp) / "simulated", extensions, language="en", report=False,
                                   tables=tables)
        cells = compare_cells(runs.file(stored.id, "appraisees.parquet"), (folder / "appraisees.parquet").read_bytes(),
                              ids_of(recorded), ids_of(json.loads((folder / "result.json").read_text("utf-8"))))
    order = [str(row["grade"]) for row in recorded.get("grades", [])] + [g.grade for g in new.grades]
    moved = {d.appraisee for d in decisions(runs, stored.id)}
    return {"run": stored.id, "scheme": new.id, "period": stored.period, "files_not_in_the_run": others,
            "calibrated": len(moved),
            **asdict(cells), "cells": cells, "order": list(dict.fromkeys(order))}


def _lines(report: dict[str, Any]) -> list[str]:
    cells: CellDiff = report["cells"]
    lines = [f"{report['scheme']} on the data of {report['run']} ({report['period']}):"]
    lines += [f"  warning: {name} was not read by {report['run']} as recorded: the simulation reads it as it is now"
              for name in report["files_not_in_the_run"]]
    if report["calibrated"]:
        lines.append(f"  note: {report['calibrated']} grades of {report['run']} were moved after calibration; "
                     "'before' is the grades as computed")
    if not cells.grade_moves:
        lines.append("  no one would change grade")
    else:
        lines.append(f"  {len(cells.grade_moves)} would change grade:")
        for move in cells.grade_moves:
            change = "" if move.total_before is None or move.total_after is None else (
                f", {move.total_after - move.total_before:+.2f} points")
            lines.append(f"    {move.appraisee} {move.name or ''}: {move.before or '-'} -> {move.after or '-'}{change}")
    grades = list(dict.fromkeys([*report["order"], *cells.grades_before, *cells.grades_after]))
    lines.append("  grades before: " + ", ".join(f"{g} {cells.grades_before.get(g, 0)}" for g in grades))
    lines.append("  grades after:  " + ", ".join(f"{g} {cells.grades_after.get(g, 0)}" for g in grades))
    if cells.pay_before is not None or cells.pay_after is not None:
        lines.append(f"  pay before: {_money(cells.pay_before)}, after: {_money(cells.pay_after)}")
    return lines


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)
