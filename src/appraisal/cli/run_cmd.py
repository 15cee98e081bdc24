"""`appraisal run` and `appraisal explain`: compute an appraisal, then show how a score came to be."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from appraisal.cli.data_root_option import DataRoots


def run(
    scheme: Annotated[str, typer.Argument(help="A scheme file, or the name of a shipped scheme.", metavar="SCHEME")],
    period: Annotated[str, typer.Option("--period", "-p", help="The period: 2026-09, 2026-Q3, 2026-H2, 2026, 2026-W38 or a range.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The run folder to create (never overwritten).")],
    threads: Annotated[
        Optional[int],  # noqa: UP045 - Typer reads the annotation at run time
        typer.Option("--threads", min=1, help="DuckDB threads (default: all cores)."),
    ] = None,
    language: Annotated[str, typer.Option("--lang", help="Language of the report: en or zh.")] = "en",
    report: Annotated[bool, typer.Option("--report/--no-report", help="Render the HTML and Markdown report.")] = True,
    data_root: DataRoots = None,
) -> None:
    """Appraise everyone on SCHEME's roster for PERIOD; write JSON, CSV and the report into OUT."""
    from appraisal.cli.schemes_cmd import resolve_scheme_path
    from appraisal.data_roots import allowing
    from appraisal.periods import parse_period
    from appraisal.pipeline import run as run_pipeline
    from appraisal.validation import load_scheme

    with allowing(data_root or ()):
        loaded = load_scheme(resolve_scheme_path(scheme))
        result = run_pipeline(loaded, parse_period(period), threads=threads)
        folder = write_with_report(result, out, language=language, report=report)
    graded = sum(1 for a in result.appraisees if a.grade is not None)
    typer.echo(f"appraised {len(result.appraisees)} ({graded} graded) for {result.period['label']}: {folder}")
    if report:
        typer.echo(f"report: {folder / 'report' / 'index.html'}")


def write_with_report(result: object, out: Path, *, language: str, report: bool) -> Path:
    """Store the run; the report is rendered inside the partial folder, so it is atomic too."""
    from appraisal.storing import write_run

    def render(folder: Path) -> None:
        from appraisal.rendering import render_result

        render_result(result, folder / "report", language=language)  # type: ignore[arg-type]

    return write_run(result, out, extra=render if report else None)  # type: ignore[arg-type]


def explain(
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by `appraisal run`.", metavar="DIR")],
    appraisee: Annotated[str, typer.Option("--appraisee", "-a", help="The appraisee's id.")],
    indicator: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--indicator", "-i", help="One indicator, with the data rows behind its value."),
    ] = None,
    rows: Annotated[int, typer.Option("--rows", min=1, help="How many rows to show.")] = 5,
    data_root: DataRoots = None,
) -> None:
    """Show step by step how an appraisee's values, scores, contributions, gates and grade came to be."""
    from appraisal.data_roots import allowing
    from appraisal.explaining import explain as explain_lines

    with allowing(data_root or ()):
        lines = explain_lines(run_dir, appraisee, indicator, rows=rows)
    for line in lines:
        typer.echo(line)


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("explain")(explain)
