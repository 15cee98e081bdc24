"""`appraisal runs`: the runs kept in the run store, one in detail, and what two differ in."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from appraisal.cli.output_options import Json
from appraisal.cli.terminal import echo, echo_json

if TYPE_CHECKING:
    from appraisal.store.comparing import RunDiff
    from appraisal.store.runs import RunStore

runs_app = typer.Typer(help="The runs kept in the run store: list, show, diff, verify, export.", no_args_is_help=True)

Store = Annotated[
    Optional[str],  # noqa: UP045 - Typer reads the annotation at run time; text: a URL is no path
    typer.Option("--store", metavar="FILE|URL", show_default=False,
                 help="The run store: a SQLite file or a postgresql:// URL (default: $APPRAISAL_STORE, else "
                      "appraisal-runs.sqlite in the working folder)."),
]


def _open(store: str | None) -> RunStore:
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal.store.runs import RunStore, store_location

    return RunStore(store_location(store))


def _json(data: object) -> None:
    echo_json(data)


@runs_app.command("list")
def list_runs(
    scheme: Annotated[Optional[str], typer.Option("--scheme", help="Only the runs of this scheme id.")] = None,  # noqa: UP045
    period: Annotated[Optional[str], typer.Option("--period", "-p", help="Only the runs of this period.")] = None,  # noqa: UP045
    store: Store = None,
    json_output: Json = False,
) -> None:
    """Every stored run, oldest first: id, version, the version it follows, when, how many appraisees."""
    with _open(store) as runs:
        found = runs.runs(scheme=scheme, period=period)
    if json_output:
        _json([run.as_dict() for run in found])
        return
    if not found:
        echo("no stored run" + (" matches" if scheme or period else " yet"))
        return
    rows = [("RUN", "VERSION", "AFTER", "CREATED", "ENGINE", "APPRAISEES")]
    rows += [(r.id, str(r.version), r.previous or "-", r.created, r.engine, str(r.appraisees)) for r in found]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@runs_app.command("show")
def show_run(
    run: Annotated[str, typer.Argument(help="A run id, as `appraisal runs list` prints it.", metavar="RUN")],
    store: Store = None,
    json_output: Json = False,
) -> None:
    """One stored run: what it ran (scheme, its hash, the data's hash, engine, versions), its grades."""
    import json  # when the command runs, as every import of the command line

    from appraisal.store.calibration import decisions, distribution, distribution_lines

    with _open(store) as runs:
        found = runs.get(run)
        result = json.loads(runs.file(found.id, "result.json"))
        kept = runs.files(found.id)
        decided = decisions(runs, found.id)
        shares = distribution(runs, found) if decided else []
    grades = [{"grade": row["grade"], "appraisees": row["actual"]} for row in result.get("calibration", [])]
    if json_output:
        _json({**found.as_dict(), "grades": grades, "files": kept, "calibrations": [d.as_dict() for d in decided],
               "distribution": shares})
        return
    after = f" (after {found.previous})" if found.previous else ""
    echo(f"run {found.id}{after}")
    for label, value in (("scheme", f"{found.scheme} v{found.scheme_version} from {found.scheme_file}"),
                         ("scheme sha256", found.scheme_sha256), ("data sha256", found.data_sha256),
                         ("period", found.period), ("created", found.created), ("engine", found.engine),
                         ("appraisal", found.appraisal), ("appraisees", str(found.appraisees)),
                         ("folder", found.folder)):
        echo(f"  {label + ':':<15}{value}")
    echo("  grades:        " + (", ".join(f"{g['grade']} {g['appraisees']}" for g in grades) or "-"))
    if decided:
        echo("  calibrated:")
        for d in decided:
            echo(f"    {d.appraisee}: {d.before or 'no grade'} -> {d.after} by {d.decided_by} at {d.at} ({d.reason})")
        for line in distribution_lines(shares):
            echo(f"    {line}")


@runs_app.command("diff")
def diff_runs(
    before: Annotated[str, typer.Argument(help="The earlier run's id.", metavar="RUN_A")],
    after: Annotated[str, typer.Argument(help="The later run's id.", metavar="RUN_B")],
    store: Store = None,
    json_output: Json = False,
) -> None:
    """What changed from RUN_A to RUN_B: who changed grade, which indicators moved, and whether
    the scheme, the data or the period differ."""
    # When the command runs, not when the CLI starts (see appraisal.cli): DuckDB reads the cells
    from appraisal.store.comparing import compare

    with _open(store) as runs:
        found = compare(runs, before, after)
    if json_output:
        _json(found.as_dict())
        return
    for line in _diff_lines(found):
        echo(line)


@runs_app.command("verify")
def verify_run(
    run: Annotated[str, typer.Argument(help="A run id, as `appraisal runs list` prints it.", metavar="RUN")],
    store: Store = None,
    json_output: Json = False,
) -> None:
    """Run RUN again from its stored scheme text on the files it read (each checked against the
    SHA-256 it recorded: a changed file is named, never used) and say whether every number is
    identical, bit for bit, or what differs. Exit 0 when identical, 1 otherwise."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    import json
    import tempfile

    from appraisal import plugins
    from appraisal.cli.rerun import recorded_groups, stored_scheme
    from appraisal.cli.run_cmd import checked_run, copied_tables, write_with_report
    from appraisal.periods import parse_period
    from appraisal.store.verifying import differences

    extensions = plugins.extensions()
    with _open(store) as runs:
        found = runs.get(run)
        recorded = json.loads(runs.file(found.id, "result.json"))
        with (stored_scheme(runs, found, extensions, "verify") as scheme,
              tempfile.TemporaryDirectory(prefix="appraisal-verify-") as tmp, copied_tables() as tables):
            again = checked_run(scheme, parse_period(found.period), extensions, show=False,
                                groups=recorded_groups(recorded), tables=tables,
                                corrections=recorded.get("corrections") or ())
            folder = write_with_report(again, Path(tmp) / "again", extensions, language="en", report=False,
                                       tables=tables)
            found_differences = differences(runs, found, folder)
    engine = "" if found.engine == "duckdb" else f" (measured on duckdb; the run measured on {found.engine})"
    if json_output:
        _json({"run": found.id, "identical": not found_differences, "differences": found_differences,
               "engine": "duckdb"})
    elif found_differences:
        echo(f"{found.id} is NOT reproduced{engine}:")
        for line in found_differences:
            echo(f"  {line}")
    else:
        echo(f"{found.id} is reproduced{engine}: the stored scheme on the same data gives every number again, "
             "bit for bit")
    if found_differences:
        raise typer.Exit(1)


@runs_app.command("export")
def export_run(
    run: Annotated[str, typer.Argument(help="A run id, as `appraisal runs list` prints it.", metavar="RUN")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The run folder to create (never overwritten).")],
    store: Store = None,
    json_output: Json = False,
) -> None:
    """Write RUN's run folder from the store: the kept files, each checked against its SHA-256,
    and scores.csv written again from appraisees.parquet (the same bytes the run wrote), so
    `explain` and `render` read it as the folder the run wrote (which may be gone or moved)."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal.results.storing import SCORES_FILE, write_stored

    with _open(store) as runs:
        found = runs.get(run)
        files = {name: runs.file(found.id, name) for name in runs.files(found.id)}
    folder = write_stored(files, out)
    if json_output:
        _json({"run": found.id, "folder": str(folder), "files": sorted([*files, SCORES_FILE])})
        return
    echo(f"{found.id} written from the store: {folder}")


def _diff_lines(found: RunDiff) -> list[str]:
    corrected = found.corrections_before or found.corrections_after
    changed = [what for what, flag in (("the scheme", found.scheme_changed), ("the data", found.data_changed),
                                       ("the period", found.period_changed),
                                       ("the corrections of appeals", corrected)) if flag]
    same = ["same scheme", "same data", "same period"]
    if found.data_changed is None:
        same[1] = "data in a database (not hashed: whether it changed is unknown)"
    lines = [f"{found.before.id} -> {found.after.id}: "
             + (", ".join(changed) + " changed" if changed else ", ".join(same))]
    for label, appeals in (("corrected in the first run only", found.corrections_before),
                           ("corrected in the second run only", found.corrections_after)):
        if appeals:
            lines.append(f"{label}: appeal {', '.join(str(n) for n in appeals)}")
    moved_anyone = found.cells.grade_moves or found.cells.totals_changed or found.cells.pay_changed
    if not changed and found.data_changed is False and moved_anyone:
        lines.append("warning: the same scheme on the same data gave other numbers: not reproducible")
    if not found.cells.grade_moves:
        lines.append("no one changed grade")
    else:
        lines.append(f"{len(found.cells.grade_moves)} changed grade:")
        for move in found.cells.grade_moves:
            lines.append(f"  {move.appraisee} {move.name or ''}: {move.before or '-'} -> {move.after or '-'}"
                         f" (total {_number(move.total_before)} -> {_number(move.total_after)})")
    if found.cells.totals_changed or found.cells.pay_changed:
        lines.append(f"totals changed for {found.cells.totals_changed}, pay for {found.cells.pay_changed}")
    moved = [i for i in found.cells.indicators if i.values_changed or i.scores_changed]
    lines.append("indicators that moved:" if moved else "no indicator moved")
    for indicator in moved:
        change = indicator.mean_score_change
        mean = f", mean score change {change:+.2f}" if change is not None else ""
        lines.append(f"  {indicator.indicator}: {indicator.values_changed} values, "
                     f"{indicator.scores_changed} scores changed{mean}")
    cells = found.cells
    for label, names in (("only in the first run", cells.only_before), ("only in the second run", cells.only_after),
                         ("indicators only in the first", cells.indicators_only_before),
                         ("indicators only in the second", cells.indicators_only_after)):
        if names:
            lines.append(f"{label}: {', '.join(names)}")
    return lines


def _number(value: Any) -> str:
    return "-" if value is None else f"{value:g}"


def register(app: typer.Typer) -> None:
    app.add_typer(runs_app, name="runs")
