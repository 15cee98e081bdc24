"""A run whose period is not the scheme's: refused, or its targets scaled as the scheme declares
(appraisal.measuring.targets). The scheme and data are written beside each test: a quarterly
scheme with a volume (tickets handled, 300 a quarter) and a rate (resolution rate, 90%)."""

from __future__ import annotations

from pathlib import Path

import pytest

from appraisal.measuring.targets import PeriodMismatch
from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, run

SCHEME = """\
scheme: quarterly-agent
version: 1
title: Quarterly agent
period: quarter
roster: {source: csv, path: roster.csv, key: agent_id}
datasets:
  tickets:
    source: csv
    path: tickets.csv
    appraisee: agent_id
    period_by: created_at
    columns: {agent_id: text, created_at: date, status: text}
indicators:
  - id: handled
    title: Tickets handled
    measure: {dataset: tickets, agg: count}
    target: 300
    score: {curve: linear, worst: 0, best: 600, cap: 120}
    weight: 50
  - id: resolution_rate
    title: Resolution rate
    measure: {dataset: tickets, agg: ratio, numerator: {where: "status == 'resolved'"}}
    target: 0.9
    score: {curve: linear, worst: 0.5, best: 1}
    weight: 50
grades: {A: 90, B: 70, C: 0}
"""


def write(folder: Path, extra: str = "", scheme: str = SCHEME) -> Path:
    """The scheme (with `extra` appended) and 100 tickets for agent a1 in July 2026, 90 resolved."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "roster.csv").write_text("agent_id\na1\n", encoding="utf-8")
    rows = [f"a1,2026-07-{1 + i % 31:02d},{'resolved' if i < 90 else 'open'}\n" for i in range(100)]
    (folder / "tickets.csv").write_text("agent_id,created_at,status\n" + "".join(rows), encoding="utf-8")
    path = folder / "scheme.yaml"
    path.write_text(scheme + extra, encoding="utf-8")
    return path


REFUSED = (
    "period 2026-07 is a month, but scheme 'quarterly-agent' appraises a quarter: its targets are per quarter. "
    "Run it for a quarter (-p 2026-Q3), or declare in the scheme how targets follow another period: "
    "'targets: {scale: by_days}' (volume targets in proportion to the days) or 'targets: {scale: none}' "
    "(every target holds as written)\n"
)


def test_a_month_of_a_quarterly_scheme_is_refused_with_what_to_write(run_cli, tmp_path):
    result = run_cli("run", str(write(tmp_path / "s")), "-p", "2026-07", "-o", str(tmp_path / "july"))
    assert (result.exit_code, result.stderr) == (1, REFUSED)
    assert not (tmp_path / "july").exists()


def test_a_range_of_some_days_is_refused_too(tmp_path):
    with pytest.raises(PeriodMismatch, match=r"^period 2026-07-01\.\.2026-07-15 is 15 days, but scheme"):
        run(load_scheme(write(tmp_path / "s")), parse_period("2026-07-01..2026-07-15"))


def test_a_range_of_exactly_the_quarter_is_the_quarter(tmp_path):
    result = run(load_scheme(write(tmp_path / "s")), parse_period("2026-07-01..2026-09-30"))
    assert result.appraisee("a1").cell("handled").target == 300


def test_with_by_days_a_volume_target_follows_the_days(tmp_path):
    result = run(load_scheme(write(tmp_path / "s", "targets: {scale: by_days}\n")), parse_period("2026-07"))
    cell = result.appraisee("a1").cell("handled")
    assert cell.target == pytest.approx(300 * 31 / 92)
    # 100 tickets against 101.09: just under the target, on the curve scaled alike (worst 0, best 202.17)
    assert cell.score == pytest.approx(100 * 100 / (300 * 31 / 92))
    assert cell.rule == "linear: worst 0 = 0, target 101.087 = 100, best 202.174 = 120"
    assert cell.flags == ("target scaled to the period: 31 of 92 days",)


def test_with_by_days_a_rate_keeps_its_target(tmp_path):
    result = run(load_scheme(write(tmp_path / "s", "targets: {scale: by_days}\n")), parse_period("2026-07"))
    cell = result.appraisee("a1").cell("resolution_rate")
    assert (cell.target, cell.score, cell.flags) == (0.9, 100.0, ())


def test_with_none_every_target_holds_as_written(tmp_path):
    result = run(load_scheme(write(tmp_path / "s", "targets: {scale: none}\n")), parse_period("2026-07"))
    cell = result.appraisee("a1").cell("handled")
    assert (cell.target, cell.score, cell.flags) == (300, pytest.approx(100 * 100 / 300), ())


def test_an_indicator_scale_overrides_the_schemes(tmp_path):
    scheme = SCHEME.replace("    target: 300\n", "    target: 300\n    target_scale: none\n")
    result = run(load_scheme(write(tmp_path / "s", "targets: {scale: by_days}\n", scheme)), parse_period("2026-07"))
    assert result.appraisee("a1").cell("handled").target == 300


def test_bands_scale_with_the_target(tmp_path):
    scheme = SCHEME.replace(
        "    score: {curve: linear, worst: 0, best: 600, cap: 120}\n",
        '    score: {bands: [{range: "[0, 150)", score: 40}, {range: "[150, inf)", score: 100}], default: 0}\n',
    )
    result = run(load_scheme(write(tmp_path / "s", "targets: {scale: by_days}\n", scheme)), parse_period("2026-07"))
    cell = result.appraisee("a1").cell("handled")  # 100 tickets: above 150 x 31/92 = 50.5
    assert (cell.score, cell.rule) == (100, "band [50.5435, inf): 100")


def test_a_quarter_with_a_declared_scale_is_unchanged(tmp_path):
    result = run(load_scheme(write(tmp_path / "s", "targets: {scale: by_days}\n")), parse_period("2026-Q3"))
    cell = result.appraisee("a1").cell("handled")
    assert (cell.target, cell.flags) == (300, ())


def test_measure_measures_any_period(run_cli, tmp_path):
    result = run_cli("measure", str(write(tmp_path / "s")), "-p", "2026-07")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1] == "a1\t100 (100)\t0.9 (100)\t"
