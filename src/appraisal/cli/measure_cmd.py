"""`appraisal measure`: the data stage on its own — values per appraisee and indicator.

Useful to check data before scores exist, and what the data benchmark times.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from appraisal.cli.data_root_option import DataRoots

if TYPE_CHECKING:
    from appraisal.measuring import Measurements

VALUE_COLUMNS = ["appraisee", "indicator", "value", "rows", "status", "source", "flags"]
QUALITY_COLUMNS = ["dataset", "cause", "column", "count"]


def measure(
    scheme: Annotated[str, typer.Argument(help="A scheme file, or the name of a shipped scheme.", metavar="SCHEME")],
    period: Annotated[str, typer.Option("--period", "-p", help="The period: 2026-09, 2026-Q3, 2026-H2, 2026, 2026-W38 or a range.")],
    csv_out: Annotated[
        Optional[Path],  # noqa: UP045 - Typer reads the annotation at run time
        typer.Option("--csv", help="Write the values to this CSV file instead of printing them."),
    ] = None,
    quality_csv: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--quality-csv", help="Write the data-quality counts to this CSV file."),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print values and counts as JSON.")] = False,
    threads: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--threads", min=1, help="DuckDB threads (default: all cores)."),
    ] = None,
    data_root: DataRoots = None,
) -> None:
    """Measure SCHEME's indicators for everyone on its roster in PERIOD, with data-quality counts."""
    from appraisal.cli.schemes_cmd import resolve_scheme_path
    from appraisal.data_roots import allowing
    from appraisal.measuring import measure as run_measure
    from appraisal.periods import parse_period
    from appraisal.validation import load_scheme

    with allowing(data_root or ()):
        loaded = load_scheme(resolve_scheme_path(scheme))
        result = run_measure(loaded, parse_period(period), threads=threads)
    values, quality = _value_rows(result), _quality_rows(result)
    if csv_out is not None:
        _write_csv(csv_out, VALUE_COLUMNS, values)
    if quality_csv is not None:
        _write_csv(quality_csv, QUALITY_COLUMNS, quality)
    if json_output:
        import json

        report = {
            "scheme": loaded.id,
            "period": result.period.label,
            "values": [dict(zip(VALUE_COLUMNS, row, strict=True)) for row in values],
            "quality": [dict(zip(QUALITY_COLUMNS, row, strict=True)) for row in quality],
        }
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
    elif csv_out is None:
        _print_table(result, quality)
    elif quality and quality_csv is None:
        for row in quality:
            typer.echo(_quality_line(*row), err=True)


def _value_rows(result: Measurements) -> list[list[object]]:
    return [
        [appraisee, indicator, cell.value, cell.rows, cell.status, cell.source, ";".join(cell.flags)]
        for appraisee, indicator, cell in result.rows()
    ]


def _quality_rows(result: Measurements) -> list[list[object]]:
    return [[c.dataset, c.cause, c.column, c.count] for c in result.quality]


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    """Write to a sibling temporary file, then rename: a killed run never leaves half a file."""
    import csv
    import os
    import tempfile

    from appraisal.errors import AppraisalError

    target = path.resolve()
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:
        raise AppraisalError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(["" if v is None else v for v in row] for row in rows)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _print_table(result: Measurements, quality: list[list[object]]) -> None:
    indicators = result.indicators()
    typer.echo("\t".join(["appraisee", *indicators, "flags"]))
    for appraisee in result.appraisees:
        shown = []
        for indicator in indicators:
            cell = result.cell(appraisee.id, indicator)
            shown.append(f"{cell.value:.6g} ({cell.rows})" if cell.value is not None else f"- ({cell.rows})")
        typer.echo("\t".join([appraisee.id, *shown, "; ".join(appraisee.flags)]))
    if quality:
        typer.echo("\ndata quality:")
        for row in quality:
            typer.echo(f"  {_quality_line(*row)}")


def _quality_line(dataset: object, cause: object, column: object, count: object) -> str:
    noun = "row" if count == 1 else "rows"
    return f"{dataset}: {count} {noun} {cause}" + (f" ({column})" if column else "")


def register(app: typer.Typer) -> None:
    app.command("measure")(measure)
