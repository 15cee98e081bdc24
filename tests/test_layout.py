"""The package keeps the pipeline's shape: stages in order, no import circle, imports at the top.

Read from the source (with `ast`), not from a running interpreter, so every edge counts: one
written inside a function as well as one at the top. Edges under `if TYPE_CHECKING:` are only
for type checkers and are left out, and so are a module's lazy exports (what its module-level
`__getattr__` imports on first use, as the public API in `appraisal/__init__.py` does).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "appraisal"

# The stages of the pipeline (docs: ../README.md#layout, DESIGN.md "The one pipeline"), lowest
# first. A module may import the modules of its own layer and of the layers below it, never
# those above: data flows one way, and each stage takes the previous stage's value. A module
# belongs to the layer of its longest listed prefix (`appraisal` itself is the package's
# `__init__` alone); every module must belong to one.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundations: the package, errors, did-you-mean, hook specs, registries, periods, shipped files, signals",
     ("appraisal", "appraisal.errors", "appraisal.suggestions", "appraisal.hookspecs", "appraisal.registry",
      "appraisal.periods", "appraisal.shipped", "appraisal.interrupts",
      # the import paths of appraisal 0.1, each forwarding names on use (appraisal.old_paths)
      "appraisal.old_paths", "appraisal.custom_indicators", "appraisal.demo_data", "appraisal.demo_industry",
      "appraisal.excel", "appraisal.forms", "appraisal.functions", "appraisal.model", "appraisal.packs",
      "appraisal.reports", "appraisal.sources", "appraisal.sql_emitter", "appraisal.validation")),
    ("the expression language: parse, check kinds, functions, evaluate", ("appraisal.expressions",)),
    ("the scheme: load, extend, re-weight, validate, lint, build the model", ("appraisal.scheme",)),
    ("compiling: dialects, the emitter, one query per dataset", ("appraisal.sql",)),
    ("engines: load the data, run the queries, count bad rows", ("appraisal.engines",)),
    ("measuring: values per appraisee and indicator, data-quality levels", ("appraisal.measuring",)),
    ("results: the Result value, its evidence, storing and reading runs", ("appraisal.results",)),
    ("scoring: scores, totals, gates, grades, calibration", ("appraisal.scoring",)),
    ("rendering: pages, reports, forms, workbooks, PDF", ("appraisal.rendering",)),
    ("explaining: a stored run in words, and the rows behind it read again",
     ("appraisal.explaining", "appraisal.row_reader")),
    ("evidence: the run store, and what two stored runs differ in", ("appraisal.store",)),
    ("demo data", ("appraisal.demo",)),
    ("plugins: the built-ins and the loader that bundles what plugins bring",
     ("appraisal.default_plugins", "appraisal.plugins")),
    ("the Python API's outer edge: loaded plugins by default", ("appraisal.pipeline", "appraisal.outputs")),
    ("the command line, and the pytest plugin that drives it",
     ("appraisal.cli", "appraisal.__main__", "appraisal.testing")),
]

# Outside the command line, an import inside a function is allowed only for a heavy dependency
# that the module needs for one kind of work alone; each is listed here with why, and each
# carries its comment in the code too. module -> (the top-level names it may import late, why).
LATE_IMPORTS: dict[str, tuple[frozenset[str], str]] = {
    "appraisal.default_plugins.sources": (
        frozenset({"duckdb", "pyarrow", "openpyxl"}),
        "every command registers the sources; DuckDB, Arrow and openpyxl load when a file is read"),
    "appraisal.default_plugins.engines": (
        frozenset({"appraisal.engines"}),
        "every command registers the engines; psycopg (an extra) loads when the postgres engine is chosen"),
    "appraisal.default_plugins.packs": (
        frozenset({"appraisal.demo"}),
        "every command registers the packs; the demo generators (and DuckDB) load when a demo is asked for"),
    "appraisal.scheme.validation": (
        frozenset({"jsonschema"}), "about 60 ms, only when the schema pass of a scheme is not remembered"),
    "appraisal.engines.spark_engine": (
        frozenset({"pyspark.sql.connect"}),
        "the Spark Connect client (an extra: gRPC, protobuf) loads only for a Connect URL"),
    "appraisal.pipeline": (
        frozenset({"appraisal.explaining", "appraisal.row_reader"}),
        "every run imports the pipeline; the explanation and the rows behind a value only when asked for"),
    "appraisal.store.appeals": (
        frozenset({"pyarrow"}), "every stored run imports the store's schema; Arrow (0.1 s) only to read a run back"),
    "appraisal.store.calibration": (
        frozenset({"pyarrow"}), "every stored run imports the store's schema; Arrow (0.1 s) only to read a run back"),
    "appraisal.store.backends": (
        frozenset({"psycopg"}), "psycopg (an extra) reads a postgresql:// URL's passwords, kept out of messages"),
    "appraisal.store.runs": (
        frozenset({"appraisal.store.postgres_backend"}),
        "every stored run opens the store; psycopg (an extra) loads only for a postgresql:// one"),
    "appraisal.interrupts": (
        frozenset({"shutil"}), "every command imports it; shutil only when a stop leaves paths to remove"),
}
# The command line imports what a command needs when it runs (`appraisal --help` loads Typer alone).
LATE_ANYWHERE = ("appraisal.cli",)
MAX_LINES = 500


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    late: bool  # written inside a function


@dataclass(frozen=True)
class Late:
    module: str
    line: int
    imported: tuple[str, ...]
    said_why: bool  # a comment on its line, the line above, or above the block of imports it opens


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The module `name` lives in: `appraisal.x.y` may be a module or a name inside `appraisal.x`."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def _targets(node: ast.Import | ast.ImportFrom, module: str, path: Path) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
    return [f"{base}.{alias.name}" for alias in node.names] + [base]


def _is_type_checking(node: ast.If) -> bool:
    return "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(tree: ast.Module) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool, bool, list[ast.stmt]]]:
    """(import, inside a function, a lazy export of `__getattr__`, the statements around it)."""

    def walk(
        body: list[ast.stmt], late: bool, lazy: bool
    ) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool, bool, list[ast.stmt]]]:
        for node in body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                yield node, late, lazy, body
            elif isinstance(node, ast.If) and _is_type_checking(node):
                yield from walk(node.orelse, late, lazy)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield from walk(node.body, True, lazy or (not late and node.name == "__getattr__"))
            else:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    inner = getattr(node, field, None)
                    if isinstance(inner, list) and inner and isinstance(inner[0], ast.AST):
                        yield from walk([n for n in inner if isinstance(n, ast.stmt)], late, lazy)
                        for handler in inner:
                            if isinstance(handler, ast.ExceptHandler):
                                yield from walk(handler.body, late, lazy)

    yield from walk(tree.body, False, False)


def _said_why(node: ast.stmt, body: list[ast.stmt], lines: list[str], seen: dict[int, bool]) -> bool:
    own = any("#" in lines[n - 1] for n in range(node.lineno, (node.end_lineno or node.lineno) + 1))
    above = node.lineno > 1 and lines[node.lineno - 2].strip().startswith("#")
    index = body.index(node)
    before = body[index - 1] if index else None
    in_block = isinstance(before, (ast.Import, ast.ImportFrom)) and seen.get(before.lineno, False)
    seen[node.lineno] = own or above or in_block
    return seen[node.lineno]


@cache
def scan() -> tuple[tuple[Edge, ...], tuple[Late, ...]]:
    known = modules()
    edges, late = [], []
    for module, path in known.items():
        source = path.read_text(encoding="utf-8")
        lines, seen = source.splitlines(), {}
        for node, in_function, lazy_export, body in _imports(ast.parse(source)):
            names = _targets(node, module, path)
            if in_function and not lazy_export:
                late.append(Late(module, node.lineno, tuple(n for n in names if n), _said_why(node, body, lines, seen)))
            if lazy_export:
                continue
            for target in {_resolve(name, known) for name in names if name.startswith("appraisal")} - {None, module}:
                edges.append(Edge(module, target, node.lineno, in_function))
    return tuple(edges), tuple(late)


def layer_of(module: str) -> int | None:
    best: tuple[int, int] | None = None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or (prefix != "appraisal" and module.startswith(prefix + "."))
            if matches and (best is None or len(prefix) > best[1]):
                best = (index, len(prefix))
    return None if best is None else best[0]


def circles(edges: tuple[Edge, ...]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.source, set()).add(edge.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circle_among_the_modules():
    edges, _ = scan()
    assert circles(edges) == []


def test_a_circle_is_found_where_there_is_one():
    edges = (Edge("a", "b", 1, False), Edge("b", "c", 1, True), Edge("c", "a", 1, False), Edge("c", "d", 1, False))
    assert circles(edges) == [["a", "b", "c"]]


def test_every_module_belongs_to_a_layer():
    assert [m for m in modules() if layer_of(m) is None] == []


def test_no_module_imports_a_later_stage():
    edges, _ = scan()
    upward = [
        f"{e.source}:{e.line} imports {e.target} ({LAYERS[layer_of(e.target)][0].split(':')[0]} is above "
        f"{LAYERS[layer_of(e.source)][0].split(':')[0]})"
        for e in edges
        if (layer_of(e.target) or 0) > (layer_of(e.source) or 0)
    ]
    assert upward == []


def test_the_layers_follow_the_pipeline():
    names = [name.split(":")[0] for name, _ in LAYERS]
    pipeline = ["foundations", "the expression language", "the scheme", "compiling", "engines", "measuring",
                "results", "scoring", "rendering", "explaining"]
    assert [n for n in names if n in pipeline] == pipeline
    assert names[-2:] == ["the Python API's outer edge", "the command line, and the pytest plugin that drives it"]


def test_no_stage_reaches_for_the_loaded_plugins():
    """Stages take the plugins' `Extensions` as a value; only the outer edge loads them."""
    edges, _ = scan()
    allowed = (LAYERS[layer_of("appraisal.plugins")][1] + LAYERS[layer_of("appraisal.pipeline")][1]
               + LAYERS[layer_of("appraisal.cli")][1])
    reaching = [f"{e.source}:{e.line}" for e in edges if e.target == "appraisal.plugins"
                and not any(e.source == p or e.source.startswith(p + ".") for p in allowed)]
    assert reaching == []


def test_imports_inside_functions_are_the_command_lines_and_heavy_dependencies_only():
    _, late = scan()
    wrong = []
    for found in late:
        if found.module.startswith(LATE_ANYWHERE):
            continue
        allowed, _why = LATE_IMPORTS.get(found.module, (frozenset(), ""))
        if not all(any(name == a or name.startswith(a + ".") for a in allowed) for name in found.imported if name):
            wrong.append(f"{found.module}:{found.line} imports {', '.join(sorted(set(found.imported)))}")
    assert wrong == []


def test_every_import_inside_a_function_says_why():
    _, late = scan()
    assert [f"{found.module}:{found.line}" for found in late if not found.said_why] == []


@pytest.mark.parametrize("source, said", [
    ("def f():\n    import json\n", False),
    ("def f():\n    import json  # only for --json\n", True),
    ("def f():\n    # only for --json\n    import json\n", True),
    ("def f():\n    # when the command runs\n    import json\n    import os\n\n    x = 1\n", True),
    ("def f():\n    x = 1\n    import json\n", False),
])
def test_the_reason_for_a_late_import_is_a_comment_on_it_or_above_its_block(source, said):
    lines, seen = source.splitlines(), {}
    verdicts = [_said_why(node, body, lines, seen) for node, late, _, body in _imports(ast.parse(source)) if late]
    assert all(verdicts) == said and any(verdicts) == said


def test_a_lazy_export_of_a_package_is_not_an_edge():
    tree = ast.parse("def __getattr__(name):\n    from appraisal.pipeline import run\n    return run\n")
    assert [(late, lazy) for _, late, lazy, _ in _imports(tree)] == [(True, True)]


def test_no_module_is_over_500_lines():
    long = {m: n for m, p in modules().items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_no_utils_module():
    helpers = [p for p in PACKAGE.rglob("*.py") if p.stem in ("utils", "util", "helpers")]
    assert sorted(str(p.relative_to(SRC)) for p in helpers) == []


def test_did_you_mean_is_written_once():
    """One helper (`appraisal.suggestions.suggest`) finds the closest name for every message."""
    users = sorted(str(p.relative_to(SRC)) for p in PACKAGE.rglob("*.py")
                   if "get_close_matches" in p.read_text(encoding="utf-8"))
    assert users == ["appraisal/suggestions.py"]
