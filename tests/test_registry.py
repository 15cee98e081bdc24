"""The one registry mechanism behind every register-callback hook."""

from __future__ import annotations

from dataclasses import dataclass

import pluggy
import pytest

from appraisal import hookspecs
from appraisal.errors import PluginError
from appraisal.hookspecs import hookimpl
from appraisal.registry import Registry, collect


@dataclass(frozen=True)
class Thing:
    name: str
    plugin: str = ""


class Things(Registry[Thing]):
    kind = "thing"


def manager(*plugins: object) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("appraisal")
    pm.add_hookspecs(hookspecs)
    for n, plugin in enumerate(plugins):
        pm.register(plugin, name=f"p{n}")
    return pm


class Registers:
    def __init__(self, *names: str):
        self.names = names

    @hookimpl
    def register_functions(self, register):
        for name in self.names:
            register(Thing(name))


class TakesNothing:
    @hookimpl
    def register_functions(self):
        """A hook may accept fewer arguments than the spec, as in pluggy."""


def test_entries_remember_the_plugin_that_registered_them():
    registry = collect(manager(Registers("a")), "register_functions", Things())
    assert registry["a"].plugin == "p0"


def test_a_name_registered_twice_names_both_plugins():
    with pytest.raises(PluginError, match="thing 'a' is registered twice, by plugin 'p0' and by plugin 'p1'"):
        collect(manager(Registers("a"), Registers("a")), "register_functions", Things())


def test_an_implementation_taking_no_arguments_is_called_without_them():
    assert len(collect(manager(TakesNothing(), Registers("b")), "register_functions", Things())) == 1


def test_hint_suggests_a_close_name_or_lists_the_known_ones():
    registry = Things([Thing("median"), Thing("mean")])
    assert registry.hint("medain") == "did you mean 'median'?"
    assert registry.hint("zzz") == "known things: mean, median"
