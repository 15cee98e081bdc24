"""Fixtures for testing appraisal plugins and scheme packs: a pytest plugin.

Installing appraisal registers this module with pytest (entry point `pytest11`), so a plugin's
tests get the fixtures without copying a conftest.py:

- `appraisal_plugins`: an isolated plugin manager. Only the built-ins and the plugins the test
  names load, never whatever else is installed on the machine: name them with the marker
  `@pytest.mark.appraisal_plugins("mine", plugins_dir=...)`, or call `.load(...)` in the test.
  `.functions`, `.sources`, `.indicators`, `.packs` and `.plugins` show what loaded.
- `run_cli`: runs `appraisal ARGS...` in-process, returning `CliResult(exit_code, stdout, stderr)`.
- `write_scheme`: writes a scheme and its data files (text, rows, copies) into `tmp_path`.

A module marked `pytestmark = pytest.mark.appraisal_plugins("mine")` gets the isolation in every
test, whether the test asks for the fixture or not; an unmarked test that asks for it gets the
built-ins alone. Tests that do neither are left as they are: installing appraisal changes nothing
in other projects' tests. docs/plugins.md shows a complete example.
"""

from __future__ import annotations

import csv
import io
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from typer.testing import CliRunner

from appraisal import plugins
from appraisal.cli import main

if TYPE_CHECKING:
    from appraisal.engines.sources import SourceRegistry
    from appraisal.expressions.functions import FunctionRegistry
    from appraisal.measuring.custom import CustomIndicatorRegistry
    from appraisal.plugins import Extensions, PluginInfo
    from appraisal.scheme.packs import PackRegistry

__all__ = ["CliResult", "IsolatedPlugins", "RunCli", "SchemeWriter"]

MARKER = "appraisal_plugins"
CACHE_DIR_ENV = "APPRAISAL_CACHE_DIR"

# What `write_scheme` accepts for one file: text (dedented), bytes, a file to copy, or CSV rows
# (the first row is the header; None is an empty cell).
FileContent = str | bytes | Path | Sequence[Sequence[object]]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*names, plugins_dir=None): load only appraisal's built-ins and these plugins "
        "(installed ones by entry-point name, local ones from plugins_dir); see appraisal.testing",
    )


# --- the isolated plugin manager ----------------------------------------------------------------


class IsolatedPlugins:
    """The plugins of one test: the built-ins and the ones it names, loaded afresh.

    It sets what the CLI reads (`APPRAISAL_LOAD_PLUGINS`, `--plugins-dir`), so a command run
    with `run_cli` loads the same plugins as the Python API; the environment is restored after
    the test. Loading is lazy: a plugin that cannot load fails where it is first used, with the
    message a user would see.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._monkeypatch = monkeypatch
        self.names: tuple[str, ...] = ()
        self.plugins_dir: Path | None = None

    def load(self, *names: str, plugins_dir: Path | str | None = None) -> IsolatedPlugins:
        """Load the built-ins and `names` (none: the built-ins alone), forgetting what was loaded."""
        self._monkeypatch.setenv(plugins.LOAD_ENV, ",".join(names))
        self._monkeypatch.delenv(plugins.DIR_ENV, raising=False)
        self.names = names
        self.plugins_dir = Path(plugins_dir) if plugins_dir is not None else None
        plugins.set_plugins_dir(self.plugins_dir)  # also forgets the plugins loaded so far
        return self

    @property
    def extensions(self) -> Extensions:
        """The loaded plugins' extensions as one value, as a stage is handed them."""
        return plugins.extensions()

    @property
    def functions(self) -> FunctionRegistry:
        return self.extensions.functions

    @property
    def sources(self) -> SourceRegistry:
        return self.extensions.sources

    @property
    def indicators(self) -> CustomIndicatorRegistry:
        return self.extensions.indicators

    @property
    def packs(self) -> PackRegistry:
        return self.extensions.packs

    @property
    def plugins(self) -> list[PluginInfo]:
        """Every loaded plugin, built-ins first, as `appraisal plugins` lists them."""
        return plugins.list_plugins()


@pytest.fixture(scope="session")
def _appraisal_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The validation cache (and run store) of the session: tests never write the user's ~/.cache
    or working folder."""
    return tmp_path_factory.mktemp("appraisal-cache")


@pytest.fixture
def appraisal_plugins(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, _appraisal_cache_dir: Path
) -> Iterator[IsolatedPlugins]:
    """The built-ins plus the plugins of the test's `appraisal_plugins` marker, nothing else."""
    marker = request.node.get_closest_marker(MARKER)
    names = tuple(marker.args) if marker else ()
    plugins_dir = marker.kwargs.get("plugins_dir") if marker else None
    monkeypatch.setenv(CACHE_DIR_ENV, str(_appraisal_cache_dir))
    # runs keep to a store of the session, not the working folder's (appraisal.store.runs.STORE_ENV;
    # named here as text: the store's modules load Arrow, which pytest's start-up need not)
    monkeypatch.setenv("APPRAISAL_STORE", str(_appraisal_cache_dir / "runs.sqlite"))
    yield IsolatedPlugins(monkeypatch).load(*names, plugins_dir=plugins_dir)
    plugins.set_plugins_dir(None)


@pytest.fixture(autouse=True)
def _appraisal_plugins_marker(request: pytest.FixtureRequest) -> None:
    """A test marked `appraisal_plugins` is isolated even when it does not ask for the fixture."""
    if request.node.get_closest_marker(MARKER) is not None:
        request.getfixturevalue("appraisal_plugins")


# --- running the command --------------------------------------------------------------------------


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


RunCli = Callable[..., CliResult]


@pytest.fixture
def run_cli() -> RunCli:
    """Run `appraisal ARGS...` in-process through its `main()`, so its error handling is exercised.

    stdout and stderr are kept apart; `env` sets (or, with None, removes) environment variables
    for this run alone. The exit code is what the process would exit with.
    """

    def run(*args: str, env: Mapping[str, str | None] | None = None) -> CliResult:
        with CliRunner().isolation(env=env) as (stdout, stderr, _output):
            try:
                main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            else:  # pragma: no cover - main always exits
                code = 0
            sys.stdout.flush()
            sys.stderr.flush()
            out, err = stdout.getvalue(), stderr.getvalue()
        return CliResult(code, out.decode(), err.decode("utf-8", "replace"))

    return run


# --- schemes and data ---------------------------------------------------------------------------


class SchemeWriter:
    """Writes a scheme and the files it reads into one folder; see `__call__`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __call__(
        self, scheme: str | Path | Mapping[str, Any], files: Mapping[str, FileContent] | None = None,
        *, name: str = "scheme.yaml",
    ) -> Path:
        """Write `scheme` (YAML text, dedented; a mapping; a `Path` to copy) as `name`, and `files` beside it.

        `files` maps a path relative to the folder (`tickets.csv`, `data/roster.csv`) to its
        content: text (dedented), bytes (as they are), a `Path` (copied) or CSV rows. Returns
        the scheme's path, ready for `run_cli("validate", str(path))` or `load_scheme(path)`.
        """
        for relative, content in (files or {}).items():
            self._write(self._inside(relative), content)
        path = self._inside(name)
        if isinstance(scheme, str | Path):
            self._write(path, scheme)
        else:
            self._write(path, str(yaml.safe_dump(dict(scheme), sort_keys=False, allow_unicode=True)))
        return path

    def _inside(self, relative: str) -> Path:
        path = self.folder / relative
        if Path(relative).is_absolute() or ".." in Path(relative).parts:
            raise ValueError(f"write_scheme writes inside {self.folder}; {relative!r} is not a relative path below it")
        return path

    @staticmethod
    def _write(path: Path, content: FileContent) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
        elif isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, Path):
            shutil.copyfile(content, path)
        else:
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerows(["" if cell is None else cell for cell in row] for row in content)
            path.write_text(buffer.getvalue(), encoding="utf-8")


@pytest.fixture
def write_scheme(tmp_path: Path) -> SchemeWriter:
    """Write a small scheme and its data into the test's `tmp_path` (`write_scheme.folder`)."""
    return SchemeWriter(tmp_path)
