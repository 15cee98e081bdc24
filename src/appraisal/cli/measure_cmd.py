"""`appraisal measure`: the data stage on its own — values per appraisee and indicator.

Useful to check data before scores exist, and what the data benchmark times.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from appraisal.cli import Timeout
from appraisal.cli.data_root_option import DataRoots
from appraisal.cli.engine_options import EngineName, MemoryLimit, ProfileName, SpillDir
from appraisal.cli.groups_option import Groups, parse_groups
from appraisal.cli.output_options import Quiet
from appraisal.cli.terminal import echo, json_printable, printable

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from appraisal.measuring.measurements import Cell, GroupRow, Measurements

VALUE_COLUMNS = ["appraisee", "indicator", "value", "rows", "status", "source", "flags"]
QUALITY_COLUMNS = ["dataset", "cause", "column", "count", "rows", "share", "level", "limit", "examples"]


def measure(
    scheme: Annotated[str, typer.Argument(help="A scheme file, or the name of a shipped scheme.", metavar="SCHEME")],
    period: Annotated[
        str, typer.Option("--period", "-p", help="The period: 2026-09, 2026-Q3, 2026-H2, 2026, 2026-W38 or a range.")
    ],
    csv_out: Annotated[
        Optional[Path],  # noqa: UP045 - Typer reads the annotation at run time
        typer.Option("--csv", help="Write the values to this CSV file instead of printing them (text that a "
                                    "spreadsheet would read as a formula gets a leading ')."),
    ] = None,
    quality_csv: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--quality-csv", help="Write the data-quality counts to this CSV file (escaped alike)."),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print values and counts as JSON.")] = False,
    threads: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--threads", min=1, help="DuckDB threads (default and at most: all cores)."),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail on data-quality warnings too, not only on errors.")
    ] = False,
    timeout: Timeout = 0,
    groups: Groups = "",
    data_root: DataRoots = None,
    memory_limit: MemoryLimit = None,
    spill_dir: SpillDir = None,
    engine: EngineName = None,
    profile: ProfileName = None,
    quiet: Quiet = False,
) -> None:
    """Measure SCHEME's indicators for everyone on its roster in PERIOD, with data-quality counts.

    A count above its error level (with --strict, its warning level) stops it: nothing is written."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal import interrupts, plugins
    from appraisal.engines.memory import configured
    from appraisal.engines.profiles import choose
    from appraisal.measuring.measurements import measuring, with_flags
    from appraisal.measuring.quality import QualityBreach, assess, report_lines, warning_flags
    from appraisal.periods import parse_period
    from appraisal.results.values_csv import write_values
    from appraisal.scheme.data_roots import allowing
    from appraisal.scheme.packs import resolve_scheme_path
    from appraisal.scheme.validation import load_scheme

    interrupts.set_time_limit(timeout or None)
    extensions = plugins.extensions()
    with allowing(data_root or ()), configured(memory_limit, spill_dir):
        loaded = load_scheme(resolve_scheme_path(scheme, extensions.packs), extensions)
        chosen = choose(engine, profile, loaded.profile)
        with measuring(loaded, parse_period(period), extensions, threads=threads, groups=parse_groups(groups),
                       engine_name=chosen.engine, settings=chosen.settings) as measured:
            assessment = assess(loaded, measured.quality, strict=strict)
            if assessment.breaches:
                for line in assessment.lines():
                    echo(line, err=json_output or csv_out is not None)
                raise QualityBreach(assessment)
            flags = warning_flags(loaded, assessment)
            if csv_out is not None:  # copied out of the engine: no Python object per cell
                indicators = [column.indicator for column in measured.wide.columns]
                write_values(measured.engine, measured.wide, csv_out, flags,
                             tail=_group_value_rows(measured.groups, indicators))
            result = with_flags(measured.to_measurements(), flags) if json_output or csv_out is None else None
    quality_rows = assessment.rows()
    quality = _quality_rows(quality_rows)
    if quality_csv is not None:
        _write_csv(quality_csv, QUALITY_COLUMNS, _quality_rows(quality_rows, joined=True))
    if json_output:
        # only for --json
        import json

        assert result is not None
        report = {
            "scheme": loaded.id,
            "period": result.period.label,
            "values": [dict(zip(VALUE_COLUMNS, row, strict=True)) for row in _value_rows(result)],
            "quality": [dict(zip(QUALITY_COLUMNS, row, strict=True)) for row in quality],
        }
        if result.groups:
            indicators = result.indicators()
            report["groups"] = [
                {"by": g.by, "group": g.key, "members": g.members,
                 "values": [dict(zip(VALUE_COLUMNS[1:], row, strict=True)) for row in _cells(g.cells, indicators)]}
                for g in result.groups
            ]
        typer.echo(json_printable(json.dumps(report, indent=2, ensure_ascii=False)))
    elif result is not None:
        _print_table(result, [] if quiet else quality_rows, strict)
    elif quality and quality_csv is None and not quiet:
        for line in report_lines(quality_rows, strict):
            echo(line, err=True)


def _value_rows(result: Measurements) -> list[list[object]]:
    rows: list[list[object]] = [
        [appraisee, indicator, cell.value, cell.rows, cell.status, cell.source, ";".join(cell.flags)]
        for appraisee, indicator, cell in result.rows()
    ]
    return rows + _group_value_rows(result.groups, result.indicators())


def _group_value_rows(groups: Sequence[GroupRow], indicators: list[str]) -> list[list[object]]:
    """The values CSV's rows of the groups: `team:North`, `roster:all` (an id no roster key is
    likely to clash with) in the appraisee column."""
    return [[f"{g.by}:{g.key}", *row] for g in groups for row in _cells(g.cells, indicators)]


def _cells(cells: Mapping[str, Cell], indicators: list[str]) -> list[list[object]]:
    """(indicator, value, rows, status, source, flags) of a group's cells, in scheme order."""
    return [
        [indicator, cell.value, cell.rows, cell.status, cell.source, ";".join(cell.flags)]
        for indicator in indicators for cell in [cells[indicator]]
    ]


def _quality_rows(rows: list[dict[str, Any]], *, joined: bool = False) -> list[list[object]]:
    """The counts for JSON, or (`joined`) for CSV, where the examples are one cell, `, `-separated."""
    return [
        [", ".join(row[c]) if joined and c == "examples" else row[c] for c in QUALITY_COLUMNS]
        for row in rows
    ]


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    """Write the whole file or nothing (see appraisal.results.replacing)."""
    # only when a CSV file is written
    from appraisal.results.inert import write_csv
    from appraisal.results.replacing import replacing

    with replacing(path) as temp, temp.open("w", newline="", encoding="utf-8") as handle:
        write_csv(handle, header, rows)  # text Excel would run as a formula gets a leading '


def _print_table(result: Measurements, quality: list[dict[str, object]], strict: bool) -> None:
    # when the command runs, not when the CLI starts (see appraisal.cli)
    from appraisal.measuring.quality import report_lines

    indicators = result.indicators()
    typer.echo("\t".join(printable(text) for text in ["appraisee", *indicators, "flags"]))  # fields from data escaped
    for appraisee in result.appraisees:
        shown = []
        for indicator in indicators:
            cell = result.cell(appraisee.id, indicator)
            shown.append(_shown(cell))
        typer.echo("\t".join([printable(appraisee.id), *shown, printable("; ".join(appraisee.flags))]))
    for g in result.groups:
        shown = [_shown(g.cells[indicator]) for indicator in indicators]
        typer.echo("\t".join([printable(f"{g.by}:{g.key}"), *shown, f"{g.members} members, pooled"]))
    if quality:
        typer.echo("")
        for line in report_lines(quality, strict):
            echo(line)


def _shown(cell: Cell) -> str:
    """`0.95 (120)`: the value and its rows; `!` when computed from data with a warning."""
    # when the command runs, not when the CLI starts (see appraisal.cli)
    from appraisal.measuring.quality import is_quality_flag

    mark = "!" if any(is_quality_flag(f) for f in cell.flags) else ""
    return f"{cell.value:.6g} ({cell.rows}){mark}" if cell.value is not None else f"- ({cell.rows}){mark}"


def register(app: typer.Typer) -> None:
    app.command("measure")(measure)
