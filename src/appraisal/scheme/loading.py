"""Line-aware, safe YAML loading.

HR authors' files decide pay, so loading is strict where YAML is lax:

* every node keeps its file, line and column, so later stages can point at the exact key;
* a duplicate key is an error naming both lines (PyYAML silently keeps the last one);
* only the YAML 1.2 core scalars are resolved: `no`, `off`, `N` stay text, `9:30` is not
  570, and dates stay strings (the schema decides what a date is, not the parser);
* explicit tags, merge keys, alias bombs, deep nesting and oversized files are refused.

The result is plain Python data plus a map from key path to position.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader, ReaderError
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from appraisal.errors import Problem

MAX_BYTES = 1_048_576
MAX_NODES = 100_000
MAX_DEPTH = 64

KeyPath = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


class _CoreResolver(BaseResolver):
    """YAML 1.2 core schema: the only implicit types are null, bool, int and float."""


_CoreResolver.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_CoreResolver.add_implicit_resolver(
    _INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
_CoreResolver.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)
_CoreResolver.add_implicit_resolver(_NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])


class _TooDeep(Exception):
    """Raised by the composer past `MAX_DEPTH` levels, before Python's own recursion limit."""

    def __init__(self, mark: Any):
        self.mark = mark


class _Composer(Reader, Scanner, Parser, Composer, _CoreResolver):
    """PyYAML's node composer with the core resolver; nothing is ever constructed by PyYAML.

    PyYAML composes nested lists and mappings recursively, so `[[[[...]]]]` 500 deep would end
    in a RecursionError: the depth is counted here and refused at the same limit as `_Builder`'s.
    """

    def __init__(self, stream: str):
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _CoreResolver.__init__(self)
        self.depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH + 1:
                raise _TooDeep(self.peek_event().start_mark)  # type: ignore[no-untyped-call]  # unannotated in types-PyYAML
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


@dataclass(frozen=True)
class Position:
    """Where a node starts: 1-based line and column, and its scalar style (for columns inside)."""

    line: int
    column: int
    style: str | None = None
    file: str | None = None  # set when a document merges several files (`extends`)


@dataclass(frozen=True)
class Document:
    """A loaded YAML file: its data and the position of every value and key by key path."""

    file: str
    data: Any
    positions: dict[KeyPath, Position] = field(repr=False)
    key_positions: dict[KeyPath, Position] = field(repr=False)
    digest: str = ""

    def locate(self, path: KeyPath, *, key: bool = False) -> Position | None:
        """The position of `path`, or of its nearest ancestor that exists."""
        path = tuple(path)
        while True:
            found = (self.key_positions if key else self.positions).get(path)
            if found is None and key:
                found = self.positions.get(path)
            if found is not None or not path:
                return found
            path = path[:-1]

    def problem(self, path: KeyPath, message: str, *, key: bool = False, offset: int | None = None) -> Problem:
        """A `Problem` at `path`; `offset` moves the column inside a one-line scalar."""
        pos = self.locate(path, key=key)
        line = pos.line if pos else None
        column = pos.column if pos else None
        if pos and offset is not None:
            column = pos.column + offset + (1 if pos.style in ("'", '"') else 0)
        return Problem((pos.file if pos else None) or self.file, line, column, format_path(path), message)


def format_path(path: KeyPath) -> str:
    """`indicators[2].score.worst`: the key path as an author reads it."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class LoadError(Exception):
    """Carries the problems that stopped a file from loading."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(p.render() for p in problems))


def load_file(path: Path | str, *, display: str | None = None) -> Document:
    """Read and load one YAML file; raise `LoadError` with located problems."""
    path = Path(path)
    name = display or str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise LoadError([Problem(name, None, None, "", "file not found")]) from None
    except OSError as exc:
        raise LoadError([Problem(name, None, None, "", f"cannot read file: {exc.strerror}")]) from None
    if path.is_dir():
        raise LoadError([Problem(name, None, None, "", "is a folder, not a scheme file")])
    if size > MAX_BYTES:
        raise LoadError(
            [Problem(name, None, None, "", f"file is {size} bytes; scheme files are limited to {MAX_BYTES} bytes")]
        )
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(
            [Problem(name, None, None, "", f"file is not UTF-8 text (byte {exc.start} cannot be decoded)")]
        ) from None
    return load_text(text, name)


def load_text(text: str, file: str = "<string>") -> Document:
    """Load YAML text into plain data with positions; raise `LoadError` on any refusal."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise LoadError([Problem(file, None, None, "", f"text is larger than {MAX_BYTES} bytes")])
    try:
        composer = _Composer(text)  # the reader refuses control characters (a NUL byte) here
    except ReaderError as exc:
        raise LoadError([_unreadable(text, file, exc)]) from None
    try:
        node = composer.get_single_node()
    except _TooDeep as exc:
        line, column = exc.mark.line + 1, exc.mark.column + 1
        message = f"values are nested more than {MAX_DEPTH} levels deep"
        raise LoadError([Problem(file, line, column, "", message)]) from None
    except ReaderError as exc:
        raise LoadError([_unreadable(text, file, exc)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = (exc.problem or exc.context or "invalid YAML").strip()
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        raise LoadError([Problem(file, line, column, "", f"YAML syntax error: {message}")]) from None
    except yaml.YAMLError as exc:
        raise LoadError([Problem(file, None, None, "", f"YAML syntax error: {exc}")]) from None
    finally:
        composer.dispose()
    if node is None:
        raise LoadError([Problem(file, 1, 1, "", "file is empty")])
    builder = _Builder(file)
    data = builder.build(node, (), 0)
    if builder.problems:
        raise LoadError(builder.problems)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Document(file, data, builder.positions, builder.key_positions, digest)


def _unreadable(text: str, file: str, exc: ReaderError) -> Problem:
    """A character YAML does not allow, located and named by its code point (never printed raw)."""
    before = text[: exc.position]
    line, column = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
    code = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or b"\0")
    return Problem(file, line, column, "", f"the character U+{code:04X} is not allowed in a YAML file; remove it")


def _position(node: Node) -> Position:
    style = node.style if isinstance(node, ScalarNode) else None
    return Position(node.start_mark.line + 1, node.start_mark.column + 1, style)


class _Builder:
    """Turns a node graph into Python data, counting every node so aliases cannot explode."""

    def __init__(self, file: str):
        self.file = file
        self.count = 0
        self.positions: dict[KeyPath, Position] = {}
        self.key_positions: dict[KeyPath, Position] = {}
        self.problems: list[Problem] = []
        self.active: set[int] = set()

    def fail(self, node: Node, path: KeyPath, message: str) -> None:
        pos = _position(node)
        self.problems.append(Problem(self.file, pos.line, pos.column, format_path(path), message))

    def build(self, node: Node, path: KeyPath, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            if self.count == MAX_NODES + 1:
                self.fail(node, path[:1],
                          f"the file expands to more than {MAX_NODES} values (aliases repeated too often)")
            return None
        if depth > MAX_DEPTH:
            self.fail(node, path, f"values are nested more than {MAX_DEPTH} levels deep")
            return None
        self.positions[path] = _position(node)
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if id(node) in self.active:
            self.fail(node, path, "an alias refers to the list or mapping that contains it")
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                if node.tag != _SEQ:
                    self.bad_tag(node, path)
                return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
            assert isinstance(node, MappingNode)  # the composer makes scalar, sequence and mapping nodes only
            return self.mapping(node, path, depth)
        finally:
            self.active.discard(id(node))

    def bad_tag(self, node: Node, path: KeyPath) -> None:
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        self.fail(node, path, f"the tag {tag} is not allowed; remove it")

    def mapping(self, node: MappingNode, path: KeyPath, depth: int) -> dict[str, Any]:
        if node.tag != _MAP:
            self.bad_tag(node, path)
        out: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.fail(key_node, path, "a key must be a plain word, not a list or a mapping")
                continue
            if key_node.tag == _STR and key_node.value == "<<" and key_node.style is None:
                self.fail(key_node, path, "merge keys (<<) are not supported; write the keys out")
                continue
            key = key_node.value if key_node.tag != _NULL else ""
            line = key_node.start_mark.line + 1
            if key in first_line:
                self.fail(key_node, (*path, key), f"duplicate key {key!r} (first defined on line {first_line[key]})")
                continue
            first_line[key] = line
            self.key_positions[(*path, key)] = _position(key_node)
            out[key] = self.build(value_node, (*path, key), depth + 1)
        return out

    def scalar(self, node: ScalarNode, path: KeyPath) -> Any:
        tag, value = node.tag, node.value
        if tag == _STR:
            return value
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return value.lower() == "true"
        try:
            if tag == _INT:
                base = {"0o": 8, "0x": 16}.get(value[:2], 10)
                return int(value[2:] if base != 10 else value, base)
            if tag == _FLOAT:
                lowered = value.lower()
                if lowered.endswith(".inf"):
                    return float("-inf") if lowered.startswith("-") else float("inf")
                return float("nan") if lowered == ".nan" else float(value)
        except ValueError:
            self.fail(node, path, f"{value!r} is not a valid {tag.rsplit(':', 1)[-1]}")
            return None
        self.bad_tag(node, path)
        return None
