"""One plugin manager and the rules for what it loads.

Order: the built-ins (`default_plugins.DEFAULT_PLUGINS`), then installed packages (entry-point
group `appraisal`), then local `*.py` files from a plugins folder. `APPRAISAL_LOAD_PLUGINS`
restricts the installed and local ones (unset: all; `a,b`: only those; empty: none), so a
test run or a reproducible appraisal is not changed by whatever happens to be installed.

A plugin that cannot be loaded, or that implements a hook we do not know, is a `PluginError`
with a plain message: a misspelled hook would otherwise be ignored and a scheme would run
without the function the author thinks is there.

What the plugins bring reaches the stages as one value, `Extensions` (functions, sources,
custom indicators, packs, plugin info): `extensions()` gives the loaded one to the outer edge
(the CLI, `appraisal.pipeline`), which passes it on; no stage calls this module.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Literal

import pluggy

from appraisal import __version__, hookspecs
from appraisal.default_plugins import DEFAULT_PLUGINS
from appraisal.engines.remote import EngineRegistry, collect_engines
from appraisal.engines.sources import SourceRegistry, collect_sources
from appraisal.errors import PluginError
from appraisal.expressions.functions import FunctionRegistry, collect_functions
from appraisal.measuring.custom import CustomIndicatorRegistry, collect_indicators
from appraisal.scheme.packs import PackRegistry, collect_packs

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

ENTRY_POINT_GROUP = "appraisal"
LOAD_ENV = "APPRAISAL_LOAD_PLUGINS"
DIR_ENV = "APPRAISAL_PLUGINS_DIR"

Source = Literal["builtin", "entrypoint", "local"]


@dataclass(frozen=True)
class PluginInfo:
    """What `appraisal plugins` shows, and what a result records as evidence."""

    name: str
    version: str
    hooks: tuple[str, ...]
    source: Source

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "version": self.version,
            "hooks": list(self.hooks),
            "source": self.source,
        }


class Extensions:
    """What the loaded plugins bring, as one value: expression functions, data sources, custom
    indicators, scheme packs, and the plugins themselves (name, version, origin, hooks).

    Built once per command at the outer edge (the CLI, `appraisal.pipeline`'s public functions)
    and handed to every stage that needs a part of it, so no stage reaches for the global plugin
    manager, and a test can hand a stage exactly the extensions it means. Each part is collected
    from the plugins the first time it is asked for: a command pays only for what it reads, and a
    plugin that fails to load is reported where its part is first needed (after a scheme's schema
    problems, as `validate` promises). Once collected, a part does not change.
    """

    def __init__(self, load: Callable[[], tuple[pluggy.PluginManager, Sequence[PluginInfo]]]) -> None:
        self._load = load

    @cached_property
    def _loaded(self) -> tuple[pluggy.PluginManager, tuple[PluginInfo, ...]]:
        manager, infos = self._load()
        return manager, tuple(infos)

    @cached_property
    def plugins(self) -> tuple[PluginInfo, ...]:
        """Every loaded plugin in load order, with its version and the hooks it implements."""
        return self._loaded[1]

    @cached_property
    def functions(self) -> FunctionRegistry:
        """The expression functions of all loaded plugins; a name registered twice is an error."""
        return collect_functions(self._loaded[0])

    @cached_property
    def sources(self) -> SourceRegistry:
        """The source readers of all loaded plugins; a name registered twice is an error."""
        return collect_sources(self._loaded[0])

    @cached_property
    def engines(self) -> EngineRegistry:
        """The engines of all loaded plugins (beyond the embedded DuckDB); a name registered twice is an error."""
        return collect_engines(self._loaded[0])

    @cached_property
    def indicators(self) -> CustomIndicatorRegistry:
        """The custom indicators of all loaded plugins; a name registered twice is an error."""
        return collect_indicators(self._loaded[0])

    @cached_property
    def packs(self) -> PackRegistry:
        """The scheme packs of all loaded plugins, the built-in one included."""
        return collect_packs(self._loaded[0])


_pm: pluggy.PluginManager | None = None
_extensions: Extensions | None = None
_plugins_dir: Path | None = None
# name -> (version, source); pluggy knows names and hooks but not where a plugin came from.
_origins: dict[str, tuple[str, Source]] = {}


def set_plugins_dir(path: Path | None) -> None:
    """Point local-plugin loading at `path` (the CLI's `--plugins-dir`); overrides the env var."""
    global _plugins_dir
    _plugins_dir = path
    reset()


def reset() -> None:
    """Forget the loaded plugins, so the next call loads afresh (tests; a changed plugins dir)."""
    global _pm, _extensions
    _pm = None
    _extensions = None
    _origins.clear()


def extensions() -> Extensions:
    """The extensions of the plugins this process loads (the same value until `reset`): what the
    outer edge hands to the stages."""
    global _extensions
    if _extensions is None:
        _extensions = Extensions(lambda: (get_plugin_manager(), list_plugins()))
    return _extensions


def get_plugin_manager() -> pluggy.PluginManager:
    """The one plugin manager, loaded on first use."""
    global _pm
    if _pm is None:
        pm = pluggy.PluginManager("appraisal")
        pm.add_hookspecs(hookspecs)
        try:
            _load_all(pm)
        except BaseException:
            _origins.clear()
            raise
        _pm = pm
    return _pm


def list_plugins() -> list[PluginInfo]:
    """Every loaded plugin in load order, with its version and the hooks it implements."""
    pm = get_plugin_manager()
    infos = []
    for name, (version, source) in _origins.items():
        plugin = pm.get_plugin(name)
        hooks = tuple(sorted(caller.name for caller in pm.get_hookcallers(plugin) or ()))
        infos.append(PluginInfo(name, version, hooks, source))
    return infos


def default_functions() -> FunctionRegistry:
    """The built-in functions only, for tests and tools that run without third-party plugins."""
    manager = pluggy.PluginManager("appraisal")
    manager.add_hookspecs(hookspecs)
    module_name = "appraisal.default_plugins.functions"
    manager.register(importlib.import_module(module_name), name=module_name)
    return collect_functions(manager)


# --- loading ---------------------------------------------------------------------------------


def _load_all(pm: pluggy.PluginManager) -> None:
    for module_name in DEFAULT_PLUGINS:
        qualified = (
            module_name if "." in module_name else f"appraisal.default_plugins.{module_name}"
        )
        _register(pm, importlib.import_module(qualified), qualified, __version__, "builtin")

    wanted = _wanted()
    found = set(_origins)  # naming a built-in is allowed, if pointless
    for ep in _entry_points():
        found.add(ep.name)
        if wanted is None or ep.name in wanted:
            version = ep.dist.version if ep.dist is not None else "unknown"
            _register(pm, _load_entry_point(ep), ep.name, version, "entrypoint")
    for path in _local_files():
        found.add(path.stem)
        if wanted is None or path.stem in wanted:
            module = _import_file(path)
            _register(pm, module, path.stem, str(getattr(module, "__version__", "local")), "local")

    missing = sorted((wanted or set()) - found)
    if missing:
        raise PluginError(
            f"{LOAD_ENV} names plugin(s) that are not installed: {', '.join(missing)}"
            f"; available: {', '.join(sorted(found)) or 'none'}"
        )
    _check_hooks(pm)


def _wanted() -> set[str] | None:
    """None means every plugin; an empty set means only the built-ins."""
    value = os.environ.get(LOAD_ENV)
    if value is None:
        return None
    return {part.strip() for part in value.split(",") if part.strip()}


def _entry_points() -> list[EntryPoint]:
    """Installed plugins; when a name is installed twice (two paths on sys.path), the first wins."""
    unique: dict[str, EntryPoint] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        unique.setdefault(ep.name, ep)
    return list(unique.values())


def _load_entry_point(ep: EntryPoint) -> object:
    try:
        return ep.load()
    except Exception as exc:
        raise PluginError(
            f"plugin {ep.name!r} ({ep.value}) could not be loaded: {type(exc).__name__}: {exc}"
        ) from exc


def _plugins_folder() -> Path | None:
    if _plugins_dir is not None:
        return _plugins_dir
    value = os.environ.get(DIR_ENV)
    if not value:
        return None
    folder = Path(value)
    if not folder.is_dir():
        raise PluginError(f"plugins folder {value!r} (from {DIR_ENV}) is not a folder")
    return folder


def _local_files() -> list[Path]:
    """`*.py` files of the plugins folder, by name; `_private.py` helpers are not plugins."""
    folder = _plugins_folder()
    if folder is None:
        return []
    return sorted(p for p in folder.glob("*.py") if not p.name.startswith("_"))


def _import_file(path: Path) -> ModuleType:
    """Import one local plugin under a module name no other file can share."""
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
    module_name = f"appraisal_local_plugin_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise PluginError(f"plugin {path.stem!r} ({path}) could not be loaded")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look modules up here
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        del sys.modules[module_name]
        raise PluginError(
            f"plugin {path.stem!r} could not be loaded: "
            f"{path}:{exc.lineno}: syntax error: {exc.msg}"
        ) from exc
    except Exception as exc:
        del sys.modules[module_name]
        raise PluginError(
            f"plugin {path.stem!r} ({path}) could not be loaded: {type(exc).__name__}: {exc}"
        ) from exc
    return module


def _register(
    pm: pluggy.PluginManager, plugin: object, name: str, version: str, source: Source
) -> None:
    if name in _origins:
        raise PluginError(
            f"two plugins are named {name!r} ({_origins[name][1]} and {source}); rename one"
        )
    try:
        pm.register(plugin, name=name)
    except pluggy.PluginValidationError as exc:
        detail = " ".join(str(exc).split())
        raise PluginError(f"plugin {name!r} breaks the hook contract: {detail}") from exc
    except ValueError as exc:  # the same module object registered under two names
        raise PluginError(f"plugin {name!r} cannot be registered: {exc}") from exc
    _origins[name] = (version, source)


def _check_hooks(pm: pluggy.PluginManager) -> None:
    """Fail on a hook no spec declares, naming the plugin (pluggy's own message shows a repr)."""
    callers = {
        name: caller
        for name, caller in vars(pm.hook).items()
        if isinstance(caller, pluggy.HookCaller)
    }
    known = ", ".join(sorted(name for name, caller in callers.items() if caller.has_spec()))
    for hook_name, caller in sorted(callers.items()):
        if caller.has_spec():
            continue
        for impl in caller.get_hookimpls():
            if not impl.optionalhook:
                raise PluginError(
                    f"plugin {impl.plugin_name!r} implements unknown hook {hook_name!r}; "
                    f"known hooks: {known}"
                )
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:  # a backstop: the loop above should catch it
        raise PluginError(" ".join(str(exc).split())) from exc
