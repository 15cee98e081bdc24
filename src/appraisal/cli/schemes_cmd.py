"""`appraisal schemes`: list the shipped schemes and show one in words."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any

import typer

from appraisal.cli.language_option import Lang, Language
from appraisal.cli.output_options import Json
from appraisal.cli.terminal import echo, echo_json

if TYPE_CHECKING:
    from appraisal.scheme.model import Indicator, Scheme

schemes_app = typer.Typer(help="List and show appraisal schemes.", no_args_is_help=True)


@schemes_app.command("list")
def list_schemes(
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List every scheme of every installed pack: name, pack, role, version and title."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal import plugins
    from appraisal.scheme.model import pick
    from appraisal.scheme.packs import BUILTIN
    from appraisal.scheme.validation import load_schemes

    extensions = plugins.extensions()
    rows: list[dict[str, Any]] = []
    for pack in sorted(extensions.packs, key=lambda p: (p.name != BUILTIN, p.name)):
        paths = pack.scheme_files()
        for path, scheme in zip(paths, load_schemes(paths, extensions), strict=True):
            name = path.stem if pack.name == BUILTIN else f"{pack.name}:{path.stem}"
            rows.append({"name": name, "pack": pack.name, "id": scheme.id, "role": scheme.role or "",
                         "version": scheme.version, "title": pick(scheme.title)})
    if json_output:
        import json  # only for --json

        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    wide = {key: max([10, *(len(row[key]) for row in rows)]) for key in ("name", "pack", "role")}
    typer.echo(f"{'scheme':<{wide['name']}}  {'pack':<{wide['pack']}}  {'role':<{wide['role']}}  version  title")
    for row in rows:
        echo(f"{row['name']:<{wide['name']}}  {row['pack']:<{wide['pack']}}  {row['role']:<{wide['role']}}"
             f"  {'v' + str(row['version']):<7}  {row['title']}")  # a pack's text: escaped like data


@schemes_app.command("show")
def show(
    scheme: Annotated[
        str,
        typer.Argument(help="A scheme file, or the name of a shipped scheme.", metavar="SCHEME"),
    ],
    language: Language = Lang.en,
    resolved: Annotated[
        bool, typer.Option("--resolved", help="Print the scheme as YAML after extends and strategy are applied.")
    ] = False,
    json_output: Json = False,
) -> None:
    """Check SCHEME and summarise it: period, data, indicators with weights, targets and score rules, grades."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal import plugins
    from appraisal.scheme.packs import resolve_scheme_path
    from appraisal.scheme.validation import load_scheme

    extensions = plugins.extensions()
    path = resolve_scheme_path(scheme, extensions.packs)
    checked = load_scheme(path, extensions)
    if resolved:
        # Only for --resolved:
        import yaml

        from appraisal.scheme.extending import load_resolved
        from appraisal.scheme.strategies import apply_strategy

        data = apply_strategy(load_resolved(path, extensions)).data
        if json_output:  # the resolved scheme as JSON: what a program reads
            echo_json(data)
            return
        typer.echo(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100).rstrip())
        return
    if json_output:
        echo_json({"scheme": checked.id, "version": checked.version, "file": str(path), "lines": summary_lines(
            checked, language)})
        return
    for line in summary_lines(checked, language):
        echo(line)


def _number(x: float | None) -> str:
    if x is None:
        return "-"
    return "inf" if math.isinf(x) else f"{x:g}"


def _rule(indicator: Indicator) -> str:
    score = indicator.score
    if score is None:
        return "not scored"
    if score.rule == "curve":
        return f"linear: worst {_number(score.worst)} -> target -> best {_number(score.best)}, cap {_number(score.cap)}"
    if score.rule == "bands":
        bands = ", ".join(f"{band.interval}: {_number(band.score)}" for band in score.bands)
        return f"bands {bands}; otherwise {_number(score.default)}"
    if score.rule == "ratio_to_target":
        return f"ratio to target, cap {_number(score.cap)}"
    return f"formula {score.formula.source if score.formula else ''}"


def _source(indicator: Indicator) -> str:
    if indicator.measure is not None:
        m = indicator.measure
        what = f" of {m.of.source}" if m.of else ""
        where = f" where {m.where.source}" if m.where else ""
        if m.numerator is not None and m.numerator.where is not None:
            where = f" where {m.numerator.where.source} / all rows"
        return f"{m.agg}{what} over {m.dataset}{where}"
    if indicator.formula is not None:
        return f"formula {indicator.formula.source}"
    if indicator.kind == "rating" and indicator.scale:
        return f"rated {_number(indicator.scale[0])} to {_number(indicator.scale[1])}"
    return f"custom {indicator.custom and indicator.custom.get('plugin')}"


def summary_lines(scheme: Scheme, language: str = "en") -> list[str]:
    """The scheme in words, as an HR author checks it before a run."""
    from appraisal.scheme.model import TargetFrom, pick  # when the command runs, not when the CLI starts

    lines = [
        f"{pick(scheme.title, language)} ({scheme.id} v{scheme.version}, role {scheme.role or '-'})",
        f"  period: {scheme.period}, time zone {scheme.timezone}; indicators without data: {scheme.missing_data}",
        f"  data: {', '.join(f'{d.name} ({d.source.source})' for d in scheme.datasets.values()) or 'none'}",
        "  indicators:",
    ]
    for ind in scheme.indicators:
        target = ind.target
        if isinstance(target, TargetFrom):
            shown = f"from {target.dataset}.{target.column}"
        elif ind.unit == "%" and target is not None:
            shown = f"{target * 100:g}%"
        else:
            shown = f"{_number(target)} {ind.unit}".rstrip()
        lines.append(
            f"    {ind.weight:>5g}%  {pick(ind.title, language)} [{ind.id}], {ind.direction} is better, target {shown}"
        )
        lines.append(f"            value: {_source(ind)}")
        lines.append(f"            score: {_rule(ind)}")
    for gate in scheme.gates:
        effect = "veto" if gate.veto else f"cap total at {_number(gate.cap_total)}"
        lines.append(f"  gate: when {gate.when.source}: {effect} ({pick(gate.reason, language)})")
    for excl in scheme.exclusions:
        lines.append(f"  exclusion: {excl.dataset} where {excl.where.source} ({pick(excl.reason, language)})")
    grades = ", ".join(f"{g.grade} [{_number(g.min)}, {_number(g.max)})" for g in scheme.grades)
    lines.append(f"  grades: {grades}")
    return lines


def register(app: typer.Typer) -> None:
    app.add_typer(schemes_app, name="schemes")
