"""`appraisal audit`: who ran or decided what, and when, from the run store's append-only log."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from appraisal.cli.runs_cmd import Store, _json, _open
from appraisal.cli.terminal import echo

CSV_COLUMNS = ["seq", "at", "actor", "action", "run", "appraisee", "detail", "previous", "hash"]


def audit(
    since: Annotated[Optional[str], typer.Option(  # noqa: UP045 - Typer reads the annotation at run time
        "--since", metavar="WHEN", help="Only entries from this UTC date or time on (2026-10-01, 2026-10-01T09:00).")
    ] = None,
    appraisee: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--appraisee", "-a", help="Only the entries about this appraisee.")] = None,
    run: Annotated[Optional[str], typer.Option("--run", help="Only the entries about this run.")] = None,  # noqa: UP045
    csv: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--csv", metavar="FILE", help="Also write the entries to FILE as CSV (never overwritten).")] = None,
    store: Store = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Every run, appeal, decision and calibration change in order: who, when, what, of whom. The
    log's chain of hashes is checked first: an entry changed or removed behind appraisal's back is
    named, and the command exits 1."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    import json
    from datetime import UTC, datetime

    from appraisal.errors import AppraisalError
    from appraisal.results.inert import write_csv
    from appraisal.results.replacing import replacing
    from appraisal.store.audit import chain_problems, entries

    if since is not None:  # compared with the entries' UTC times as text: written the same way
        try:
            when = datetime.fromisoformat(since)
        except ValueError:
            raise AppraisalError(f"--since {since!r} is not a date or time (2026-10-01 or 2026-10-01T09:00)") from None
        since = (when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)).isoformat(timespec="seconds")
    with _open(store) as runs, runs.backend.snapshot(), runs.reading():  # one state: a run stored meanwhile is whole
        if run is not None:
            runs.get(run)  # an unknown run is named, with the closest stored one
        problems = chain_problems(runs.db)
        [(head,)] = runs.db.execute("SELECT coalesce(max(hash), '') FROM audit WHERE seq = (SELECT max(seq) FROM audit)"
                                    ).fetchall()
        found = entries(runs.db, since=since, appraisee=appraisee, run=run)
    for problem in problems:
        echo(f"the audit log was changed: {problem}", err=True)
    if csv is not None:
        if csv.exists():
            raise AppraisalError(f"{csv} already exists; choose another --csv (files are never overwritten)")
        rows = [[e.seq, e.at, e.actor, e.action, e.run or "", e.appraisee or "",
                 json.dumps(e.detail, ensure_ascii=False, sort_keys=True), e.previous, e.hash] for e in found]
        with replacing(csv) as temp, temp.open("w", encoding="utf-8", newline="") as handle:
            write_csv(handle, CSV_COLUMNS, rows)
    if json_output:
        _json({"intact": not problems, "problems": problems, "head": head, "entries": [e.as_dict() for e in found]})
    else:
        for e in found:
            who = f" {e.appraisee}" if e.appraisee else ""
            note = e.detail.get("reason") or e.detail.get("note") or ""
            echo(f"{e.seq:>5}  {e.at[:19]}Z  {e.actor:<12} {e.action:<10} {e.run or '-'}{who}"
                 + (f"  ({note})" if note else ""))
        if head:  # kept elsewhere, it shows a log rewritten from some entry onward, or cut short
            echo(f"head of the log: {head}")
    if problems:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)
