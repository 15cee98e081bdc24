"""`appraisal run` and `appraisal explain`: compute an appraisal, then show how a score came to be."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from appraisal.cli import Timeout
from appraisal.cli.data_root_option import DataRoots
from appraisal.cli.engine_options import EngineName, MemoryLimit, ProfileName, SpillDir
from appraisal.cli.groups_option import Groups, parse_groups
from appraisal.cli.language_option import Lang, Language
from appraisal.cli.output_options import Json, Quiet
from appraisal.cli.terminal import echo, echo_json

if TYPE_CHECKING:
    from appraisal.engines.profiles import Choice
    from appraisal.periods import Period
    from appraisal.plugins import Extensions
    from appraisal.results.result import Result
    from appraisal.scheme.model import Scheme
    from appraisal.store.runs import StoredRun


def run(
    scheme: Annotated[str, typer.Argument(help="A scheme file, or the name of a shipped scheme.", metavar="SCHEME")],
    period: Annotated[
        str, typer.Option("--period", "-p", help="The period: 2026-09, 2026-Q3, 2026-H2, 2026, 2026-W38 or a range.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The run folder to create (never overwritten).")],
    threads: Annotated[
        Optional[int],  # noqa: UP045 - Typer reads the annotation at run time
        typer.Option("--threads", min=1, help="DuckDB threads (default and at most: all cores)."),
    ] = None,
    language: Language = Lang.en,
    report: Annotated[bool, typer.Option("--report/--no-report", help="Render the HTML and Markdown report.")] = True,
    strict: Annotated[bool, typer.Option("--strict", help=STRICT_HELP)] = False,
    timeout: Timeout = 0,
    groups: Groups = "",
    data_root: DataRoots = None,
    memory_limit: MemoryLimit = None,
    spill_dir: SpillDir = None,
    engine: EngineName = None,
    profile: ProfileName = None,
    store: Annotated[
        Optional[str],  # noqa: UP045 - Typer reads the annotation at run time; text: a URL is no path
        typer.Option("--store", metavar="FILE|URL", show_default=False,
                     help="The run store to keep the run in: a SQLite file or a postgresql:// URL (default: "
                          "$APPRAISAL_STORE, else appraisal-runs.sqlite in the working folder)."),
    ] = None,
    no_store: Annotated[bool, typer.Option("--no-store", help="Keep the run in its folder only.")] = False,
    json_output: Json = False,
    quiet: Quiet = False,
) -> None:
    """Appraise everyone on SCHEME's roster for PERIOD; write JSON, CSV and the report into OUT,
    and keep the run in the run store (`appraisal runs`)."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal import interrupts, plugins
    from appraisal.cli.stored_context import earlier_periods
    from appraisal.engines.memory import configured
    from appraisal.engines.profiles import choose
    from appraisal.errors import AppraisalError
    from appraisal.periods import parse_period
    from appraisal.scheme.data_roots import allowing
    from appraisal.scheme.extending import scheme_texts
    from appraisal.scheme.packs import resolve_scheme_path
    from appraisal.scheme.validation import load_scheme
    from appraisal.store.runs import RunStore, store_location

    interrupts.set_time_limit(timeout or None)
    extensions = plugins.extensions()
    stored: list[StoredRun] = []
    with contextlib.ExitStack() as stack:  # the store is opened first: a foreign file stops the run before it starts
        runs = None if no_store else stack.enter_context(RunStore(store_location(store), create=True))
        stack.enter_context(allowing(data_root or ()))
        stack.enter_context(configured(memory_limit, spill_dir))
        tables = stack.enter_context(copied_tables())
        path = resolve_scheme_path(scheme, extensions.packs)
        loaded = load_scheme(path, extensions)
        texts: list[tuple[Path, str]] = []
        if runs is not None:  # what the store keeps, read now, not after the run
            digest, texts = scheme_texts(path, extensions, expected=loaded.digest)
            if digest != loaded.digest:
                raise AppraisalError(f"the scheme {path} changed while it was read; run again")
        result = checked_run(loaded, parse_period(period), extensions, threads=threads, strict=strict,
                             groups=parse_groups(groups), tables=tables, engine=choose(engine, profile, loaded.profile),
                             show=not (quiet or json_output))

        @contextmanager
        def record(folder: Path, published: Path) -> Iterator[Callable[[], object]]:
            assert runs is not None
            with runs.recording(folder, published, scheme_text=texts[0][1],
                                data_hashed=not any(s.in_database for s in loaded.sources())) as commit:
                yield lambda: stored.append(commit())

        # the report shows the store's earlier periods of the scheme, as `appraisal render` does
        earlier = earlier_periods(stack, runs, str(result.scheme["id"]), result.period["label"]) if (
            runs is not None and report) else []
        folder = write_with_report(result, out, extensions, language=language, report=report, tables=tables,
                                   earlier=earlier,
                                   record=record if runs is not None else None)
    graded = sum(row["actual"] for row in result.calibration)  # by the engine: the appraisees stay in the file
    if json_output:
        echo_json({"folder": str(folder), "period": result.period["label"], "appraised": len(result.appraisees),
                   "graded": graded, "grades": {row["grade"]: row["actual"] for row in result.calibration},
                   "stored": [{"run": kept.id, "after": kept.previous} for kept in stored],
                   "store": None if runs is None else str(runs.path),
                   "report": str(folder / "report" / "index.html") if report else None,
                   "quality": list(result.quality)})
        return
    if quiet:
        return
    echo(f"appraised {len(result.appraisees)} ({graded} graded) for {result.period['label']}: {folder}")
    for kept in stored:
        after = f", after {kept.previous}" if kept.previous else ""
        echo(f"stored as {kept.id}{after}: {runs.path if runs is not None else ''}")
    if report:
        echo(f"report: {folder / 'report' / 'index.html'}")


STRICT_HELP = "Fail on data-quality warnings too, not only on errors."


@contextmanager
def copied_tables() -> Iterator[Path]:
    """A private folder for the tables the engine writes (`pipeline.run(tables=...)`) until the
    run folder takes them; removed afterwards, and on Ctrl-C. It is made in the spill folder
    (`--spill-dir`, APPRAISAL_SPILL_DIR) when one is set: the place chosen for large files."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    import shutil
    import tempfile

    from appraisal import interrupts
    from appraisal.engines.memory import spill_dir

    parent = spill_dir()
    with interrupts.deferred():
        folder = Path(tempfile.mkdtemp(prefix="appraisal-tables-", dir=parent))
        interrupts.register_path(folder)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        interrupts.unregister_path(folder)


def checked_run(
    scheme: Scheme, period: Period, extensions: Extensions, *, threads: int | None = None, strict: bool = False,
    show: bool = True, groups: tuple[str, ...] = (), tables: Path | None = None, engine: Choice | None = None,
    corrections: Sequence[Mapping[str, Any]] = (),
) -> Result:
    """The pipeline's run, every data-quality count printed (when `show`; always when a breach stops it)."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal.engines.profiles import Choice
    from appraisal.measuring.quality import QualityBreach, report_lines
    from appraisal.pipeline import run as run_pipeline

    chosen = engine or Choice()
    try:
        result = run_pipeline(scheme, period, extensions=extensions, threads=threads, strict=strict, groups=groups,
                              tables=tables, engine=chosen.engine, settings=chosen.settings, corrections=corrections)
    except QualityBreach as breach:
        for line in breach.assessment.lines():
            echo(line, err=not show)  # asked not to show (--json, --quiet): the counts that stop it, on stderr
        raise
    for line in report_lines(result.quality, strict) if show else ():
        echo(line)
    return result


def write_with_report(
    result: Result, out: Path, extensions: Extensions, *, language: str, report: bool, tables: Path | None = None,
    record: Callable[[Path, Path], AbstractContextManager[Callable[[], object]]] | None = None,
    earlier: Sequence[Result] = (),
) -> Path:
    """Store the run; the report (summary, team report, scorecards, with the packs' templates of
    `extensions` and the trend over `earlier` periods) is rendered inside the partial folder, so
    it is atomic too."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal.results.storing import write_run
    from appraisal.scheme.packs import template_dirs

    def render(folder: Path) -> None:
        from appraisal.rendering.reports import render_report  # Jinja: only for a report (`--no-report` skips it)

        render_report(result, folder / "report", language=language, pack_dirs=template_dirs(extensions.packs),
                      previous=earlier, run_dir=out)

    return write_run(result, out, extra=render if report else None, tables=tables, record=record)


def explain(
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by `appraisal run`.", metavar="DIR")],
    appraisee: Annotated[str, typer.Option("--appraisee", "-a", help="The appraisee's id.")],
    indicator: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--indicator", "-i", help="One indicator, with the data rows behind its value."),
    ] = None,
    rows: Annotated[int, typer.Option("--rows", min=1, help="How many rows to show.")] = 5,
    data_root: DataRoots = None,
    json_output: Json = False,
) -> None:
    """Show step by step how an appraisee's values, scores, contributions, gates and grade came to be."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal import plugins
    from appraisal.explaining import explain as explain_lines
    from appraisal.results.storing import load_run
    from appraisal.scheme.data_roots import allowing

    result = load_run(run_dir, appraisee=appraisee)
    read = None
    if indicator is not None:
        from appraisal.row_reader import rows_of  # opens the data (DuckDB): only when rows are asked for

        read = rows_of(result, plugins.extensions(), rows)
    with allowing(data_root or ()):
        lines = explain_lines(result, appraisee, indicator, rows=read)
    if json_output:  # the appraisee's values, scores, gates and grade as result.json holds them, and the words
        import dataclasses  # only for --json

        echo_json({"run": str(run_dir), "appraisee": dataclasses.asdict(result.appraisee(appraisee)),
                   "indicator": indicator, "lines": lines})
        return
    for line in lines:
        echo(line)  # names, values and rows from data: control characters escaped


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("explain")(explain)
