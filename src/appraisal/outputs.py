"""The rendering functions of the public API, with the installed packs' templates found for you.

The rendering stage takes the packs' template folders as a value (`pack_dirs`) and never loads
plugins; a script or a plugin calling `appraisal.render_result(...)` expects the templates of the
packs it installed to apply, as they do for `appraisal render`. These functions are that outer
edge: given no `pack_dirs`, they use those of the loaded plugins (or of `extensions`). Every
other keyword is the stage function's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appraisal import plugins
from appraisal.rendering import forms, pages, reports
from appraisal.scheme.packs import template_dirs

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

    from appraisal.plugins import Extensions
    from appraisal.results.result import Result
    from appraisal.scheme.model import Scheme


def pack_template_dirs(pack_dirs: Sequence[Path] | None = None, extensions: Extensions | None = None) -> list[Path]:
    """`pack_dirs` as given, else the template folders of the loaded packs, in search order."""
    if pack_dirs is not None:
        return list(pack_dirs)
    return template_dirs((extensions or plugins.extensions()).packs)


def render_result(result: Result, out_dir: Path, *, pack_dirs: Sequence[Path] | None = None,
                  extensions: Extensions | None = None, **options: Any) -> list[Path]:
    """The summary and scorecards (`rendering.pages.render_result`: formats, language, user_dir, workers)."""
    return pages.render_result(result, out_dir, pack_dirs=pack_template_dirs(pack_dirs, extensions), **options)


def render_report(result: Result, out_dir: Path, *, pack_dirs: Sequence[Path] | None = None,
                  extensions: Extensions | None = None, **options: Any) -> list[Path]:
    """The summary, team report and scorecards (`rendering.reports.render_report`: formats,
    language, user_dir, previous, run_dir, drill_rows, progress, workers)."""
    return reports.render_report(result, out_dir, pack_dirs=pack_template_dirs(pack_dirs, extensions), **options)


def render_form(scheme: Scheme, out_dir: Path, *, pack_dirs: Sequence[Path] | None = None,
                extensions: Extensions | None = None, **options: Any) -> list[Path]:
    """A blank or pre-filled appraisal form (`rendering.forms.render_form`: formats, language,
    appraisee, user_dir)."""
    return forms.render_form(scheme, out_dir, pack_dirs=pack_template_dirs(pack_dirs, extensions), **options)


def template_environment(user_dir: Path | None = None, pack_dirs: Sequence[Path] | None = None,
                         extensions: Extensions | None = None) -> SandboxedEnvironment:
    """The sandboxed template loader: the user's folder, then the packs', then the defaults."""
    return pages.environment(user_dir, pack_template_dirs(pack_dirs, extensions))
