"""appraisal: performance-appraisal schemes in YAML, checked, computed in DuckDB, explained.

This module is the public API: what a plugin, a scheme pack or a script imports, as
`from appraisal import hookimpl, Function, load_scheme, run`. The modules behind it are
organised by pipeline stage and may move between releases; these names stay. docs/plugins.md
lists them, one line each.

Every `appraisal` command imports this package first, so it imports nothing itself: a name is
imported from its module on first use (PEP 562 `__getattr__`), and `appraisal --help` does not
pay for DuckDB, jsonschema or Jinja. The `TYPE_CHECKING` block shows the same names to type
checkers and editors; tests/test_public_api.py keeps it, `__all__` and `_EXPORTS` in step.
"""

from __future__ import annotations

# typing.TYPE_CHECKING without importing typing, which `import appraisal` need not pay for;
# type checkers treat any `TYPE_CHECKING` alike.
TYPE_CHECKING = False

__version__ = "0.1.0"

# Public name -> (module, attribute). Grouped as docs/plugins.md groups them.
_EXPORTS: dict[str, tuple[str, str]] = {
    # writing a plugin: the hook marker, what the hooks register, and what they are handed
    "hookimpl": ("appraisal.hookspecs", "hookimpl"),
    "Function": ("appraisal.expressions.functions", "Function"),
    "Dialect": ("appraisal.sql.dialect", "Dialect"),
    "SourceReader": ("appraisal.engines.sources", "SourceReader"),
    "Source": ("appraisal.scheme.model", "Source"),
    "CustomIndicator": ("appraisal.measuring.custom", "CustomIndicator"),
    "RosterTable": ("appraisal.measuring.custom", "RosterTable"),
    "EngineSession": ("appraisal.measuring.custom", "EngineSession"),
    "ANY_ENGINE": ("appraisal.measuring.custom", "ANY_ENGINE"),
    "Pack": ("appraisal.scheme.packs", "Pack"),
    # helpers for the SQL a plugin writes, and periods
    "quote_identifier": ("appraisal.sql.dialect", "quote_identifier"),
    "inline_literal": ("appraisal.sql.dialect", "inline_literal"),
    "Period": ("appraisal.periods", "Period"),
    "parse_period": ("appraisal.periods", "parse_period"),
    "sql_window": ("appraisal.periods", "sql_window"),
    "generate_demo": ("appraisal.demo.agent", "generate"),
    # errors: every one a user can cause is an AppraisalError
    "AppraisalError": ("appraisal.errors", "AppraisalError"),
    "SchemeError": ("appraisal.errors", "SchemeError"),
    "Problem": ("appraisal.errors", "Problem"),
    "ExpressionError": ("appraisal.errors", "ExpressionError"),
    "DataError": ("appraisal.errors", "DataError"),
    "PluginError": ("appraisal.errors", "PluginError"),
    "PeriodError": ("appraisal.periods", "PeriodError"),
    "QualityBreach": ("appraisal.measuring.quality", "QualityBreach"),
    # the Python API behind the commands
    "load_scheme": ("appraisal.pipeline", "load_scheme"),
    "Scheme": ("appraisal.scheme.model", "Scheme"),
    "find_scheme": ("appraisal.pipeline", "find_scheme"),
    "measure": ("appraisal.pipeline", "measure"),
    "Measurements": ("appraisal.measuring.measurements", "Measurements"),
    "run": ("appraisal.pipeline", "run"),
    "row_evidence": ("appraisal.pipeline", "row_evidence"),
    "Extensions": ("appraisal.plugins", "Extensions"),
    "Result": ("appraisal.results.result", "Result"),
    "load_run": ("appraisal.results.storing", "load_run"),
    "write_run": ("appraisal.results.storing", "write_run"),
    "explain": ("appraisal.pipeline", "explain"),
    "render_result": ("appraisal.outputs", "render_result"),
    "render_report": ("appraisal.outputs", "render_report"),
    "write_workbook": ("appraisal.rendering.excel", "write_workbook"),
    "render_form": ("appraisal.outputs", "render_form"),
    "form_context": ("appraisal.rendering.forms", "form_context"),
    "template_environment": ("appraisal.outputs", "template_environment"),
}

__all__ = [
    "ANY_ENGINE",
    "AppraisalError",
    "CustomIndicator",
    "DataError",
    "Dialect",
    "EngineSession",
    "ExpressionError",
    "Extensions",
    "Function",
    "Measurements",
    "Pack",
    "Period",
    "PeriodError",
    "PluginError",
    "Problem",
    "QualityBreach",
    "Result",
    "RosterTable",
    "Scheme",
    "SchemeError",
    "Source",
    "SourceReader",
    "__version__",
    "explain",
    "find_scheme",
    "form_context",
    "generate_demo",
    "hookimpl",
    "inline_literal",
    "load_run",
    "load_scheme",
    "measure",
    "parse_period",
    "quote_identifier",
    "render_form",
    "render_report",
    "render_result",
    "row_evidence",
    "run",
    "sql_window",
    "template_environment",
    "write_run",
    "write_workbook",
]

if TYPE_CHECKING:
    from typing import Any

    from appraisal.demo.agent import generate as generate_demo
    from appraisal.engines.sources import SourceReader
    from appraisal.errors import AppraisalError, DataError, ExpressionError, PluginError, Problem, SchemeError
    from appraisal.expressions.functions import Function
    from appraisal.hookspecs import hookimpl
    from appraisal.measuring.custom import ANY_ENGINE, CustomIndicator, EngineSession, RosterTable
    from appraisal.measuring.measurements import Measurements
    from appraisal.measuring.quality import QualityBreach
    from appraisal.outputs import render_form, render_report, render_result, template_environment
    from appraisal.periods import Period, PeriodError, parse_period, sql_window
    from appraisal.pipeline import explain, find_scheme, load_scheme, measure, row_evidence, run
    from appraisal.plugins import Extensions
    from appraisal.rendering.excel import write_workbook
    from appraisal.rendering.forms import form_context
    from appraisal.results.result import Result
    from appraisal.results.storing import load_run, write_run
    from appraisal.scheme.model import Scheme, Source
    from appraisal.scheme.packs import Pack
    from appraisal.sql.dialect import Dialect, inline_literal, quote_identifier


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use, then keep it here."""
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'appraisal' has no attribute {name!r}") from None
    value = getattr(__import__(module, fromlist=[attribute]), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
