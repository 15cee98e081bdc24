"""`appraisal render`: a stored run as reports people read, in the formats asked for.

    appraisal render DIR --format html,md,xlsx,json,csv,pdf --out OUT

Everything is written into `OUT.partial-<random>` beside OUT and renamed at the end, so OUT is
either absent or complete. A non-empty OUT is never overwritten without `--force` (and never when
it holds the run itself). What goes where in OUT:

    html, md   index.<fmt> (summary), team.<fmt> (team report), scorecards/<id>.<fmt>
    xlsx       result.xlsx: Summary, Scores, Team, Quality, Provenance
    json, csv  result.json; scores.csv, totals.csv, quality.csv: copies of the run's files
    pdf        pdf/index.pdf, pdf/team.pdf, pdf/scorecards/<id>.pdf (printed from the HTML)
    --drill-down   drill/<id>/<indicator>.md: the rows behind each score, linked from the scorecards
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from appraisal.cli.data_root_option import DataRoots

FORMATS = ("html", "md", "xlsx", "json", "csv", "pdf")
COPIES = {"json": ("result.json",), "csv": ("scores.csv", "totals.csv", "quality.csv")}


def parse_formats(values: Sequence[str]) -> list[str]:
    """`html,md` or repeated options as a list in the order given, without repeats."""
    from appraisal.errors import AppraisalError

    chosen = list(dict.fromkeys(f.strip().lower() for v in values for f in v.split(",") if f.strip()))
    if unknown := [f for f in chosen if f not in FORMATS]:
        raise AppraisalError(f"unknown format {unknown[0]!r}: choose from {', '.join(FORMATS)}")
    if not chosen:
        raise AppraisalError(f"no format given: choose from {', '.join(FORMATS)}")
    return chosen


def _bar(total: int, label: str, quiet: bool) -> AbstractContextManager[Any]:
    try:
        from appraisal.progress import progress_bar
    except ImportError:  # pragma: no cover - the progress module ships with the package
        return nullcontext(None)
    return progress_bar(total, label, quiet=quiet)


def _check_out(out: Path, run_dir: Path, force: bool) -> None:
    from appraisal.errors import AppraisalError

    if out.exists() and not out.is_dir():
        raise AppraisalError(f"{out} exists and is not a folder; choose another --out")
    if out.resolve() == run_dir.resolve() or out.resolve() in run_dir.resolve().parents:
        raise AppraisalError(f"{out} holds the run {run_dir}; choose another --out")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise AppraisalError(f"{out} exists and is not empty; choose another --out, or --force to replace it")
    if not out.resolve().parent.is_dir():
        raise AppraisalError(f"cannot write {out}: the folder {out.resolve().parent} does not exist")


def render_run(
    run_dir: Path, out: Path, formats: Sequence[str], *, language: str = "en", templates: Path | None = None,
    previous: Sequence[Path] = (), drill_down: bool = False, force: bool = False, quiet: bool = True,
) -> list[Path]:
    """Render the run in `run_dir` into the new folder `out`; return the files written (in `out`)."""
    from appraisal.reports import REPORT_FORMATS, render_report, report_labels
    from appraisal.storing import load_run

    run_dir, out = Path(run_dir), Path(out)
    formats = parse_formats(formats)
    report_labels(language)  # an unknown language fails before anything is read or written
    result = load_run(run_dir)
    earlier = [load_run(p) for p in previous]
    _check_out(out, run_dir, force)
    partial = Path(tempfile.mkdtemp(prefix=f"{out.name}.partial-", dir=out.resolve().parent))
    try:
        pages = [f for f in formats if f in REPORT_FORMATS]
        scratch = "pdf" in formats and "html" not in pages
        if scratch:
            pages.append("html")
        if pages:
            total = len(pages) * (2 + len(result.appraisees)) + len(result.appraisees) * drill_down
            with _bar(total, "render", quiet) as bar:
                seen = [0]

                def progress(done: int, _total: int) -> None:
                    if bar is not None:
                        bar.advance(done - seen[0])
                    seen[0] = done

                html_root = partial / ".html-for-pdf" if scratch else partial
                if scratch:
                    render_report(result, html_root, formats=["html"], language=language, user_dir=templates,
                                  previous=earlier, run_dir=run_dir, progress=progress)
                    pages.remove("html")
                if pages or drill_down:
                    render_report(result, partial, formats=pages, language=language, user_dir=templates,
                                  previous=earlier, run_dir=run_dir, drill_down=drill_down, progress=progress)
        if "xlsx" in formats:
            from appraisal.excel import write_workbook

            write_workbook(result, partial / "result.xlsx", language)
        for fmt in formats:
            for name in COPIES.get(fmt, ()):
                if (run_dir / name).is_file():
                    shutil.copyfile(run_dir / name, partial / name)
        if "pdf" in formats:
            root = partial / ".html-for-pdf" if scratch else partial
            _pdf(root, partial / "pdf", quiet)
            if scratch:
                shutil.rmtree(root)
        _replace(partial, out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return sorted(p for p in out.rglob("*") if p.is_file())


def _pdf(html_root: Path, pdf_dir: Path, quiet: bool) -> list[Path]:
    from appraisal.errors import AppraisalError

    try:
        from appraisal.pdf import render_pdf
    except ImportError as exc:  # pragma: no cover - pdf ships with the package
        raise AppraisalError(f"pdf output needs appraisal.pdf, which this installation lacks ({exc})") from None
    files = [html_root / "index.html", html_root / "team.html", *sorted((html_root / "scorecards").glob("*.html"))]
    with _bar(len(files), "PDF", quiet) as bar:
        return render_pdf(files, pdf_dir, progress=bar)


def _replace(partial: Path, out: Path) -> None:
    """Rename `partial` to `out`; an existing `out` (empty, or allowed by --force) goes only after."""
    if not out.exists():
        partial.rename(out)
        return
    old = Path(tempfile.mkdtemp(prefix=f"{out.name}.old-", dir=out.resolve().parent))
    out.rename(old / out.name)
    partial.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def render(
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by `appraisal run`.", metavar="DIR")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The folder to create (a non-empty one needs --force).")],
    format_: Annotated[
        list[str],
        typer.Option("--format", "-f", metavar="FORMATS", help=f"Comma-separated formats: {', '.join(FORMATS)}."),
    ] = ["html"],  # noqa: B006 - Typer reads the default
    language: Annotated[str, typer.Option("--lang", help="Language of the reports: en or zh.")] = "en",
    templates: Annotated[
        Optional[Path],  # noqa: UP045 - Typer reads the annotation at run time
        typer.Option("--templates", exists=True, file_okay=False, help="A folder of templates overriding the defaults."),
    ] = None,
    previous: Annotated[
        Optional[list[Path]],  # noqa: UP045
        typer.Option("--previous", metavar="DIR", help="An earlier run folder, for the trend on scorecards (repeatable)."),
    ] = None,
    drill_down: Annotated[bool, typer.Option("--drill-down", help="Write the rows behind each score, linked.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace OUT if it exists and is not empty.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    data_root: DataRoots = None,
) -> None:
    """Render the run in DIR as HTML, Markdown, Excel, JSON, CSV or PDF into the new folder OUT."""
    from appraisal.data_roots import allowing

    with allowing(data_root or ()):  # --drill-down reads the rows again
        written = render_run(run_dir, out, format_, language=language, templates=templates, previous=previous or (),
                             drill_down=drill_down, force=force, quiet=quiet)
    if not quiet:
        typer.echo(f"wrote {len(written)} files to {out}")
    if (out / "index.html").is_file():
        typer.echo(f"report: {out / 'index.html'}")


def register(app: typer.Typer) -> None:
    app.command("render")(render)
