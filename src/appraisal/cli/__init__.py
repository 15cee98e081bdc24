"""The `appraisal` command: a thin Typer shell over the Python API.

Start-up matters (`appraisal --help` must stay well under a third of a second), so this
package imports only Typer; each command imports what it needs when it runs, and a command
line that names a command builds that command alone (see COMMANDS). Rich is never imported:
help and usage errors use click's plain formatting.

Exit codes: 0 success, 1 a user error (an `AppraisalError`, a machine that refuses to write, the
time limit: one plain message, no traceback), 2 a usage error, 130 interrupted (Ctrl-C), 143
terminated (SIGTERM), 70 an internal error (a bug: one line asking for a report).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn, Protocol

import typer

from appraisal import __version__

EXIT_USER_ERROR = 1
EXIT_INTERRUPTED = 130
EXIT_INTERNAL_ERROR = 70
DEBUG_ENV = "APPRAISAL_DEBUG"
TIMEOUT_ENV = "APPRAISAL_TIMEOUT"

# `--timeout SECONDS` of the commands that compute (run, measure, demo): see appraisal.interrupts.
Timeout = Annotated[
    float,
    typer.Option(
        "--timeout", envvar=TIMEOUT_ENV, min=0, metavar="SECONDS", show_default=False,
        help=f"Stop with exit 1 after SECONDS of wall-clock time (default: ${TIMEOUT_ENV}, else no limit; "
        "0: no limit).",
    ),
]

# One module per command group, each with `register(app)`. Add a group by adding its name here,
# and its command names to COMMANDS.
COMMAND_MODULES: list[str] = [
    "plugins_cmd",
    "validate_cmd",
    "schemes_cmd",
    "measure_cmd",
    "run_cmd",
    "demo_cmd",
    "render_cmd",
    "form_cmd",
    "runs_cmd",
    "store_cmd",
    "audit_cmd",
    "calibrate_cmd",
    "appeal_cmd",
    "simulate_cmd",
    "review_cmd",
    "ratings_cmd",
]

# Command name -> the module that registers it. A command line that names one gets an app of
# that module's commands alone: the other modules are neither imported nor turned into click
# commands (about 15 ms of every run). Anything else (no command, --help, --version, a name
# not listed) gets the whole app, so a name missing here is only slower; tests/test_cli.py
# checks the table against what the modules register.
COMMANDS: dict[str, str] = {
    "plugins": "plugins_cmd",
    "validate": "validate_cmd",
    "schemes": "schemes_cmd",
    "measure": "measure_cmd",
    "run": "run_cmd",
    "explain": "run_cmd",
    "demo": "demo_cmd",
    "render": "render_cmd",
    "form": "form_cmd",
    "runs": "runs_cmd",
    "store": "store_cmd",
    "audit": "audit_cmd",
    "calibrate": "calibrate_cmd",
    "appeal": "appeal_cmd",
    "simulate": "simulate_cmd",
    "review": "review_cmd",
    "ratings": "ratings_cmd",
}


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"appraisal {__version__}")
        raise typer.Exit()


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
        # only with --plugins-dir: the CLI starts with Typer alone
        from appraisal import plugins

        plugins.set_plugins_dir(plugins_dir)


def build_app(modules: list[str] | None = None) -> typer.Typer:
    """The `appraisal` app with the commands of `modules` (default: all of COMMAND_MODULES)."""
    built = typer.Typer(
        name="appraisal",
        no_args_is_help=True,
        add_completion=True,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        pretty_exceptions_show_locals=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    built.callback()(_root)
    for module in COMMAND_MODULES if modules is None else modules:
        importlib.import_module(f"{__name__}.{module}").register(built)
    return built


def __getattr__(name: str) -> typer.Typer:
    """`app`, the whole CLI, is built when first asked for (main() usually needs less)."""
    if name == "app":
        built = globals()["app"] = build_app()
        return built
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _app_for(args: list[str]) -> typer.Typer:
    """The app that `args` needs: one command's module when they name it, else the whole app."""
    i = 0
    while i < len(args) and (args[i] == "--plugins-dir" or args[i].startswith("--plugins-dir=")):
        i += 1 if "=" in args[i] else 2
    if i < len(args) and args[i] in COMMANDS:
        return build_app([COMMANDS[args[i]]])
    return globals().get("app") or __getattr__("app")


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the CLI and exit; the only place exceptions become exit codes and messages.

    The command runs inside `interrupts.guard()`: Ctrl-C, SIGTERM and the time limit stop it
    within a second, and then the reason is reported, whatever exception the interrupted code
    raised on its way out."""
    # when main runs: importing appraisal.cli needs Typer alone
    from appraisal import interrupts

    command = typer.main.get_command(_app_for(sys.argv[1:] if argv is None else list(argv)))
    with interrupts.guard() as ending:
        try:
            code = _run(command, argv)
        except BaseException:  # a signal that arrived while an error was being reported
            code = EXIT_INTERRUPTED
        interrupts.settle()
        stopped = interrupts.stop()
        if stopped is not None or code == EXIT_INTERRUPTED:
            with ending or contextlib.nullcontext():
                _say(stopped.message if stopped is not None else "interrupted")
            code = stopped.code if stopped is not None else code
    sys.exit(code)


class _Command(Protocol):
    """What `_run` needs of the click command Typer builds (Typer keeps its click private)."""

    def main(self, *, args: list[str] | None, prog_name: str, standalone_mode: bool) -> Any: ...


def _run(command: _Command, argv: list[str] | None) -> int:
    """The command's exit code; an exception raised because of a stop is left to main()."""
    # when main runs: importing appraisal.cli needs Typer alone
    from appraisal import interrupts

    try:
        # Standalone mode: click prints usage errors (exit 2); ^C inside a command exits 130.
        command.main(args=argv, prog_name="appraisal", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_USER_ERROR)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BaseException as exc:
        if interrupts.stop() is not None:
            return EXIT_INTERRUPTED  # main() says why and exits with the stop's code
        if not isinstance(exc, Exception):
            raise
        return _report(exc)
    return 0  # pragma: no cover - command.main always exits in standalone mode


def _say(message: str) -> None:
    """One message on stderr; a closed or broken stderr is no reason to fail."""
    with contextlib.suppress(OSError):
        typer.echo(message, err=True)


def _report(exc: Exception) -> int:
    """Print `exc` for a person, not a debugger; return the exit code."""
    # only when an error is reported
    from appraisal.cli.terminal import printable
    from appraisal.errors import AppraisalError

    debug = bool(os.environ.get(DEBUG_ENV))
    if debug:
        import traceback  # only with APPRAISAL_DEBUG

        traceback.print_exception(exc)
    if isinstance(exc, AppraisalError):
        # SchemeError's message is already one rendered problem per line.
        _say(printable(str(exc), lines=True))
        return EXIT_USER_ERROR
    if isinstance(exc, OSError) and exc.strerror:
        # The machine refused (a full disk, a read-only folder, no permission): the user's to fix.
        where = exc.filename if exc.filename else "cannot write the output"
        _say(printable(f"{where}: {exc.strerror}"))
        return EXIT_USER_ERROR
    from appraisal.engines.memory import is_out_of_memory, out_of_memory  # imports no engine

    if is_out_of_memory(exc):  # the engine's, wherever it was not turned into a message before
        _say(printable(str(out_of_memory())))
        return EXIT_USER_ERROR
    detail = " ".join(f"{type(exc).__name__}: {exc}".split())
    hint = "" if debug else f"; set {DEBUG_ENV}=1 for the traceback"
    _say(printable(f"internal error: {detail} (please report{hint})"))
    return EXIT_INTERNAL_ERROR
