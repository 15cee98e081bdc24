"""`--memory-limit SIZE` and `--spill-dir DIR`: the engine's memory, for the commands that
measure (see appraisal.engines.memory); `--engine NAME`: where the datasets' queries run (see
appraisal.engines.remote), its connection settings from the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

MemoryLimit = Annotated[
    Optional[str],  # noqa: UP045 - Typer reads the annotation at run time
    typer.Option(
        "--memory-limit", envvar="APPRAISAL_MEMORY_LIMIT", metavar="SIZE", show_default=False,
        help="Memory the run may use, such as 4GB or 500MB (default: $APPRAISAL_MEMORY_LIMIT, else 1GB): "
        "the engine takes it less a third (at most 384MB) kept for the program, and spills to disk beyond "
        "that. Raise it when a run says it ran out of memory.",
    ),
]

SpillDir = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option(
        "--spill-dir", envvar="APPRAISAL_SPILL_DIR", file_okay=False, dir_okay=True, metavar="DIR",
        show_default=False,
        help="Folder the engine spills to beyond its memory limit (default: $APPRAISAL_SPILL_DIR, "
        "else the system's temporary folder); it needs free space about the size of the data.",
    ),
]

EngineName = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--engine", envvar="APPRAISAL_ENGINE", metavar="NAME", show_default=False,
        help="Where the datasets' queries run: duckdb (embedded, the default), postgres, spark or a plugin's "
        "engine (appraisal plugins lists them; docs/engines.md). The files are read here either way; the "
        "connection comes from $APPRAISAL_<ENGINE>_DSN (postgres: else libpq's PGHOST, PGPORT, PGUSER, "
        "PGDATABASE, PGPASSWORD), or use --profile.",
    ),
]

ProfileName = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--profile", envvar="APPRAISAL_PROFILE", metavar="NAME", show_default=False,
        help="A connection profile (engine and settings) of $APPRAISAL_PROFILES, else "
        "~/.config/appraisal/profiles.yaml; overrides --engine and the scheme's profile.",
    ),
]
