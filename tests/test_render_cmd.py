"""`appraisal render`: a stored run into a new folder, in the formats asked for."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest

from appraisal.periods import parse_period
from appraisal.pipeline import run
from appraisal.storing import write_run
from appraisal.validation import load_scheme

DATA = Path(__file__).resolve().parent / "data" / "measuring"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return write_run(run(load_scheme(DATA / "agent.yaml"), parse_period("2026-Q3")),
                     tmp_path_factory.mktemp("runs") / "q3")


def test_render_writes_the_reports_and_the_workbook(run_cli, run_dir, tmp_path):
    out = tmp_path / "out"
    done = run_cli("render", str(run_dir), "--format", "html,md,xlsx", "--out", str(out), "--quiet")
    assert done.exit_code == 0, done.stderr
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {"index.html", "index.md", "team.html", "team.md", "result.xlsx", "scorecards/a1.html"} <= names
    assert openpyxl.load_workbook(out / "result.xlsx").sheetnames[0] == "Summary"
    assert not list(tmp_path.glob("*partial*"))


def test_json_and_csv_are_copies_of_the_run_files(run_cli, run_dir, tmp_path):
    out = tmp_path / "out"
    assert run_cli("render", str(run_dir), "-f", "json", "-f", "csv", "--out", str(out), "-q").exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["quality.csv", "result.json", "scores.csv", "totals.csv"]
    for path in out.iterdir():
        assert path.read_bytes() == (run_dir / path.name).read_bytes()


def test_render_refuses_a_non_empty_out(run_cli, run_dir, tmp_path):
    (out := tmp_path / "out").mkdir()
    (out / "keep.txt").write_text("mine")
    done = run_cli("render", str(run_dir), "--out", str(out))
    assert done.exit_code == 1
    assert done.stderr.strip() == f"{out} exists and is not empty; choose another --out, or --force to replace it"
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_force_replaces_a_non_empty_out(run_cli, run_dir, tmp_path):
    (out := tmp_path / "out").mkdir()
    (out / "old.txt").write_text("old")
    assert run_cli("render", str(run_dir), "-f", "json", "--out", str(out), "--force", "-q").exit_code == 0
    assert [p.name for p in out.iterdir()] == ["result.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_render_never_replaces_the_folder_that_holds_the_run(run_cli, run_dir):
    done = run_cli("render", str(run_dir), "--out", str(run_dir.parent), "--force")
    assert done.exit_code == 1 and "holds the run" in done.stderr
    assert (run_dir / "result.json").is_file()


def test_an_unknown_format_is_a_user_error(run_cli, run_dir, tmp_path):
    done = run_cli("render", str(run_dir), "-f", "html,docx", "--out", str(tmp_path / "out"))
    assert done.exit_code == 1
    assert done.stderr.strip() == "unknown format 'docx': choose from html, md, xlsx, json, csv, pdf"
    assert not (tmp_path / "out").exists()


def test_a_previous_run_adds_the_trend_to_scorecards(run_cli, run_dir, tmp_path):
    out = tmp_path / "out"
    done = run_cli("render", str(run_dir), "-f", "md", "--out", str(out), "--previous", str(run_dir), "-q")
    assert done.exit_code == 0, done.stderr
    assert "| Indicator | 2026-Q3 | 2026-Q3 |" in (out / "scorecards" / "a1.md").read_text(encoding="utf-8")


def test_drill_down_pages_exist_and_every_link_resolves(run_cli, run_dir, tmp_path):
    out = tmp_path / "out"
    done = run_cli("render", str(run_dir), "-f", "html", "--out", str(out), "--drill-down", "-q")
    assert done.exit_code == 0, done.stderr
    text = (out / "scorecards" / "a1.html").read_text(encoding="utf-8")
    hrefs = [h for h in text.split('class="drill" href="')[1:]]
    assert len(hrefs) == 5
    for href in hrefs:
        assert (out / "scorecards" / unquote(href.split('"')[0])).resolve().is_file()


def test_drill_down_pages_are_in_the_language_given(run_cli, run_dir, tmp_path):
    out = tmp_path / "out"
    done = run_cli("render", str(run_dir), "-f", "md", "--out", str(out), "--drill-down", "--lang", "zh", "-q")
    assert done.exit_code == 0, done.stderr
    text = (out / "drill" / "a1" / "tickets.md").read_text(encoding="utf-8")
    assert "## 数值背后的数据行" in text and "fall in the period" not in text


def test_the_team_report_is_chinese_with_lang_zh(run_cli, run_dir, tmp_path):
    out = tmp_path / "out"
    assert run_cli("render", str(run_dir), "-f", "html", "--out", str(out), "--lang", "zh", "-q").exit_code == 0
    assert "团队报告" in (out / "team.html").read_text(encoding="utf-8")


def test_progress_is_silent_with_quiet(run_cli, run_dir, tmp_path):
    done = run_cli("render", str(run_dir), "-f", "md", "--out", str(tmp_path / "out"), "--quiet")
    assert done.exit_code == 0 and done.stderr == "" and done.stdout == ""
