"""The `appraisal` command: a thin Typer shell over the Python API.

Start-up matters (`appraisal --help` must stay well under a third of a second), so this
package imports only Typer; each command imports what it needs when it runs. Rich is never
imported: help and usage errors use click's plain formatting.

Exit codes: 0 success, 1 a user error (an `AppraisalError`: one plain message, no traceback),
2 a usage error, 130 interrupted, 70 an internal error (a bug: one line asking for a report).
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from appraisal import __version__

EXIT_USER_ERROR = 1
EXIT_INTERRUPTED = 130
EXIT_INTERNAL_ERROR = 70
DEBUG_ENV = "APPRAISAL_DEBUG"

# One module per command group, each with `register(app)`. Add a group by adding its name here.
COMMAND_MODULES: list[str] = [
    "plugins_cmd",
    "validate_cmd",
    "schemes_cmd",
    "measure_cmd",
    "run_cmd",
    "demo_cmd",
    "render_cmd",
    "form_cmd",
]

app = typer.Typer(
    name="appraisal",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"appraisal {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
    plugins_dir: Annotated[
        Path | None,
        typer.Option(
            "--plugins-dir",
            exists=True,
            file_okay=False,
            dir_okay=True,
            help="Load local *.py plugins from this folder (default: $APPRAISAL_PLUGINS_DIR).",
        ),
    ] = None,
) -> None:
    """Performance-appraisal schemes in YAML: check them, compute them, explain them."""
    if plugins_dir is not None:
        from appraisal import plugins

        plugins.set_plugins_dir(plugins_dir)


for _module in COMMAND_MODULES:
    importlib.import_module(f"{__name__}.{_module}").register(app)


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the CLI and exit; the only place exceptions become exit codes and messages."""
    command = typer.main.get_command(app)
    try:
        # Standalone mode: click prints usage errors (exit 2); ^C inside a command exits 130.
        command.main(args=argv, prog_name="appraisal", standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:
        sys.exit(_report(exc))
    sys.exit(0)  # pragma: no cover - command.main always exits in standalone mode


def _report(exc: Exception) -> int:
    """Print `exc` for a person, not a debugger; return the exit code."""
    from appraisal.errors import AppraisalError

    debug = bool(os.environ.get(DEBUG_ENV))
    if debug:
        import traceback

        traceback.print_exception(exc)
    if isinstance(exc, AppraisalError):
        # SchemeError's message is already one rendered problem per line.
        typer.echo(str(exc), err=True)
        return EXIT_USER_ERROR
    detail = " ".join(f"{type(exc).__name__}: {exc}".split())
    hint = "" if debug else f"; set {DEBUG_ENV}=1 for the traceback"
    typer.echo(f"internal error: {detail} (please report{hint})", err=True)
    return EXIT_INTERNAL_ERROR
