"""The CLI shell: exit codes, help text, and messages without tracebacks."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest
import typer

from appraisal import __version__
from appraisal.cli import app
from appraisal.errors import DataError, Problem, SchemeError

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "schemes" / "agent.yaml"


def assert_no_traceback(text: str) -> None:
    assert "Traceback" not in text
    assert not any(line.lstrip().startswith('File "') for line in text.splitlines())


def fake_validation(monkeypatch: pytest.MonkeyPatch, load_schemes) -> None:  # type: ignore[no-untyped-def]
    """Stand in for `appraisal.scheme.validation`, so these tests exercise the shell, not the checks."""
    module = types.ModuleType("appraisal.scheme.validation")
    module.load_schemes = load_schemes  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "appraisal.scheme.validation", module)


def raising(exc: BaseException):  # type: ignore[no-untyped-def]
    def load_schemes(paths: list[Path], extensions: object = None, *, engine: str | None = None) -> list[object]:
        raise exc

    return load_schemes


# Files in the order the validator met them (the order given); lines unsorted within a file.
PROBLEMS = [
    Problem("a.yaml", 7, None, "grades", "grade bands overlap"),
    Problem("b.yaml", 3, 5, "indicators[0].weight", "expected a number, found 'ten'"),
    Problem("a.yaml", 2, 1, "", "unknown key 'sheme'; did you mean 'scheme'?"),
]


# --- version and help ------------------------------------------------------------------------


def test_version(run_cli) -> None:
    result = run_cli("--version")
    assert (result.exit_code, result.stdout) == (0, f"appraisal {__version__}\n")


def test_help_lists_commands_and_global_options(run_cli) -> None:
    result = run_cli("--help")
    assert result.exit_code == 0
    for word in ("plugins", "validate", "--plugins-dir", "--version"):
        assert word in result.stdout


def test_no_arguments_is_a_usage_error_that_shows_help(run_cli) -> None:
    result = run_cli()
    assert result.exit_code == 2
    assert result.stderr.startswith("Usage: appraisal")
    assert "Commands:" in result.stderr


def _commands(group: typer.main.TyperGroup, prefix: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name), command
        if hasattr(command, "commands"):
            yield from _commands(command, (*prefix, name))


COMMANDS = list(_commands(typer.main.get_command(app)))


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_command_help_mentions_its_arguments(run_cli, path: tuple[str, ...], command) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(*path, "--help")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"Usage: appraisal {' '.join(path)}")
    assert (command.help or "").strip(), "every command has a docstring"
    for param in command.params:
        if param.hidden:
            continue
        shown = (
            param.opts[0]
            if param.param_type_name == "option"
            else (param.metavar or param.name.upper())
        )
        assert shown in result.stdout, f"{shown} missing from `{' '.join(path)} --help`"


def test_validate_help_text(run_cli) -> None:
    out = run_cli("validate", "--help").stdout
    assert "SCHEME" in out and "--json" in out and "exits 1" in out


def test_plugins_help_text(run_cli) -> None:
    out = run_cli("plugins", "--help").stdout
    assert "--json" in out and "APPRAISAL_LOAD_PLUGINS" in out


# --- usage errors: exit 2 --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bogus"], "No such option: --bogus"),
        (["validate", "--bogus", "x.yaml"], "No such option: --bogus"),
        (["validate"], "Missing argument 'SCHEME...'"),
        (["frobnicate"], "No such command 'frobnicate'"),
        (["--plugins-dir", "/no/such/folder", "plugins"], "does not exist"),
    ],
)
def test_usage_errors_exit_2(run_cli, args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Usage: appraisal" in result.stderr
    assert_no_traceback(result.stderr)


def test_unknown_option_in_a_real_process(run_cli_subprocess) -> None:
    result = run_cli_subprocess("validate", "--frobnicate", str(SHIPPED))
    assert result.exit_code == 2
    assert "No such option: --frobnicate" in result.stderr
    assert_no_traceback(result.stderr)


# --- validate: the shell around appraisal.scheme.validation ----------------------------------------


def test_validate_reports_every_problem_then_a_count(
    run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_validation(monkeypatch, raising(SchemeError(PROBLEMS)))
    result = run_cli("validate", "a.yaml", "b.yaml")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "a.yaml:2:1: unknown key 'sheme'; did you mean 'scheme'?",
        "a.yaml:7: grades: grade bands overlap",
        "b.yaml:3:5: indicators[0].weight: expected a number, found 'ten'",
        "3 problems in 2 files",
    ]


def test_validate_one_problem_is_singular(run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_validation(monkeypatch, raising(SchemeError(PROBLEMS[:1])))
    assert run_cli("validate", "b.yaml").stderr.splitlines()[-1] == "1 problem in 1 file"


def test_validate_json_on_problems(run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_validation(monkeypatch, raising(SchemeError(PROBLEMS)))
    result = run_cli("validate", "--json", "a.yaml", "b.yaml")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report == {
        "ok": False,
        "problems": [p.as_dict() for p in sorted(PROBLEMS)],
        "schemes": [],
    }


def test_validate_ok_lines(run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    schemes = [
        types.SimpleNamespace(id="agent", source=Path("a.yaml"), indicators=(1, 2), roster=object()),
        types.SimpleNamespace(id="lead", source="b.yaml", indicators=(1,), roster=None),
    ]
    fake_validation(monkeypatch, lambda paths, extensions, engine=None: schemes)
    result = run_cli("validate", "a.yaml", "b.yaml")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        "ok: a.yaml (scheme agent, 2 indicators)",
        "ok: b.yaml (scheme lead, 1 indicator; no roster, which measure and run need)",
    ]
    report = json.loads(run_cli("validate", "--json", "a.yaml", "b.yaml").stdout)
    assert report == {
        "ok": True,
        "problems": [],
        "schemes": [
            {"file": "a.yaml", "id": "agent", "indicators": 2, "roster": True},
            {"file": "b.yaml", "id": "lead", "indicators": 1, "roster": False},
        ],
        "warnings": [],
    }


# --- the error funnel in main() --------------------------------------------------------------


def test_other_user_errors_are_their_message_and_exit_1(
    run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_validation(monkeypatch, raising(DataError("data/tickets.csv: file not found")))
    result = run_cli("validate", "a.yaml")
    assert (result.exit_code, result.stderr) == (1, "data/tickets.csv: file not found\n")


def test_unexpected_exception_is_one_line_exit_70(run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_validation(monkeypatch, raising(RuntimeError("boom\nsecond line")))
    result = run_cli("validate", "a.yaml")
    assert result.exit_code == 70
    assert result.stderr == (
        "internal error: RuntimeError: boom second line "
        "(please report; set APPRAISAL_DEBUG=1 for the traceback)\n"
    )


def test_debug_shows_the_traceback(run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_validation(monkeypatch, raising(RuntimeError("boom")))
    result = run_cli("validate", "a.yaml", env={"APPRAISAL_DEBUG": "1"})
    assert result.exit_code == 70
    assert "Traceback" in result.stderr
    assert result.stderr.endswith("internal error: RuntimeError: boom (please report)\n")


def test_keyboard_interrupt_exits_130(run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_validation(monkeypatch, raising(KeyboardInterrupt()))
    result = run_cli("validate", "a.yaml")
    assert result.exit_code == 130
    assert_no_traceback(result.stderr)


# --- the real pipeline -----------------------------------------------------------------------


def test_missing_file_is_exit_1_without_traceback(
    run_cli_subprocess, tmp_path: Path
) -> None:
    missing = tmp_path / "nope.yaml"
    result = run_cli_subprocess("validate", str(missing))
    assert result.exit_code == 1
    assert str(missing) in result.stderr
    assert result.stderr.splitlines()[-1] == "1 problem in 1 file"
    assert_no_traceback(result.stderr)


def test_shipped_scheme_is_valid(run_cli_subprocess) -> None:
    result = run_cli_subprocess("validate", "schemes/agent.yaml", cwd=ROOT)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("ok: schemes/agent.yaml (scheme ")
    assert_no_traceback(result.stderr)


def test_help_does_not_import_heavy_modules() -> None:
    """--help stays fast only while it imports nothing but Typer (bench/startup.py times it)."""
    import subprocess

    code = (
        "import sys\n"
        "from appraisal.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = {'rich', 'pydantic', 'duckdb', 'jsonschema', 'jinja2', 'yaml', 'pluggy',"
        " 'simpleeval', 'appraisal.scheme.validation', 'appraisal.plugins'}\n"
        "print(sorted(heavy & set(sys.modules)), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stderr.strip() == "[]"


# --- start-up: one command built, no pydantic --------------------------------------------------


def test_the_command_table_names_what_each_module_registers() -> None:
    """main() builds only the named command's module (cli.COMMANDS); the table must say right."""
    from appraisal import cli

    registered = {}
    for module in cli.COMMAND_MODULES:
        group = typer.main.get_command(cli.build_app([module]))
        registered.update({name: module for name in group.commands})
    assert registered == cli.COMMANDS


@pytest.mark.parametrize(
    "args",
    [[*path, "--help"] for path, _ in COMMANDS]
    + [["validate", "--bogus", "x.yaml"], ["validate"], ["measure", "x.yaml"], ["run", "--period"],
       ["--plugins-dir", "/no/such/folder", "plugins"], ["schemes", "frobnicate"]],
    ids=lambda args: " ".join(args),
)
def test_a_command_built_alone_behaves_as_in_the_whole_app(args: list[str]) -> None:
    from typer.testing import CliRunner

    from appraisal import cli

    def invoke(app: typer.Typer):  # type: ignore[no-untyped-def]
        result = CliRunner().invoke(app, args, prog_name="appraisal")
        return result.exit_code, result.stdout, result.stderr

    alone = cli._app_for(list(args))
    assert alone is not app and len(typer.main.get_command(alone).commands) < len(typer.main.get_command(app).commands)
    assert invoke(alone) == invoke(app)


def test_a_command_run_imports_neither_pydantic_nor_the_other_commands() -> None:
    """typer is pinned below 0.29, which coerces every option through pydantic (pyproject.toml)."""
    import subprocess

    code = (
        "import sys\n"
        "from appraisal.cli import main\n"
        "try:\n    main(['validate', 'schemes/agent.yaml'])\nexcept SystemExit as exit:\n    assert exit.code == 0\n"
        "loaded = {'pydantic', 'appraisal.cli.render_cmd', 'appraisal.cli.demo_cmd', 'appraisal.cli.measure_cmd'}\n"
        "print(sorted(loaded & set(sys.modules)), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60,
                          cwd=ROOT)
    assert proc.stderr.strip().splitlines()[-1] == "[]", proc.stderr
