"""`--lang en|zh`: the language of what a command writes, one of the languages the pages speak.

A choice, so `--help` shows `[en|zh]` and `--lang fr` is a usage error naming the choices
before anything runs (it was any text, found wrong only when the pages were written).
"""

from __future__ import annotations

import enum
from typing import Annotated

import typer


class Lang(enum.StrEnum):
    """The languages of the pages (`appraisal.rendering.phrasing.LANGUAGES`; tests/test_cli.py holds them equal)."""

    en = "en"
    zh = "zh"


Language = Annotated[Lang, typer.Option("--lang", help="The language of what is written.")]
