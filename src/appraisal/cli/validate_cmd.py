"""`appraisal validate`: check scheme files and report every problem of every file at once."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from appraisal.cli.data_root_option import DataRoots
from appraisal.cli.engine_options import EngineName, ProfileName
from appraisal.cli.language_option import Lang

if TYPE_CHECKING:
    from appraisal.scheme.model import Scheme


def validate(
    schemes: Annotated[
        list[Path],
        typer.Argument(help="Scheme files (YAML) to check.", metavar="SCHEME...", show_default=False),
    ],
    json_output: Annotated[
        bool, typer.Option("--json", help="Print a JSON report on stdout instead of text.")
    ] = False,
    data_root: DataRoots = None,
    engine: EngineName = None,
    profile: ProfileName = None,
    language: Annotated[Optional[Lang], typer.Option(  # noqa: UP045 - Typer reads the annotation at run time
        "--lang", help="Also warn of every title the schemes lack in this language (the pages would show "
                       "another).")] = None,
) -> None:
    """Check SCHEME files: YAML syntax, the scheme schema, then the semantic lint.

    Prints one line per problem (file:line:column: key path: message) and exits 1 if there
    is any; otherwise prints one "ok:" line per scheme and exits 0. With --engine or --profile,
    also checks that every plugin the schemes use (custom indicators) runs on that engine.
    """
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal import plugins
    from appraisal.engines.profiles import choose
    from appraisal.engines.remote import EMBEDDED
    from appraisal.errors import DataError, SchemeError
    from appraisal.scheme.data_roots import allowing
    from appraisal.scheme.validation import load_schemes

    extensions = plugins.extensions()
    chosen = None
    if engine is not None or profile is not None:
        try:
            chosen = choose(engine, profile, None).engine
            if chosen != EMBEDDED:
                extensions.engines.require(chosen)  # an unknown engine is a mistake of its own
        except DataError as exc:  # of the command line, not of a scheme: no file, line or path
            if not json_output:
                raise
            _echo_json(ok=False, problems=[{"file": None, "line": None, "column": None, "path": None,
                                            "message": str(exc)}], schemes=[])
            raise typer.Exit(1) from None
    # One pass: load_schemes validates and raises every problem together.
    try:
        with allowing(data_root or ()):
            loaded = load_schemes(list(schemes), extensions, engine=chosen)
    except SchemeError as exc:
        problems = exc.problems
        if json_output:
            _echo_json(ok=False, problems=[p.as_dict() for p in problems], schemes=[])
        else:
            for problem in problems:
                typer.echo(problem.render(), err=True)
            files = len({problem.file for problem in problems})
            typer.echo(f"{_count(len(problems), 'problem')} in {_count(files, 'file')}", err=True)
        raise typer.Exit(1) from None

    warnings = [f"{s.source}: {missing}" for s in loaded for missing in untitled(s, language)] if language else []
    if json_output:
        summaries = [
            {"file": str(s.source), "id": s.id, "indicators": len(s.indicators), "roster": s.roster is not None}
            for s in loaded
        ]
        _echo_json(ok=True, problems=[], schemes=summaries, warnings=warnings)
        return
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)
    for s in loaded:
        # A scheme without a roster is valid (a base, a form) but cannot be measured: say so now.
        roster = "" if s.roster is not None else "; no roster, which measure and run need"
        typer.echo(f"ok: {s.source} (scheme {s.id}, {_count(len(s.indicators), 'indicator')}{roster})")


def untitled(scheme: Scheme, language: str) -> list[str]:
    """What of `scheme` has no title in `language`: the pages in it would show another language."""
    shown = {"en": "English", "zh": "Chinese"}
    found = [] if language in scheme.title else [f"the scheme {scheme.id} has no {language} title"]
    found += [f"indicator {i.id} has no {language} title" for i in scheme.indicators if language not in i.title]
    found += [f"grade {g.grade} has no {language} title" for g in scheme.grades if g.title and language not in g.title]
    return [f"{line}; the {shown.get(language, language)} pages show another language there" for line in found]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _echo_json(**report: object) -> None:
    import json  # only for --json

    typer.echo(json.dumps(report, indent=2, ensure_ascii=False))


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
