"""`--groups team,manager,roster`: group rows on the commands that measure (see compilation.members)."""

from __future__ import annotations

from typing import Annotated

import typer

Groups = Annotated[
    str,
    typer.Option(
        "--groups",
        metavar="team,manager,roster",
        help="Add group rows, each from its members' rows pooled (not a mean of their values): "
        "per team, per manager, and/or the whole roster, comma-separated.",
    ),
]


def parse_groups(text: str) -> tuple[str, ...]:
    """The groupings named, in the order given; a usage error for any other name."""
    from appraisal.sql.datasets import GROUPINGS  # when a command runs, not when the CLI starts

    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    for name in names:
        if name not in GROUPINGS:
            raise typer.BadParameter(f"{name!r} is not a grouping; use {', '.join(GROUPINGS)}", param_hint="--groups")
    return names
