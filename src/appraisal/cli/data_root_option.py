"""`--data-root DIR`: the option of the commands that read data (see appraisal.scheme.data_roots)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

DataRoots = Annotated[
    Optional[list[Path]],  # noqa: UP045 - Typer reads the annotation at run time
    typer.Option(
        "--data-root",
        exists=True,
        file_okay=False,
        dir_okay=True,
        metavar="DIR",
        help="Also read data files from this folder (repeatable; $APPRAISAL_DATA_ROOTS adds more). "
        "Without it, data files must lie in the scheme's folder.",
    ),
]
