"""`appraisal run` and `appraisal explain` on the measuring test data (tests/data/measuring/)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from appraisal import pipeline
from appraisal.errors import AppraisalError
from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, run
from appraisal.results.fingerprint import Hashing, data_files
from appraisal.results.storing import load_run, write_run

DATA = Path(__file__).resolve().parent / "data" / "measuring"


@pytest.fixture(scope="module")
def result():
    return run(load_scheme(DATA / "agent.yaml"), parse_period("2026-Q3"))


def test_run_writes_a_complete_folder(run_cli, tmp_path):
    out = tmp_path / "q3"
    cli = run_cli("run", str(DATA / "agent.yaml"), "--period", "2026-Q3", "--out", str(out), "--no-report")
    assert cli.exit_code == 0, cli.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "appraisees.parquet", "quality.csv", "queries.sql", "result.json", "scores.csv", "totals.csv"]
    assert [p.name for p in tmp_path.iterdir()] == ["q3"]  # no partial folder left behind


def test_an_existing_folder_is_never_overwritten(run_cli, tmp_path):
    out = tmp_path / "q3"
    out.mkdir()
    (out / "keep.txt").write_text("earlier evidence")
    cli = run_cli("run", str(DATA / "agent.yaml"), "-p", "2026-Q3", "-o", str(out), "--no-report")
    assert cli.exit_code == 1 and "already exists" in cli.stderr
    assert (out / "keep.txt").read_text() == "earlier evidence"


def test_a_run_that_fails_midway_leaves_nothing(result, tmp_path):
    def explode(folder: Path) -> None:
        raise AppraisalError("rendering failed")

    with pytest.raises(AppraisalError):
        write_run(result, tmp_path / "q3", extra=explode)
    assert list(tmp_path.iterdir()) == []


def test_a_stored_result_reads_back_unchanged(result, tmp_path):
    write_run(result, tmp_path / "q3")
    assert load_run(tmp_path / "q3") == result


def test_the_result_records_what_produced_it(result):
    provenance = result.provenance
    assert provenance["scheme_sha256"] == load_scheme(DATA / "agent.yaml").digest
    assert len(provenance["data_sha256"]) == 64
    assert provenance["appraisal"] and provenance["duckdb"]
    assert {p["name"] for p in provenance["plugins"]} >= {"appraisal.default_plugins.functions"}


def test_the_data_fingerprint_is_the_hash_of_the_files_read(result):
    # hashed on a thread while the engine measures (results.fingerprint.Hashing): the same value
    fingerprint, files = data_files(load_scheme(DATA / "agent.yaml"))
    assert (result.provenance["data_sha256"], result.provenance["data_files"]) == (fingerprint, files)
    assert {Path(f["file"]).name for f in files} >= {"tickets.csv", "roster.csv"}


def test_hashing_on_a_thread_hands_its_failure_to_the_caller(tmp_path):
    shutil.copytree(DATA, tmp_path / "data")
    scheme = load_scheme(tmp_path / "data" / "agent.yaml")
    (tmp_path / "data" / "tickets.csv").unlink()
    with pytest.raises(FileNotFoundError, match=r"tickets\.csv"):
        Hashing(scheme).result()


def test_files_that_fail_the_engines_checks_are_never_hashed(tmp_path, monkeypatch):
    shutil.copytree(DATA, tmp_path / "data")
    scheme = load_scheme(tmp_path / "data" / "agent.yaml")
    (tmp_path / "data" / "tickets.csv").unlink()
    started = []
    monkeypatch.setattr(pipeline, "Hashing", lambda scheme: started.append(scheme))
    with pytest.raises(AppraisalError, match="file not found"):
        run(scheme, parse_period("2026-Q3"))
    assert started == []  # hashing starts once every file has passed open_engine's checks


def test_a_run_that_fails_stops_hashing_its_files(monkeypatch):
    made = []

    class Recorded(Hashing):
        def __init__(self, scheme):
            super().__init__(scheme)
            made.append(self)

    def refuse(*args, **kwargs):
        raise AppraisalError("refused")

    monkeypatch.setattr(pipeline, "Hashing", Recorded)
    monkeypatch.setattr(pipeline, "assess", refuse)
    with pytest.raises(AppraisalError, match="refused"):
        run(load_scheme(DATA / "agent.yaml"), parse_period("2026-Q3"))
    assert len(made) == 1 and made[0]._stop.is_set() and not made[0]._thread.is_alive()


def test_the_result_is_identical_on_one_thread_and_two(result):
    again = run(load_scheme(DATA / "agent.yaml"), parse_period("2026-Q3"), threads=1)
    twice = run(load_scheme(DATA / "agent.yaml"), parse_period("2026-Q3"), threads=2)
    assert json.dumps(again.as_dict()) == json.dumps(twice.as_dict()) == json.dumps(result.as_dict())


def test_every_cell_keeps_its_trace(result):
    cell = result.appraisee("a1").cell("resolution_rate")
    assert (cell.source, cell.rows, cell.rule) == (
        "dataset tickets", 2, "linear: worst 0.5 = 0, target 0.9 = 100, best 1 = 100",
    )
    assert "FILTER" in result.queries["tickets"]["sql"]
    assert {q["cause"] for q in result.quality} >= {"duplicate key", "excluded: supplier batch"}


@pytest.fixture
def stored(result, tmp_path):
    return write_run(result, tmp_path / "q3")


def test_explain_walks_from_values_to_the_grade(run_cli, stored):
    cli = run_cli("explain", str(stored), "--appraisee", "a1")
    assert cli.exit_code == 0, cli.stderr
    lines = cli.stdout.splitlines()
    assert lines[0] == "a1 (Ann), team north"
    assert "   score: 0 by linear: worst 0.5 = 0, target 0.9 = 100, best 1 = 100" in lines
    assert lines[-3:] == [
        "  weighted total 51.67 = 66.67 x 25% + 100 x 25% + 0 x 25% + 0 x 15% + 100 x 10%",
        "  grade C: 0 <= 51.67 < 60",
        "  total 51.6667, grade C, status ok",
    ]


def test_explain_one_indicator_shows_the_rows_counted(run_cli, stored):
    cli = run_cli("explain", str(stored), "-a", "a1", "-i", "resolution_rate")
    lines = cli.stdout.splitlines()
    assert "   rows: 3 of a1's rows in tickets fall in the period, 1 excluded; the first 2 counted:" in lines
    assert lines[-2].split(" | ")[0].strip() == "t01" and lines[-2].endswith("| True")
    assert lines[-1].split(" | ")[0].strip() == "t02" and lines[-1].endswith("| False")


def test_explain_refuses_rows_from_changed_data(run_cli, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    folder = write_run(run(load_scheme(data / "agent.yaml"), parse_period("2026-Q3")), tmp_path / "q3")
    with (data / "tickets.csv").open("a", encoding="utf-8") as handle:
        handle.write("t99,a1,2026-07-09 09:00,2026-07-09 10:00,resolved,,0:10:00,c9\n")
    cli = run_cli("explain", str(folder), "-a", "a1", "-i", "tickets")
    assert cli.stdout.splitlines()[-1] == "   rows: not shown, the data files changed since the run"


def test_explain_an_unknown_appraisee_suggests_one(run_cli, stored):
    cli = run_cli("explain", str(stored), "-a", "a11")
    assert cli.exit_code == 1 and cli.stderr.strip() == "no appraisee 'a11' in this run; did you mean 'a1'?"


def test_explain_a_folder_that_is_not_a_run(run_cli, tmp_path):
    cli = run_cli("explain", str(tmp_path), "-a", "a1")
    assert cli.exit_code == 1 and "is not a run folder" in cli.stderr


def test_run_renders_the_report_inside_the_run_folder(run_cli, tmp_path):
    out = tmp_path / "q3"
    cli = run_cli("run", str(DATA / "agent.yaml"), "-p", "2026-Q3", "-o", str(out), "--lang", "zh")
    assert cli.exit_code == 0, cli.stderr
    report = out / "report"
    assert (report / "index.html").is_file() and (report / "index.md").is_file()
    assert sorted(p.name for p in (report / "scorecards").glob("*.html")) == [
        "a1.html", "a2.html", "a3.html", "a4.html"]
    assert "计算过程" in (report / "scorecards" / "a1.html").read_text(encoding="utf-8")


def test_explain_shows_percent_values_as_percentages(run_cli, tmp_path):
    from appraisal.demo.agent import generate
    from appraisal.shipped import shipped_scheme

    (tmp_path / "agent.yaml").write_bytes(shipped_scheme("agent").read_bytes())
    generate(tmp_path / "data" / "agent")
    folder = write_run(run(load_scheme(tmp_path / "agent.yaml"), parse_period("2026-Q3")), tmp_path / "q3")
    person = load_run(folder).appraisees[0]
    lines = run_cli("explain", str(folder), "-a", person.id, "-i", "resolution_rate").stdout.splitlines()
    value = person.cell("resolution_rate").value
    assert lines[3].startswith(f"   value: {round(value * 100, 4):g}% from ")
    assert lines[4] == "   target: 90%"


def test_a_stored_result_keeps_the_phrasebook_parts(result, tmp_path):
    person = load_run(write_run(result, tmp_path / "q3")).appraisee("a1")
    assert person.cell("resolution_rate").rule_parts["key"] == "curve_linear"
    assert [p["key"] for p in person.step_parts] == ["weighted_total", "grade"]


def test_a_result_stored_before_the_phrasebook_parts_still_reads(result, tmp_path):
    from appraisal.results.result import result_from_dict

    data = json.loads(json.dumps(result.as_dict()))
    for person in data["appraisees"]:
        for name in ("step_parts", "status_parts"):
            del person[name]
        for cell in person["cells"]:
            del cell["rule_parts"]
    old = result_from_dict(data).appraisee("a1")
    assert old.step_parts == () and old.cell("tickets").rule_parts is None
    assert old.steps == result.appraisee("a1").steps
