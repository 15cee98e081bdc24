"""The plugin manager: what loads, in what order, and how a broken plugin is reported."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from appraisal import __version__, plugins
from appraisal.errors import PluginError

GOOD = """
from appraisal.hookspecs import hookimpl

__version__ = "2.0"

@hookimpl
def register_functions(register):
    pass
"""

MISSPELLED = """
from appraisal.hookspecs import hookimpl

@hookimpl
def register_functoins(register):
    pass
"""

UNKNOWN_HOOK_MESSAGE = (
    "plugin 'typo' implements unknown hook 'register_functoins'; "
    "known hooks: register_engines, register_functions, register_indicators, register_packs, register_sources"
)


def write_plugin(folder: Path, name: str, source: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def names(source: str | None = None) -> list[str]:
    return [p.name for p in plugins.list_plugins() if source is None or p.source == source]


def write_distribution(
    site: Path, module: str, source: str, *, entry_name: str, version: str
) -> None:
    """A minimal installed distribution on a sys.path entry: a module and its dist-info."""
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = site / f"{module}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[appraisal]\n{entry_name} = {module}\n")


# --- built-ins -------------------------------------------------------------------------------


def test_builtins_load_with_the_package_version() -> None:
    from appraisal.default_plugins import DEFAULT_PLUGINS

    infos = plugins.list_plugins()
    builtins = [p for p in infos if p.source == "builtin"]
    assert len(builtins) == len(DEFAULT_PLUGINS)
    assert all(p.version == __version__ for p in builtins)
    assert infos == builtins  # APPRAISAL_LOAD_PLUGINS="" in the suite: nothing else leaks in


def test_plugin_manager_is_cached_until_reset() -> None:
    pm = plugins.get_plugin_manager()
    assert plugins.get_plugin_manager() is pm
    plugins.reset()
    assert plugins.get_plugin_manager() is not pm


def test_hook_register_functions() -> None:
    """Every hook has a test named test_hook_<name> (checked by test_hookspecs_are_documented)."""
    registry = plugins.extensions().functions
    assert registry is plugins.extensions().functions


# --- entry points ----------------------------------------------------------------------------


def test_entry_point_plugin_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_distribution(tmp_path, "fake_appraisal_plugin", GOOD, entry_name="fake", version="1.2.3")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("APPRAISAL_LOAD_PLUGINS", "fake")

    (info,) = [p for p in plugins.list_plugins() if p.source == "entrypoint"]
    assert (info.name, info.version, info.hooks) == ("fake", "1.2.3", ("register_functions",))


def test_entry_point_that_fails_to_import_is_a_plugin_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_distribution(
        tmp_path, "broken_plugin", "import no_such_module\n", entry_name="broken", version="1"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("APPRAISAL_LOAD_PLUGINS", "broken")

    with pytest.raises(
        PluginError, match=r"^plugin 'broken' \(broken_plugin\) could not be loaded: "
    ):
        plugins.get_plugin_manager()


# --- local plugins ---------------------------------------------------------------------------


def test_local_plugin_loads_from_plugins_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_plugin(tmp_path, "mine", GOOD)
    write_plugin(tmp_path, "_helper", "raise RuntimeError('private helpers are not plugins')\n")
    monkeypatch.delenv("APPRAISAL_LOAD_PLUGINS")
    monkeypatch.setenv("APPRAISAL_PLUGINS_DIR", str(tmp_path))

    (info,) = [p for p in plugins.list_plugins() if p.source == "local"]
    assert (info.name, info.version, info.hooks) == ("mine", "2.0", ("register_functions",))


def test_local_plugin_without_version_is_local(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_plugin(tmp_path, "bare", "x = 1\n")
    monkeypatch.setenv("APPRAISAL_LOAD_PLUGINS", "bare")
    plugins.set_plugins_dir(tmp_path)

    (info,) = [p for p in plugins.list_plugins() if p.source == "local"]
    assert (info.name, info.version, info.hooks) == ("bare", "local", ())


def test_two_folders_with_a_same_named_plugin_do_not_share_a_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPRAISAL_LOAD_PLUGINS", "same")
    write_plugin(tmp_path / "a", "same", "__version__ = 'a'\n")
    write_plugin(tmp_path / "b", "same", "__version__ = 'b'\n")
    plugins.set_plugins_dir(tmp_path / "a")
    assert [p.version for p in plugins.list_plugins() if p.source == "local"] == ["a"]
    plugins.set_plugins_dir(tmp_path / "b")
    assert [p.version for p in plugins.list_plugins() if p.source == "local"] == ["b"]


def test_plugins_dir_from_env_must_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPRAISAL_PLUGINS_DIR", str(tmp_path / "nope"))
    with pytest.raises(PluginError, match="is not a folder"):
        plugins.get_plugin_manager()


def test_local_plugin_with_syntax_error_names_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_plugin(tmp_path, "broken", "x = 1\ndef oops(:\n")
    monkeypatch.delenv("APPRAISAL_LOAD_PLUGINS")
    plugins.set_plugins_dir(tmp_path)
    with pytest.raises(PluginError) as info:
        plugins.get_plugin_manager()
    assert str(info.value).startswith(
        f"plugin 'broken' could not be loaded: {path}:2: syntax error: "
    )


def test_local_plugin_with_import_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_plugin(tmp_path, "needy", "import no_such_module_anywhere\n")
    monkeypatch.delenv("APPRAISAL_LOAD_PLUGINS")
    plugins.set_plugins_dir(tmp_path)
    with pytest.raises(
        PluginError, match="ModuleNotFoundError: No module named 'no_such_module_anywhere'"
    ):
        plugins.get_plugin_manager()


# --- APPRAISAL_LOAD_PLUGINS ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, ["one", "two"]), ("two", ["two"]), (" one , two ", ["one", "two"]), ("", [])],
)
def test_load_plugins_env_restricts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str | None, expected: list[str]
) -> None:
    write_plugin(tmp_path, "one", GOOD)
    write_plugin(tmp_path, "two", GOOD)
    if value is None:
        monkeypatch.delenv("APPRAISAL_LOAD_PLUGINS")
    else:
        monkeypatch.setenv("APPRAISAL_LOAD_PLUGINS", value)
    plugins.set_plugins_dir(tmp_path)
    assert names("local") == expected


def test_load_plugins_env_naming_a_missing_plugin_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_plugin(tmp_path, "one", GOOD)
    monkeypatch.setenv("APPRAISAL_LOAD_PLUGINS", "one,onee")
    plugins.set_plugins_dir(tmp_path)
    with pytest.raises(PluginError, match=r"not installed: onee; available: .*\bone\b"):
        plugins.get_plugin_manager()


def test_a_restricted_plugin_is_not_even_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_plugin(tmp_path, "explodes", "raise RuntimeError('imported')\n")
    monkeypatch.setenv("APPRAISAL_LOAD_PLUGINS", "")
    plugins.set_plugins_dir(tmp_path)
    assert names("local") == []


# --- broken contracts ------------------------------------------------------------------------


def test_misspelled_hook_fails_loudly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_plugin(tmp_path, "typo", MISSPELLED)
    monkeypatch.setenv("APPRAISAL_LOAD_PLUGINS", "typo")
    plugins.set_plugins_dir(tmp_path)
    with pytest.raises(PluginError) as info:
        plugins.get_plugin_manager()
    assert str(info.value) == UNKNOWN_HOOK_MESSAGE


def test_misspelled_hook_from_the_cli_is_exit_1_without_traceback(
    tmp_path: Path, run_cli, run_cli_subprocess
) -> None:
    write_plugin(tmp_path, "typo", MISSPELLED)
    env = {"APPRAISAL_LOAD_PLUGINS": "typo"}
    for run in (run_cli, run_cli_subprocess):
        result = run("--plugins-dir", str(tmp_path), "plugins", env=env)
        assert (result.exit_code, result.stdout, result.stderr) == (
            1,
            "",
            UNKNOWN_HOOK_MESSAGE + "\n",
        )


def test_optional_hook_with_unknown_name_is_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_plugin(
        tmp_path,
        "future",
        """
        from appraisal.hookspecs import hookimpl

        @hookimpl(optionalhook=True)
        def register_someday(register):
            pass
        """,
    )
    monkeypatch.setenv("APPRAISAL_LOAD_PLUGINS", "future")
    plugins.set_plugins_dir(tmp_path)
    assert names("local") == ["future"]


def test_hook_with_an_argument_the_spec_lacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_plugin(
        tmp_path,
        "greedy",
        """
        from appraisal.hookspecs import hookimpl

        @hookimpl
        def register_functions(register, scheme):
            pass
        """,
    )
    monkeypatch.setenv("APPRAISAL_LOAD_PLUGINS", "greedy")
    plugins.set_plugins_dir(tmp_path)
    with pytest.raises(PluginError, match=r"^plugin 'greedy' breaks the hook contract: .*scheme"):
        plugins.get_plugin_manager()


def test_two_plugins_with_the_same_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_distribution(tmp_path / "site", "dup_plugin", GOOD, entry_name="dup", version="1")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    write_plugin(tmp_path / "local", "dup", GOOD)
    monkeypatch.setenv("APPRAISAL_LOAD_PLUGINS", "dup")
    plugins.set_plugins_dir(tmp_path / "local")
    with pytest.raises(PluginError, match=r"two plugins are named 'dup' \(entrypoint and local\)"):
        plugins.get_plugin_manager()


# --- the listing command ---------------------------------------------------------------------


def test_plugins_json_lists_name_version_hooks(tmp_path: Path, run_cli) -> None:
    write_plugin(tmp_path, "mine", GOOD)
    result = run_cli(
        "--plugins-dir", str(tmp_path), "plugins", "--json", env={"APPRAISAL_LOAD_PLUGINS": "mine"}
    )
    assert result.exit_code == 0, result.stderr
    listed = json.loads(result.stdout)
    assert {
        "name": "mine",
        "version": "2.0",
        "hooks": ["register_functions"],
        "source": "local",
    } in listed
    assert all(set(entry) == {"name", "version", "hooks", "source"} for entry in listed)


def test_plugins_table(tmp_path: Path, run_cli) -> None:
    write_plugin(tmp_path, "mine", GOOD)
    result = run_cli(
        "--plugins-dir", str(tmp_path), "plugins", env={"APPRAISAL_LOAD_PLUGINS": "mine"}
    )
    assert result.exit_code == 0, result.stderr
    header, *rows = result.stdout.split("\n\n")[0].splitlines()
    assert header.split() == ["NAME", "VERSION", "SOURCE", "HOOKS"]
    assert rows[-1].split() == ["mine", "2.0", "local", "register_functions"]


def test_plugins_table_lists_the_engines(run_cli) -> None:
    result = run_cli("plugins")
    assert result.exit_code == 0, result.stderr
    header, *rows = result.stdout.split("\n\n")[1].splitlines()
    assert header.split() == ["ENGINE", "PLUGIN", "NEEDS", "WHAT"]
    engines = {row.split()[0]: row for row in rows}
    assert engines["duckdb"].split()[1] == "(embedded)"
    assert engines["postgres"].split()[1] == "appraisal.default_plugins.engines"
    assert "appraisal[postgres]" in engines["postgres"]


# --- clashes ---------------------------------------------------------------------------------

REGISTERS_TWICE = """
from appraisal.expressions.functions import Function
from appraisal.hookspecs import hookimpl

@hookimpl
def register_functions(register):
    one = Function(name="twice", min_args=0, max_args=0, python=int, sql=lambda a, d: "1", doc="")
    register(one)
"""


def test_two_plugins_registering_the_same_function_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_plugin(tmp_path, "first", REGISTERS_TWICE)
    write_plugin(tmp_path, "second", REGISTERS_TWICE)
    monkeypatch.delenv("APPRAISAL_LOAD_PLUGINS")
    plugins.set_plugins_dir(tmp_path)
    with pytest.raises(PluginError) as info:
        _ = plugins.extensions().functions
    assert str(info.value).startswith(
        "function 'twice' is registered twice, by plugin 'first' and by plugin 'second'"
    )


# --- documentation ---------------------------------------------------------------------------

DOCS = Path(__file__).resolve().parent.parent / "docs" / "plugins.md"


def hookspec_names() -> list[str]:
    from appraisal import hookspecs

    return sorted(
        name
        for name, value in vars(hookspecs).items()
        if callable(value) and hasattr(value, "appraisal_spec")
    )


def test_there_are_hookspecs() -> None:
    assert hookspec_names()


@pytest.mark.parametrize("hook", hookspec_names())
def test_hookspec_is_documented_and_tested(hook: str) -> None:
    from appraisal import hookspecs

    assert (getattr(hookspecs, hook).__doc__ or "").strip(), f"hookspec {hook} has no docstring"
    assert f"`{hook}" in DOCS.read_text(encoding="utf-8"), (
        f"docs/plugins.md does not mention {hook}"
    )
    tests = Path(__file__).parent.glob("test_*.py")
    assert any(f"def test_hook_{hook}(" in path.read_text(encoding="utf-8") for path in tests), (
        f"no test named test_hook_{hook} in tests/"
    )


def docs_example() -> str:
    text = DOCS.read_text(encoding="utf-8")
    start = text.index("```python\n") + len("```python\n")
    return text[start : text.index("```", start)]


def test_docs_example_plugin_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "percent.py").write_text(docs_example(), encoding="utf-8")
    monkeypatch.setenv("APPRAISAL_LOAD_PLUGINS", "percent")
    plugins.set_plugins_dir(tmp_path)

    assert ("percent", "1.0", ("register_functions",), "local") in [
        (p.name, p.version, p.hooks, p.source) for p in plugins.list_plugins()
    ]
    function = plugins.extensions().functions["percent"]
    assert function.plugin == "percent"
    assert function.python(1, 4) == 25.0
    assert function.python(1, 0) is None
    assert function.sql(["a", "b"], None) == "(100.0 * (a) / NULLIF(b, 0))"


def test_docs_example_extends_the_expression_language_of_validate(
    tmp_path: Path, run_cli_subprocess
) -> None:
    """End to end: a formula calling `percent` is refused without the plugin, accepted with it."""
    shipped = (Path(__file__).resolve().parent.parent / "schemes" / "agent.yaml").read_text(
        encoding="utf-8"
    )
    assert 'of: "' in shipped, "the shipped scheme has no measure expression to extend"
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text(shipped.replace('of: "', 'of: "percent(1, 2) + ', 1), encoding="utf-8")
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "percent.py").write_text(docs_example(), encoding="utf-8")

    without = run_cli_subprocess("validate", str(scheme))
    assert without.exit_code == 1
    assert "unknown function 'percent'" in without.stderr

    env = {"APPRAISAL_LOAD_PLUGINS": "percent"}
    with_plugin = run_cli_subprocess("--plugins-dir", str(folder), "validate", str(scheme), env=env)
    assert with_plugin.exit_code == 0, with_plugin.stderr
    assert with_plugin.stdout.startswith(f"ok: {scheme} (scheme ")


def test_plugin_error_stops_validate_too(tmp_path: Path, run_cli_subprocess) -> None:
    write_plugin(tmp_path, "typo", MISSPELLED)
    env = {"APPRAISAL_LOAD_PLUGINS": "typo", "APPRAISAL_PLUGINS_DIR": str(tmp_path)}
    result = run_cli_subprocess("validate", "schemes/agent.yaml", env=env)
    assert (result.exit_code, result.stderr) == (1, UNKNOWN_HOOK_MESSAGE + "\n")
