"""One exception family for everything a user can get wrong.

Every user-facing failure is an `AppraisalError`: the CLI prints its message and exits 1,
never a traceback. Scheme problems are collected as `Problem` values first and raised
together, so an author sees every mistake of every file at once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake in one file, located by line, column and key path."""

    file: str
    line: int | None
    column: int | None
    path: str
    message: str

    def render(self) -> str:
        """`file:line:col: path: message`, the form editors and CI logs understand."""
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        prefix = f"{self.path}: " if self.path else ""
        return f"{where}: {prefix}{self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "message": self.message,
        }


class AppraisalError(Exception):
    """A mistake the user can fix; shown as a plain message, exit status 1."""


class OutcomeUnknown(AppraisalError):
    """A write whose answer was lost (the connection to a store's server broke during COMMIT)
    and that could not be looked for: it may have been kept, so nothing that goes with it is
    removed."""


class SchemeError(AppraisalError):
    """One or more problems in scheme files, reported together: files in the order given,
    each file's problems in line order."""

    def __init__(self, problems: list[Problem]):
        order = {file: i for i, file in reversed(list(enumerate(p.file for p in problems)))}
        self.problems = sorted(problems, key=lambda p: (order[p.file], p.line or 0, p.column or 0))
        super().__init__("\n".join(p.render() for p in self.problems))


class ExpressionError(AppraisalError):
    """An expression that is not allowed or does not parse.

    `offset` is the 0-based character offset inside the expression text, when known, so
    the scheme validator can point at the exact column in the YAML file.
    """

    def __init__(self, message: str, offset: int | None = None):
        self.message = message
        self.offset = offset
        super().__init__(message)


class PluginError(AppraisalError):
    """A plugin that cannot be loaded or that breaks the hook contract."""


class DataError(AppraisalError):
    """Input data that cannot be read: a missing file, an unreadable column, a bad row."""
