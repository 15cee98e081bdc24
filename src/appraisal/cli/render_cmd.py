"""`appraisal render`: a stored run as reports people read, in the formats asked for.

    appraisal render DIR --format html,md,xlsx,json,csv,pdf --out OUT

Everything is written into `OUT.partial-<random>` beside OUT and renamed at the end, so OUT is
either absent or complete. Nothing already written is destroyed: a non-empty OUT is replaced only
with `--force`, and only when an earlier `render` wrote it (it holds the marker `.appraisal-render`);
never a run folder, nor a folder inside or around one, nor any other folder. What goes where in OUT:

    html, md   index.<fmt> (summary), team.<fmt> (team report), scorecards/<id>.<fmt>
    xlsx       result.xlsx: Summary, Scores, Team, Weighted total (live formulas), Chart, Quality,
               Provenance (and Incentives, History: earlier periods)
    json, csv  result.json (and appraisees.parquet): copies of the run's; scores.csv, totals.csv,
               quality.csv: written from it as `run` writes them (text a spreadsheet would read as a
               formula gets a leading ')
    pdf        pdf/index.pdf, pdf/team.pdf, pdf/scorecards/<id>.pdf (printed from the HTML)
    --drill-down   drill/<id>/<indicator>.md: the rows behind each score, linked from the scorecards
    --for manager  pdf/managers/<manager>.pdf: each manager's people's scorecards in one booklet
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from contextlib import AbstractContextManager, ExitStack, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from appraisal.cli.data_root_option import DataRoots
from appraisal.cli.language_option import Lang, Language
from appraisal.cli.output_options import Json, Quiet
from appraisal.cli.stored_context import stored_context
from appraisal.cli.terminal import echo_json

if TYPE_CHECKING:
    from appraisal.plugins import Extensions
    from appraisal.results.result import Result
    from appraisal.results.row_evidence import RowEvidence

FORMATS = ("html", "md", "xlsx", "json", "csv", "pdf")
PAGES = ("html", "md", "pdf")  # what a manager's or an employee's render may write
COPIES = {"json": ("result.json", "appraisees.parquet")}  # the second in format appraisal-result/2
MARKER = ".appraisal-render"  # in every folder render writes: what `--force` may replace
MARKER_TEXT = ("appraisal-render/1\nWritten by `appraisal render`; `appraisal render --force` may replace this folder "
               "and everything in it.\n")


def parse_formats(values: Sequence[str]) -> list[str]:
    """`html,md` or repeated options as a list in the order given, without repeats."""
    # when the command runs, not when the CLI starts (see appraisal.cli)
    from appraisal.errors import AppraisalError

    chosen = list(dict.fromkeys(f.strip().lower() for v in values for f in v.split(",") if f.strip()))
    if unknown := [f for f in chosen if f not in FORMATS]:
        raise AppraisalError(f"unknown format {unknown[0]!r}: choose from {', '.join(FORMATS)}")
    if not chosen:
        raise AppraisalError(f"no format given: choose from {', '.join(FORMATS)}")
    return chosen


def _bar(total: int, label: str, quiet: bool) -> AbstractContextManager[Any]:
    try:
        # when the command runs, not when the CLI starts (see appraisal.cli)
        from appraisal.cli.progress import progress_bar
    except ImportError:  # pragma: no cover - the progress module ships with the package
        return nullcontext(None)
    return progress_bar(total, label, quiet=quiet)


def is_run_folder(folder: Path) -> bool:
    """A folder `appraisal run` wrote: its result.json, and its queries.sql or no render marker."""
    # when the command runs, not when the CLI starts (see appraisal.cli)
    from appraisal.results.storing import QUERIES_FILE, RESULT_FILE

    return (folder / RESULT_FILE).is_file() and ((folder / QUERIES_FILE).is_file() or not (folder / MARKER).is_file())


def _check_out(out: Path, run_dir: Path, force: bool) -> None:
    """Refuse an OUT whose replacement would destroy anything but an earlier render's output."""
    # when the command runs, not when the CLI starts (see appraisal.cli)
    from appraisal.errors import AppraisalError
    from appraisal.results.storing import RESULT_FILE

    if out.exists() and not out.is_dir():
        raise AppraisalError(f"{out} exists and is not a folder; choose another --out")
    if out.resolve() == run_dir.resolve() or out.resolve() in run_dir.resolve().parents:
        raise AppraisalError(f"{out} holds the run {run_dir}; choose another --out")
    if is_run_folder(out):
        raise AppraisalError(f"{out} is a run folder (it holds {RESULT_FILE} written by `appraisal run`); runs are "
                             "evidence and never replaced: choose another --out")
    if run := next((p for p in out.resolve().parents if is_run_folder(p)), None):
        raise AppraisalError(f"{out} is inside the run folder {run}; runs are evidence and never changed: "
                             "choose another --out")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise AppraisalError(f"{out} exists and is not empty; choose another --out, or --force to replace it")
        if not (out / MARKER).is_file():
            raise AppraisalError(f"{out} was not written by `appraisal render` (it has no {MARKER}); --force replaces "
                                 "only such a folder: choose another --out, or move it away")
        if run := next((p.parent for p in sorted(out.rglob(RESULT_FILE)) if is_run_folder(p.parent)), None):
            raise AppraisalError(f"{out} holds the run folder {run}; runs are evidence and never replaced: "
                                 "move it out, or choose another --out")
    if not out.resolve().parent.is_dir():
        raise AppraisalError(f"cannot write {out}: the folder {out.resolve().parent} does not exist")


def render_run(
    run_dir: Path, out: Path, formats: Sequence[str], *, language: str = "en", templates: Path | None = None,
    previous: Sequence[Path] = (), drill_down: bool = False, force: bool = False, quiet: bool = True,
    extensions: Extensions | None = None, store: str | None = None, audience: str = "hr",
    appraisees: Sequence[str] = (), teams: Sequence[str] = (), managers: Sequence[str] = (),
    with_store: bool = True,
) -> list[Path]:
    """Render the run in `run_dir` into the new folder `out`; return the files written (in `out`).
    `extensions` (default: the loaded plugins') bring the packs' templates, and read the rows of
    `drill_down` again. The run store (`store`, else the default one) adds what it knows of the
    run: calibrations, and earlier periods unless `previous` names run folders (none `with_store`
    false: a run the store cannot hold, the demo's). `audience` and
    the `appraisees`, `teams` and `managers` selected: `appraisal.rendering.audience`."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal.errors import AppraisalError
    from appraisal.rendering.audience import check_audience, selected
    from appraisal.rendering.reports import report_labels
    from appraisal.results.storing import load_run

    run_dir, out = Path(run_dir), Path(out)
    formats = parse_formats(formats)
    report_labels(language)  # an unknown language fails before anything is read or written
    check_audience(audience)
    if audience != "hr" and (data := [f for f in formats if f not in PAGES]):
        article = "an" if audience == "employee" else "a"
        raise AppraisalError(f"pages for {article} {audience} are {', '.join(PAGES)}; {', '.join(data)} would hand "
                             "over the run's data whole (render them for hr)")
    result = selected(load_run(run_dir), appraisees=appraisees, teams=teams, managers=managers)
    earlier = [load_run(p) for p in previous]  # read whole: a folder's totals are checked against its cells
    _check_out(out, run_dir, force)
    with ExitStack() as stack:
        calibrations, stored = stored_context(stack, store, run_dir, with_history=not previous) if with_store else (
            {}, [])
        earlier = [selected(r, appraisees=appraisees, teams=teams, managers=managers, strict=False)
                   for r in earlier or stored]
        kept = {a.id for a in result.appraisees}
        return _rendered(result, run_dir, out, formats, language=language, templates=templates, earlier=earlier,
                         calibrations={k: v for k, v in calibrations.items() if k in kept}, drill_down=drill_down,
                         quiet=quiet, extensions=extensions, audience=audience)


def _rendered(
    result: Result, run_dir: Path, out: Path, formats: Sequence[str], *, language: str, templates: Path | None,
    earlier: Sequence[Result], calibrations: dict[str, dict[str, Any]], drill_down: bool, quiet: bool,
    extensions: Extensions | None, audience: str,
) -> list[Path]:
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal import interrupts, plugins
    from appraisal.rendering.reports import REPORT_FORMATS, render_report
    from appraisal.scheme.packs import template_dirs

    extensions = extensions if extensions is not None else plugins.extensions()
    pack_dirs = template_dirs(extensions.packs)
    drill_rows = _drill_rows(result, extensions, quiet) if drill_down else None
    with interrupts.deferred():  # removed even when a signal ends the process (appraisal.interrupts)
        partial = Path(tempfile.mkdtemp(prefix=f"{out.name}.partial-", dir=out.resolve().parent))
        interrupts.register_path(partial)
    try:
        (partial / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        pages = [f for f in formats if f in REPORT_FORMATS]
        scratch = "pdf" in formats and "html" not in pages
        if scratch:
            pages.append("html")
        if pages:
            total = len(pages) * (2 * (audience != "employee") + len(result.appraisees)) + len(
                result.appraisees) * drill_down
            with _bar(total, "render", quiet) as bar:
                seen = [0]

                def progress(done: int, _total: int) -> None:
                    if bar is not None:
                        bar.advance(done - seen[0])
                    seen[0] = done

                html_root = partial / ".html-for-pdf" if scratch else partial
                if scratch:
                    render_report(result, html_root, formats=["html"], language=language, user_dir=templates,
                                  pack_dirs=pack_dirs, previous=earlier, run_dir=run_dir, progress=progress,
                                  calibrations=calibrations, audience=audience)
                    pages.remove("html")
                if pages or drill_down:
                    render_report(result, partial, formats=pages, language=language, user_dir=templates,
                                  pack_dirs=pack_dirs, previous=earlier, run_dir=run_dir, drill_rows=drill_rows,
                                  progress=progress, calibrations=calibrations, audience=audience)
        if "xlsx" in formats:
            # only for xlsx: openpyxl is heavy
            from appraisal.rendering.excel import write_workbook

            write_workbook(result, partial / "result.xlsx", language, previous=earlier, calibrations=calibrations)
        for fmt in formats:
            for name in COPIES.get(fmt, ()):
                if (run_dir / name).is_file():
                    shutil.copyfile(run_dir / name, partial / name)
        if "csv" in formats:  # written afresh, so a run stored before the escaping gets inert CSV files too
            # only for csv
            from appraisal.results.storing import write_tables

            write_tables(result, partial)
        if "pdf" in formats:
            root = partial / ".html-for-pdf" if scratch else partial
            printed = _pdf(root, partial / "pdf", quiet)
            if audience == "manager":
                _manager_booklets(result, printed, partial / "pdf" / "managers")
            if scratch:
                shutil.rmtree(root)
        _replace(partial, out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    finally:
        interrupts.unregister_path(partial)
    return sorted(p for p in out.rglob("*") if p.is_file() and p != out / MARKER)


def _drill_rows(result: Result, extensions: Extensions, quiet: bool) -> RowEvidence:
    """The rows behind every measured value, read again from the run's data for the drill-down
    pages, with a progress bar per appraisee."""
    from appraisal.pipeline import row_evidence  # opens the data (DuckDB): only for --drill-down

    with _bar(len(result.appraisees), "rows", quiet) as bar:
        seen = [0]

        def progress(done: int, _total: int) -> None:
            if bar is not None:
                bar.advance(done - seen[0])
            seen[0] = done

        return row_evidence(result, extensions=extensions, progress=progress)


def _pdf(html_root: Path, pdf_dir: Path, quiet: bool) -> list[Path]:
    # only for pdf
    from appraisal.errors import AppraisalError

    try:
        from appraisal.rendering.pdf import render_pdf  # only for pdf
    except ImportError as exc:  # pragma: no cover - pdf ships with the package
        raise AppraisalError(
            f"pdf output needs appraisal.rendering.pdf, which this installation lacks ({exc})") from None
    files = [page for page in (html_root / "index.html", html_root / "team.html") if page.is_file()]
    files += sorted((html_root / "scorecards").glob("*.html"))
    with _bar(len(files), "PDF", quiet) as bar:
        return render_pdf(files, pdf_dir, progress=bar, base=html_root)


def _manager_booklets(result: Result, printed: Sequence[Path], folder: Path) -> None:
    """One PDF per manager: the scorecards of their people, in id order, one after another."""
    from appraisal.rendering.booklets import joined  # only for pdf
    from appraisal.rendering.pages import scorecard_names

    names = scorecard_names(a.id for a in result.appraisees)
    by_file = {p.stem: p for p in printed if p.parent.name == "scorecards"}
    people: dict[str, list[Path]] = {}
    for a in sorted(result.appraisees, key=lambda a: a.id):
        if a.manager and names[a.id] in by_file:
            people.setdefault(a.manager, []).append(by_file[names[a.id]])
    folder.mkdir(parents=True, exist_ok=True)
    files = scorecard_names(people)  # safe, and distinct where only case differs ("alice", "Alice")
    for manager, pages in people.items():
        joined(pages, folder / f"{files[manager]}.pdf")


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
    out: Annotated[Path, typer.Option("--out", "-o", help="The folder to create (never one inside a run folder).")],
    format_: Annotated[
        list[str],
        typer.Option("--format", "-f", metavar="FORMATS", help=f"Comma-separated formats: {', '.join(FORMATS)}."),
    ] = ["html"],  # noqa: B006 - Typer reads the default
    language: Language = Lang.en,
    templates: Annotated[
        Optional[Path],  # noqa: UP045 - Typer reads the annotation at run time
        typer.Option("--templates", exists=True, file_okay=False,
                     help="A folder of templates overriding the defaults."),
    ] = None,
    previous: Annotated[
        Optional[list[Path]],  # noqa: UP045
        typer.Option("--previous", metavar="DIR",
                     help="An earlier run folder, for the trend on scorecards (repeatable)."),
    ] = None,
    drill_down: Annotated[bool, typer.Option("--drill-down", help="Write the rows behind each score, linked.")] = False,
    force: Annotated[bool, typer.Option(
        "--force",
        help="Replace a non-empty OUT that an earlier render wrote (never a run folder or any other folder).",
    )] = False,
    quiet: Quiet = False,
    json_output: Json = False,
    data_root: DataRoots = None,
    store: Annotated[
        Optional[str],  # noqa: UP045 - text: a postgresql:// URL is no path
        typer.Option("--store", metavar="FILE|URL", show_default=False,
                     help="The run store that holds DIR, a SQLite file or a postgresql:// URL (default: "
                          "$APPRAISAL_STORE, else appraisal-runs.sqlite in the working folder): its "
                          "calibrations and earlier periods are shown."),
    ] = None,
    audience: Annotated[str, typer.Option(
        "--for", metavar="employee|manager|hr",
        help="Who the pages are for: an employee gets their scorecard alone, no one but hr a command, a path or "
             "(unless the scheme allows it) an employee their pay.")] = "hr",
    appraisee: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
        "--appraisee", "-a", help="Render this appraisee (repeatable).")] = None,
    team: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
        "--team", help="Render this team's appraisees (repeatable).")] = None,
    manager: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
        "--manager", help="Render this manager's appraisees (repeatable); with --for manager and pdf, "
                          "pdf/managers/<manager>.pdf holds their scorecards in one booklet.")] = None,
) -> None:
    """Render the run in DIR as HTML, Markdown, Excel, JSON, CSV or PDF into the new folder OUT.

    Text a spreadsheet would read as a formula (a name `=HYPERLINK(...)`) stays text: a string cell in
    the workbook, a leading ' in the CSV files. --force replaces only a folder an earlier render wrote.
    """
    # when the command runs, not when the CLI starts (see appraisal.cli)
    from appraisal.errors import AppraisalError
    from appraisal.scheme.data_roots import allowing

    try:
        with allowing(data_root or ()):  # --drill-down reads the rows again
            written = render_run(run_dir, out, format_, language=language, templates=templates,
                                 previous=previous or (), drill_down=drill_down, force=force, quiet=quiet,
                                 store=store, audience=audience, appraisees=appraisee or (), teams=team or (),
                                 managers=manager or ())
    except OSError as exc:  # a full disk, a read-only folder: render_run has removed its partial folder
        raise AppraisalError(f"cannot write {out}: {exc.strerror or exc}; nothing was kept") from None
    if json_output:
        echo_json({"out": str(out), "files": [str(p.relative_to(out)) for p in written],
                   "report": str(out / "index.html") if (out / "index.html").is_file() else None})
        return
    if quiet:
        return
    typer.echo(f"wrote {len(written)} files to {out}")
    if (out / "index.html").is_file():
        typer.echo(f"report: {out / 'index.html'}")


def register(app: typer.Typer) -> None:
    app.command("render")(render)
