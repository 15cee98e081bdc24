"""`appraisal store`: check the run store, back it up, restore a backup."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from appraisal.cli.output_options import Json
from appraisal.cli.runs_cmd import Store, _open
from appraisal.cli.terminal import echo, echo_json

store_app = typer.Typer(help="The run store itself: check, backup, restore.", no_args_is_help=True)


@store_app.command("check")
def check_store(store: Store = None, json_output: Json = False) -> None:
    """Read every page of the store and every kept file against its SHA-256; exit 1 on any fault."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal.store.backups import check

    with _open(store) as runs:
        problems = check(runs)
        count = len(runs.runs())
    if json_output:
        echo_json({"store": str(runs.path), "runs": count, "ok": not problems, "problems": problems})
        if problems:
            raise typer.Exit(1)
        return
    for problem in problems:
        echo(problem, err=True)
    if problems:
        raise typer.Exit(1)
    echo(f"ok: {runs.path} ({_runs(count)}, every file matching its SHA-256)")


@store_app.command("backup")
def backup_store(
    target: Annotated[Path, typer.Argument(help="The backup file to create (never overwritten).", metavar="FILE")],
    store: Store = None,
) -> None:
    """Copy the store whole into FILE, consistent even while runs are being stored."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal.store.backups import backup

    with _open(store) as runs:
        count = backup(runs, target)
    echo(f"backed up {_runs(count)} of {runs.path} to {target}")


@store_app.command("restore")
def restore_store(
    source: Annotated[Path, typer.Argument(help="A backup made by `appraisal store backup`.", metavar="FILE")],
    store: Store = None,
) -> None:
    """Put the backup FILE in place as the store, where no store is (a store is never overwritten)."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal.store.backends import shown
    from appraisal.store.backups import restore
    from appraisal.store.runs import store_location

    place = store_location(store)
    count = restore(source, place)
    echo(f"restored {_runs(count)} from {source} to {shown(place) if isinstance(place, str) else place}")


def _runs(count: int) -> str:
    return "1 run" if count == 1 else f"{count} runs"


def register(app: typer.Typer) -> None:
    app.add_typer(store_app, name="store")
