"""`appraisal plugins`: which plugins are loaded, their versions and the hooks they implement."""

from __future__ import annotations

from typing import Annotated

import typer


def plugins(
    json_output: Annotated[
        bool, typer.Option("--json", help="Print JSON instead of a table.")
    ] = False,
) -> None:
    """List the loaded plugins: name, version, source and hooks.

    Built-ins come first, then installed packages (entry-point group `appraisal`), then local
    *.py files from --plugins-dir. APPRAISAL_LOAD_PLUGINS=a,b loads only the plugins named;
    an empty value loads only the built-ins.
    """
    from appraisal.plugins import extensions  # when the command runs, not when the CLI starts

    infos = extensions().plugins
    if json_output:
        import json  # only for --json

        typer.echo(json.dumps([info.as_dict() for info in infos], indent=2))
        return
    rows = [("NAME", "VERSION", "SOURCE", "HOOKS")]
    rows += [(i.name, i.version, i.source, ", ".join(i.hooks) or "-") for i in infos]
    widths = [max(len(row[col]) for row in rows) for col in range(3)]
    for *cells, hooks in rows:
        padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=True)]
        typer.echo("  ".join([*padded, hooks]))


def register(app: typer.Typer) -> None:
    app.command("plugins")(plugins)
