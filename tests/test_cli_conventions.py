"""The command line's conventions, alike everywhere: `--json` where results are printed, `--quiet`
where long work writes files, `--lang` a choice, several schemes where several are taken, and
shell completion."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from appraisal.rendering.phrasing import LANGUAGES
from stored_runs import cli

ROOT = Path(__file__).resolve().parent.parent
PRINTING = ["plugins", "validate", "schemes list", "schemes show", "measure", "run", "explain", "demo", "render",
            "runs list", "runs show", "runs diff", "runs verify", "store check", "audit", "calibrate",
            "appeal file", "appeal list", "appeal decide", "simulate", "review", "ratings"]
LONG = ["measure", "run", "demo", "render"]
LANG = ["run", "demo", "render", "form", "schemes show", "appeal decide"]


def helps(command: str) -> str:
    done = cli(*command.split(), "--help", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("command", PRINTING)
def test_every_command_that_prints_results_takes_json(command: str) -> None:
    assert "--json" in helps(command)


@pytest.mark.parametrize("command", LONG)
def test_every_command_that_works_long_takes_quiet(command: str) -> None:
    assert "--quiet" in helps(command)


@pytest.mark.parametrize("command", LANG)
def test_lang_is_a_choice_shown_in_help_and_checked_before_anything_runs(command: str, tmp_path: Path) -> None:
    assert "--lang <en|zh>" in helps(command)
    done = cli(*command.split(), "--lang", "fr", cwd=tmp_path)
    assert done.returncode == 2 and "'fr' is not one of 'en', 'zh'" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_choices_are_the_languages_of_the_pages() -> None:
    from appraisal.cli.language_option import Lang

    assert [lang.value for lang in Lang] == list(LANGUAGES)


def test_validate_says_it_takes_several_schemes() -> None:
    assert "SCHEME..." in helps("validate").splitlines()[0]


def test_run_and_demo_print_nothing_with_quiet_and_json_with_json(agent: Path, tmp_path: Path) -> None:
    quiet = cli("run", str(agent), "-p", "2026-Q3", "-o", str(tmp_path / "q"), "--no-store", "-q", cwd=tmp_path)
    assert (quiet.returncode, quiet.stdout) == (0, "")
    said = cli("run", str(agent), "-p", "2026-Q3", "-o", str(tmp_path / "j"), "--no-store", "--json", cwd=tmp_path)
    report = json.loads(said.stdout)
    assert (report["appraised"], report["graded"], report["folder"]) == (50, 49, str(tmp_path / "j"))
    assert sum(report["grades"].values()) == 49 and report["quality"]
    demo = cli("demo", "-o", str(tmp_path / "demo"), "-q", cwd=tmp_path)
    assert (demo.returncode, demo.stdout) == (0, "")
    rendered = cli("render", str(tmp_path / "j"), "-o", str(tmp_path / "r"), "-f", "md", "--json", cwd=tmp_path)
    assert "index.md" in json.loads(rendered.stdout)["files"]


def test_explain_json_holds_the_appraisees_numbers_and_the_words(agent: Path, tmp_path: Path) -> None:
    done = cli("run", str(agent), "-p", "2026-Q3", "-o", str(tmp_path / "q"), "--no-store", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    said = json.loads(cli("explain", str(tmp_path / "q"), "-a", "CS001", "--json", cwd=tmp_path).stdout)
    assert said["appraisee"]["id"] == "CS001" and said["appraisee"]["grade"] == "C"
    assert any("CS001" in line for line in said["lines"])


def test_shell_completion_completes_command_names() -> None:
    env = {**os.environ, "COMP_WORDS": "appraisal ru", "COMP_CWORD": "1", "_APPRAISAL_COMPLETE": "complete_bash"}
    done = subprocess.run([sys.executable, "-m", "appraisal"], capture_output=True, text=True, env=env, timeout=60)
    assert done.stdout.split() == ["run", "runs"]
