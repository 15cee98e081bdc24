"""The public API: `from appraisal import ...` is all a plugin, a pack or a script needs.

Every name resolves, the type checkers' view matches, `import appraisal` stays as cheap as
before (every command pays for it), the docs list every name, and the example plugins (and the
docs' examples) import nothing else.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import appraisal

ROOT = Path(__file__).resolve().parent.parent
INIT = ROOT / "src" / "appraisal" / "__init__.py"
DOCS = ROOT / "docs" / "plugins.md"
PUBLIC = [name for name in appraisal.__all__ if name != "__version__"]


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_resolves_to_the_object_of_its_module(name: str) -> None:
    module, attribute = appraisal._EXPORTS[name]
    assert getattr(appraisal, name) is getattr(__import__(module, fromlist=[attribute]), attribute)


def test_star_import_gives_every_public_name() -> None:
    namespace: dict[str, object] = {}
    exec("from appraisal import *", namespace)
    assert set(appraisal.__all__) <= set(namespace)


def test_all_lists_each_exported_name_once() -> None:
    assert sorted(PUBLIC) == sorted(appraisal._EXPORTS)
    assert len(appraisal.__all__) == len(set(appraisal.__all__))


def test_dir_shows_the_public_names_before_they_are_used() -> None:
    assert set(appraisal.__all__) <= set(dir(appraisal))


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'appraisal' has no attribute 'Functoin'"):
        appraisal.Functoin  # noqa: B018


def _type_checking_imports() -> dict[str, tuple[str, str]]:
    """The names the `if TYPE_CHECKING:` block of __init__.py imports: name -> (module, attribute)."""
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    [block] = [n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"]
    seen: dict[str, tuple[str, str]] = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.module
        if node.module == "typing":  # for the annotations of __init__.py itself
            continue
        for alias in node.names:
            seen[alias.asname or alias.name] = (node.module, alias.name)
    return seen


def test_type_checkers_see_the_names_that_run_time_exports() -> None:
    assert _type_checking_imports() == appraisal._EXPORTS


def test_importing_appraisal_imports_nothing_heavy() -> None:
    """`appraisal --help` imports the package: it must not pay for DuckDB, jsonschema or Jinja."""
    script = "import json, sys; old = {*sys.modules}; import appraisal; print(json.dumps(sorted({*sys.modules} - old)))"
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    loaded = json.loads(child.stdout)
    assert "appraisal" in loaded
    heavy = {"duckdb", "jsonschema", "jinja2", "yaml", "pluggy", "typer", "pyarrow", "openpyxl", "simpleeval"}
    assert sorted(m for m in loaded if m.split(".")[0] in heavy) == []
    assert [m for m in loaded if m.startswith("appraisal.")] == []
    assert "typing" not in loaded  # nor typing: the package costs what it did before it had an API


def test_docs_list_every_public_name_in_their_table() -> None:
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("\n## The public API\n") : text.index("\n## Old import paths\n")]
    listed = re.findall(r"^\| `([A-Za-z_]+)` \|", section, flags=re.M)
    assert sorted(listed) == sorted(PUBLIC)


# --- the example plugins use only the public API -----------------------------------------------


def private_imports(source: str) -> list[str]:
    """Imports of appraisal other than the public API (`appraisal` and `appraisal.testing`)."""
    allowed = {*appraisal.__all__, "testing"}
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("appraisal.") and a.name != "appraisal.testing"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "appraisal":
                found += [f"appraisal.{a.name}" for a in node.names if a.name not in allowed]
            elif node.module.startswith("appraisal.") and node.module != "appraisal.testing":
                found.append(node.module)
    return found


def examples() -> Iterator[tuple[str, str]]:
    """Every .py file under plugins/, and every Python block of docs/plugins.md."""
    for path in sorted((ROOT / "plugins").rglob("*.py")):
        yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")
    for n, block in enumerate(re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.S)):
        yield f"docs/plugins.md, Python block {n + 1}", block


def test_there_are_examples_to_check() -> None:
    names = [name for name, _ in examples()]
    assert "plugins/repeat_contacts.py" in names
    assert any(name.startswith("plugins/appraisal-helpdesk-source/tests/") for name in names)
    assert any(name.startswith("docs/plugins.md") for name in names)


@pytest.mark.parametrize(("where", "source"), list(examples()), ids=[name for name, _ in examples()])
def test_a_plugin_example_imports_only_the_public_api(where: str, source: str) -> None:
    assert private_imports(source) == [], f"{where} imports private modules"


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("from appraisal.sql.dialect import quote_identifier", ["appraisal.sql.dialect"]),
        ("import appraisal.plugins", ["appraisal.plugins"]),
        ("from appraisal import plugins, hookimpl", ["appraisal.plugins"]),
        ("def f():\n    from appraisal.scheme.model import Source", ["appraisal.scheme.model"]),
        ("from appraisal import Function, hookimpl\nimport appraisal", []),
        ("from appraisal.testing import CliResult\nfrom appraisal import testing", []),
        ("import appraisal_retail_pack\nfrom appraisal_helpdesk_source import COLUMNS", []),
        ("from .demo import demo", []),
    ],
)
def test_the_check_tells_private_imports_from_public_ones(source: str, found: list[str]) -> None:
    assert private_imports(source) == found
