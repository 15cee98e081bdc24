"""`appraisal calibrate`: move a stored run's grade after calibration, with a reason and a name."""

from __future__ import annotations

from typing import Annotated

import typer

from appraisal.cli.runs_cmd import Store, _json, _open
from appraisal.cli.terminal import echo


def calibrate(
    run: Annotated[str, typer.Argument(help="A run id, as `appraisal runs list` prints it.", metavar="RUN")],
    appraisee: Annotated[str, typer.Option("--appraisee", "-a", help="Whose grade moves.")],
    grade: Annotated[str, typer.Option("--grade", "-g", help="The grade after calibration (one of the scheme's).")],
    reason: Annotated[str, typer.Option("--reason", help="Why: kept with the decision and in the audit log.")],
    by: Annotated[str, typer.Option("--by", help="Who decided.")],
    store: Store = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Record a calibration decision: APPRAISEE's grade in RUN becomes GRADE. The computed grade
    stays as stored; the decision (before, after, reason, who, when) and its audit entry are kept
    and never changed. Prints the grade distribution before and after against the scheme's target."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal.store.calibration import decide, distribution, distribution_lines

    with _open(store) as runs:
        decision = decide(runs, run, appraisee, grade, reason=reason, by=by)
        decided = runs.get(decision.run)
        shares = distribution(runs, decided)
        latest = runs.runs(scheme=decided.scheme, period=decided.period)[-1]
    if latest.id != decided.id:  # an earlier version: the reports of the latest one will not show it
        echo(f"warning: {decided.id} is not the latest version of {decided.scheme} for {decided.period} "
             f"({latest.id} is); the decision stays with {decided.id}", err=True)
    if json_output:
        _json({**decision.as_dict(), "distribution": shares, "latest": latest.id})
        return
    echo(f"{decision.appraisee} in {decision.run}: {decision.before or 'no grade'} -> {decision.after}, "
         f"decided by {decision.decided_by} ({decision.reason})")
    for line in distribution_lines(shares):
        echo(line)


def register(app: typer.Typer) -> None:
    app.command("calibrate")(calibrate)
