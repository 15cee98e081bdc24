"""`appraisal plugins`: which plugins are loaded, their versions and the hooks they implement."""

from __future__ import annotations

from typing import Annotated

import typer


def plugins(
    json_output: Annotated[
        bool, typer.Option("--json", help="Print JSON instead of a table.")
    ] = False,
) -> None:
    """List the loaded plugins (name, version, source and hooks), then the engines they bring,
    then their custom indicators and the engines each runs on.

    Built-ins come first, then installed packages (entry-point group `appraisal`), then local
    *.py files from --plugins-dir. APPRAISAL_LOAD_PLUGINS=a,b loads only the plugins named;
    an empty value loads only the built-ins.
    """
    # When the command runs, not when the CLI starts:
    from appraisal.engines.remote import EMBEDDED
    from appraisal.measuring.custom import ANY_ENGINE
    from appraisal.plugins import extensions

    loaded = extensions()
    infos = loaded.plugins
    if json_output:
        import json  # only for --json

        typer.echo(json.dumps([info.as_dict() for info in infos], indent=2))
        return
    _table([("NAME", "VERSION", "SOURCE", "HOOKS"),
            *((i.name, i.version, i.source, ", ".join(i.hooks) or "-") for i in infos)])
    typer.echo("")
    _table([("ENGINE", "PLUGIN", "NEEDS", "WHAT"), (EMBEDDED, "(embedded)", "-", "DuckDB, in the process"),
            *((e.name, e.plugin, e.needs or "-", e.doc) for e in loaded.engines)])
    if len(loaded.indicators):
        typer.echo("")
        _table([("INDICATOR", "PLUGIN", "ENGINES", "WHAT"),
                *((i.name, i.plugin, "any" if ANY_ENGINE in i.engines else ",".join(i.engines),
                   (i.doc.strip().splitlines() or ["-"])[0]) for i in loaded.indicators)])


def _table(rows: list[tuple[str, str, str, str]]) -> None:
    """Rows in aligned columns, the last one as long as it is."""
    widths = [max(len(row[col]) for row in rows) for col in range(3)]
    for *cells, last in rows:
        padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=True)]
        typer.echo("  ".join([*padded, last]))


def register(app: typer.Typer) -> None:
    app.command("plugins")(plugins)
