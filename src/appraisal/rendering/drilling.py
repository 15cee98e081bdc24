"""Drill-down pages: for each score, its value, target, rule and weight, and the rows behind it.

`write_drill` writes `drill/<appraisee>/<indicator>.md` through the same layered, sandboxed
loader as every page (`drill-<scheme id>.md.j2` before `drill.md.j2`), in the run's language:
the rows are handed in by the caller as data (`results.row_evidence`, read by
`explaining.counted_rows`), never as English sentences, so the template phrases them like the
scorecard phrases rules; rendering never opens the data itself. Pages are Markdown whatever the
report's formats, and small: the first rows counted, in a fixed order.

`drill.md.j2` gets what every template gets (rendering.base_context), with `labels` extended by
the drill page's words (source, in_numerator, rows_behind, back_to_scorecard), and:

    appraisee  Mapping         the appraisee as in result.json (fields of results.AppraiseeResult)
    cell       Mapping         the one cell (fields of results.ScoredCell)
    counted    Mapping | None  None for a value not measured from a dataset; else dataset,
                               rows_in_period, excluded, columns (the data's names), headers (the
                               columns in `language`), rows (one list of values per row), parts
                               (what the rows are, for the `phrase` filter) and why_not (parts
                               saying why no rows are shown, or None)
    scorecard  str | None      the appraisee's Markdown scorecard, relative to the page; None when
                               no Markdown scorecard is written
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

from appraisal.rendering import pages as rendering
from appraisal.rendering.phrasing import LANGUAGES
from appraisal.results.row_evidence import IN_NUMERATOR, CountedRows, RowEvidence

DRILL_TEMPLATE = "drill.md.j2"

_LABELS: dict[str, tuple[str, str]] = {
    "source": ("Source", "数据来源"), "in_numerator": ("in numerator", "计入分子"),
    "rows_behind": ("Rows behind the value", "数值背后的数据行"),
    "back_to_scorecard": ("Back to the scorecard", "返回考核结果"),
}


def drill_labels(language: str) -> dict[str, str]:
    """The interface words of every page, and those only a drill-down page needs."""
    words = rendering.labels(language)  # an unknown language fails here
    return {**words, **{key: pair[LANGUAGES.index(language)] for key, pair in _LABELS.items()}}


def counted_context(counted: CountedRows, words: Mapping[str, str]) -> dict[str, Any]:
    """The rows as the template gets them: data, plus headers already in the page's language."""
    return {
        "dataset": counted.dataset, "rows_in_period": counted.rows_in_period, "excluded": counted.excluded,
        "columns": list(counted.columns),
        "headers": [words["in_numerator"] if c == IN_NUMERATOR else c for c in counted.columns],
        "rows": [list(row) for row in counted.rows], "parts": dict(counted.parts),
        "why_not": None if counted.why_not is None else dict(counted.why_not),
    }


def drill_context(data: Mapping[str, Any], appraisee: Mapping[str, Any], cell: Mapping[str, Any],
                  counted: CountedRows | None, language: str, scorecard: str | None = None) -> dict[str, Any]:
    """One drill-down page's context (see the module docstring)."""
    words = drill_labels(language)
    return {
        **rendering.base_context(data, language, "md"), "labels": words, "appraisee": appraisee, "cell": cell,
        "counted": None if counted is None else counted_context(counted, words), "scorecard": scorecard,
    }


def write_drill(
    rows: RowEvidence, out_dir: Path, data: Mapping[str, Any], appraisee: Mapping[str, Any], stem: str, *,
    language: str = "en", env: jinja2.Environment | None = None, scorecard: str | None = None,
) -> dict[str, str]:
    """Write `drill/<stem>/<indicator>.md` for each of the appraisee's cells, in `language`;
    return their paths from `out_dir`, by indicator. `rows` are the rows behind the result's
    measured values; `data` is the result as a dict; `env` and `data` are shared by the caller
    across appraisees; `scorecard` links each page back."""
    env = env if env is not None else rendering.environment()
    scheme_id = rendering.safe_name(str(data["scheme"].get("id", "")))
    names = [f"drill-{scheme_id}.md.j2", DRILL_TEMPLATE]
    folder = out_dir / "drill" / stem
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for cell in appraisee["cells"]:
        counted = rows.get((appraisee["id"], cell["indicator"])) if cell["kind"] == "measure" else None
        text = rendering.render_template(env, names, drill_context(data, appraisee, cell, counted, language, scorecard))
        name = f"{rendering.safe_name(cell['indicator'])}.md"
        rendering.write_atomically(folder / name, text)
        paths[cell["indicator"]] = f"drill/{stem}/{name}"
    return paths
