"""Chinese throughout: units said in Chinese on the pages, and `validate --lang zh` naming every
title a scheme lacks in Chinese (the pages would otherwise fall back to English silently).
(A CJK font embedded in the PDF: tests/test_pdf.py.)"""

from __future__ import annotations

import json
from pathlib import Path

from stored_runs import cli


def test_a_chinese_scorecard_says_its_units_in_chinese(agent: Path, tmp_path: Path) -> None:
    assert cli("run", str(agent), "-p", "2026-Q3", "-o", str(tmp_path / "q3"), "--no-report", "--no-store",
               cwd=tmp_path).returncode == 0
    done = cli("render", str(tmp_path / "q3"), "-o", str(tmp_path / "zh"), "--lang", "zh", "-f", "md,html", "-q",
               cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    card = (tmp_path / "zh" / "scorecards" / "CS001.md").read_text(encoding="utf-8")
    assert "| 工单处理量 | 588 单 | 550 单 |" in card
    assert "目标值 2 小时 得 100 分" in card
    assert " tickets" not in card and " h " not in card
    html = (tmp_path / "zh" / "scorecards" / "CS001.html").read_text(encoding="utf-8")
    assert '"Noto Sans CJK SC"' in html  # a CJK font named for the browser, and for the PDF it prints


def test_validate_lang_zh_names_each_title_missing_in_chinese(agent: Path, tmp_path: Path) -> None:
    child = tmp_path / "english.yaml"
    child.write_text("extends: agent.yaml\nscheme: english-only\ntitle: {en: English only}\n"
                     "indicators:\n  - {id: csat, title: {en: Satisfaction}}\n", encoding="utf-8")
    done = cli("validate", "english.yaml", "agent.yaml", "--lang", "zh", cwd=tmp_path)
    assert done.returncode == 0  # a warning, not a problem
    assert done.stderr.splitlines() == [
        "warning: english.yaml: the scheme english-only has no zh title; the Chinese pages show another language there",
        "warning: english.yaml: indicator csat has no zh title; the Chinese pages show another language there"]
    report = json.loads(cli("validate", str(child), "--lang", "zh", "--json", cwd=tmp_path).stdout)
    assert len(report["warnings"]) == 2 and report["ok"]
    assert cli("validate", str(child), cwd=tmp_path).stderr == ""  # without --lang: nothing to warn of
