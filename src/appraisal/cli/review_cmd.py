"""`appraisal review`: how well each indicator of a scheme separates people, over its stored periods."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from appraisal.cli.runs_cmd import Store, _json, _open
from appraisal.cli.terminal import echo

if TYPE_CHECKING:
    from appraisal.store.review import Review


def review(
    scheme: Annotated[str, typer.Argument(help="The scheme's id, as `appraisal runs list` shows it.",
                                          metavar="SCHEME")],
    period: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045 - Typer reads the annotation at run time
        "--period", "-p", help="A stored period to review (repeatable; default: every stored period).")] = None,
    out: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--out", "-o", metavar="FILE", help="Also write the report as Markdown to FILE (never overwritten).")] = None,
    store: Store = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Per indicator, over the latest stored version of each period of SCHEME: the spread of its
    scores, the share at the cap and at zero, the share without data, its correlation with the
    other indicators, and what HR should look at (a target too easy or too hard, an indicator
    that separates little or moves with another)."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal.errors import AppraisalError
    from appraisal.results.replacing import replacing
    from appraisal.store.review import chosen_runs
    from appraisal.store.review import review as reviewed

    if out is not None and out.exists():
        raise AppraisalError(f"{out} already exists; choose another --out (files are never overwritten)")
    with _open(store) as runs:
        found = reviewed(runs, chosen_runs(runs, scheme, period or ()))
    if out is not None:
        with replacing(out) as temp:
            temp.write_text("\n".join(markdown(found)) + "\n", encoding="utf-8")
    if json_output:
        _json(found.as_dict())
        return
    for line in lines(found):
        echo(line)
    if out is not None:
        echo(f"report: {out}")


def lines(found: Review) -> list[str]:
    """The review as text: a table of the indicators, then what to look at."""
    said = [f"{found.scheme} over {', '.join(found.periods)} ({len(found.runs)} stored runs)"]
    if found.other_versions:
        said.append("warning: runs of another scheme version are compared (their numbers were computed by other "
                    f"rules): {', '.join(found.other_versions)}")
    rows = [("INDICATOR", "SCORED", "SD", "IQR", "AT CAP", "AT ZERO", "NO DATA")]
    rows += [(i.indicator, str(i.scored), _points(i.sd), _points(i.iqr), _share(i.at_cap), _share(i.at_zero),
              _share(i.insufficient)) for i in found.indicators]
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    said += ["  ".join(cell.ljust(w) if k == 0 else cell.rjust(w) for k, (cell, w) in
                       enumerate(zip(row, widths, strict=True))) for row in rows]
    flagged = [i for i in found.indicators if i.verdicts]
    said.append("to look at:" if flagged else "every indicator separates people")
    said += [f"  {i.indicator}: {verdict}" for i in flagged for verdict in i.verdicts]
    return said


def markdown(found: Review) -> list[str]:
    """The review as a Markdown page: the pooled table, the verdicts, then a table per period."""
    text = [f"# Review of {found.scheme}", "", f"Periods: {', '.join(found.periods)}; runs: {', '.join(found.runs)}."]
    if found.other_versions:
        text += ["", f"**Warning**: runs of another scheme version are compared: {', '.join(found.other_versions)}."]
    columns = "| Indicator | Scored | SD | IQR | At cap | At zero | No data |"
    text += ["", "## All periods", "", f"{columns} To look at |", "|---|--:|--:|--:|--:|--:|--:|---|"]
    text += [f"| {i.indicator} | {i.scored} | {_points(i.sd)} | {_points(i.iqr)} | {_share(i.at_cap)} |"
             f" {_share(i.at_zero)} | {_share(i.insufficient)} | {'; '.join(i.verdicts) or 'separates people'} |"
             for i in found.indicators]
    for period in found.periods:
        text += ["", f"## {period}", "", columns, "|---|--:|--:|--:|--:|--:|--:|"]
        for i in found.indicators:
            for row in (p for p in i.periods if p["period"] == period):
                text.append(f"| {i.indicator} | {row['scored']} | {_points(row['sd'])} | {_points(row['iqr'])} |"
                            f" {_share(row['at_cap'])} | {_share(row['at_zero'])} | {_share(row['insufficient'])} |")
    correlated = [(i.indicator, other, r) for i in found.indicators for other, r in i.correlated.items()
                  if i.indicator < other]
    if correlated:
        text += ["", "## Correlations of the scores", "", "| Indicator | Indicator | Correlation |", "|---|---|--:|"]
        text += [f"| {a} | {b} | {r:.2f} |" for a, b, r in correlated]
    return text


def _points(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def register(app: typer.Typer) -> None:
    app.command("review")(review)
