"""`appraisal appeal`: file an appeal (申诉) against a stored run, list them, decide one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from appraisal.cli.runs_cmd import Store, _json, _open
from appraisal.cli.terminal import echo

if TYPE_CHECKING:
    from appraisal.store.appeals import Appeal

appeal_app = typer.Typer(help="Appeals (申诉) against a stored run: file, list, decide, evidence.",
                         no_args_is_help=True)
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


@appeal_app.command("file")
def file_appeal(
    run: Annotated[str, typer.Argument(help="The run appealed against, as `appraisal runs list` prints it.",
                                       metavar="RUN")],
    appraisee: Annotated[str, typer.Option("--appraisee", "-a", help="Who appeals.")],
    reason: Annotated[str, typer.Option("--reason", help="What is wrong, in the appraisee's words.")],
    indicator: Annotated[Optional[str], typer.Option(  # noqa: UP045 - Typer reads the annotation at run time
        "--indicator", "-i", help="The indicator the appeal is about, if one.")] = None,
    evidence: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--evidence", metavar="FILE", exists=True, dir_okay=False, help="A file kept with the appeal.")] = None,
    by: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--by", help="Who files it (default: $APPRAISAL_ACTOR, else the login name).")] = None,
    store: Store = None,
    json_output: Json = False,
) -> None:
    """File an appeal within the scheme's window (appeals.within_days after the run); it is due
    for decision appeals.decide_within_days after filing."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal.store.appeals import file

    with _open(store) as runs:
        filed = file(runs, run, appraisee, reason=reason, by=by, indicator=indicator, evidence=evidence)
    if json_output:
        _json(filed.as_dict())
        return
    echo(f"appeal {filed.id} filed by {filed.filed_by} for {filed.appraisee} against {filed.run}; "
         f"to be decided by {filed.due}")


@appeal_app.command("list")
def list_appeals(
    run: Annotated[Optional[str], typer.Option("--run", help="Only the appeals against this run.")] = None,  # noqa: UP045
    overdue: Annotated[bool, typer.Option("--overdue", help="Only those still open after their due date.")] = False,
    store: Store = None,
    json_output: Json = False,
) -> None:
    """Every appeal, oldest first: its run, appraisee, indicator, due date, and decision if any."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from datetime import UTC, datetime

    from appraisal.store.appeals import appeals

    now = datetime.now(UTC)
    with _open(store) as runs:
        if run is not None:
            runs.get(run)  # an unknown run is named, with the closest stored one
        found = [a for a in appeals(runs, run=run) if a.overdue(now) or not overdue]
    if json_output:
        _json([{**a.as_dict(), "overdue": a.overdue(now)} for a in found])
        return
    if not found:
        echo("no overdue appeal" if overdue else "no appeal")
    for appeal in found:
        echo(_line(appeal, now))


@appeal_app.command("decide")
def decide_appeal(
    number: Annotated[int, typer.Argument(help="The appeal's number, as `appraisal appeal list` prints it.",
                                          metavar="ID")],
    accept: Annotated[Optional[bool], typer.Option(  # noqa: UP045
        "--accept/--reject", help="The decision, final.", show_default=False)] = None,
    note: Annotated[str, typer.Option("--note", help="Why: what the appraisee is told.")] = "",
    by: Annotated[str, typer.Option("--by", help="Who decided.")] = "",
    store: Store = None,
    json_output: Json = False,
) -> None:
    """Accept or reject appeal ID, with a note and who decided; a decision is final."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal.errors import AppraisalError
    from appraisal.store.appeals import decide

    if accept is None:
        raise AppraisalError("say --accept or --reject")
    with _open(store) as runs:
        decided = decide(runs, number, "accepted" if accept else "rejected", note=note, by=by)
    if json_output:
        _json(decided.as_dict())
        return
    echo(f"appeal {decided.id} {decided.outcome} by {decided.decided_by}: {decided.note}")


@appeal_app.command("evidence")
def appeal_evidence(
    number: Annotated[int, typer.Argument(help="The appeal's number.", metavar="ID")],
    out: Annotated[Path, typer.Option("--out", "-o", metavar="FILE", help="Where to write it (never overwritten).")],
    store: Store = None,
) -> None:
    """Write appeal ID's evidence file, as it was filed (checked against its SHA-256), to FILE."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal.errors import AppraisalError
    from appraisal.results.replacing import replacing
    from appraisal.store.appeals import evidence

    with _open(store) as runs:
        name, content = evidence(runs, number)
    if out.exists():
        raise AppraisalError(f"{out} already exists; choose another --out (files are never overwritten)")
    with replacing(out) as temp:
        temp.write_bytes(content)
    echo(f"evidence {name} of appeal {number}: {out}")


def _line(appeal: Appeal, now: object) -> str:
    about = f" [{appeal.indicator}]" if appeal.indicator else ""
    state = (f"{appeal.outcome} by {appeal.decided_by}" if appeal.outcome
             else "OVERDUE" if appeal.overdue(now) else "open")  # type: ignore[arg-type]
    return f"{appeal.id:>4}  {appeal.run}  {appeal.appraisee}{about}  due {appeal.due[:10]}  {state}  ({appeal.reason})"


def register(app: typer.Typer) -> None:
    app.add_typer(appeal_app, name="appeal")
