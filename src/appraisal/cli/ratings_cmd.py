"""`appraisal ratings`: a filled ratings workbook read back as the ratings file a scheme reads."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from appraisal.cli.output_options import Json
from appraisal.cli.terminal import echo, echo_json


def ratings(
    scheme: Annotated[str, typer.Argument(help="A scheme file, or the name of a shipped scheme.", metavar="SCHEME")],
    workbook: Annotated[Path, typer.Argument(help="The filled workbook (`appraisal form --xlsx`).", metavar="XLSX",
                                             exists=True, dir_okay=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="The ratings CSV to write (never overwritten).")],
    json_output: Json = False,
) -> None:
    """Read the ratings of a filled workbook (a sheet per rater) into a ratings CSV: appraisee,
    indicator, rater, group, rating, comment. Every bad cell (not a number, off the scale, an
    appraisee not on the roster, a group the indicator does not take, a rater rating themselves
    outside the `self` group) is named by sheet and cell, and then nothing is written (exit 1)."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    import csv

    from appraisal import plugins
    from appraisal.engines.ratings_sheets import read_ratings, roster_names
    from appraisal.errors import AppraisalError
    from appraisal.results.replacing import replacing
    from appraisal.scheme.packs import resolve_scheme_path
    from appraisal.scheme.validation import load_scheme

    if out.exists():
        raise AppraisalError(f"{out} already exists; choose another --out (files are never overwritten)")
    extensions = plugins.extensions()
    loaded = load_scheme(resolve_scheme_path(scheme, extensions.packs), extensions)
    found, problems = read_ratings(workbook, loaded, roster_names(loaded, extensions.sources))
    if json_output:
        echo_json({"ratings": len(found), "problems": problems, "out": None if problems else str(out)})
    for problem in problems if not json_output else ():
        echo(problem, err=True)
    if problems:
        raise AppraisalError(f"{len(problems)} bad cells in {workbook}: nothing was written")
    with replacing(out) as temp, temp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)  # the ratings as given: an input, not a spreadsheet export
        writer.writerow(["appraisee", "indicator", "rater", "group", "rating", "comment"])
        writer.writerows([r.appraisee, r.indicator, r.rater, r.group, f"{r.rating:.15g}", r.comment] for r in found)
    if not json_output:
        echo(f"{len(found)} ratings from {workbook}: {out}")


def register(app: typer.Typer) -> None:
    app.command("ratings")(ratings)
