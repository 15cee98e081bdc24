"""`appraisal form`: print-ready appraisal forms (考核表) that explain a scheme's indicators."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from appraisal.cli.language_option import Lang, Language


def form(
    scheme: Annotated[
        str, typer.Argument(help="A scheme file, or the name of a shipped scheme.", metavar="SCHEME")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The folder to write the form into.")] = Path("."),
    formats: Annotated[str, typer.Option("--format", help="Comma-separated formats: html, md.")] = "html,md",
    language: Language = Lang.en,
    appraisee: Annotated[
        str | None, typer.Option("--appraisee", help="The appraisee's id, shown in the header.")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="The appraisee's name.")] = None,
    team: Annotated[str | None, typer.Option("--team", help="The appraisee's team.")] = None,
    templates: Annotated[
        Path | None,
        typer.Option("--templates", file_okay=False, exists=True,
                     help="A folder of templates overriding the defaults."),
    ] = None,
    xlsx: Annotated[bool, typer.Option("--xlsx", help="Write a ratings workbook instead: a sheet per rater "
                                                       "(--raters), read back with `appraisal ratings`.")] = False,
    raters: Annotated[
        Path | None,
        typer.Option("--raters", metavar="CSV", exists=True, dir_okay=False,
                     help="Who rates whom: a CSV with the columns rater, appraisee and (optional) group; "
                          "self-assessment is the group self."),
    ] = None,
) -> None:
    """Write the appraisal form for SCHEME: each indicator's definition, formula in words, target,
    weight and score curve, with blanks for ratings, comments and signatures. Prints the paths."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal import plugins
    from appraisal.rendering.forms import render_form
    from appraisal.scheme.packs import resolve_scheme_path, template_dirs
    from appraisal.scheme.validation import load_scheme

    extensions = plugins.extensions()
    if xlsx or raters is not None:
        typer.echo(str(_ratings_workbook(scheme, out, raters, language, extensions)))
        return
    person = None
    if appraisee or name or team:
        person = {"id": appraisee or "", "name": name or "", "team": team or ""}
    chosen = [f.strip() for f in formats.split(",") if f.strip()]
    loaded = load_scheme(resolve_scheme_path(scheme, extensions.packs), extensions)
    for path in render_form(loaded, out, formats=chosen, language=language, appraisee=person, user_dir=templates,
                            pack_dirs=template_dirs(extensions.packs)):
        typer.echo(str(path))


def _ratings_workbook(scheme: str, out: Path, raters: Path | None, language: str, extensions: Any) -> Path:
    """The ratings workbook of SCHEME for the assignments in the CSV `raters`, in `out`."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    import csv

    from appraisal.engines.ratings_sheets import roster_names
    from appraisal.errors import AppraisalError
    from appraisal.rendering.ratings_form import ratings_workbook
    from appraisal.results.replacing import replacing
    from appraisal.scheme.packs import resolve_scheme_path
    from appraisal.scheme.validation import load_scheme
    from appraisal.sql.dialect import SPACES

    if raters is None:
        raise AppraisalError("a ratings workbook needs --raters CSV: who rates whom (rater, appraisee, group)")
    loaded = load_scheme(resolve_scheme_path(scheme, extensions.packs), extensions)
    try:
        with raters.open(encoding="utf-8-sig", newline="") as handle:  # a small file of assignments, typed by hand
            rows = list(csv.DictReader(handle))
    except UnicodeDecodeError:
        raise AppraisalError(f"{raters} is not UTF-8 text: save it as CSV UTF-8") from None
    if not rows or not {"rater", "appraisee"} <= set(rows[0]):
        raise AppraisalError(f"{raters} needs the columns rater and appraisee (and group, optional)")
    # trimmed as the roster's typed ids are (appraisal.sql.dialect.SPACES)
    assignments = [((r.get("rater") or "").strip(SPACES), (r.get("appraisee") or "").strip(SPACES),
                    (r.get("group") or "").strip(SPACES)) for r in rows]
    if empty := next((n for n, (rater, appraisee, _) in enumerate(assignments, start=2) if not rater or not appraisee),
                     None):
        raise AppraisalError(f"{raters}, line {empty}: a row needs a rater and an appraisee")
    book = ratings_workbook(loaded, assignments, roster_names(loaded, extensions.sources), language)
    target = out / f"ratings-{loaded.id}.xlsx"
    if target.exists():
        raise AppraisalError(f"{target} already exists; move it away (files are never overwritten)")
    with replacing(target) as temp:
        book.save(temp)
    return target


def register(app: typer.Typer) -> None:
    app.command("form")(form)
