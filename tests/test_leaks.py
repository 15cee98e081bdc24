"""Nothing leaks: data cannot drive the terminal, and reports carry no path of the operator's machine.

A name, a ticket's customer or a column header can hold terminal escape sequences (`\\x1b]0;...\\x07`
retitles the window, `\\x1b[2J` clears it, `\\x9b` is the one-byte CSI) or a bidirectional override
(`\\u202e`). Every line the CLI prints shows them as escapes, also when stdout is a pipe (the tests
read it through one). Reports, scorecards, drill-down pages and workbooks show the scheme file by
its name and the run folder by its name; result.json keeps the full path, for `explain`.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data" / "measuring"
NAME = "Ann\x1b]0;pwned\x07"
CUSTOMER = "c1\x1b[2J\x9b31m\u202eevil"
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


def no_raw_controls(text: str) -> bool:
    return not any(c in text for c in RAW)


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """The measuring test data with control characters in a name, a customer and an id."""
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    roster = (data / "roster.csv").read_text(encoding="utf-8")
    roster = roster.replace("a1,Ann,", f"a1,{NAME},") + "x\x1b[2J,Xavier,north,,,\n"
    (data / "roster.csv").write_text(roster, encoding="utf-8")
    tickets = (data / "tickets.csv").read_text(encoding="utf-8")
    (data / "tickets.csv").write_text(tickets.replace(",0:30:00,c1\n", f",0:30:00,{CUSTOMER}\n", 1), encoding="utf-8")
    return data / "agent.yaml"


def test_the_hostile_data_holds_what_the_tests_say(hostile: Path) -> None:
    assert f"a1,{NAME}," in (hostile.parent / "roster.csv").read_text(encoding="utf-8")
    assert CUSTOMER in (hostile.parent / "tickets.csv").read_text(encoding="utf-8")


def test_explain_shows_control_characters_from_data_as_escapes(run_cli, hostile: Path, tmp_path: Path) -> None:
    assert run_cli("run", str(hostile), "-p", "2026-Q3", "-o", str(tmp_path / "q3"), "--no-report").exit_code == 0
    result = run_cli("explain", str(tmp_path / "q3"), "-a", "a1", "-i", "tickets")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "a1 (Ann\\x1b]0;pwned\\x07), team north"
    assert any("c1\\x1b[2J\\x9b31m\\u202eevil" in line for line in lines), result.stdout
    assert no_raw_controls(result.stdout)


def test_measure_shows_control_characters_from_data_as_escapes(run_cli, hostile: Path) -> None:
    result = run_cli("measure", str(hostile), "-p", "2026-Q3")
    assert result.exit_code == 0, result.stderr
    assert any(line.startswith("x\\x1b[2J\t") for line in result.stdout.splitlines()), result.stdout
    assert no_raw_controls(result.stdout)


def test_measure_json_escapes_control_characters_and_still_parses_to_the_data(run_cli, hostile: Path) -> None:
    result = run_cli("measure", str(hostile), "-p", "2026-Q3", "--json")
    assert result.exit_code == 0, result.stderr
    assert no_raw_controls(result.stdout)
    assert "x\x1b[2J" in {row["appraisee"] for row in json.loads(result.stdout)["values"]}


def test_an_error_message_shows_control_characters_from_data_as_escapes(run_cli, hostile: Path) -> None:
    tickets = hostile.parent / "tickets.csv"
    text = tickets.read_text(encoding="utf-8")
    tickets.write_text(text.replace(",customer\n", ",cust\x1b]0;x\x07omer\n", 1), encoding="utf-8")
    result = run_cli("measure", str(hostile), "-p", "2026-Q3")
    assert result.exit_code == 1
    assert "cust\\x1b]0;x\\x07omer" in result.stderr
    assert no_raw_controls(result.stderr)


def test_a_multi_line_message_keeps_its_lines(run_cli, tmp_path: Path) -> None:
    scheme = tmp_path / "bad.yaml"
    scheme.write_text("scheme: bad\nversion: 1\n", encoding="utf-8")
    result = run_cli("run", str(scheme), "-p", "2026-Q3", "-o", str(tmp_path / "q3"))
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) > 1 and "\\x0a" not in result.stderr


# --- no path of the operator's machine in what is rendered ------------------------------------


def texts_of(folder: Path) -> dict[str, str]:
    """Every text a reader of `folder` can see: its files, and the parts of its workbooks."""
    found = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                found.update({f"{path.name}:{name}": book.read(name).decode("utf-8") for name in book.namelist()})
        elif path.suffix in (".html", ".md"):
            found[str(path.relative_to(folder))] = path.read_text(encoding="utf-8")
    return found


def test_the_run_report_names_the_scheme_file_but_not_where_it_lies(run_cli, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    assert run_cli("run", str(data / "agent.yaml"), "-p", "2026-Q3", "-o", str(tmp_path / "q3")).exit_code == 0
    texts = texts_of(tmp_path / "q3" / "report")
    assert texts and not [name for name, text in texts.items() if str(tmp_path) in text]
    assert "<dd>agent.yaml</dd>" in texts["index.html"]
    assert str(data / "agent.yaml") in (tmp_path / "q3" / "result.json").read_text(encoding="utf-8")  # evidence


def test_rendered_reports_and_workbooks_carry_no_absolute_path(run_cli, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    run_dir = tmp_path / "q3"
    assert run_cli("run", str(data / "agent.yaml"), "-p", "2026-Q3", "-o", str(run_dir), "--no-report").exit_code == 0
    out = tmp_path / "report"
    result = run_cli("render", str(run_dir), "-o", str(out), "-f", "html,md,xlsx", "-q")
    assert result.exit_code == 0, result.stderr
    texts = texts_of(out)
    assert {"result.xlsx:xl/workbook.xml", "index.md", "scorecards/a1.html"} <= set(texts)
    assert not [name for name, text in texts.items() if str(tmp_path) in text]
    assert "appraisal explain q3 -a a1 -i INDICATOR" in texts["scorecards/a1.md"]


def test_drill_down_pages_name_a_missing_scheme_file_by_its_name(run_cli, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    run_dir = tmp_path / "q3"
    assert run_cli("run", str(data / "agent.yaml"), "-p", "2026-Q3", "-o", str(run_dir), "--no-report").exit_code == 0
    (data / "agent.yaml").unlink()
    out = tmp_path / "report"
    assert run_cli("render", str(run_dir), "-o", str(out), "-f", "md", "--drill-down", "-q").exit_code == 0
    texts = texts_of(out)
    drill = texts["drill/a1/tickets.md"]
    assert "the scheme file agent.yaml is gone" in drill
    assert not [name for name, text in texts.items() if str(tmp_path) in text]
