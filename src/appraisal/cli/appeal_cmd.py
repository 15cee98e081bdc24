"""`appraisal appeal`: file an appeal (申诉) against a stored run, list them, decide one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from appraisal.cli.language_option import Lang, Language
from appraisal.cli.output_options import Json
from appraisal.cli.runs_cmd import Store, _json, _open
from appraisal.cli.terminal import echo

if TYPE_CHECKING:
    from appraisal.store.appeals import Appeal

appeal_app = typer.Typer(help="Appeals (申诉) against a stored run: file, list, decide, evidence.",
                         no_args_is_help=True)


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
    exclude_rows: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--exclude-rows", metavar="KEY,KEY", help="Correction: leave out these rows (by their dataset's key).")] = None,
    value: Annotated[Optional[float], typer.Option(  # noqa: UP045
        "--value", help="Correction: the indicator's right value.")] = None,
    rating: Annotated[Optional[float], typer.Option(  # noqa: UP045
        "--rating", help="Correction: the rating redone, on the indicator's scale.")] = None,
    indicator: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--indicator", "-i", help="The indicator corrected (default: the one the appeal names).")] = None,
    out: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--out", "-o", help="The corrected version's run folder (default: beside the run's, "
                            "<folder>-appeal-ID; never overwritten).")] = None,
    language: Language = Lang.en,
    report: Annotated[bool, typer.Option("--report/--no-report", help="Render its report.")] = True,
    store: Store = None,
    json_output: Json = False,
) -> None:
    """Accept or reject appeal ID, with a note and who decided; a decision is final. An accepted
    appeal may correct the run (--exclude-rows, --value or --rating): the run is measured again
    from its stored scheme on the data it read, corrected, and kept as the next version, in one
    transaction with the decision; the appealed run stays."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal.errors import AppraisalError
    from appraisal.store.appeals import check_decision, decide, get

    if accept is None:
        raise AppraisalError("say --accept or --reject")
    given = [kind for kind, flag in (("exclude_rows", exclude_rows), ("value", value), ("rating", rating))
             if flag is not None]
    if len(given) > 1:
        raise AppraisalError("one correction per decision: --exclude-rows, --value or --rating")
    if given and not accept:
        raise AppraisalError("a rejected appeal corrects nothing: leave out --exclude-rows, --value and --rating")
    check_decision("accepted" if accept else "rejected", note, by)
    with _open(store) as runs:
        if not given:
            decided = decide(runs, number, "accepted" if accept else "rejected", note=note, by=by)
            if json_output:
                _json(decided.as_dict())
                return
            echo(f"appeal {decided.id} {decided.outcome} by {decided.decided_by}: {decided.note}")
            if decided.outcome == "accepted":
                echo("no correction given: the run stays as it is (--exclude-rows, --value or --rating correct it)")
            return
        # Only for a correction, which measures the run again (plugins, the engine):
        from appraisal import plugins
        from appraisal.cli.correcting import correct, lines
        from appraisal.measuring.corrections import Correction

        appeal = get(runs, number)
        about = indicator or appeal.indicator
        if about is None:
            raise AppraisalError(f"appeal {number} names no indicator: say which one the correction is of "
                                 "(--indicator ID)")
        rows = tuple(dict.fromkeys(r.strip() for r in (exclude_rows or "").split(",") if r.strip()))
        correction = Correction(number, appeal.appraisee, about, given[0], rows,
                                value if value is not None else rating)
        corrected = correct(runs, appeal, correction, note=note, by=by, out=out, extensions=plugins.extensions(),
                            language=language, report=report)
        decided = get(runs, number)
    if json_output:
        _json({**decided.as_dict(), "correction": correction.as_dict(), "corrected_run": corrected.run.id,
               "folder": str(corrected.folder), "compared_with": corrected.compared_with,
               "grade_moves": [vars(m) for m in corrected.cells.grade_moves]})
        return
    for line in lines(appeal, correction, corrected, by):
        echo(line)


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
