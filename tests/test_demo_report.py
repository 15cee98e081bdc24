"""`appraisal demo` writes everything `appraisal render` writes, and says where each part is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from outside import require_chromium


def demo(out: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "appraisal", "demo", "--out", str(out)], capture_output=True,
                          text=True, timeout=300, env={**os.environ, **env})


def test_the_demo_writes_the_summary_scorecards_team_report_workbook_and_pdfs(tmp_path: Path) -> None:
    require_chromium()
    done = demo(tmp_path / "demo")
    assert done.returncode == 0, done.stderr
    report = (tmp_path / "demo" / "report").resolve()
    said = done.stdout.splitlines()[-6:]
    assert said == [f"summary: {report / 'index.html'}", f"team report: {report / 'team.html'}",
                    f"scorecards: {report / 'scorecards'}", f"workbook: {report / 'result.xlsx'}",
                    f"PDFs: {report / 'pdf'}", f"report: {report / 'index.html'}"]
    for part in ("index.html", "index.md", "team.html", "team.md", "result.xlsx", "pdf/index.pdf", "pdf/team.pdf"):
        assert (report / part).is_file(), part
    assert len(list((report / "scorecards").glob("*.html"))) == 50
    assert len(list((report / "pdf" / "scorecards").glob("*.pdf"))) == 50


def test_without_chromium_the_demo_says_why_there_are_no_pdfs(tmp_path: Path) -> None:
    done = demo(tmp_path / "demo", APPRAISAL_CHROMIUM="no-such-browser")
    assert done.returncode == 0, done.stderr
    assert "PDFs: not written (APPRAISAL_CHROMIUM=no-such-browser: no such program; install it" in done.stdout
    assert (tmp_path / "demo" / "report" / "team.html").is_file()
    assert not (tmp_path / "demo" / "report" / "pdf").exists()
