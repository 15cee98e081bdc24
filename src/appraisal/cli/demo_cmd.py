"""`appraisal demo`: the newcomer's first command.

For now the core stops at checked schemes, so the demo validates the shipped agent scheme
and summarises it; once data and scores land it runs a full appraisal of the demo data.
"""

from __future__ import annotations

from typing import Annotated

import typer


def demo(
    role: Annotated[
        str, typer.Option("--role", help="The shipped scheme to demonstrate.")
    ] = "agent",
    language: Annotated[str, typer.Option("--lang", help="Language of titles: en or zh.")] = "en",
) -> None:
    """Check the shipped scheme for ROLE and show what it appraises."""
    from appraisal.cli.schemes_cmd import resolve_scheme_path, summary_lines
    from appraisal.validation import load_scheme

    path = resolve_scheme_path(role)
    scheme = load_scheme(path)
    typer.echo(f"ok: {path} is a valid scheme\n")
    for line in summary_lines(scheme, language):
        typer.echo(line)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
