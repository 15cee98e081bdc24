"""`appraisal render`: a stored run into a new folder, in the formats asked for.

Nothing already written is destroyed: `--force` replaces only a folder an earlier render wrote (it
holds `.appraisal-render`), never a run folder, a folder inside or around one, or a foreign folder.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest

from appraisal.cli.render_cmd import MARKER, MARKER_TEXT
from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, run
from appraisal.results.storing import write_run

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


def _files(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` and its bytes: what must still be there after a refusal."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_json_and_csv_are_the_same_as_the_run_files(run_cli, run_dir, tmp_path):
    out = tmp_path / "out"
    assert run_cli("render", str(run_dir), "-f", "json", "-f", "csv", "--out", str(out), "-q").exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "quality.csv", "result.json", "scores.csv", "totals.csv"]
    for path in out.iterdir():
        if path.name != MARKER:
            assert path.read_bytes() == (run_dir / path.name).read_bytes()


def test_every_rendered_folder_carries_the_marker(run_cli, run_dir, tmp_path):
    out = tmp_path / "out"
    done = run_cli("render", str(run_dir), "-f", "md", "--out", str(out))
    assert done.exit_code == 0, done.stderr
    assert (out / MARKER).read_text(encoding="utf-8") == MARKER_TEXT
    assert f"wrote {len(_files(out)) - 1} files to {out}" in done.stdout  # the marker is not counted


def test_render_refuses_a_non_empty_out(run_cli, run_dir, tmp_path):
    (out := tmp_path / "out").mkdir()
    (out / "keep.txt").write_text("mine")
    done = run_cli("render", str(run_dir), "--out", str(out))
    assert done.exit_code == 1
    assert done.stderr.strip() == f"{out} exists and is not empty; choose another --out, or --force to replace it"
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_force_replaces_a_folder_an_earlier_render_wrote(run_cli, run_dir, tmp_path):
    out = tmp_path / "out"
    assert run_cli("render", str(run_dir), "-f", "md", "--out", str(out), "-q").exit_code == 0
    assert run_cli("render", str(run_dir), "-f", "json", "--out", str(out), "--force", "-q").exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "result.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no partial or old folder left beside it


def test_an_empty_folder_needs_no_force(run_cli, run_dir, tmp_path):
    (out := tmp_path / "out").mkdir()
    assert run_cli("render", str(run_dir), "-f", "json", "--out", str(out), "-q").exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "result.json"]


def test_force_refuses_a_folder_render_did_not_write_and_keeps_its_files(run_cli, run_dir, tmp_path):
    (out := tmp_path / "out").mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "sub").mkdir()
    (out / "sub" / "more.txt").write_text("also mine")
    done = run_cli("render", str(run_dir), "--out", str(out), "--force")
    assert done.exit_code == 1
    assert done.stderr.strip() == (f"{out} was not written by `appraisal render` (it has no .appraisal-render); "
                                   "--force replaces only such a folder: choose another --out, or move it away")
    assert _files(out) == {"notes.txt": b"mine", "sub/more.txt": b"also mine"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_force_refuses_another_run_folder_and_keeps_its_files(run_cli, run_dir, tmp_path):
    other = write_run(run(load_scheme(DATA / "agent.yaml"), parse_period("2026-Q3")), tmp_path / "q3-again")
    before = _files(other)
    done = run_cli("render", str(run_dir), "--out", str(other), "--force")
    assert done.exit_code == 1
    assert done.stderr.strip() == (f"{other} is a run folder (it holds result.json written by `appraisal run`); "
                                   "runs are evidence and never replaced: choose another --out")
    assert _files(other) == before


def test_a_marker_put_into_a_run_folder_does_not_make_it_replaceable(run_cli, run_dir, tmp_path):
    other = write_run(run(load_scheme(DATA / "agent.yaml"), parse_period("2026-Q3")), tmp_path / "q3-again")
    (other / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
    before = _files(other)
    done = run_cli("render", str(run_dir), "--out", str(other), "--force")
    assert done.exit_code == 1 and "is a run folder" in done.stderr
    assert _files(other) == before


@pytest.mark.parametrize("where", ["itself", "its parent"])
def test_render_never_replaces_the_run_it_renders(run_cli, run_dir, where):
    out = run_dir if where == "itself" else run_dir.parent
    before = _files(run_dir)
    done = run_cli("render", str(run_dir), "--out", str(out), "--force")
    assert done.exit_code == 1
    assert done.stderr.strip() == f"{out} holds the run {run_dir}; choose another --out"
    assert _files(run_dir) == before


def test_force_refuses_a_run_report_inside_the_run_folder(run_cli, tmp_path):
    folder = tmp_path / "q3"
    assert run_cli("run", str(DATA / "agent.yaml"), "-p", "2026-Q3", "-o", str(folder)).exit_code == 0
    before = _files(folder)
    done = run_cli("render", str(folder), "-f", "md", "--out", str(folder / "report"), "--force")
    assert done.exit_code == 1
    assert done.stderr.strip() == (f"{folder / 'report'} is inside the run folder {folder.resolve()}; "
                                   "runs are evidence and never changed: choose another --out")
    assert _files(folder) == before


def test_render_writes_no_new_folder_inside_a_run_folder(run_cli, run_dir):
    before = _files(run_dir)
    done = run_cli("render", str(run_dir), "-f", "md", "--out", str(run_dir / "extra"))
    assert done.exit_code == 1 and "is inside the run folder" in done.stderr
    assert _files(run_dir) == before and not (run_dir / "extra").exists()


def test_force_refuses_a_rendered_folder_that_now_holds_a_run(run_cli, run_dir, tmp_path):
    out = tmp_path / "out"
    assert run_cli("render", str(run_dir), "-f", "md", "--out", str(out), "-q").exit_code == 0
    (out / "kept").mkdir()
    write_run(run(load_scheme(DATA / "agent.yaml"), parse_period("2026-Q3")), out / "kept" / "q3")
    before = _files(out)
    done = run_cli("render", str(run_dir), "-f", "md", "--out", str(out), "--force")
    assert done.exit_code == 1
    assert done.stderr.strip() == (f"{out} holds the run folder {out / 'kept' / 'q3'}; runs are evidence and never "
                                   "replaced: move it out, or choose another --out")
    assert _files(out) == before


def test_a_render_that_fails_leaves_the_earlier_one_whole(run_cli, run_dir, tmp_path):
    out = tmp_path / "out"
    assert run_cli("render", str(run_dir), "-f", "html", "--out", str(out), "-q").exit_code == 0
    before = _files(out)
    (broken := tmp_path / "templates").mkdir()
    (broken / "summary.html.j2").write_text("{{ nothing_here }}", encoding="utf-8")
    done = run_cli("render", str(run_dir), "-f", "html", "--out", str(out), "--force", "--templates", str(broken), "-q")
    assert done.exit_code == 1 and "'nothing_here' is undefined" in done.stderr
    assert _files(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "templates"]


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
