"""Named things that plugins register: functions, sources, and whatever hooks come next.

One mechanism so every register-callback hook behaves alike: a name registered twice is a
`PluginError` naming both plugins, and each entry remembers which plugin supplied it.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from appraisal.errors import DataError, PluginError
from appraisal.suggestions import suggest

if TYPE_CHECKING:
    import pluggy


class Named(Protocol):
    """What a registry holds: a dataclass (so the plugin can be recorded with `replace`) with a
    name and the plugin that supplied it; read-only, as the entries are frozen."""

    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    @property
    def name(self) -> str: ...

    @property
    def plugin(self) -> str: ...


T = TypeVar("T", bound=Named)
R = TypeVar("R", bound="Registry[Any]")


class Registry(Generic[T]):
    """Entries by name; `kind` is the word used in messages ("function", "source")."""

    kind: ClassVar[str] = "entry"

    def __init__(self, entries: Iterable[T] = ()) -> None:
        self._entries: dict[str, T] = {}
        for entry in entries:
            self.register(entry)

    def register(self, entry: T, *, plugin: str | None = None) -> None:
        """Add `entry`, recording which plugin supplied it."""
        if plugin is not None:
            entry = dataclasses.replace(entry, plugin=plugin)
        clash = self._entries.get(entry.name)
        if clash is not None:
            raise PluginError(
                f"{self.kind} '{entry.name}' is registered twice, by plugin "
                f"'{clash.plugin or 'unknown'}' and by plugin '{entry.plugin or 'unknown'}'; "
                "rename one of them or disable one plugin"
            )
        self._entries[entry.name] = entry

    def get(self, name: str) -> T | None:
        return self._entries.get(name)

    def require(self, name: str) -> T:
        """The entry called `name`; a `DataError` with a did-you-mean when there is none."""
        found = self._entries.get(name)
        if found is None:
            raise DataError(f"unknown {self.kind} '{name}'; {self.hint(name)}")
        return found

    def hint(self, name: str) -> str:
        """A did-you-mean, or the known names, for an unknown `name`."""
        near = suggest(name, self._entries)
        if near:
            return f"did you mean '{near}'?"
        if not self._entries:
            return f"no {self.kind} is registered; load the plugin that provides it (--plugins-dir, or install it)"
        return f"known {self.kind}s: {', '.join(self.names())}"

    def __getitem__(self, name: str) -> T:
        return self._entries[name]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[T]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        return sorted(self._entries)


def collect(manager: pluggy.PluginManager, hook: str, registry: R) -> R:
    """Call every plugin's `hook` with a `register` that knows the plugin's name.

    Calling the implementations one by one (rather than `manager.hook.<hook>(...)`) is what
    lets a clash name both plugins. Like pluggy, pass only the arguments an implementation names.
    """
    for impl in getattr(manager.hook, hook).get_hookimpls():

        def register(entry: Any, _plugin: str = impl.plugin_name) -> None:
            registry.register(entry, plugin=_plugin)

        impl.function(**{name: register for name in impl.argnames if name == "register"})
    return registry


def call_accepting(function: Callable[..., Any], offered: Mapping[str, Any], basics: tuple[str, ...]) -> Any:
    """Call a plugin's `function` with those of the `offered` keyword arguments it names.

    So the host can offer more over time without breaking plugins written earlier; a callable
    whose signature cannot be read gets the `basics`.
    """
    try:
        wanted: Iterable[str] = inspect.signature(function).parameters
    except (TypeError, ValueError):
        wanted = basics
    return function(**{name: value for name, value in offered.items() if name in wanted})
