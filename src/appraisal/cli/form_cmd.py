"""`appraisal form`: print-ready appraisal forms (考核表) that explain a scheme's indicators."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
) -> None:
    """Write the appraisal form for SCHEME: each indicator's definition, formula in words, target,
    weight and score curve, with blanks for ratings, comments and signatures. Prints the paths."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal import plugins
    from appraisal.rendering.forms import render_form
    from appraisal.scheme.packs import resolve_scheme_path, template_dirs
    from appraisal.scheme.validation import load_scheme

    extensions = plugins.extensions()
    person = None
    if appraisee or name or team:
        person = {"id": appraisee or "", "name": name or "", "team": team or ""}
    chosen = [f.strip() for f in formats.split(",") if f.strip()]
    loaded = load_scheme(resolve_scheme_path(scheme, extensions.packs), extensions)
    for path in render_form(loaded, out, formats=chosen, language=language, appraisee=person, user_dir=templates,
                            pack_dirs=template_dirs(extensions.packs)):
        typer.echo(str(path))


def register(app: typer.Typer) -> None:
    app.command("form")(form)
