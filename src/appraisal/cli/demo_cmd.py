"""`appraisal demo`: the newcomer's first command, a full appraisal of generated data.

It copies a pack's scheme (`agent`, `manufacturing:service-engineer`) into a demo folder, asks
the pack that owns it for deterministic demo data beside it (its `demo` callable), runs the
appraisal, renders everything `appraisal render` writes (the summary, the scorecards, the team
report, the workbook and, when Chromium is installed, the PDFs) into `report/`, and says
where. The folder is recreated on
each run (only if it is a demo folder: nothing else is ever removed).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from appraisal.cli import Timeout
from appraisal.cli.groups_option import Groups, parse_groups
from appraisal.cli.language_option import Lang, Language
from appraisal.cli.output_options import Json, Quiet
from appraisal.cli.terminal import echo, echo_json

if TYPE_CHECKING:
    from appraisal.scheme.packs import PackRegistry

MARKER = ".appraisal-demo"


def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="The demo folder to (re)create.")] = Path("appraisal-demo"),
    role: Annotated[
        str, typer.Option("--role", help="The scheme to demonstrate: agent, or PACK:NAME of a pack with demo data.")
    ] = "agent",
    period: Annotated[str, typer.Option("--period", "-p", help="The period to appraise.")] = "2026-Q3",
    language: Language = Lang.en,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the generated data.")] = 2026,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail on data-quality warnings too, not only on errors.")
    ] = False,
    timeout: Timeout = 0,
    groups: Groups = "team,roster",
    json_output: Json = False,
    quiet: Quiet = False,
) -> None:
    """Generate demo data, appraise it with the scheme for ROLE, and render the report."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal import interrupts, plugins
    from appraisal.cli.run_cmd import checked_run, copied_tables, write_with_report
    from appraisal.measuring.quality import report_lines
    from appraisal.periods import parse_period
    from appraisal.scheme.validation import load_scheme

    interrupts.set_time_limit(timeout or None)
    extensions = plugins.extensions()
    source, demo_data = _scheme_with_demo(role, extensions.packs)
    folder = _fresh_folder(out)
    scheme_file = folder / source.name  # beside the data it names (`data/<name>/...`)
    scheme_file.write_bytes(source.read_bytes())
    data = folder / "data" / source.stem
    files = _generate(demo_data, data, role=source.stem, seed=seed, period=period)
    scheme = load_scheme(scheme_file, extensions)
    with copied_tables() as tables:
        result = checked_run(scheme, parse_period(period), extensions, strict=strict, show=False,
                             groups=parse_groups(groups), tables=tables)
        run_dir = write_with_report(result, folder / f"run-{result.period['label']}", extensions,
                                    language=language, report=True, tables=tables)
    graded = [a for a in result.appraisees if a.grade is not None]
    written = _rendered(run_dir, folder / "report", language, extensions)
    if json_output:
        echo_json({"folder": str(folder.resolve()), "data": str(Path(getattr(files, "folder", data)).resolve()),
                   "scheme": scheme.id, "version": scheme.version, "period": result.period["label"],
                   "run": str(run_dir.resolve()), "appraisees": len(result.appraisees), "graded": len(graded),
                   "grades": {g["grade"]: sum(a.grade == g["grade"] for a in graded) for g in result.grades},
                   "quality": list(result.quality), "report": written})
        return
    if quiet:
        return
    echo(f"demo data: {getattr(files, 'folder', data)} ({len(result.appraisees)} appraisees)")
    echo(f"appraised with {scheme.id} v{scheme.version} for {result.period['label']}: {len(graded)} graded")
    for grade in result.grades:
        names = [a.id for a in graded if a.grade == grade["grade"]]
        echo(f"  {grade['grade']}: {len(names)}")
    for line in report_lines(result.quality, strict):
        echo(line)
    echo(f"explain a score: appraisal explain {run_dir} --appraisee {graded[0].id if graded else 'ID'}")
    for part in ("summary", "team report", "scorecards", "workbook"):
        echo(f"{part}: {written[part]}")
    echo(f"PDFs: {written['PDFs']}" if written["PDFs"] else f"PDFs: not written ({written['why']})")
    echo(f"report: {written['summary']}")


def _rendered(run_dir: Path, report: Path, language: str, extensions: Any) -> dict[str, str | None]:
    """Render the run as `appraisal render` does (PDFs only where Chromium is installed), and
    say where each part is (`PDFs` None, and `why`, without Chromium)."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal.cli.render_cmd import render_run
    from appraisal.errors import AppraisalError
    from appraisal.rendering.pdf import find_chromium

    try:
        find_chromium()
        pdf, why = ["pdf"], ""
    except AppraisalError as exc:
        pdf, why = [], str(exc)
    try:
        render_run(run_dir, report, ["html", "md", "xlsx", *pdf], language=language, extensions=extensions,
                   with_store=False)
    except OSError as exc:  # a full disk: render_run has removed its partial folder
        raise AppraisalError(f"cannot write {report}: {exc.strerror or exc}; nothing was kept") from None
    where = report.resolve()
    return {"summary": str(where / "index.html"), "team report": str(where / "team.html"),
            "scorecards": str(where / "scorecards"), "workbook": str(where / "result.xlsx"),
            "PDFs": str(where / "pdf") if pdf else None, "why": why or None}


def _generate(demo_data: Callable[..., Any], data: Path, **options: Any) -> Any:
    """The pack's demo data in `data`; a machine that refuses to write it (a full disk) is a
    plain message, whether Python or DuckDB (which says it in its own words) did the writing."""
    # when the demo runs: DuckDB is heavy, and the CLI starts with Typer alone
    import duckdb

    from appraisal.errors import AppraisalError
    from appraisal.results.replacing import io_reason

    try:
        return demo_data(data, **options)
    except (OSError, duckdb.IOException) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else io_reason(str(exc))
        raise AppraisalError(f"cannot write the demo data into {data}: {reason}") from None


def _fresh_folder(out: Path) -> Path:
    # when the command runs, not when the CLI starts (see appraisal.cli)
    import shutil

    from appraisal.errors import AppraisalError

    if out.exists():
        if not (out / MARKER).is_file():
            raise AppraisalError(f"{out} exists and is not a demo folder; choose another --out")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("made by `appraisal demo`; recreated on each run\n", encoding="utf-8")
    return out


def _scheme_with_demo(role: str, packs: PackRegistry) -> tuple[Path, Callable[..., Any]]:
    """The scheme file of ROLE and the demo callable of the pack (of `packs`) that owns it;
    checked before the demo folder is touched, so a wrong name leaves the last demo in place."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal.errors import AppraisalError
    from appraisal.scheme.packs import pack_of, resolve_scheme_path

    source = resolve_scheme_path(role, packs)
    pack = pack_of(source, packs)
    if pack is None:
        raise AppraisalError(f"{role} is not a scheme of an installed pack; name one, e.g. agent or PACK:NAME"
                             " (appraisal schemes list)")
    if pack.demo is None:
        raise AppraisalError(f"pack {pack.name!r} ships no demo data; appraise your own data with appraisal run")
    return source, pack.demo


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
