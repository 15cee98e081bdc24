"""The import paths of appraisal 0.1 keep working for one release, and warn.

The list is what the example plugins and the docs of 0.1 imported (`git show c4c92e4:plugins`,
`git show c4c92e4:docs`); docs/plugins.md ("Old import paths") shows it to plugin authors.
"""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import appraisal

DOCS = Path(__file__).resolve().parent.parent / "docs" / "plugins.md"

# (old module, old name, the module and name it is now, the import a warning tells the author to write)
OLD_PATHS = [
    ("appraisal.functions", "Function", "appraisal.expressions.functions", "Function",
     "from appraisal import Function"),
    ("appraisal.sources", "SourceReader", "appraisal.engines.sources", "SourceReader",
     "from appraisal import SourceReader"),
    ("appraisal.custom_indicators", "CustomIndicator", "appraisal.measuring.custom", "CustomIndicator",
     "from appraisal import CustomIndicator"),
    ("appraisal.packs", "Pack", "appraisal.scheme.packs", "Pack", "from appraisal import Pack"),
    ("appraisal.packs", "find_scheme", "appraisal.pipeline", "find_scheme", "from appraisal import find_scheme"),
    ("appraisal.packs", "template_dirs", "appraisal.scheme.packs", "template_dirs",
     "from appraisal.scheme.packs import template_dirs"),
    ("appraisal.model", "Source", "appraisal.scheme.model", "Source", "from appraisal import Source"),
    ("appraisal.model", "Scheme", "appraisal.scheme.model", "Scheme", "from appraisal import Scheme"),
    ("appraisal.sql_emitter", "quote_identifier", "appraisal.sql.dialect", "quote_identifier",
     "from appraisal import quote_identifier"),
    ("appraisal.sql_emitter", "inline_literal", "appraisal.sql.dialect", "inline_literal",
     "from appraisal import inline_literal"),
    ("appraisal.demo_data", "generate", "appraisal.demo.agent", "generate",
     "from appraisal import generate_demo as generate"),
    ("appraisal.demo_industry", "generate", "appraisal.demo.industry", "generate",
     "from appraisal.demo.industry import generate"),
    ("appraisal.validation", "load_scheme", "appraisal.pipeline", "load_scheme",
     "from appraisal import load_scheme"),
    ("appraisal.rendering", "render_result", "appraisal.outputs", "render_result",
     "from appraisal import render_result"),
    ("appraisal.rendering", "environment", "appraisal.outputs", "template_environment",
     "from appraisal import template_environment as environment"),
    ("appraisal.reports", "render_report", "appraisal.outputs", "render_report",
     "from appraisal import render_report"),
    ("appraisal.excel", "write_workbook", "appraisal.rendering.excel", "write_workbook",
     "from appraisal import write_workbook"),
    ("appraisal.forms", "render_form", "appraisal.outputs", "render_form", "from appraisal import render_form"),
    ("appraisal.forms", "form_context", "appraisal.rendering.forms", "form_context",
     "from appraisal import form_context"),
]


@pytest.mark.parametrize(
    ("old", "name", "module", "attribute", "new"), OLD_PATHS, ids=[f"{p[0]}.{p[1]}" for p in OLD_PATHS]
)
def test_an_old_path_gives_the_same_object_and_warns_naming_the_new_import(
    old: str, name: str, module: str, attribute: str, new: str
) -> None:
    with pytest.warns(DeprecationWarning) as record:
        found = getattr(importlib.import_module(old), name)
    assert found is getattr(importlib.import_module(module), attribute)
    [warning] = record
    assert str(warning.message).startswith(
        f"{old}.{name} is deprecated and will be removed in appraisal 0.3: use '{new}'"
    )
    assert warning.filename == __file__  # it points at the import to change, not at appraisal


def test_a_from_import_of_an_old_path_warns_at_the_importing_line() -> None:
    with pytest.warns(DeprecationWarning, match="use 'from appraisal import Function'") as record:
        from appraisal.functions import Function
    assert Function is appraisal.Function
    lines = Path(__file__).read_text(encoding="utf-8").splitlines()
    assert record[0].filename == __file__
    assert lines[record[0].lineno - 1].strip() == "from appraisal.functions import Function"


def test_a_path_outside_the_public_api_says_so() -> None:
    with pytest.warns(DeprecationWarning, match=r"\(appraisal.scheme.packs is not part of the public API and may"):
        from appraisal.packs import template_dirs  # noqa: F401


def test_an_old_path_knows_only_its_old_names() -> None:
    import appraisal.functions

    message = "module 'appraisal.functions' has no attribute 'FunctionRegistry'"
    with pytest.raises(AttributeError, match=re.escape(message)):
        appraisal.functions.FunctionRegistry  # noqa: B018


def test_dir_of_an_old_path_lists_its_old_names() -> None:
    import appraisal.sql_emitter

    assert {"quote_identifier", "inline_literal"} <= set(dir(appraisal.sql_emitter))


def test_the_new_paths_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from appraisal import Function, render_result, template_environment  # noqa: F401
        from appraisal.rendering import pages  # the package's own submodules, as the stages import them
        from appraisal.rendering.pages import environment  # noqa: F401
    assert callable(pages.render_result)


def test_the_rendering_package_stays_light_for_its_old_names() -> None:
    """`appraisal.rendering` was a module; its old names resolve on use, so importing the
    package (as every import of a rendering submodule does) does not import Jinja."""
    script = "import json, sys; import appraisal.rendering; print(json.dumps(sorted(sys.modules)))"
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    loaded = json.loads(child.stdout)
    assert "appraisal.rendering" in loaded
    assert [m for m in loaded if m.split(".")[0] in ("jinja2", "duckdb") or m.startswith("appraisal.rendering.")] == []


def test_a_fresh_import_of_a_rendering_submodule_does_not_warn() -> None:
    """`from appraisal.rendering import pages` asks the package for `pages` first; the old
    names' `__getattr__` must let Python import the submodule instead."""
    script = "from appraisal.rendering import pages, forms; print(pages.__name__, forms.__name__)"
    child = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", script],
                           capture_output=True, text=True, check=False)
    assert (child.returncode, child.stderr) == (0, "")
    assert child.stdout == "appraisal.rendering.pages appraisal.rendering.forms\n"


def test_an_old_module_imports_nothing_until_a_name_is_used() -> None:
    script = "import json, sys, appraisal.sql_emitter, appraisal.rendering; print(json.dumps(sorted(sys.modules)))"
    child = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", script],
                           capture_output=True, text=True, check=True)
    assert "appraisal.sql.dialect" not in json.loads(child.stdout)


def test_the_docs_table_lists_every_old_path() -> None:
    text = DOCS.read_text(encoding="utf-8")
    table = text[text.index("\n## Old import paths\n"):]
    for old, name, *_ in OLD_PATHS:
        assert any(f"`from {old} import" in line and name in line for line in table.splitlines()), (old, name)
