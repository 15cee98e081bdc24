"""`appraisal demo`: the newcomer's first command, a full appraisal of generated data.

It copies the shipped scheme into a demo folder, generates deterministic after-sales data
beside it, runs the appraisal and renders the report, then says where the report is. The
folder is recreated on each run (only if it is a demo folder: nothing else is ever removed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

MARKER = ".appraisal-demo"


def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="The demo folder to (re)create.")] = Path("appraisal-demo"),
    role: Annotated[str, typer.Option("--role", help="The shipped scheme to demonstrate.")] = "agent",
    period: Annotated[str, typer.Option("--period", "-p", help="The period to appraise.")] = "2026-Q3",
    language: Annotated[str, typer.Option("--lang", help="Language of the report: en or zh.")] = "en",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the generated data.")] = 2026,
) -> None:
    """Generate demo data, appraise it with the shipped scheme for ROLE, and render the report."""
    from appraisal.cli.run_cmd import write_with_report
    from appraisal.demo_data import generate
    from appraisal.periods import parse_period
    from appraisal.pipeline import run
    from appraisal.validation import load_scheme

    folder = _fresh_folder(out)
    scheme_file = _copy_scheme(role, folder)
    files = generate(folder / "data" / role, role=role, seed=seed, period=period)
    scheme = load_scheme(scheme_file)
    result = run(scheme, parse_period(period))
    run_dir = write_with_report(result, folder / f"run-{result.period['label']}", language=language, report=True)
    graded = [a for a in result.appraisees if a.grade is not None]
    typer.echo(f"demo data: {files.folder} ({len(result.appraisees)} appraisees)")
    typer.echo(f"appraised with {scheme.id} v{scheme.version} for {result.period['label']}: {len(graded)} graded")
    for grade in result.grades:
        names = [a.id for a in graded if a.grade == grade["grade"]]
        typer.echo(f"  {grade['grade']}: {len(names)}")
    for cause in result.quality:
        typer.echo(f"  data: {cause['dataset']}: {cause['count']} {cause['cause']}")
    typer.echo(f"explain a score: appraisal explain {run_dir} --appraisee {graded[0].id if graded else 'ID'}")
    typer.echo(f"report: {(run_dir / 'report' / 'index.html').resolve()}")


def _fresh_folder(out: Path) -> Path:
    import shutil

    from appraisal.errors import AppraisalError

    if out.exists():
        if not (out / MARKER).is_file():
            raise AppraisalError(f"{out} exists and is not a demo folder; choose another --out")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("made by `appraisal demo`; recreated on each run\n", encoding="utf-8")
    return out


def _copy_scheme(role: str, folder: Path) -> Path:
    """The shipped scheme, copied beside the data it names (`data/<role>/...`)."""
    from appraisal.cli.schemes_cmd import resolve_scheme_path

    source = resolve_scheme_path(role)
    target = folder / source.name
    target.write_bytes(source.read_bytes())
    return target


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
