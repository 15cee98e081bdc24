"""`--json` and `--quiet`, alike on every command that has them.

`--json` prints the command's results as one JSON document on stdout instead of text (messages
and errors stay on stderr). `--quiet` prints nothing on success where a command works long and
writes its results into files (`run`, `demo`, `measure --csv`, `render`): no progress, no
data-quality lines, no "written to" lines; errors, and the data-quality counts that stop a run,
still go to stderr and the exit code says how it went.
"""

from __future__ import annotations

from typing import Annotated

import typer

Json = Annotated[bool, typer.Option("--json", help="Print the results as JSON instead of text.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success (no progress, no notes).")]
